"""UpdateExpression: parsing, DynamoDB's error messages, and applying updates to items."""

from __future__ import annotations

import base64
import copy

import pytest

from tidal.services.dynamodb.expressions import (
    RESERVED_WORDS,
    ExpressionScope,
    apply_update,
    is_reserved,
    parse_update,
)

from .helpers import N, S, message


def update(expression: str, item: dict | None = None, names: dict | None = None, values: dict | None = None):
    """Bind ``expression`` to fresh names/values, check unused, apply to ``item``."""
    scope = ExpressionScope(names, values)
    bound = scope.update(expression)
    scope.check_unused()
    return bound.apply({} if item is None else item)


def refused(expression: str, names: dict | None = None, values: dict | None = None) -> str:
    return message(lambda: ExpressionScope(names, values).update(expression))


def failed(expression: str, item: dict, names: dict | None = None, values: dict | None = None) -> str:
    return message(lambda: update(expression, item, names, values))


# -- SET ---------------------------------------------------------------------------------------


def test_set_replaces_and_creates_attributes() -> None:
    out = update("SET a = :a, b = :b", {"a": S("old")}, values={":a": S("new"), ":b": N("1.50")})
    assert out.item == {"a": S("new"), "b": N("1.5")}


def test_keywords_are_case_insensitive_and_whitespace_is_free() -> None:
    out = update("  set\ta=:v\n", {}, values={":v": S("x")})
    assert out.item == {"a": S("x")}


def test_every_action_reads_the_item_as_it_was() -> None:
    out = update("SET a = :v, b = a", {"a": S("old")}, values={":v": S("new")})
    assert out.item == {"a": S("new"), "b": S("old")}


def test_set_from_a_missing_attribute_fails() -> None:
    assert (
        failed("SET a = b", {})
        == "The provided expression refers to an attribute that does not exist in the item"
    )


def test_if_not_exists() -> None:
    values = {":d": N("0")}
    assert update("SET a = if_not_exists(a, :d)", {}, values=values).item == {"a": N("0")}
    assert update("SET a = if_not_exists(a, :d)", {"a": N("7")}, values=values).item == {"a": N("7")}
    assert update("SET b = if_not_exists(a, :d)", {"a": S("x")}, values=values).item == {
        "a": S("x"),
        "b": S("x"),
    }
    assert failed("SET a = if_not_exists(a, b)", {"a": N("1")}) == (
        "The provided expression refers to an attribute that does not exist in the item"
    )


def test_counter_with_if_not_exists_plus() -> None:
    values = {":zero": N("0"), ":one": N("1")}
    item: dict = {}
    for _ in range(3):
        item = update("SET c = if_not_exists(c, :zero) + :one", item, values=values).item
    assert item == {"c": N("3")}


def test_arithmetic() -> None:
    assert update("SET a = a + :v", {"a": N("1.5")}, values={":v": N("2")}).item == {"a": N("3.5")}
    assert update("SET a = a - :v", {"a": N("1")}, values={":v": N("2.25")}).item == {"a": N("-1.25")}
    assert update("SET a = :v - a", {"a": N("1")}, values={":v": N("1")}).item == {"a": N("0")}
    assert update("SET a = (b + :v)", {"b": N("2")}, values={":v": N("2")}).item == {"a": N("4"), "b": N("2")}
    assert update("SET a = (b) + (:v)", {"b": N("2")}, values={":v": N("2")}).item == {
        "a": N("4"),
        "b": N("2"),
    }


