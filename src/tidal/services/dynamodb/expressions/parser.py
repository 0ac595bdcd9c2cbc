"""Parsers for update, condition and projection expressions, with DynamoDB's grammar and errors.

The grammar is DynamoDB's (as its ANTLR grammar has it):

    update     := (SET set_action (, set_action)* | REMOVE path (, path)*
                   | ADD path :v (, path :v)* | DELETE path :v (, path :v)*)+
    set_action := path = (operand | arithmetic)
    arithmetic := operand (+|-) operand | ( arithmetic )        -- one operator, no chains
    condition  := operand comparator operand | operand BETWEEN operand AND operand
                | operand IN ( operand (, operand)* ) | function | ( condition )
                | NOT condition | condition AND condition | condition OR condition
    operand    := path | :v | function | ( operand )
    path       := (id | #n) ( . id | . #n | [ index ] )*
    projection := path (, path)*

with NOT binding tighter than AND, and AND tighter than OR.

Errors come in DynamoDB's order: a syntax error anywhere (``Syntax error; token: "x",
near: "..."``) or redundant parentheses first, then the checks DynamoDB makes while walking the
parse tree, in document order: reserved words used as names, unknown functions, functions
used in the wrong kind of expression or position, sections used twice, list indexes out of
range. Checks that need the request's names and values happen later, when binding.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NoReturn

from .ast import (
    Action,
    And,
    Arith,
    Between,
    Call,
    Compare,
    ConditionExpression,
    In,
    Not,
    Or,
    Path,
    ProjectionExpression,
    UpdateExpression,
    Value,
)
from .errors import ExpressionInvalid, describe
from .reserved import is_reserved
from .tokens import (
    ADD,
    AND,
    BETWEEN,
    COMMA,
    COMPARATORS,
    DELETE,
    DOT,
    EOF,
    EQ,
    ID,
    IN,
    INDEX,
    LBRACKET,
    LPAREN,
    MINUS,
    NAME,
    NOT,
    OR,
    PLUS,
    RBRACKET,
    REMOVE,
    RPAREN,
    SECTIONS,
    SET,
    VALUE,
    near,
    tokenize,
)

MAX_EXPRESSION_BYTES = 4096
_MAX_LIST_INDEX = 2**31 - 1  # DynamoDB reads the index as a Java int

CONDITION_FUNCTIONS = frozenset(
    ("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size")
)
UPDATE_FUNCTIONS = frozenset(("if_not_exists", "list_append"))
# DynamoDB Local also knows convert, contains_key, contains_value and list_delete, internal
# functions the public service does not document; tidal treats them as unknown.

_SECTION_NAMES = {SET: "SET", ADD: "ADD", DELETE: "DELETE", REMOVE: "REMOVE"}
_UPDATE, _CONDITION, _PROJECTION = range(3)


class _SyntaxError(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


class _RedundantParentheses(Exception):
    pass


def _further(*errors: _SyntaxError) -> _SyntaxError:
    # The alternative that got furthest names the offending token, as an LL parser would.
    best = errors[0]
    for error in errors[1:]:
        if error.index > best.index:
            best = error
    return best


class _Parser:
    def __init__(self, text: str, category: int) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.category = category
        self.nesting = 0  # how deep inside comparisons, arithmetic and function calls we are
        self.pending: str | None = None  # the first tree-walk error, raised after a clean parse

    # -- plumbing ------------------------------------------------------------------------------

    def fail(self, index: int | None = None) -> NoReturn:
        raise _SyntaxError(self.pos if index is None else index)

    def note(self, message: str, *pairs: object) -> None:
        if self.pending is None:
            self.pending = describe(message, *pairs)

    def expect(self, kind: int) -> str:
        token = self.tokens[self.pos]
        if token.kind != kind:
            raise _SyntaxError(self.pos)
        self.pos += 1
        return token.text

    def state(self) -> tuple:
        return (self.pos, self.nesting, self.pending)

    def restore(self, state: tuple) -> None:
        self.pos, self.nesting, self.pending = state

    def syntax_message(self, index: int) -> str:
        token = self.tokens[index]
        return describe(
            "Syntax error", "token", f'"{token.text}"', "near", f'"{near(self.text, self.tokens, index)}"'
        )

    def run(self, rule) -> object:
        try:
            result = rule()
            if self.tokens[self.pos].kind != EOF:
                self.fail()
        except _SyntaxError as error:
            raise ExpressionInvalid(self.syntax_message(error.index)) from None
        except _RedundantParentheses:
            raise ExpressionInvalid("The expression has redundant parentheses;") from None
        if self.pending is not None:
            raise ExpressionInvalid(self.pending)
        return result

    # -- paths and operands --------------------------------------------------------------------

    def path(self) -> Path:
        tokens = self.tokens
        token = tokens[self.pos]
        if token.kind == ID:
            if is_reserved(token.text):
                self.note("Attribute name is a reserved keyword", "reserved keyword", token.text)
        elif token.kind != NAME:
            self.fail()
        self.pos += 1
        elements: list = [token.text]
        while True:
            kind = tokens[self.pos].kind
            if kind == DOT:
                self.pos += 1
                token = tokens[self.pos]
                if token.kind == ID:
                    if is_reserved(token.text):
                        self.note("Attribute name is a reserved keyword", "reserved keyword", token.text)
                elif token.kind != NAME and token.kind != VALUE:
                    self.fail()
                self.pos += 1
                elements.append(token.text)
            elif kind == LBRACKET:
                self.pos += 1
                digits = self.expect(INDEX)
                self.expect(RBRACKET)
                index = int(digits)
                if index > _MAX_LIST_INDEX:
                    self.note("List index is not within the allowable range", "index", f"[{digits}]")
                elements.append(index)
            else:
                return Path(tuple(elements))

    def operand(self) -> tuple[object, bool]:
        """An operand and whether it was wrapped in parentheses."""
        token = self.tokens[self.pos]
        kind = token.kind
        if kind == ID and self.tokens[self.pos + 1].kind == LPAREN:
            return self.function(), False
        if kind == ID or kind == NAME:
            return self.path(), False
        if kind == VALUE:
            self.pos += 1
            return Value(token.text), False
        if kind == LPAREN:
            self.pos += 1
            inner, parenthesised = self.operand()
            self.expect(RPAREN)
            if parenthesised:
                raise _RedundantParentheses
            return inner, True
        self.fail()

    def function(self) -> Call:
        name = self.tokens[self.pos].text
        self.check_function(name)
        self.pos += 2
        self.nesting += 1
        args = [self.operand()[0]]
        while self.tokens[self.pos].kind == COMMA:
            self.pos += 1
            args.append(self.operand()[0])
        self.expect(RPAREN)
        self.nesting -= 1
        return Call(name, tuple(args))

    def check_function(self, name: str) -> None:
        if name not in CONDITION_FUNCTIONS and name not in UPDATE_FUNCTIONS:
            self.note("Invalid function name", "function", name)
        elif self.category == _UPDATE:
            if name not in UPDATE_FUNCTIONS:
                self.note("The function is not allowed in an update expression", "function", name)
            elif self.nesting > 0 and name != "if_not_exists":
                self.note(
                    "The function is not allowed to be used this way in an expression", "function", name
                )
        elif name not in CONDITION_FUNCTIONS:
            self.note("The function is not allowed in a condition expression", "function", name)
        elif self.nesting == 0 and name == "size":
            # size() returns a number, so it cannot be a condition by itself.
            self.note("The function is not allowed to be used this way in an expression", "function", name)
        elif self.nesting > 0 and name != "size":
            self.note("The function is not allowed to be used this way in an expression", "function", name)

    # -- update --------------------------------------------------------------------------------

    def update(self) -> tuple[Action, ...]:
        tokens = self.tokens
        if tokens[self.pos].kind not in SECTIONS:
            self.fail()
        actions: list[Action] = []
        seen: set[int] = set()
        while tokens[self.pos].kind in SECTIONS:
            section = tokens[self.pos].kind
            self.pos += 1
            actions.append(self.action(section))
            while tokens[self.pos].kind == COMMA:
                self.pos += 1
                actions.append(self.action(section))
            if section in seen:
                self.note(
                    f'The "{_SECTION_NAMES[section]}" section can only be used once in an update expression'
                )
            seen.add(section)
        return tuple(actions)

    def action(self, section: int) -> Action:
        path = self.path()
        if section == SET:
            self.expect(EQ)
            return Action("SET", path, self.set_value())
        if section == REMOVE:
            return Action("REMOVE", path, None)
        value = Value(self.expect(VALUE))
        return Action("ADD" if section == ADD else "DELETE", path, value)

    def set_value(self) -> object:
        start = self.state()
        try:
            return self.plus_minus()
        except _SyntaxError as as_arithmetic:
            self.restore(start)
            try:
                value, _ = self.operand()
            except _SyntaxError as as_operand:
                self.restore(start)
                if self.tokens[self.pos].kind != LPAREN:
                    raise _further(as_arithmetic, as_operand) from None
                try:
                    return self.arithmetic()[0]
                except _SyntaxError as as_group:
                    raise _further(as_arithmetic, as_operand, as_group) from None
            if self.tokens[self.pos].kind in (PLUS, MINUS):
                # An operator follows, so the arithmetic reading was the right one.
                raise as_arithmetic from None
            return value

    def plus_minus(self) -> Arith:
        self.nesting += 1
        left, _ = self.operand()
        token = self.tokens[self.pos]
        if token.kind != PLUS and token.kind != MINUS:
            self.fail()
        self.pos += 1
        right, _ = self.operand()
        self.nesting -= 1
        return Arith(token.text, left, right)

    def arithmetic(self) -> tuple[Arith, bool]:
        start = self.state()
        try:
            return self.plus_minus(), False
        except _SyntaxError as plain:
            self.restore(start)
            if self.tokens[self.pos].kind != LPAREN:
                raise
            try:
                self.pos += 1
                inner, parenthesised = self.arithmetic()
                self.expect(RPAREN)
            except _SyntaxError as grouped:
                raise _further(plain, grouped) from None
            if parenthesised:
                raise _RedundantParentheses from None
            return inner, True

    # -- condition -----------------------------------------------------------------------------

    def condition(self, min_precedence: int = 0) -> tuple[object, bool]:
        node, parenthesised = self.condition_start()
        tokens = self.tokens
        while True:
            kind = tokens[self.pos].kind
            if kind == AND and min_precedence <= 2:
                self.pos += 1
                node = And(node, self.condition(2)[0])
            elif kind == OR and min_precedence <= 1:
                self.pos += 1
                node = Or(node, self.condition(1)[0])
            else:
                return node, parenthesised
            parenthesised = False

    def condition_start(self) -> tuple[object, bool]:
        kind = self.tokens[self.pos].kind
        if kind == NOT:
            self.pos += 1
            return Not(self.condition(3)[0]), False
        if kind != LPAREN:
            return self.comparison_or_function(), False
        # "(" opens either a parenthesised condition or a parenthesised first operand.
        start = self.state()
        try:
            return self.comparison_or_function(), False
        except _SyntaxError as as_comparison:
            self.restore(start)
            try:
                self.pos += 1
                inner, parenthesised = self.condition()
                self.expect(RPAREN)
            except _SyntaxError as as_group:
                raise _further(as_comparison, as_group) from None
            if parenthesised:
                raise _RedundantParentheses from None
            return inner, True

    def comparison_or_function(self) -> object:
        tokens = self.tokens
        start = self.state()
        self.nesting += 1
        left, _ = self.operand()
        token = tokens[self.pos]
        kind = token.kind
        if kind in COMPARATORS:
            self.pos += 1
            node: object = Compare(token.text, left, self.operand()[0])
        elif kind == BETWEEN:
            self.pos += 1
            low, _ = self.operand()
            self.expect(AND)
            node = Between(left, low, self.operand()[0])
        elif kind == IN:
            self.pos += 1
            self.expect(LPAREN)
            choices = [self.operand()[0]]
            while tokens[self.pos].kind == COMMA:
                self.pos += 1
                choices.append(self.operand()[0])
            self.expect(RPAREN)
            node = In(left, tuple(choices))
        else:
            if not isinstance(left, Call) or tokens[start[0]].kind != ID:
                self.fail()
            # A function standing alone is the condition itself, one level up.
            self.restore(start)
            return self.function()
        self.nesting -= 1
        return node


# -- public entry points ---------------------------------------------------------------------


def _check_text(text: str, param_name: str) -> None:
    if not isinstance(text, str):
        raise ExpressionInvalid("The expression can not be empty;")
    if text == "":
        raise ExpressionInvalid("The expression can not be empty;")
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        # Chosen from reports of AWS: only a FilterExpression quotes the size it saw.
        if param_name == "FilterExpression":
            raise ExpressionInvalid(
                describe("Expression size has exceeded the maximum allowed size", "expression size", size)
            )
        raise ExpressionInvalid("Expression size has exceeded the maximum allowed size;")


@lru_cache(maxsize=2048)
def _update(text: str) -> UpdateExpression | ExpressionInvalid:
    try:
        _check_text(text, "UpdateExpression")
        parser = _Parser(text, _UPDATE)
        return UpdateExpression(text, parser.run(parser.update))
    except ExpressionInvalid as error:
        return error


@lru_cache(maxsize=2048)
def _condition(text: str, param_name: str) -> ConditionExpression | ExpressionInvalid:
    try:
        _check_text(text, param_name)
        parser = _Parser(text, _CONDITION)
        return ConditionExpression(text, parser.run(lambda: parser.condition()[0]))
    except ExpressionInvalid as error:
        return error


@lru_cache(maxsize=2048)
def _projection(text: str) -> ProjectionExpression | ExpressionInvalid:
    try:
        _check_text(text, "ProjectionExpression")
        parser = _Parser(text, _PROJECTION)

        def paths() -> tuple[Path, ...]:
            found = [parser.path()]
            while parser.tokens[parser.pos].kind == COMMA:
                parser.pos += 1
                found.append(parser.path())
            return tuple(found)

        return ProjectionExpression(text, parser.run(paths))
    except ExpressionInvalid as error:
        return error


def parse_update(text: str) -> UpdateExpression:
    """Parse an UpdateExpression (cached by text); raises ``ExpressionInvalid``."""
    result = _update(text)
    if isinstance(result, ExpressionInvalid):
        raise ExpressionInvalid(result.message)
    return result


def parse_condition(text: str, param_name: str = "ConditionExpression") -> ConditionExpression:
    """Parse a condition, filter or key condition (cached by text); raises ``ExpressionInvalid``."""
    result = _condition(text, param_name)
    if isinstance(result, ExpressionInvalid):
        raise ExpressionInvalid(result.message)
    return result


def parse_projection(text: str) -> ProjectionExpression:
    """Parse a ProjectionExpression (cached by text); raises ``ExpressionInvalid``."""
    result = _projection(text)
    if isinstance(result, ExpressionInvalid):
        raise ExpressionInvalid(result.message)
    return result
