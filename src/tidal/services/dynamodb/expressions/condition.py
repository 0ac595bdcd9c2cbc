"""Condition and filter expressions: binding a parsed condition and evaluating it on items.

Evaluation never raises: as in DynamoDB, comparing values of different types, or ordering
types that have no order, is simply false; ``size`` of a value without a size is absent, so
any comparison with it is false; ``<>`` is true when either side is absent.
"""

from __future__ import annotations

from collections.abc import Callable

from ..values import compare, values_equal
from .ast import And, Between, Call, Compare, ConditionExpression, In, Not, Or
from .errors import invalid
from .operands import (
    MAX_IN_OPERANDS,
    ORDERED,
    VALUE,
    Binder,
    Bound,
    ordered_pair,
)

Predicate = Callable[[dict], bool]


class BoundCondition:
    """A condition bound to one request's names and values.

    ``evaluate(item)`` tells whether ``item`` (a dict of AttributeValues; ``{}`` for an item
    that does not exist) satisfies it.
    """

    __slots__ = ("expression", "evaluate")

    def __init__(self, expression: ConditionExpression, evaluate: Predicate) -> None:
        self.expression = expression
        self.evaluate = evaluate

    def __call__(self, item: dict) -> bool:
        return self.evaluate(item)


def bind_condition(binder: Binder, expression: ConditionExpression) -> BoundCondition:
    return BoundCondition(expression, _compile(binder, expression.root))


def _compile(binder: Binder, node: object) -> Predicate:
    kind = type(node)
    if kind is And:
        left, right = _compile(binder, node.left), _compile(binder, node.right)
        binder.count_operator()
        return lambda item: left(item) and right(item)
    if kind is Or:
        left, right = _compile(binder, node.left), _compile(binder, node.right)
        binder.count_operator()
        return lambda item: left(item) or right(item)
    if kind is Not:
        inner = _compile(binder, node.operand)
        binder.count_operator()
        return lambda item: not inner(item)
    if kind is Compare:
        return _comparison(binder, node)
    if kind is Between:
        return _between(binder, node)
    if kind is In:
        return _in(binder, node)
    if kind is Call:
        return binder.operand(node).get
    raise TypeError(f"not a condition: {node!r}")


def _comparison(binder: Binder, node: Compare) -> Predicate:
    op = node.op
    left, right = binder.operand(node.left), binder.operand(node.right)
    binder.check_operator(op, [left, right], 2, None if op in ("=", "<>") else ORDERED)
    binder.count_operator()
    get_left, get_right = left.get, right.get
    if op == "=":
        return lambda item: values_equal(get_left(item), get_right(item))
    if op == "<>":
        return lambda item: not values_equal(get_left(item), get_right(item))
    test = _ORDER_TESTS[op]

    def ordered(item: dict) -> bool:
        order = ordered_pair(get_left(item), get_right(item))
        return order is not None and test(order)

    return ordered


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda order: order < 0,
    "<=": lambda order: order <= 0,
    ">": lambda order: order > 0,
    ">=": lambda order: order >= 0,
}


def _between(binder: Binder, node: Between) -> Predicate:
    operand, low, high = binder.operand(node.operand), binder.operand(node.low), binder.operand(node.high)
    binder.check_operator("BETWEEN", [operand, low, high], 3, ORDERED)
    if low.kind == VALUE and high.kind == VALUE:
        _check_bounds(low, high)
    binder.count_operator()
    get, get_low, get_high = operand.get, low.get, high.get

    def between(item: dict) -> bool:
        value = get(item)
        below = ordered_pair(value, get_high(item))
        if below is None or below > 0:
            return False
        above = ordered_pair(value, get_low(item))
        return above is not None and above >= 0

    return between


def _check_bounds(low: Bound, high: Bound) -> None:
    lower, upper = low.value, high.value
    lower_type, upper_type = next(iter(lower)), next(iter(upper))
    pairs = ("lower bound operand", _shown(lower), "upper bound operand", _shown(upper))
    if lower_type != upper_type:
        invalid("The BETWEEN operator requires same data type for lower and upper bounds", *pairs)
    if compare(lower, upper) > 0:
        invalid(
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound", *pairs
        )


def _shown(value: dict) -> str:
    kind = next(iter(value))
    return f"AttributeValue: {{{kind}:{value[kind]}}}"


def _in(binder: Binder, node: In) -> Predicate:
    operand = binder.operand(node.operand)
    choices = [binder.operand(c) for c in node.choices]
    binder.check_operator("IN", [operand, *choices], len(choices) + 1, None)
    if len(choices) > MAX_IN_OPERANDS:
        invalid("The IN operator is provided with too many operands", "number of operands", len(choices))
    binder.count_operator()
    get = operand.get
    if all(c.kind == VALUE for c in choices):
        values = [c.value for c in choices]
        return lambda item: (value := get(item)) is not None and any(values_equal(value, v) for v in values)
    getters = [c.get for c in choices]
    return lambda item: (
        (value := get(item)) is not None and any(values_equal(value, g(item)) for g in getters)
    )