def test_arithmetic_errors() -> None:
    assert failed("SET a = b + :v", {}, values={":v": N("1")}) == (
        "The provided expression refers to an attribute that does not exist in the item"
    )
    assert failed("SET a = b + :v", {"b": S("1")}, values={":v": N("1")}) == (
        "An operand in the update expression has an incorrect data type"
    )
    assert refused("SET a = b + :v", values={":v": S("1")}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"
    )
    assert refused("SET a = :v - b", values={":v": {"SS": ["x"]}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: SS"
    )
    # One operator only: there is no rule for a + b + c.
    assert refused("SET a = b + c + d") == 'Invalid UpdateExpression: Syntax error; token: "+", near: "c + d"'


def test_list_append() -> None:
    values = {":t": {"L": [S("c")]}}
    item = {"l": {"L": [S("a"), S("b")]}}
    assert update("SET l = list_append(l, :t)", item, values=values).item == {
        "l": {"L": [S("a"), S("b"), S("c")]}
    }
    assert update("SET l = list_append(:t, l)", item, values=values).item == {
        "l": {"L": [S("c"), S("a"), S("b")]}
    }
    values[":e"] = {"L": []}
    assert update("SET l = list_append(if_not_exists(l, :e), :t)", {}, values=values).item == {
        "l": {"L": [S("c")]}
    }
    assert failed("SET l = list_append(m, :t)", {}, values={":t": {"L": []}}) == (
        "The provided expression refers to an attribute that does not exist in the item"
    )
    assert failed("SET l = list_append(m, :t)", {"m": S("x")}, values={":t": {"L": []}}) == (
        "An operand in the update expression has an incorrect data type"
    )
    assert refused("SET l = list_append(l, :t)", values={":t": S("x")}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator or function: list_append, operand type: S"
    )


# -- nested paths ------------------------------------------------------------------------------


def nested_item() -> dict:
    return {"a": {"M": {"b": {"L": [S("0"), S("1"), {"M": {"c": S("old"), "d": S("keep")}}]}}}}


def test_set_nested_path() -> None:
    out = update("SET a.b[2].c = :v", nested_item(), values={":v": S("new")})
    assert out.item == {"a": {"M": {"b": {"L": [S("0"), S("1"), {"M": {"c": S("new"), "d": S("keep")}}]}}}}


def test_set_nested_path_with_placeholders() -> None:
    out = update("SET #a.#b[0] = :v", nested_item(), names={"#a": "a", "#b": "b"}, values={":v": S("zero")})
    assert out.item["a"]["M"]["b"]["L"][0] == S("zero")


def test_list_index_past_the_end_appends() -> None:
    out = update("SET l[10] = :x, l[7] = :y", {"l": {"L": [S("a")]}}, values={":x": S("x"), ":y": S("y")})
    assert out.item == {"l": {"L": [S("a"), S("y"), S("x")]}}


def test_remove_list_elements_closes_up() -> None:
    item = {"l": {"L": [S("a"), S("b"), S("c"), S("d")]}}
    assert update("REMOVE l[1], l[2]", item).item == {"l": {"L": [S("a"), S("d")]}}
    assert update("REMOVE l[9]", item).item == item


def test_remove_and_set_in_one_list() -> None:
    item = {"l": {"L": [S("a"), S("b")]}}
    out = update("REMOVE l[0] SET l[1] = :v", item, values={":v": S("B")})
    assert out.item == {"l": {"L": [S("B")]}}


def test_remove() -> None:
    item = {"a": S("1"), "b": S("2"), "m": {"M": {"x": S("x"), "y": S("y")}}}
    assert update("REMOVE a, m.x, nothing", item).item == {"b": S("2"), "m": {"M": {"y": S("y")}}}


def test_invalid_document_paths_for_update() -> None:
    expected = "The document path provided in the update expression is invalid for update"
    values = {":v": S("v")}
    assert failed("SET a.b = :v", {}, values=values) == expected  # parent missing
    assert failed("SET a.b = :v", {"a": S("scalar")}, values=values) == expected  # parent not a map
    assert failed("SET a[0] = :v", {"a": {"M": {}}}, values=values) == expected  # index on a map
    assert failed("SET a.b = :v", {"a": {"L": []}}, values=values) == expected  # key on a list
    assert failed("REMOVE a.b.c", {"a": {"M": {}}}) == expected
    assert failed("SET a[3].b = :v", {"a": {"L": [S("x")]}}, values=values) == expected


def test_old_item_is_not_modified() -> None:
    item = nested_item()
    before = copy.deepcopy(item)
    update("SET a.b[2].c = :v REMOVE a.b[0]", item, values={":v": S("new")})
    assert item == before


def test_nesting_limit_applies_to_the_new_item() -> None:
    deep: dict = {"S": "leaf"}
    for _ in range(30):
        deep = {"M": {"k": deep}}
    item = {"a": {"M": {"b": {"M": {}}}}}
    assert (
        failed("SET a.b.c = :deep", item, values={":deep": deep})
        == "Nesting Levels have exceeded supported limits"
    )
    assert update("SET c = :deep", {}, values={":deep": deep}).item == {"c": deep}


# -- ADD and DELETE ----------------------------------------------------------------------------


def test_add_number_creates_and_adds() -> None:
    values = {":n": N("5")}
    assert update("ADD c :n", {}, values=values).item == {"c": N("5")}
    assert update("ADD c :n", {"c": N("-7")}, values=values).item == {"c": N("-2")}


def test_add_one_tenth_ten_times_is_exactly_one() -> None:
    item: dict = {}
    for _ in range(10):
        item = update("ADD n :v", item, values={":v": N("0.1")}).item
    assert item == {"n": N("1")}


def test_38_digit_arithmetic() -> None:
    big = "12345678901234567890123456789012345678"
    assert update("ADD n :v", {"n": N(big)}, values={":v": N("1")}).item == {
        "n": N("12345678901234567890123456789012345679")
    }
    assert update("SET n = n + :v", {"n": N("0.1")}, values={":v": N("0.2")}).item == {"n": N("0.3")}
    assert update(
        "SET n = n - :v", {"n": N("100000000000000000000.00000001")}, values={":v": N("1")}
    ).item == {"n": N("99999999999999999999.00000001")}


def test_integer_arithmetic_at_the_edge_of_38_digits() -> None:
    nines = "9" * 37
    assert update("ADD n :v", {"n": N(nines)}, values={":v": N(nines)}).item == {"n": N("1" + "9" * 36 + "8")}
    assert update("SET n = n - :v", {"n": N("-" + nines)}, values={":v": N(nines)}).item == {
        "n": N("-1" + "9" * 36 + "8")
    }
    assert update("SET n = n - :v", {"n": N("5")}, values={":v": N("5")}).item == {"n": N("0")}
    assert update("SET n = n + :v", {"n": N("1E+2")}, values={":v": N("1")}).item == {"n": N("101")}
    # 38 nines plus one is 1E+38, one significant digit; plus two needs 39 digits: refused,
    # with the overflow message DynamoDB gives for a result it cannot hold in 38 digits.
    assert update("ADD n :v", {"n": N("9" * 38)}, values={":v": N("1")}).item == {"n": N("1" + "0" * 38)}
    assert failed("ADD n :v", {"n": N("9" * 38)}, values={":v": N("2")}) == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )


