"""YAML to plain data, keeping the source position of every node.

PyYAML's composer builds a node tree where every node has ``start_mark``/``end_mark``. We compose with
the safe loader, then construct plain Python values ourselves (dicts, lists, scalars, exactly as
``yaml.safe_load`` would) while recording, for each path into the data, where its value starts and
where its key starts. Duplicate keys, which YAML loaders silently collapse, are reported. YAML
problems become :class:`~harness.errors.SpecSyntaxError` with file, line, column and a snippet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import SpecSyntaxError

PathKey = str | int
DataPath = tuple[PathKey, ...]


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass(frozen=True)
class NodeMarks:
    value: Pos              # where the value starts
    key: Pos | None = None  # where its key starts (mapping entries only)
    end: Pos | None = None  # where the value ends


@dataclass
class MarkedDocument:
    """The constructed data of one YAML document and the marks of every node, by data path."""

    data: Any
    marks: dict[DataPath, NodeMarks] = field(default_factory=dict)
    text: str = ""
    path: str = "<spec>"

    def pos(self, path: DataPath, *, key: bool = False) -> Pos:
        """The position of the value at ``path`` (its key with ``key=True``), or of its nearest ancestor."""
        p = tuple(path)
        while True:
            marks = self.marks.get(p)
            if marks is not None:
                if key and marks.key is not None:
                    return marks.key
                return marks.value
            if not p:
                return Pos(1, 1)
            p = p[:-1]


def snippet(text: str, line: int, column: int, context: int = 1) -> str:
    """The lines around ``line`` (1-based) with a caret under ``column``, gutter-numbered."""
    lines = text.splitlines()
    if not lines or line < 1:
        return ""
    line = min(line, len(lines)) if lines else line
    first = max(1, line - context)
    width = len(str(line))
    out: list[str] = []
    for n in range(first, line + 1):
        src = lines[n - 1].replace("\t", "→") if n <= len(lines) else ""
        out.append(f"  {n:>{width}} | {src}".rstrip())
    out.append(f"  {' ' * width} | {' ' * max(0, column - 1)}^")
    return "\n".join(out)


def _pos(mark: yaml.Mark) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc_path: str, text: str) -> None:
        self.loader = loader
        self.marks: dict[DataPath, NodeMarks] = {}
        self.errors: list[SpecSyntaxError] = []
        self.path = doc_path
        self.text = text
        self._active: set[int] = set()

    def error(self, message: str, pos: Pos) -> None:
        self.errors.append(SpecSyntaxError(
            message, self.path, pos.line, pos.column, snippet(self.text, pos.line, pos.column)))

    def build(self, node: Node, path: DataPath, key_pos: Pos | None = None) -> Any:
        self.marks[path] = NodeMarks(_pos(node.start_mark), key_pos, _pos(node.end_mark))
        if id(node) in self._active:
            self.error("recursive alias: a node contains itself", _pos(node.start_mark))
            return None
        if isinstance(node, ScalarNode):
            if node.tag == "tag:yaml.org,2002:timestamp":
                return node.value  # specs hold no dates: keep the text (JSON has no date type)
            try:
                return self.loader.construct_object(node, deep=True)
            except ValueError as exc:  # e.g. `!!int foo`
                self.error(f"bad {node.tag.rsplit(':', 1)[-1]} value {node.value!r}: {exc}", _pos(node.start_mark))
                return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise AssertionError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_seen: dict[Any, Pos] = {}
        for key_node, value_node in node.value:
            kpos = _pos(key_node.start_mark)
            if not isinstance(key_node, ScalarNode):
                self.error("a mapping key must be a plain word, not a list or mapping", kpos)
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, bool, float)) and key is not None:
                key = str(key)
            if key in first_seen:
                prev = first_seen[key]
                self.error(f"duplicate key {key!r} (first defined at line {prev.line}); "
                           "expected each key once per mapping", kpos)
                continue
            first_seen[key] = kpos
            out[key] = self.build(value_node, path + (key,), kpos)
        return out


def _syntax_error(exc: yaml.YAMLError, doc_path: str, text: str) -> SpecSyntaxError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    if "'\\t'" in problem or "\\t" in problem:
        message = "tab character in indentation or between tokens: YAML indents with spaces only"
    else:
        message = f"YAML syntax error: {problem}"
        if context:
            message += f" ({context}"
            cmark = getattr(exc, "context_mark", None)
            if cmark is not None and mark is not None and cmark.line != mark.line:
                message += f" at line {cmark.line + 1}"
            message += ")"
    return SpecSyntaxError(message, doc_path, line, column, snippet(text, line, column) if line else "")


def load_marked(text: str, doc_path: str = "<spec>") -> tuple[MarkedDocument | None, list[SpecSyntaxError]]:
    """Parse one YAML document. Returns the document (None if it could not be built) and any errors.

    An empty document (nothing but comments or whitespace) yields ``data=None`` with no error; the
    caller decides what an empty spec means. More than one document is an error.
    """
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            if "expected a single document" in str(exc):
                mark = exc.problem_mark
                assert mark is not None
                line, column = mark.line + 1, mark.column + 1
                return None, [SpecSyntaxError(
                    "more than one YAML document ('---'): a spec file holds exactly one spec",
                    doc_path, line, column, snippet(text, line, column))]
            return None, [_syntax_error(exc, doc_path, text)]
        except yaml.YAMLError as exc:
            return None, [_syntax_error(exc, doc_path, text)]
        if node is None:
            return MarkedDocument(None, {}, text, doc_path), []
        builder = _Builder(loader, doc_path, text)
        try:
            data = builder.build(node, ())
        except yaml.YAMLError as exc:  # a scalar the constructor refuses (e.g. a bad !!int)
            return None, [_syntax_error(exc, doc_path, text)]
        return MarkedDocument(data, builder.marks, text, doc_path), list(builder.errors)
    finally:
        loader.dispose()
