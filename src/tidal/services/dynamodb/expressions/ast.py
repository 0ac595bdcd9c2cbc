"""The parsed form of expressions, before any ExpressionAttributeNames/Values are applied.

A parse is cached and shared by every request that sends the same text, so nodes are never
mutated. Names in a ``Path`` are kept as written: a ``#placeholder`` stays ``"#placeholder"``
until a request's names are bound (an identifier can never start with ``#``), a list index is
an ``int``.
"""

from __future__ import annotations


class Path:
    """A document path: ``a.b[2].#c`` is ``("a", "b", 2, "#c")``."""

    __slots__ = ("elements", "placeholders")

    def __init__(self, elements: tuple) -> None:
        self.elements = elements
        # Most paths in hot expressions are a single "#name"; knowing whether anything needs
        # resolving lets binding skip work.
        self.placeholders = any(type(e) is str and e[0] in "#:" for e in elements)

    def __repr__(self) -> str:
        return f"Path{self.elements!r}"


class Value:
    """A ``:value`` placeholder."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Value({self.name!r})"


class Call:
    """A function call: ``size(a)``, ``if_not_exists(a, :v)``, ``begins_with(a, :p)``..."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: tuple) -> None:
        self.name = name
        self.args = args

    def __repr__(self) -> str:
        return f"Call({self.name!r}, {self.args!r})"


class Arith:
    """``left + right`` or ``left - right`` in a SET action."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: object, right: object) -> None:
        self.op = op
        self.left = left
        self.right = right


class Compare:
    """``left <op> right`` with op one of ``= <> < <= > >=``."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: object, right: object) -> None:
        self.op = op
        self.left = left
        self.right = right


class Between:
    __slots__ = ("operand", "low", "high")

    def __init__(self, operand: object, low: object, high: object) -> None:
        self.operand = operand
        self.low = low
        self.high = high


class In:
    __slots__ = ("operand", "choices")

    def __init__(self, operand: object, choices: tuple) -> None:
        self.operand = operand
        self.choices = choices


class And:
    __slots__ = ("left", "right")

    def __init__(self, left: object, right: object) -> None:
        self.left = left
        self.right = right


class Or:
    __slots__ = ("left", "right")

    def __init__(self, left: object, right: object) -> None:
        self.left = left
        self.right = right


class Not:
    __slots__ = ("operand",)

    def __init__(self, operand: object) -> None:
        self.operand = operand


class Action:
    """One action of an update: kind ``SET``/``REMOVE``/``ADD``/``DELETE``; value None for REMOVE."""

    __slots__ = ("kind", "path", "value")

    def __init__(self, kind: str, path: Path, value: object) -> None:
        self.kind = kind
        self.path = path
        self.value = value

    def __repr__(self) -> str:
        return f"Action({self.kind}, {self.path!r}, {self.value!r})"


class UpdateExpression:
    """A parsed UpdateExpression: its actions in the order written."""

    __slots__ = ("text", "actions")

    def __init__(self, text: str, actions: tuple[Action, ...]) -> None:
        self.text = text
        self.actions = actions


class ConditionExpression:
    """A parsed ConditionExpression, FilterExpression or KeyConditionExpression."""

    __slots__ = ("text", "root")

    def __init__(self, text: str, root: object) -> None:
        self.text = text
        self.root = root


class ProjectionExpression:
    """A parsed ProjectionExpression: its paths in the order written."""

    __slots__ = ("text", "paths")

    def __init__(self, text: str, paths: tuple[Path, ...]) -> None:
        self.text = text
        self.paths = paths