def test_arithmetic_results_must_fit() -> None:
    assert failed(
        "ADD n :v", {"n": N("9.9999999999999999999999999999999999999E+125")}, values={":v": N("1E+125")}
    ) == ("Number overflow. Attempting to store a number with magnitude larger than supported range")
    assert failed("SET n = n - :v", {"n": N("-9E+125")}, values={":v": N("9E+125")}) == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )
    # A result that would need more than 38 digits is refused, not rounded, and DynamoDB calls
    # it an overflow (ScyllaDB's alternator tests record this for 1e50 + 1).
    assert failed("ADD n :v", {"n": N("1E+30")}, values={":v": N("1E-30")}) == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )
    assert failed("SET n = :a + :b", {}, values={":a": N("1E+50"), ":b": N("1")}) == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )


def test_add_to_a_non_number_fails() -> None:
    assert failed("ADD c :n", {"c": S("x")}, values={":n": N("1")}) == (
        "An operand in the update expression has an incorrect data type"
    )


def test_add_to_sets() -> None:
    assert update("ADD s :v", {}, values={":v": {"SS": ["a"]}}).item == {"s": {"SS": ["a"]}}
    out = update("ADD s :v", {"s": {"SS": ["a", "b"]}}, values={":v": {"SS": ["b", "c"]}})
    assert sorted(out.item["s"]["SS"]) == ["a", "b", "c"]
    out = update("ADD s :v", {"s": {"NS": ["1", "2"]}}, values={":v": {"NS": ["2.0", "3"]}})
    assert sorted(out.item["s"]["NS"]) == ["1", "2", "3"]
    a, b = base64.b64encode(b"a").decode(), base64.b64encode(b"b").decode()
    out = update("ADD s :v", {"s": {"BS": [a]}}, values={":v": {"BS": [a, b]}})
    assert sorted(out.item["s"]["BS"]) == sorted([a, b])
    assert failed("ADD s :v", {"s": {"NS": ["1"]}}, values={":v": {"SS": ["1"]}}) == (
        "An operand in the update expression has an incorrect data type"
    )


