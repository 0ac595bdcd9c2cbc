"""ConditionExpression / FilterExpression: operators, functions, precedence, and AWS's errors."""

from __future__ import annotations

import base64

import pytest

from tidal.services.dynamodb.expressions import ExpressionScope, evaluate_condition, parse_condition

from .helpers import N, S, message


def B(data: bytes) -> dict:
    return {"B": base64.b64encode(data).decode()}


def holds(expression: str, item: dict, values: dict | None = None, names: dict | None = None) -> bool:
    scope = ExpressionScope(names, values)
    condition = scope.condition(expression)
    scope.check_unused()
    return condition.evaluate(item)


def refused(
    expression: str, values: dict | None = None, names: dict | None = None, param: str = "ConditionExpression"
) -> str:
    return message(lambda: ExpressionScope(names, values).condition(expression, param))


ITEM = {
    "n": N("10"),
    "s": S("hello world"),
    "b": B(b"\x01\x02\x03"),
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "l": {"L": [S("a"), N("1"), {"M": {"k": S("v")}}]},
    "m": {"M": {"inside": {"M": {"deep": N("5")}}, "tags": {"SS": ["x", "y"]}}},
    "ss": {"SS": ["red", "green"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [base64.b64encode(b"\xff").decode()]},
}


# -- comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("n = :v", N("10"), True),
        ("n = :v", N("10.0"), True),
        ("n = :v", S("10"), False),  # different types are never equal
        ("n <> :v", S("10"), True),
        ("n <> :v", N("10"), False),
        ("n < :v", N("9"), False),
        ("n < :v", N("10.5"), True),
        ("n <= :v", N("10"), True),
        ("n > :v", N("9.99"), True),
        ("n >= :v", N("10"), True),
        ("n > :v", N("-1E+100"), True),
        ("n < :v", S("zzz"), False),  # ordering across types is false, not an error
        ("s < :v", S("hello xyz"), True),
        ("s > :v", S("Hello"), True),  # byte order: 'h' > 'H'
        ("b < :v", B(b"\x01\x02\x04"), True),
        ("b > :v", B(b"\x01\x02"), True),
        ("t = :v", {"BOOL": True}, True),
        ("z = :v", {"NULL": True}, True),
        ("ss = :v", {"SS": ["green", "red"]}, True),
        ("l[0] = :v", S("a"), True),
        ("l[2].k = :v", S("v"), True),
        ("m.inside.deep = :v", N("5"), True),
        ("m.inside.deep > :v", N("4"), True),
    ],
)
def test_comparisons(expression: str, value: dict, expected: bool) -> None:
    assert holds(expression, ITEM, {":v": value}) is expected


def test_gone_attributes() -> None:
    values = {":v": N("1")}
    assert holds("gone = :v", ITEM, values) is False
    assert holds("gone <> :v", ITEM, values) is True
    assert holds("gone < :v", ITEM, values) is False
    assert holds("gone >= :v", ITEM, values) is False
    assert holds("l[9] = :v", ITEM, values) is False
    assert holds("n.x = :v", ITEM, values) is False  # a key into a number is simply absent
    assert holds("m[0] = :v", ITEM, values) is False  # an index into a map too
    assert holds("gone <> :v", {}, values) is True


def test_comparing_two_paths() -> None:
    item = {"a": N("1"), "b": N("2")}
    assert holds("a < b", item) is True
    assert holds("b < a", item) is False


def test_ordering_types_without_order_is_refused_statically() -> None:
    assert refused("n < :v", {":v": {"BOOL": True}}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"
    )
    assert refused("n >= :v", {":v": {"SS": ["a"]}}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: SS"
    )


def test_bool_attribute_ordered_against_path_is_just_false() -> None:
    assert holds("t < n", ITEM) is False


# -- precedence --------------------------------------------------------------------------------

FLAGS = {":t": {"BOOL": True}}


def flags(a: bool, b: bool, c: bool) -> dict:
    return {"a": {"BOOL": a}, "b": {"BOOL": b}, "c": {"BOOL": c}}


