"""Loads behavior spec files: YAML with line marks -> schema check -> typed model -> semantic checks.

Loading is pure: it reads one file and never talks to a device. Every problem found is reported, each
as a :class:`~harness.errors.SpecError` subclass naming ``file:line:column``, sorted by position.

- :func:`check_spec` returns the list of errors (empty when the spec is valid);
- :func:`load_spec` returns the :class:`~harness.spec.model.Spec` or raises
  :class:`~harness.errors.SpecInvalidError` holding every error.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SpecError, SpecInvalidError, SpecSchemaError, SpecSyntaxError
from harness.spec.builder import SpecBuilder
from harness.spec.model import Spec
from harness.spec.schema_errors import type_name, validate_document
from harness.spec.semantic import check_semantics
from harness.spec.yaml_marks import load_marked, snippet

log = logging.getLogger(__name__)

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """The outcome of loading one spec: the model when valid, and every error otherwise."""

    path: str
    spec: Spec | None = None
    errors: list[SpecError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.spec is not None


def _sorted(errors: list[SpecError]) -> list[SpecError]:
    return sorted(errors, key=lambda e: (e.line, e.column))


def parse_spec_text(text: str, path: str = "<spec>") -> LoadResult:
    """Load a spec from its text; ``path`` names it in errors and marks."""
    result = LoadResult(path)
    doc, syntax = load_marked(text, path)
    result.errors.extend(syntax)
    if doc is None:
        return result
    if doc.data is None:
        result.errors.append(SpecSyntaxError(
            "empty spec file: expected a mapping with at least spec, steps and expect", path, 1, 1))
        return result
    if not isinstance(doc.data, dict):
        pos = doc.pos(())
        result.errors.append(SpecSchemaError(
            f"a spec file must be a mapping (spec: ..., steps: ..., expect: ...), got a {type_name(doc.data)}",
            path, pos.line, pos.column, snippet(text, pos.line, pos.column)))
        return result
    schema_errs, bad_paths = validate_document(doc)
    result.errors.extend(schema_errs)
    builder = SpecBuilder(doc, bad_paths)
    spec = builder.build()
    result.errors.extend(builder.errors)
    result.errors.extend(check_semantics(spec, builder.raw, text))
    result.errors = _sorted(result.errors)
    if not result.errors:
        result.spec = spec
    return result


def parse_spec_file(path: str | os.PathLike[str]) -> LoadResult:
    """Load a spec file; an unreadable or non-UTF-8 file is one error."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return LoadResult(name, errors=[SpecSyntaxError(f"cannot read the spec file: {exc.strerror or exc}", name)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return LoadResult(name, errors=[SpecSyntaxError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", name, line, column)])
    log.debug("loading spec %s", name)
    return parse_spec_text(text, name)


def check_spec(path: str | os.PathLike[str]) -> list[SpecError]:
    """Every error of the spec file at ``path``, sorted by position; empty when it is valid."""
    return parse_spec_file(path).errors


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """The typed spec at ``path``, or :class:`SpecInvalidError` carrying all its errors."""
    result = parse_spec_file(path)
    if result.errors or result.spec is None:
        raise SpecInvalidError(str(path), result.errors)
    return result.spec


def load_spec_text(text: str, path: str = "<spec>") -> Spec:
    """The typed spec from text, or :class:`SpecInvalidError`."""
    result = parse_spec_text(text, path)
    if result.errors or result.spec is None:
        raise SpecInvalidError(path, result.errors)
    return result.spec


def find_spec_files(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """The spec files among ``paths``: files as given, directories walked for *.yaml / *.yml (sorted)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(sorted(f for f in path.rglob("*") if f.is_file() and f.suffix in SPEC_SUFFIXES))
        else:
            out.append(path)
    return out