def test_delete_from_sets() -> None:
    out = update("DELETE s :v", {"s": {"SS": ["a", "b", "c"]}}, values={":v": {"SS": ["b", "x"]}})
    assert out.item == {"s": {"SS": ["a", "c"]}}
    out = update("DELETE s :v", {"s": {"NS": ["1", "2"]}}, values={":v": {"NS": ["1.0"]}})
    assert out.item == {"s": {"NS": ["2"]}}
    # Deleting every member removes the attribute.
    assert update("DELETE s :v", {"s": {"SS": ["a"]}}, values={":v": {"SS": ["a"]}}).item == {}
    assert update("DELETE s :v", {}, values={":v": {"SS": ["a"]}}).item == {}
    assert failed("DELETE s :v", {"s": {"NS": ["1"]}}, values={":v": {"SS": ["1"]}}) == (
        "An operand in the update expression has an incorrect data type"
    )


def test_add_and_delete_operand_types_are_checked_before_reading() -> None:
    assert refused("ADD a :v", values={":v": S("x")}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
    )
    assert refused("ADD a :v", values={":v": {"L": [N("1")]}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"
    )
    assert refused("ADD a :v", values={":v": {"M": {}}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND"
    )
    assert refused("DELETE a :v", values={":v": N("1")}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    )


def test_add_nested_path() -> None:
    out = update("ADD m.n :v", {"m": {"M": {}}}, values={":v": N("2")})
    assert out.item == {"m": {"M": {"n": N("2")}}}


# -- clauses -----------------------------------------------------------------------------------


def test_clauses_in_any_order() -> None:
    item = {"r": S("x"), "d": {"SS": ["a", "b"]}}
    values = {":s": S("s"), ":n": N("1"), ":d": {"SS": ["a"]}}
    out = update("DELETE d :d ADD n :n REMOVE r SET s = :s", item, values=values)
    assert out.item == {"s": S("s"), "n": N("1"), "d": {"SS": ["b"]}}


@pytest.mark.parametrize("section", ["SET", "REMOVE", "ADD", "DELETE"])
def test_each_clause_at_most_once(section: str) -> None:
    actions = {"SET": "SET {p} = :v", "REMOVE": "REMOVE {p}", "ADD": "ADD {p} :v", "DELETE": "DELETE {p} :v"}
    text = actions[section].format(p="a") + " " + actions[section].format(p="b")
    assert refused(text, values={":v": {"SS": ["x"]}}) == (
        f'Invalid UpdateExpression: The "{section}" section can only be used once in an update expression;'
    )


# -- overlapping paths -------------------------------------------------------------------------

OVERLAP = "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "


def test_overlapping_paths() -> None:
    values = {":v": S("v")}
    assert refused("SET a = :v, a.b = :v", values=values) == OVERLAP + "path one: [a], path two: [a, b]"
    assert refused("SET a.b = :v, a = :v", values=values) == OVERLAP + "path one: [a, b], path two: [a]"
    assert refused("SET f = :v, f = :v", values=values) == OVERLAP + "path one: [f], path two: [f]"
    assert refused("SET lst[0] = :v, lst[0].ok = :v", values=values) == (
        OVERLAP + "path one: [lst, [0]], path two: [lst, [0], ok]"
    )
    # Names are compared after substitution.
    assert refused("SET #x = :v, fieldx = :v", names={"#x": "fieldx"}, values=values) == (
        OVERLAP + "path one: [fieldx], path two: [fieldx]"
    )


def test_overlap_across_clauses() -> None:
    assert refused("SET a = :v REMOVE a", values={":v": S("v")}) == OVERLAP + "path one: [a], path two: [a]"


def test_siblings_do_not_overlap() -> None:
    out = update(
        "SET m.a = :v, m.b = :v, l[0] = :v, l[1] = :v",
        {"m": {"M": {}}, "l": {"L": []}},
        values={":v": N("1")},
    )
    assert out.item == {"m": {"M": {"a": N("1"), "b": N("1")}}, "l": {"L": [N("1"), N("1")]}}


def test_conflicting_paths() -> None:
    assert refused("SET a[0] = :v, a.b = :v", values={":v": S("v")}) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one "
        "of these paths; path one: [a, [0]], path two: [a, b]"
    )


# -- syntax ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token", "near"),
    [
        ("SET a = :v,", "<EOF>", ","),
        ("SET a = :v, ", "<EOF>", ", "),
        ("SET a = ", "<EOF>", "= "),
        ("ADD numx", "<EOF>", "numx"),
        ("DELETE setx", "<EOF>", "setx"),
        ("SET note = :v +", "<EOF>", "+"),
        ("SET numx = numx * :v", "*", "numx * :v"),
        ("SET numx = numx / :v", "/", "numx / :v"),
        ("ADD numx 1", "1", "numx 1"),
        ("DELETE setx a", "a", "setx a"),
        ("ADD hits : incr", ":", "hits : incr"),
        ("INVALID SYNTAX HERE", "INVALID", "INVALID SYNTAX"),
        ("SET", "<EOF>", "SET"),
        ("SET a = :v SET", "<EOF>", "SET"),
        ("SET a[x] = :v", "x", "[x]"),
        ("SET _a = :v", "_", "SET _a"),
        ("SET a. = :v", "=", ". = :v"),
    ],
)
def test_syntax_errors(text: str, token: str, near: str) -> None:
    assert (
        refused(text, values={":v": N("1")})
        == f'Invalid UpdateExpression: Syntax error; token: "{token}", near: "{near}"'
    )