@pytest.mark.parametrize("a", [True, False])
@pytest.mark.parametrize("b", [True, False])
@pytest.mark.parametrize("c", [True, False])
def test_not_binds_tighter_than_and_which_binds_tighter_than_or(a: bool, b: bool, c: bool) -> None:
    item = flags(a, b, c)
    assert holds("NOT a = :t AND b = :t", item, FLAGS) is ((not a) and b)
    assert holds("a = :t OR b = :t AND c = :t", item, FLAGS) is (a or (b and c))
    assert holds("a = :t AND b = :t OR c = :t", item, FLAGS) is ((a and b) or c)
    assert holds("NOT a = :t OR b = :t", item, FLAGS) is ((not a) or b)
    assert holds("NOT (a = :t OR b = :t)", item, FLAGS) is (not (a or b))
    assert holds("(a = :t OR b = :t) AND c = :t", item, FLAGS) is ((a or b) and c)
    assert holds("NOT NOT a = :t", item, FLAGS) is a
    assert holds("a = :t and not b = :t or c = :t", item, FLAGS) is ((a and not b) or c)


def test_parenthesised_operands() -> None:
    assert holds("(n) = :v", ITEM, {":v": N("10")}) is True
    assert holds("(n = :v)", ITEM, {":v": N("10")}) is True
    assert holds("((n = :v) AND (s = :w))", ITEM, {":v": N("10"), ":w": S("hello world")}) is True


def test_redundant_parentheses() -> None:
    expected = "Invalid ConditionExpression: The expression has redundant parentheses;"
    assert refused("((n = :v))", {":v": N("1")}) == expected
    assert refused("((n)) = :v", {":v": N("1")}) == expected
    assert refused("NOT ((n = :v))", {":v": N("1")}) == expected


# -- IN and BETWEEN ----------------------------------------------------------------------------


def test_in() -> None:
    values = {":a": N("1"), ":b": N("10"), ":c": S("x")}
    assert holds("n IN (:a, :b, :c)", ITEM, values) is True
    assert holds("s IN (:a, :b, :c)", ITEM, values) is False
    assert holds("gone IN (:a, :b, :c)", ITEM, values) is False
    assert holds("n IN (:a)", ITEM, {":a": N("10")}) is True
    assert holds("n IN (m.inside.deep, :a)", ITEM, {":a": N("10")}) is True


def test_in_allows_at_most_100_operands() -> None:
    values = {f":v{i}": N(str(i)) for i in range(101)}
    hundred = ", ".join(f":v{i}" for i in range(100))
    scope = ExpressionScope(None, values)
    assert scope.condition(f"n IN ({hundred})").evaluate(ITEM) is True
    assert refused(f"n IN ({hundred}, :v100)", values) == (
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    )


def test_between() -> None:
    assert holds("n BETWEEN :lo AND :hi", ITEM, {":lo": N("10"), ":hi": N("10")}) is True
    assert holds("n BETWEEN :lo AND :hi", ITEM, {":lo": N("1"), ":hi": N("9.9")}) is False
    assert holds("s BETWEEN :lo AND :hi", ITEM, {":lo": S("h"), ":hi": S("i")}) is True
    assert holds("s BETWEEN :lo AND :hi", ITEM, {":lo": N("1"), ":hi": N("99")}) is False
    assert holds("gone BETWEEN :lo AND :hi", ITEM, {":lo": N("1"), ":hi": N("99")}) is False
    assert holds("n BETWEEN m.inside.deep AND :hi", ITEM, {":hi": N("99")}) is True


def test_between_bounds_are_checked() -> None:
    assert refused("n BETWEEN :lo AND :hi", {":lo": N("5"), ":hi": N("4")}) == (
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
        "lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:4}"
    )
    assert refused("n BETWEEN :lo AND :hi", {":lo": S("z"), ":hi": S("a")}) == (
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
        "lower bound; lower bound operand: AttributeValue: {S:z}, upper bound operand: AttributeValue: {S:a}"
    )
    assert refused("n BETWEEN :lo AND :hi", {":lo": N("1"), ":hi": S("2")}) == (
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
        "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:2}"
    )


# -- functions ---------------------------------------------------------------------------------


def test_attribute_exists_and_not_exists() -> None:
    assert holds("attribute_exists(n)", ITEM) is True
    assert holds("attribute_exists(m.inside.deep)", ITEM) is True
    assert holds("attribute_exists(l[2].k)", ITEM) is True
    assert holds("attribute_exists(l[3])", ITEM) is False
    assert holds("attribute_not_exists(nope)", ITEM) is True
    assert holds("attribute_not_exists(pk)", {}) is True
    assert holds("attribute_exists(#n)", ITEM, names={"#n": "n"}) is True
    assert refused("attribute_exists(:v)", {":v": N("1")}) == (
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    )


