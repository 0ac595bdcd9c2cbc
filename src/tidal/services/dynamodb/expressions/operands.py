"""Binding operands to one request's names and values, with DynamoDB's static checks.

Binding turns a parsed operand into a ``Bound`` operand: a function from the item to an
AttributeValue (or None when absent), plus what is known before any item is seen: whether it
is a path, a value or a function, and which types it can produce. DynamoDB validates
expressions bottom-up in that shape: a name or value that is not defined, then for each
operator or function its operand count, its operand types (when known statically), that the
first operand differs from the others, and the function's own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..values import EXACT, binary_value, check_sum, compare, format_number, size_of, values_equal
from .ast import Arith, Call, Path, Value
from .errors import ATTRIBUTE_NOT_FOUND, INCORRECT_DATA_TYPE, fail_update, invalid, path_text
from .paths import resolve

MAX_PATH_DEPTH = 32
MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100

ORDERED = frozenset(("S", "N", "B"))
STRING_BINARY = frozenset(("S", "B"))
ITERABLE = frozenset(("S", "B", "SS", "NS", "BS", "L", "M"))
NUMERIC = frozenset(("N",))
LIST = frozenset(("L",))
BOOLEAN = frozenset(("BOOL",))

# How DynamoDB prints "any type" and the names attribute_type accepts (as recorded from AWS).
_ANY_TYPE_TEXT = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
_VALID_TYPES_TEXT = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
_TYPE_NAMES = frozenset(("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"))

# Operators whose operands may be missing attributes, which also makes DynamoDB refuse the
# same path as first and later operand (``a = a``).
_DISTINCT_FIRST = frozenset(
    (
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "BETWEEN",
        "IN",
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
        "size",
        "if_not_exists",
    )
)

# name -> (number of operands, operand types or None for any, result types or None for any)
FUNCTIONS: dict[str, tuple[int, frozenset | None, frozenset | None]] = {
    "attribute_exists": (1, None, BOOLEAN),
    "attribute_not_exists": (1, None, BOOLEAN),
    "attribute_type": (2, None, BOOLEAN),
    "begins_with": (2, STRING_BINARY, BOOLEAN),
    "contains": (2, None, BOOLEAN),
    "size": (1, ITERABLE, NUMERIC),
    "if_not_exists": (2, None, None),
    "list_append": (2, LIST, LIST),
}

PATH, VALUE, OPERATOR = range(3)


class Bound:
    """A bound operand: ``get(item)`` reads it; ``kind``/``types`` describe it statically."""

    __slots__ = ("kind", "types", "get", "path", "value")

    def __init__(
        self, kind: int, types: frozenset | None, get: Callable, path: tuple = (), value: Any = None
    ):
        self.kind = kind
        self.types = types
        self.get = get
        self.path = path
        self.value = value


def type_text(types: frozenset | None) -> str:
    if types is None:
        return _ANY_TYPE_TEXT
    if len(types) == 1:
        return next(iter(types))
    return "{" + ",".join(sorted(types)) + "}"


class Binder:
    """Binds the operands of one expression to a request's names and values.

    ``names`` and ``values`` are the request's maps; the names and values used are added to
    ``used_names`` / ``used_values`` so the request can refuse unused ones at the end.
    """

    __slots__ = ("names", "values", "used_names", "used_values", "operators")

    def __init__(self, names: dict, values: dict, used_names: set, used_values: set) -> None:
        self.names = names
        self.values = values
        self.used_names = used_names
        self.used_values = used_values
        self.operators = 0

    # -- leaves --------------------------------------------------------------------------------

    def path(self, path: Path) -> tuple:
        elements = path.elements
        if len(elements) > MAX_PATH_DEPTH:
            invalid("The document path has too many nesting levels", "nesting levels", len(elements))
        if not path.placeholders:
            return elements
        resolved = []
        for element in elements:
            if type(element) is str:
                if element[0] == "#":
                    self.used_names.add(element)
                    name = self.names.get(element)
                    if name is None:
                        invalid(
                            "An expression attribute name used in the document path is not defined",
                            "attribute name",
                            element,
                        )
                    element = name
                elif element[0] == ":":
                    # DynamoDB's grammar reads "a.:v" but the service refuses it.
                    invalid(
                        "The document path cannot contain attribute value parameters",
                        "attribute value",
                        element,
                    )
            resolved.append(element)
        return tuple(resolved)

    def value(self, name: str) -> dict:
        self.used_values.add(name)
        value = self.values.get(name)
        if value is None:
            invalid(
                "An expression attribute value used in expression is not defined", "attribute value", name
            )
        return value

    def count_operator(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            invalid("The expression contains too many operators", "operator count", self.operators)

    # -- operands ------------------------------------------------------------------------------

    def operand(self, node: object) -> Bound:
        if type(node) is Path:
            elements = self.path(node)
            if len(elements) == 1:
                name = elements[0]
                return Bound(PATH, None, lambda item: item.get(name), elements)
            return Bound(PATH, None, lambda item: resolve(item, elements), elements)
        if type(node) is Value:
            value = self.value(node.name)
            return Bound(VALUE, frozenset((next(iter(value)),)), lambda item: value, value=value)
        if type(node) is Call:
            return self.call(node)
        if type(node) is Arith:
            return self.arithmetic(node)
        raise TypeError(f"not an operand: {node!r}")

    def call(self, node: Call) -> Bound:
        args = [self.operand(a) for a in node.args]
        name = node.name
        count, operand_types, result_types = FUNCTIONS[name]
        self.check_operator(name, args, count, operand_types)
        if name == "size":
            get = _size(args[0].get)
        elif name == "if_not_exists":
            if args[0].kind != PATH:
                invalid("Operator or function requires a document path", "operator or function", name)
            get = _if_not_exists(args[0].get, args[1].get)
        elif name == "list_append":
            get = _list_append(args[0].get, args[1].get)
        else:
            get = self.predicate(name, args)
        self.count_operator()
        return Bound(OPERATOR, result_types, get)

    def arithmetic(self, node: Arith) -> Bound:
        args = [self.operand(node.left), self.operand(node.right)]
        self.check_operator(node.op, args, 2, NUMERIC)
        self.count_operator()
        return Bound(OPERATOR, NUMERIC, _arithmetic(node.op == "+", args[0].get, args[1].get))

    def check_operator(
        self, name: str, args: list[Bound], count: int, operand_types: frozenset | None
    ) -> None:
        """The checks DynamoDB makes on every operator: count, types, distinct first operand."""
        if len(args) != count:
            invalid(
                "Incorrect number of operands for operator or function",
                "operator or function",
                name,
                "number of operands",
                len(args),
            )
        if operand_types is not None:
            for arg in args:
                if arg.types is not None and not (arg.types & operand_types):
                    invalid(
                        "Incorrect operand type for operator or function",
                        "operator or function",
                        name,
                        "operand type",
                        type_text(arg.types),
                    )
        if name in _DISTINCT_FIRST and len(args) > 1 and args[0].kind == PATH:
            first = args[0].path
            for arg in args[1:]:
                if arg.kind == PATH and arg.path == first:
                    invalid(
                        "The first operand must be distinct from the remaining operands for this operator or function",
                        "operator",
                        name,
                        "first operand",
                        path_text(first),
                    )

    def predicate(self, name: str, args: list[Bound]) -> Callable:
        """The boolean functions of conditions."""
        if name == "attribute_exists" or name == "attribute_not_exists":
            if args[0].kind != PATH:
                invalid("Operator or function requires a document path", "operator or function", name)
            get = args[0].get
            if name == "attribute_exists":
                return lambda item: get(item) is not None
            return lambda item: get(item) is None
        if name == "attribute_type":
            kind = args[1]
            if kind.kind != VALUE or "S" not in kind.value:
                invalid(
                    "Incorrect operand type for operator or function",
                    "operator or function",
                    name,
                    "operand type",
                    type_text(kind.types),
                )
            wanted = kind.value["S"]
            if wanted not in _TYPE_NAMES:
                invalid("Invalid attribute type name found", "type", wanted, "valid types", _VALID_TYPES_TEXT)
            get = args[0].get

            def attribute_type(item: dict) -> bool:
                value = get(item)
                return value is not None and wanted in value

            return attribute_type
        if name == "begins_with":
            return _begins_with(args[0].get, args[1].get)
        return _contains(args[0].get, args[1].get)


# -- evaluation --------------------------------------------------------------------------------


def _size(get: Callable) -> Callable:
    def size(item: dict) -> dict | None:
        n = size_of(get(item))
        return None if n is None else {"N": str(n)}

    return size


def _if_not_exists(get_path: Callable, get_default: Callable) -> Callable:
    def if_not_exists(item: dict) -> dict:
        default = get_default(item)
        if default is None:
            fail_update(ATTRIBUTE_NOT_FOUND)
        current = get_path(item)
        return default if current is None else current

    return if_not_exists


def _list_append(get_first: Callable, get_second: Callable) -> Callable:
    def list_append(item: dict) -> dict:
        first, second = get_first(item), get_second(item)
        if first is None or second is None:
            fail_update(ATTRIBUTE_NOT_FOUND)
        if "L" not in first or "L" not in second:
            fail_update(INCORRECT_DATA_TYPE)
        return {"L": first["L"] + second["L"]}

    return list_append


def _arithmetic(add: bool, get_left: Callable, get_right: Callable) -> Callable:
    def arithmetic(item: dict) -> dict:
        left, right = get_left(item), get_right(item)
        if left is None or right is None:
            fail_update(ATTRIBUTE_NOT_FOUND)
        if "N" not in left or "N" not in right:
            fail_update(INCORRECT_DATA_TYPE)
        return add_numbers(left["N"], right["N"], add)

    return arithmetic


def add_numbers(left: str, right: str, add: bool = True) -> dict:
    """``left + right`` (or ``-``) exactly, refused if the result cannot be stored.

    Both are in DynamoDB's output form (validated on the way in). Integers of under 38
    characters, every counter, add as ints: exact, the sum has at most 38 digits, and
    ``str`` of an int is already that form. Anything else goes through Decimal.
    """
    if len(left) < 38 and len(right) < 38 and "." not in left and "." not in right:
        try:
            a_int, b_int = int(left), int(right)
        except ValueError:  # an exponent form: not stored by tidal, but callers may pass one
            pass
        else:
            return {"N": str(a_int + b_int if add else a_int - b_int)}
    a, b = Decimal(left), Decimal(right)
    result = EXACT.add(a, b) if add else EXACT.subtract(a, b)
    return {"N": format_number(check_sum(result))}


def _begins_with(get_value: Callable, get_prefix: Callable) -> Callable:
    def begins_with(item: dict) -> bool:
        value, prefix = get_value(item), get_prefix(item)
        if value is None or prefix is None:
            return False
        if "S" in value:
            return "S" in prefix and value["S"].startswith(prefix["S"])
        if "B" in value and "B" in prefix:
            return binary_value(value).startswith(binary_value(prefix))
        return False

    return begins_with


def _contains(get_container: Callable, get_member: Callable) -> Callable:
    def contains(item: dict) -> bool:
        return container_holds(get_container(item), get_member(item))

    return contains


def container_holds(container: dict | None, member: dict | None) -> bool:
    """DynamoDB's ``contains``: substring of S or B, member of a set, element of a list."""
    if container is None or member is None:
        return False
    kind = next(iter(container))
    held = container[kind]
    if kind == "S":
        return "S" in member and member["S"] in held
    if kind == "B":
        return "B" in member and binary_value(member) in binary_value(container)
    if kind == "L":
        return any(values_equal(element, member) for element in held)
    if kind == "SS":
        return "S" in member and member["S"] in held
    if kind == "NS":
        return "N" in member and any(values_equal({"N": n}, member) for n in held)
    if kind == "BS":
        return "B" in member and any(values_equal({"B": b}, member) for b in held)
    return False


def ordered_pair(left: dict | None, right: dict | None) -> int | None:
    """``compare(left, right)`` when both are the same ordered type (S, N, B), else None."""
    if left is None or right is None:
        return None
    kind = next(iter(left))
    if kind not in ORDERED or kind not in right:
        return None
    return compare(left, right)