def test_empty_and_oversized_expressions() -> None:
    assert refused("") == "Invalid UpdateExpression: The expression can not be empty;"
    # Only the empty string is "empty"; blanks reach the parser, which quotes them.
    assert refused("   ") == 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "   "'
    long = "SET " + ", ".join(f"a{i} = :v" for i in range(600))
    assert len(long) > 4096
    assert refused(long, values={":v": N("1")}) == (
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    )


def test_redundant_parentheses() -> None:
    values = {":v": N("1")}
    assert (
        refused("SET a = ((b + :v))", values=values)
        == "Invalid UpdateExpression: The expression has redundant parentheses;"
    )
    assert (
        refused("SET a = ((:v))", values=values)
        == "Invalid UpdateExpression: The expression has redundant parentheses;"
    )


def test_list_index_range() -> None:
    assert refused("REMOVE a[2147483648]") == (
        "Invalid UpdateExpression: List index is not within the allowable range; index: [2147483648]"
    )


# -- reserved words ----------------------------------------------------------------------------


def test_reserved_words_as_bare_names() -> None:
    values = {":v": N("1")}
    assert refused("SET count = :v", values=values) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: count"
    )
    assert refused("SET a.COMMENT = :v", values=values) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: COMMENT"
    )
    assert refused("ADD Status :v", values=values) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Status"
    )
    # Through a placeholder a reserved word is just a name.
    assert update("SET #c = :v", {}, names={"#c": "count"}, values=values).item == {"count": N("1")}
    assert update("SET a.#c = :v", {"a": {"M": {}}}, names={"#c": "COMMENT"}, values=values).item == {
        "a": {"M": {"COMMENT": N("1")}}
    }


def test_reserved_word_list_is_dynamodbs() -> None:
    assert len(RESERVED_WORDS) == 573
    for word in ("ABORT", "COUNT", "DATA", "NAME", "STATUS", "TIMESTAMP", "TTL", "USER", "VALUE", "ZONE"):
        assert is_reserved(word) and is_reserved(word.lower())
    for word in ("pk", "sk", "counter_value", "items2", "size", "contains"):
        assert not is_reserved(word)


# -- functions ---------------------------------------------------------------------------------


def test_function_errors() -> None:
    values = {":v": N("1"), ":l": {"L": []}}
    assert refused("SET a = nope(b)") == "Invalid UpdateExpression: Invalid function name; function: nope"
    assert refused("SET a = size(b)") == (
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"
    )
    assert refused("SET a = list_append(list_append(a, :l), :l)", values=values) == (
        "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append"
    )
    assert refused("SET a = if_not_exists(:v, :v)", values=values) == (
        "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"
    )
    assert refused("SET a = if_not_exists(b)", values=values) == (
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
        "operator or function: if_not_exists, number of operands: 1"
    )
    assert refused("SET a = if_not_exists(b, b)", values=values) == (
        "Invalid UpdateExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: if_not_exists, first operand: [b]"
    )


