"""``-k EXPR`` selection of specs, with pytest's grammar: words, ``and``, ``or``, ``not``, parentheses.

A word matches a spec when it is a case-insensitive substring of the spec's name or of its file
name (as ``pytest -k`` matches test names). ``harness run -k "doze and not reboot"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from harness.errors import UsageError

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def _tokens(expr: str) -> list[str]:
    pos, out = 0, []
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            break
        out.append(m.group(1))
        pos = m.end()
    return out


def compile_keywords(expr: str) -> Callable[[Iterable[str]], bool]:
    """A predicate over a spec's names; :class:`UsageError` for a malformed expression."""
    tokens = _tokens(expr)
    if not tokens:
        raise UsageError("-k: empty expression")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise UsageError(f"-k {expr!r}: unexpected end of expression")
        pos += 1
        return tokens[pos - 1]

    Pred = Callable[[list[str]], bool]

    def parse_or() -> Pred:
        left = parse_and()
        while peek() == "or":
            take()
            right = parse_and()
            left = (lambda a, b: lambda names: a(names) or b(names))(left, right)
        return left

    def parse_and() -> Pred:
        left = parse_not()
        while peek() == "and":
            take()
            right = parse_not()
            left = (lambda a, b: lambda names: a(names) and b(names))(left, right)
        return left

    def parse_not() -> Pred:
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda names: not inner(names)
        return parse_atom()

    def parse_atom() -> Pred:
        tok = take()
        if tok == "(":
            inner = parse_or()
            if take() != ")":
                raise UsageError(f"-k {expr!r}: missing ')'")
            return inner
        if tok in (")", "and", "or"):
            raise UsageError(f"-k {expr!r}: unexpected {tok!r}")
        word = tok.lower()
        return lambda names: any(word in n for n in names)

    pred = parse_or()
    if pos != len(tokens):
        raise UsageError(f"-k {expr!r}: unexpected {tokens[pos]!r}")
    return lambda names: pred([n.lower() for n in names])