@pytest.mark.parametrize(
    ("path", "type_name"),
    [
        ("n", "N"),
        ("s", "S"),
        ("b", "B"),
        ("t", "BOOL"),
        ("z", "NULL"),
        ("l", "L"),
        ("m", "M"),
        ("ss", "SS"),
        ("ns", "NS"),
        ("bs", "BS"),
    ],
)
def test_attribute_type(path: str, type_name: str) -> None:
    assert holds(f"attribute_type({path}, :t)", ITEM, {":t": S(type_name)}) is True
    other = "S" if type_name != "S" else "N"
    assert holds(f"attribute_type({path}, :t)", ITEM, {":t": S(other)}) is False


def test_attribute_type_errors() -> None:
    assert holds("attribute_type(nope, :t)", ITEM, {":t": S("S")}) is False
    assert refused("attribute_type(n, :t)", {":t": S("STRING")}) == (
        "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, "
        "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    )
    assert refused("attribute_type(n, :t)", {":t": N("1")}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: attribute_type, operand type: N"
    )


def test_begins_with() -> None:
    assert holds("begins_with(s, :p)", ITEM, {":p": S("hello")}) is True
    assert holds("begins_with(s, :p)", ITEM, {":p": S("world")}) is False
    assert holds("begins_with(b, :p)", ITEM, {":p": B(b"\x01\x02")}) is True
    assert holds("begins_with(b, :p)", ITEM, {":p": B(b"\x02")}) is False
    assert holds("begins_with(n, :p)", ITEM, {":p": S("1")}) is False  # an N attribute: false, no error
    assert holds("begins_with(s, :p)", ITEM, {":p": B(b"h")}) is False
    assert refused("begins_with(s, :p)", {":p": N("1")}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N"
    )


def test_contains() -> None:
    assert holds("contains(s, :v)", ITEM, {":v": S("lo wo")}) is True
    assert holds("contains(s, :v)", ITEM, {":v": S("xyz")}) is False
    assert holds("contains(ss, :v)", ITEM, {":v": S("red")}) is True
    assert holds("contains(ss, :v)", ITEM, {":v": S("re")}) is False  # members, not substrings
    assert holds("contains(ns, :v)", ITEM, {":v": N("2.50")}) is True
    assert holds("contains(bs, :v)", ITEM, {":v": B(b"\xff")}) is True
    assert holds("contains(b, :v)", ITEM, {":v": B(b"\x02\x03")}) is True
    assert holds("contains(l, :v)", ITEM, {":v": N("1.0")}) is True
    assert holds("contains(l, :v)", ITEM, {":v": {"M": {"k": S("v")}}}) is True
    assert holds("contains(m.tags, :v)", ITEM, {":v": S("y")}) is True
    assert holds("contains(n, :v)", ITEM, {":v": N("1")}) is False
    assert holds("contains(ss, :v)", ITEM, {":v": N("1")}) is False
    assert holds("contains(nope, :v)", ITEM, {":v": S("x")}) is False


def test_size() -> None:
    assert holds("size(s) = :v", ITEM, {":v": N("11")}) is True
    assert holds("size(b) = :v", ITEM, {":v": N("3")}) is True
    assert holds("size(l) = :v", ITEM, {":v": N("3")}) is True
    assert holds("size(m) = :v", ITEM, {":v": N("2")}) is True
    assert holds("size(ss) > :v", ITEM, {":v": N("1")}) is True
    assert holds("size(ns) BETWEEN :a AND :b", ITEM, {":a": N("2"), ":b": N("2")}) is True
    assert holds("size(n) = :v", ITEM, {":v": N("2")}) is False  # numbers have no size
    assert holds("size(n) <> :v", ITEM, {":v": N("2")}) is True
    assert holds("size(nope) = :v", ITEM, {":v": N("0")}) is False
    assert holds("size(s) > size(b)", ITEM) is True
    assert holds("size(:x) = :v", ITEM, {":x": S("abc"), ":v": N("3")}) is True
    assert holds("size(u) = :v", {"u": S("é𝄞")}, {":v": N("3")}) is True


def test_size_errors() -> None:
    assert refused("size(:x) = :v", {":x": N("12"), ":v": N("2")}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"
    )
    assert refused("size(size(s)) = :v", {":v": N("2")}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"
    )
    assert refused("size(s)") == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    )
    assert refused("size(s, l) > :v", {":v": N("1")}) == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: size, number of operands: 2"
    )