# -- placeholders ------------------------------------------------------------------------------


def test_undefined_placeholders() -> None:
    assert refused("SET #n = :v", values={":v": N("1")}) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #n"
    )
    assert refused("SET a = :y", values={":v": N("1")}) == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :y"
    )


def test_unused_placeholders_span_the_request() -> None:
    scope = ExpressionScope({"#a": "a", "#b": "b"}, {":x": N("1"), ":y": N("2")})
    scope.update("SET #a = :x")
    assert (
        message(scope.check_unused)
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    )
    scope.condition("#b = :x")
    assert (
        message(scope.check_unused)
        == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}"
    )
    scope.condition("attribute_exists(#a) AND #a <> :y")
    scope.check_unused()


def test_placeholder_maps_are_checked() -> None:
    assert message(lambda: ExpressionScope({}, None)) == "ExpressionAttributeNames must not be empty"
    assert message(lambda: ExpressionScope(None, {})) == "ExpressionAttributeValues must not be empty"
    assert message(lambda: ExpressionScope(None, {"x": N("1")})) == (
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "x"'
    )
    assert message(lambda: ExpressionScope({"#a-b": "x"})) == (
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"'
    )
    assert message(lambda: ExpressionScope(None, {":x": {"SS": []}})) == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "An string set  may not be empty for key :x"
    )


# -- ReturnValues ------------------------------------------------------------------------------


def test_updated_old_and_new_for_top_level_attributes() -> None:
    item = {"pk": S("k"), "a": N("1"), "b": S("gone"), "c": S("same")}
    out = update("SET a = a + :one REMOVE b ADD n :one", item, values={":one": N("1")})
    assert out.touched_attributes == {"a", "b", "n"}
    assert out.updated_old() == {"a": N("1"), "b": S("gone")}
    assert out.updated_new() == {"a": N("2"), "n": N("1")}
    assert sorted(out.updated_paths) == [("a",), ("b",), ("n",)]


def test_updated_old_and_new_for_nested_paths() -> None:
    item = {"m": {"M": {"x": S("old"), "y": S("keep")}}, "l": {"L": [S("a"), S("b")]}}
    out = update("SET m.x = :v, l[1] = :v", item, values={":v": S("new")})
    assert out.updated_old() == {"m": {"M": {"x": S("old")}}, "l": {"L": [S("b")]}}
    assert out.updated_new() == {"m": {"M": {"x": S("new")}}, "l": {"L": [S("new")]}}
    assert sorted(out.updated_paths, key=str) == [("l", 1), ("m", "x")]


def test_touched_attributes_are_known_before_applying() -> None:
    bound = ExpressionScope({"#k": "pk"}, {":v": N("1")}).update("SET #k = :v, m.x = :v")
    assert bound.touched_attributes == {"pk", "m"}


# -- the API and its cost ----------------------------------------------------------------------


def test_parse_is_cached_and_errors_are_prefixed() -> None:
    assert parse_update("ADD #name :increment") is parse_update("ADD #name :increment")
    assert message(lambda: parse_update("SET a = :v,")) == (
        'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'
    )


def test_apply_update_in_one_call() -> None:
    scope = ExpressionScope({"#n": "hits"}, {":i": N("1")})
    assert apply_update({"hits": N("9")}, "ADD #n :i", scope).item == {"hits": N("10")}
    scope.check_unused()


def test_seed_update_applies_repeatedly_on_one_scope_per_request() -> None:
    item = {"pk": S("bucket/key"), "count": N("41")}
    names, values = {"#name": "count"}, {":increment": N("1")}
    for expected in ("42", "43", "44"):
        scope = ExpressionScope(names, values)
        item = scope.update("ADD #name :increment").apply(item).item
        scope.check_unused()
        assert item["count"] == N(expected)
    assert values == {":increment": N("1")}  # the request's values are not mutated
