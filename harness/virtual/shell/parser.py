"""Parsing the device shell's subset of POSIX sh (what adb clients send).

Supported: words with single quotes, double quotes and backslash escapes (POSIX rules);
``$?``, ``$$``, ``$NAME`` and ``${NAME}`` expansion (outside single quotes, expanded at run
time); command separators ``;``, ``&`` (run in the foreground), newlines, ``&&`` and ``||``;
redirections ``>``, ``>>``, ``<`` with an optional fd number, and ``N>&M``; ``#`` comments;
leading ``NAME=value`` assignments.

Not supported (a clear syntax error, status 2): pipes ``|``, subshells ``( )``, command
substitution, here-documents, globbing (``*`` stays literal), control structures.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class ShellSyntaxError(Exception):
    """The script cannot be parsed; the shell answers status 2 with this message."""


@dataclass(frozen=True)
class VarRef:
    """A ``$NAME`` in a word, expanded when the command runs (so ``$?`` sees the last status)."""

    name: str


WordPart = str | VarRef


@dataclass
class Word:
    parts: list[WordPart] = field(default_factory=list)
    quoted: bool = False  # any quoting: an empty expansion then still makes an (empty) argument

    def literal(self) -> str | None:
        """The text if the word has no expansions."""
        if all(isinstance(p, str) for p in self.parts):
            return "".join(p for p in self.parts if isinstance(p, str))
        return None

    def add(self, part: WordPart) -> None:
        if isinstance(part, str) and self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] = self.parts[-1] + part
        else:
            self.parts.append(part)


class RedirectOp(enum.Enum):
    WRITE = ">"
    APPEND = ">>"
    READ = "<"
    DUP = ">&"


@dataclass
class Redirect:
    fd: int
    op: RedirectOp
    target: Word


class Connector(enum.Enum):
    SEQ = ";"  # also newline and '&'
    AND = "&&"
    OR = "||"


@dataclass
class SimpleCommand:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    connector: Connector = Connector.SEQ  # how this command joins the previous one

    def empty(self) -> bool:
        return not self.words and not self.redirects and not self.assignments


# ---------------------------------------------------------------------------- tokens

class _Op(enum.Enum):
    SEMI = ";"
    AMP = "&"
    AND = "&&"
    OR = "||"
    PIPE = "|"
    NEWLINE = "\n"
    GREAT = ">"
    DGREAT = ">>"
    LESS = "<"
    GREATAND = ">&"
    LESSAND = "<&"
    LPAREN = "("
    RPAREN = ")"


@dataclass
class _Token:
    op: _Op | None = None
    word: Word | None = None
    io_number: int | None = None  # for redirection operators: the fd written before them


_NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | set("0123456789")
_SPECIAL_VARS = set("?$#!0123456789")
# Runs of characters that stand for themselves: unquoted (no blank, operator, quote, backslash,
# ``$`` or backquote; ``#`` only starts a comment at the start of a word) and inside double
# quotes. Taken a run at a time rather than a character at a time.
_PLAIN_RUN = re.compile(r"[^ \t\r\n;&|()<>'\"\\$`]+")
_DQ_PLAIN_RUN = re.compile(r'[^"\\$`]+')
_BLANKS = re.compile(r"[ \t\r]+")
_TWO_CHAR_OPS = {op.value: op for op in (_Op.AND, _Op.OR, _Op.DGREAT, _Op.GREATAND, _Op.LESSAND)}
_REDIRECTS = {_Op.GREAT: RedirectOp.WRITE, _Op.DGREAT: RedirectOp.APPEND, _Op.LESS: RedirectOp.READ,
              _Op.GREATAND: RedirectOp.DUP, _Op.LESSAND: RedirectOp.DUP}
_CONNECTORS = {_Op.AND: Connector.AND, _Op.OR: Connector.OR}


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.tokens: list[_Token] = []

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < len(self.text) else ""

    def run(self) -> list[_Token]:
        word: Word | None = None

        def end_word() -> None:
            nonlocal word
            if word is not None:
                self.tokens.append(_Token(word=word))
                word = None

        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r":
                end_word()
                self.i = _BLANKS.match(self.text, self.i).end()  # type: ignore[union-attr]
            elif c == "#" and word is None:
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.i += 1
            elif c in ";&|\n()<>":
                io_number: int | None = None
                if c in "<>" and word is not None and not word.quoted:
                    lit = word.literal()
                    if lit is not None and lit.isdigit():
                        io_number = int(lit)
                        word = None
                end_word()
                self.tokens.append(_Token(op=self._operator(), io_number=io_number))
            else:
                if word is None:
                    word = Word()
                self._word_char(word)
        end_word()
        return self.tokens

    def _operator(self) -> _Op:
        op = _TWO_CHAR_OPS.get(self.text[self.i:self.i + 2])
        if op is not None:
            self.i += 2
            return op
        c = self.text[self.i]
        self.i += 1
        return _Op(c)

    def _word_char(self, word: Word) -> None:
        c = self.text[self.i]
        if c == "'":
            end = self.text.find("'", self.i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated quoted string")
            word.add(self.text[self.i + 1:end])
            word.quoted = True
            self.i = end + 1
        elif c == '"':
            word.quoted = True
            self.i += 1
            while True:
                if self.i >= len(self.text):
                    raise ShellSyntaxError("unterminated quoted string")
                d = self.text[self.i]
                if d == '"':
                    self.i += 1
                    break
                if d == "\\" and self.peek(1) in ('"', "\\", "$", "`", "\n"):
                    if self.peek(1) != "\n":
                        word.add(self.peek(1))
                    self.i += 2
                elif d == "$":
                    self._dollar(word)
                elif d == "`":
                    raise ShellSyntaxError("command substitution is not supported")
                elif d == "\\":  # a backslash that escapes nothing stays
                    word.add(d)
                    self.i += 1
                else:
                    run = _DQ_PLAIN_RUN.match(self.text, self.i)
                    assert run is not None
                    word.add(run.group())
                    self.i = run.end()
        elif c == "\\":
            nxt = self.peek(1)
            if nxt == "\n":  # line continuation
                self.i += 2
            elif nxt == "":
                word.add("\\")
                self.i += 1
            else:
                word.add(nxt)
                word.quoted = True
                self.i += 2
        elif c == "$":
            self._dollar(word)
        elif c == "`":
            raise ShellSyntaxError("command substitution is not supported")
        else:
            run = _PLAIN_RUN.match(self.text, self.i)
            assert run is not None  # c is a plain character (or '#' inside a word)
            word.add(run.group())
            self.i = run.end()

    def _dollar(self, word: Word) -> None:
        nxt = self.peek(1)
        if nxt in _SPECIAL_VARS and nxt:
            word.add(VarRef(nxt))
            self.i += 2
        elif nxt == "{":
            end = self.text.find("}", self.i + 2)
            if end < 0:
                raise ShellSyntaxError("missing '}'")
            name = self.text[self.i + 2:end]
            if not name or not (set(name) <= _NAME_CHARS or name in _SPECIAL_VARS):
                raise ShellSyntaxError(f"${{{name}}}: bad substitution")
            word.add(VarRef(name))
            self.i = end + 1
        elif nxt and nxt in _NAME_START:
            j = self.i + 1
            while j < len(self.text) and self.text[j] in _NAME_CHARS:
                j += 1
            word.add(VarRef(self.text[self.i + 1:j]))
            self.i = j
        elif nxt == "(":
            raise ShellSyntaxError("command substitution is not supported")
        else:
            word.add("$")
            self.i += 1


def _is_assignment(word: Word) -> tuple[str, Word] | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, str) or "=" not in first:
        return None
    name, _, rest = first.partition("=")
    if not name or name[0] not in _NAME_START or not set(name) <= _NAME_CHARS:
        return None
    value = Word(parts=([rest] if rest else []) + word.parts[1:], quoted=True)
    return name, value


def parse(text: str) -> list[SimpleCommand]:
    """Split a script into simple commands joined by connectors."""
    tokens = _Lexer(text).run()
    commands: list[SimpleCommand] = []
    current = SimpleCommand()
    pending: Connector = Connector.SEQ
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.word is not None:
            assignment = _is_assignment(tok.word) if not current.words else None
            if assignment is not None:
                current.assignments.append(assignment)
            else:
                current.words.append(tok.word)
            i += 1
            continue
        op = tok.op
        kind = _REDIRECTS.get(op) if op is not None else None
        if kind is not None:
            if i + 1 >= len(tokens) or tokens[i + 1].word is None:
                raise ShellSyntaxError(f"syntax error: '{op.value if op else ''}' unexpected")
            target = tokens[i + 1].word
            assert target is not None
            default_fd = 0 if op in (_Op.LESS, _Op.LESSAND) else 1
            fd = tok.io_number if tok.io_number is not None else default_fd
            current.redirects.append(Redirect(fd, kind, target))
            i += 2
            continue
        if op == _Op.PIPE:
            raise ShellSyntaxError("pipes are not supported by the virtual device shell")
        if op in (_Op.LPAREN, _Op.RPAREN):
            raise ShellSyntaxError("subshells are not supported by the virtual device shell")
        # separators
        connector = _CONNECTORS.get(op, Connector.SEQ)  # type: ignore[arg-type]
        if current.empty():
            if op == _Op.NEWLINE:
                i += 1
                continue
            raise ShellSyntaxError(f"syntax error: '{op.value if op else ''}' unexpected")
        current.connector = pending
        commands.append(current)
        current = SimpleCommand()
        pending = connector
        i += 1
    if not current.empty():
        current.connector = pending
        commands.append(current)
    elif pending in (Connector.AND, Connector.OR):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    return commands


def literal_argv(text: str) -> list[str] | None:
    """The argv of a script that is one simple command of literal words (quotes allowed), else None.

    Used to recognise special requests such as ``cmd package install -S SIZE`` that read stdin.
    """
    try:
        tokens = _Lexer(text).run()
    except ShellSyntaxError:
        return None
    argv: list[str] = []
    for tok in tokens:
        if tok.word is None:
            return None
        lit = tok.word.literal()
        if lit is None:
            return None
        argv.append(lit)
    return argv
