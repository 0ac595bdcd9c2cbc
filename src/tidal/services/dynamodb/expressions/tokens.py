"""The expression tokenizer: the lexer of DynamoDB's expression grammar, token for token.

Tokens: ``, ( ) . [ ]``, the comparators ``= <> < <= > >=``, ``+ -``, the keywords
``IN BETWEEN NOT AND OR SET ADD DELETE REMOVE`` (any case), list indexes (``0`` or a digit
string without a leading zero), identifiers (a letter, then letters, digits, ``_``),
``#name`` and ``:value`` placeholders, and any other single character as UNKNOWN, so that the
tokenizer never fails and every mistake becomes a syntax error with DynamoDB's ``token``/``near``
wording. Whitespace (space, tab, CR, LF) separates tokens and is otherwise kept only for ``near``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

(COMMA, LPAREN, RPAREN, DOT, LBRACKET, RBRACKET, EQ, NE, LT, LE, GT, GE, PLUS, MINUS) = range(14)
(IN, BETWEEN, NOT, AND, OR, SET, ADD, DELETE, REMOVE) = range(14, 23)
(INDEX, ID, NAME, VALUE, UNKNOWN, EOF) = range(23, 29)

COMPARATORS = frozenset((EQ, NE, LT, LE, GT, GE))
SECTIONS = frozenset((SET, ADD, DELETE, REMOVE))

KEYWORDS = {
    "in": IN,
    "between": BETWEEN,
    "not": NOT,
    "and": AND,
    "or": OR,
    "set": SET,
    "add": ADD,
    "delete": DELETE,
    "remove": REMOVE,
}

_PUNCTUATION = {
    ",": COMMA,
    "(": LPAREN,
    ")": RPAREN,
    ".": DOT,
    "[": LBRACKET,
    "]": RBRACKET,
    "=": EQ,
    "<>": NE,
    "<": LT,
    "<=": LE,
    ">": GT,
    ">=": GE,
    "+": PLUS,
    "-": MINUS,
}

# One alternative per token class, in the lexer's priority order; the longest match wins as in
# ANTLR because each alternative is itself greedy and they never start with the same character.
_LEXER = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<index>0|[1-9][0-9]*)"
    r"|(?P<id>[A-Za-z][0-9A-Za-z_]*)"
    r"|(?P<name>\#[0-9A-Za-z_]+)"
    r"|(?P<value>:[0-9A-Za-z_]+)"
    r"|(?P<punct><>|<=|>=|[=<>+\-,().\[\]])"
    r"|(?P<unknown>.)",
    re.DOTALL,
)


class Token(NamedTuple):
    kind: int
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, whitespace dropped, ending with an EOF token at ``len(text)``."""
    tokens: list[Token] = []
    append = tokens.append
    for match in _LEXER.finditer(text):
        group = match.lastgroup
        if group == "ws":
            continue
        word = match.group()
        if group == "id":
            kind = KEYWORDS.get(word.lower(), ID)
        elif group == "index":
            kind = INDEX
        elif group == "name":
            kind = NAME
        elif group == "value":
            kind = VALUE
        elif group == "punct":
            kind = _PUNCTUATION[word]
        else:
            kind = UNKNOWN
        append(Token(kind, word, match.start(), match.end()))
    append(Token(EOF, "<EOF>", len(text), len(text)))
    return tokens


def near(text: str, tokens: list[Token], index: int) -> str:
    """DynamoDB's ``near`` text for a syntax error at ``tokens[index]``.

    It is the previous token, the offending one and the next, with the whitespace between
    them as written; at the end of input the offending token and what follows are empty, but
    the whitespace before it is kept (``"SET a = "`` is near ``"= "``).
    """
    start = tokens[index - 1].start if index > 0 else 0
    current = tokens[index]
    if current.kind == EOF:
        return text[start:]
    following = tokens[index + 1]
    end = len(text) if following.kind == EOF else following.end
    return text[start:end]
