"""ProjectionExpression: nested results as DynamoDB returns them, and its errors."""

from __future__ import annotations

import pytest

from tidal.services.dynamodb.expressions import ExpressionScope, parse_projection, project

from .helpers import S, message

ITEM = {
    "pk": S("k"),
    "a": S("a"),
    "m": {"M": {"x": S("x"), "y": S("y"), "child": {"M": {"z": S("z"), "w": S("w")}}}},
    "l": {"L": [S("l0"), {"M": {"c": S("c0"), "d": S("d0")}}, S("l2"), {"L": [S("n0"), S("n1")]}]},
    "comment": S("reserved name"),
}


def projected(expression: str, item: dict = ITEM, names: dict | None = None) -> dict:
    scope = ExpressionScope(names)
    projection = scope.projection(expression)
    scope.check_unused()
    return projection.apply(item)


def refused(expression: str, names: dict | None = None) -> str:
    return message(lambda: ExpressionScope(names).projection(expression))


def test_top_level_attributes() -> None:
    assert projected("pk, a") == {"pk": S("k"), "a": S("a")}
    assert projected("a,pk , nothing") == {"pk": S("k"), "a": S("a")}


def test_nested_map_paths_keep_their_structure() -> None:
    assert projected("m.x") == {"m": {"M": {"x": S("x")}}}
    assert projected("m.x, m.child.z") == {"m": {"M": {"x": S("x"), "child": {"M": {"z": S("z")}}}}}
    assert projected("m.child") == {"m": {"M": {"child": {"M": {"z": S("z"), "w": S("w")}}}}}


def test_list_elements_close_up_in_index_order() -> None:
    assert projected("l[2], l[0]") == {"l": {"L": [S("l0"), S("l2")]}}
    assert projected("l[1].d") == {"l": {"L": [{"M": {"d": S("d0")}}]}}
    assert projected("l[3][1]") == {"l": {"L": [{"L": [S("n1")]}]}}
    assert projected("l[9]") == {}


def test_missing_and_mistyped_paths_are_left_out() -> None:
    assert projected("m.nothing") == {}
    assert projected("a.x") == {}  # a key into a string
    assert projected("m[0]") == {}  # an index into a map
    assert projected("l.x") == {}  # a key into a list
    assert projected("m.nothing, m.x") == {"m": {"M": {"x": S("x")}}}
    assert projected("pk", {}) == {}


def test_placeholders() -> None:
    assert projected("#c, #m.#s.z", names={"#c": "comment", "#m": "m", "#s": "child"}) == {
        "comment": S("reserved name"),
        "m": {"M": {"child": {"M": {"z": S("z")}}}},
    }
    assert projected("#k", {"a.b": S("dotted")}, {"#k": "a.b"}) == {"a.b": S("dotted")}


def test_reserved_words_need_placeholders() -> None:
    assert refused("pk, comment") == (
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: comment"
    )
    assert refused("#l[0].COMMENT", {"#l": "l"}) == (
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: COMMENT"
    )


OVERLAP = "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "


def test_overlapping_paths() -> None:
    assert refused("a, a.b") == OVERLAP + "path one: [a], path two: [a, b]"
    assert refused("a.b, a") == OVERLAP + "path one: [a, b], path two: [a]"
    assert refused("a, a") == OVERLAP + "path one: [a], path two: [a]"
    assert refused("l[0], l[0].b") == OVERLAP + "path one: [l, [0]], path two: [l, [0], b]"
    assert refused("#x, a", {"#x": "a"}) == OVERLAP + "path one: [a], path two: [a]"


def test_siblings_do_not_overlap() -> None:
    assert projected("m.x, m.y") == {"m": {"M": {"x": S("x"), "y": S("y")}}}


def test_conflicting_paths() -> None:
    assert refused("a[0], a.b") == (
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite "
        "one of these paths; path one: [a, [0]], path two: [a, b]"
    )


@pytest.mark.parametrize(
    ("text", "token", "near"),
    [
        ("a,", "<EOF>", ","),
        ("a b", "b", "a b"),
        ("!!", "!", "!!"),
        ("#l[].#c", "]", "[]."),
        ("a.", "<EOF>", "."),
        ("a[-1]", "-", "[-1"),
        ("a = b", "=", "a = b"),
        ("size(a)", "(", "size(a"),
    ],
)
def test_syntax_errors(text: str, token: str, near: str) -> None:
    assert refused(text, {"#l": "l", "#c": "c"}) == (
        f'Invalid ProjectionExpression: Syntax error; token: "{token}", near: "{near}"'
    )


def test_empty_expression() -> None:
    assert refused("") == "Invalid ProjectionExpression: The expression can not be empty;"


def test_undefined_and_unused_names() -> None:
    assert refused("#n") == (
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #n"
    )
    scope = ExpressionScope({"#a": "a", "#b": "b"})
    scope.projection("#a")
    assert (
        message(scope.check_unused)
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    )


def test_paths_and_one_call_form() -> None:
    bound = ExpressionScope({"#m": "m"}).projection("#m.x, l[1], pk")
    assert sorted(bound.paths, key=str) == [("l", 1), ("m", "x"), ("pk",)]
    assert bound.attributes == {"m", "l", "pk"}
    assert project(ITEM, bound) == {"m": {"M": {"x": S("x")}}, "l": {"L": [ITEM["l"]["L"][1]]}, "pk": S("k")}
    assert project(ITEM, "a") == {"a": S("a")}
    assert parse_projection("a, b") is parse_projection("a, b")
