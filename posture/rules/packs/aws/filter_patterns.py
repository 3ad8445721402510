"""CloudWatch Logs JSON filter patterns, parsed and run against sample CloudTrail events.

CIS 5.x asks for a metric filter "for" a kind of event. Comparing pattern strings
fails on whitespace, quoting, ordering and extra parentheses; instead a pattern
is parsed (``{ ($.eventName = "X") || ($.errorCode = "AccessDenied*") }``:
selectors, ``= != < > <= >=``, ``IS TRUE|FALSE|NULL``, ``NOT EXISTS``,
``IN [...]``, ``&&``, ``||``, parentheses, ``*`` wildcards and ``%regex%``)
and a filter counts as monitoring an event kind when it matches every sample
event of that kind and does not match a routine event.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<regex>%[^%]*%)
      | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\{|\})
      | (?P<sel>\$(?:\.[A-Za-z0-9_\-@]+|\[\d+\])+)
      | (?P<word>[^\s()&|=!<>\[\],{}"]+)
    )""",
    re.VERBOSE,
)
_MISSING = object()


class PatternError(ValueError):
    """The text is not a JSON filter pattern this parser understands."""


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    value: Any

    def matches(self, event: dict[str, Any]) -> bool:
        actual = resolve(event, self.path)
        if self.op == "NOT EXISTS":
            return actual is _MISSING
        if self.op == "EXISTS":
            return actual is not _MISSING
        if self.op == "IS":
            return actual is not _MISSING and actual is self.value
        if self.op in ("IN", "NOT IN"):
            inside = actual is not _MISSING and any(equals(actual, v) for v in self.value)
            return inside if self.op == "IN" else not inside
        if self.op == "=":
            return actual is not _MISSING and equals(actual, self.value)
        if self.op == "!=":
            return actual is _MISSING or not equals(actual, self.value)
        try:
            left, right = float(actual), float(self.value)
        except (TypeError, ValueError):
            return False
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[self.op]


@dataclass(frozen=True)
class Both:
    left: Any
    right: Any

    def matches(self, event: dict[str, Any]) -> bool:
        return self.left.matches(event) and self.right.matches(event)


@dataclass(frozen=True)
class Either:
    left: Any
    right: Any

    def matches(self, event: dict[str, Any]) -> bool:
        return self.left.matches(event) or self.right.matches(event)


@dataclass(frozen=True)
class Regex:
    pattern: str


def resolve(event: Any, path: tuple[str, ...]) -> Any:
    value = event
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def equals(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Regex):
        return isinstance(actual, str) and re.search(expected.pattern, actual) is not None
    if isinstance(expected, (int, float)) and not isinstance(actual, bool):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    if isinstance(actual, (dict, list)) or actual is None:
        return False
    text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    return fnmatch.fnmatchcase(text, str(expected)) if "*" in str(expected) else text == str(expected)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise PatternError(f"cannot read the pattern at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1].upper() != expected):
            raise PatternError(f"expected {expected or 'more'} at token {self.pos}, found {token}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        if not self.tokens or self.tokens[0][1] != "{":
            raise PatternError("not a JSON filter pattern (it must start with '{')")
        self.take("{")
        node = self.either()
        self.take("}")
        if self.peek() is not None:
            raise PatternError("text after the closing '}'")
        return node

    def either(self) -> Any:
        node = self.both()
        while (token := self.peek()) and token[1] == "||":
            self.take()
            node = Either(node, self.both())
        return node

    def both(self) -> Any:
        node = self.term()
        while (token := self.peek()) and token[1] == "&&":
            self.take()
            node = Both(node, self.term())
        return node

    def term(self) -> Any:
        token = self.peek()
        if token and token[1] == "(":
            self.take()
            node = self.either()
            self.take(")")
            return node
        kind, selector = self.take()
        if kind != "sel":
            raise PatternError(f"expected a $.selector, found {selector!r}")
        path = tuple(p for p in re.split(r"\.|\[|\]", selector[1:]) if p)
        kind, op = self.take()
        upper = op.upper()
        if upper == "NOT":
            following = self.take()[1].upper()
            if following == "EXISTS":
                return Comparison(path, "NOT EXISTS", None)
            if following == "IN":
                return Comparison(path, "NOT IN", self.value_list())
            raise PatternError(f"unexpected NOT {following}")
        if upper == "EXISTS":
            return Comparison(path, "EXISTS", None)
        if upper == "IN":
            return Comparison(path, "IN", self.value_list())
        if upper == "IS":
            word = self.take()[1].upper()
            constants = {"TRUE": True, "FALSE": False, "NULL": None}
            if word not in constants:
                raise PatternError(f"IS {word}: expected TRUE, FALSE or NULL")
            return Comparison(path, "IS", constants[word])
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"unknown operator {op!r}")
        return Comparison(path, op, self.value())

    def value_list(self) -> list[Any]:
        self.take("[")
        values = [self.value()]
        while (token := self.peek()) and token[1] == ",":
            self.take()
            values.append(self.value())
        self.take("]")
        return values

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "regex":
            return Regex(text[1:-1])
        if kind != "word":
            raise PatternError(f"expected a value, found {text!r}")
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text


def parse(pattern: str) -> Any:
    """The pattern's expression tree; :class:`PatternError` for space-delimited or broken patterns."""
    return Parser(pattern).parse()


def matches_all(pattern: str, must_match: list[dict[str, Any]], must_not_match: list[dict[str, Any]]) -> bool:
    try:
        tree = parse(pattern)
    except PatternError:
        return False
    return all(tree.matches(e) for e in must_match) and not any(tree.matches(e) for e in must_not_match)