def test_function_placement_errors() -> None:
    assert refused("begins_with(s, :p) = :v", {":p": S("h"), ":v": {"BOOL": True}}) == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
        "function: begins_with"
    )
    assert refused("size(contains(s, :v)) > :n", {":v": S("h"), ":n": N("1")}) == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: contains"
    )
    assert refused("if_not_exists(s, :v) = :v", {":v": S("x")}) == (
        "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"
    )
    assert refused("whatever(s)") == "Invalid ConditionExpression: Invalid function name; function: whatever"
    assert refused("contains(s)") == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: contains, number of operands: 1"
    )
    assert refused("begins_with(s, :a, :b)", {":a": S("a"), ":b": S("b")}) == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: begins_with, number of operands: 3"
    )


def test_first_operand_must_differ() -> None:
    assert refused("a = a") == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: =, first operand: [a]"
    )
    assert refused("#x = a", names={"#x": "a"}) == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: =, first operand: [a]"
    )
    assert refused("m.b IN (:v, m.b)", {":v": N("1")}) == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: IN, first operand: [m, b]"
    )


# -- syntax, names, values, prefixes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token", "near"),
    [
        ("a = ", "<EOF>", "= "),
        ("a", "<EOF>", "a"),
        ("a = :v AND", "<EOF>", "AND"),
        ("a = :v b", "b", ":v b"),
        ("a == :v", "=", "== :v"),
        ("a IN :v", ":v", "IN :v"),
        ("a BETWEEN :v", "<EOF>", ":v"),
        ("attribute_type()", ")", "()"),
        ("#list[abc].#c = :v", "abc", "[abc]"),
        ("a = :v)", ")", ":v)"),
        ("(a = :v", "<EOF>", ":v"),
        ("a = :v &", "&", ":v &"),
    ],
)
def test_syntax_errors(text: str, token: str, near: str) -> None:
    assert refused(text, {":v": N("1")}, {"#list": "l", "#c": "c"}) == (
        f'Invalid ConditionExpression: Syntax error; token: "{token}", near: "{near}"'
    )


def test_keyword_names_need_placeholders() -> None:
    # Function names are not reserved: without parentheses "size" is a plain attribute name.
    assert holds("size > :v", {"size": N("2")}, {":v": N("1")}) is True
    assert refused("name = :v", {":v": S("x")}) == (
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    )
    assert refused("#l[0].COMMENT = :v", {":v": S("x")}, {"#l": "l"}) == (
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: COMMENT"
    )
    assert holds("#n = :v", {"name": S("x")}, {":v": S("x")}, {"#n": "name"}) is True


def test_error_prefix_follows_the_parameter() -> None:
    assert refused("a = :nope", {":v": N("1")}, param="FilterExpression") == (
        "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
    )
    assert refused("#nope = :v", {":v": N("1")}, param="KeyConditionExpression") == (
        "Invalid KeyConditionExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #nope"
    )
    assert message(lambda: parse_condition("", "FilterExpression")) == (
        "Invalid FilterExpression: The expression can not be empty;"
    )


def test_path_depth_limit() -> None:
    deep = ".".join(f"p{i}" for i in range(33))
    assert refused(f"attribute_exists({deep})") == (
        "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33"
    )
    assert holds("attribute_exists(" + ".".join(f"p{i}" for i in range(32)) + ")", {}) is False


def test_operator_limit() -> None:
    values = {":v": N("1")}
    ok = " AND ".join(["a = :v"] * 150)  # 150 comparisons + 149 ANDs = 299 operators
    assert holds(ok, {"a": N("1")}, values) is True
    too_many = " AND ".join(["a = :v"] * 151)  # 301 operators
    assert refused(too_many, values) == (
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    )


def test_evaluate_condition_in_one_call() -> None:
    scope = ExpressionScope(None, {":v": N("10")})
    assert evaluate_condition(ITEM, "n = :v", scope, "FilterExpression") is True
    scope.check_unused()
