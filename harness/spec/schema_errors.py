"""Validation against the shipped JSON Schema, with errors worded for humans and placed on their node.

jsonschema reports errors by data path; :class:`~harness.spec.yaml_marks.MarkedDocument` turns a path
into a line and column. For ``anyOf`` alternatives (a step as a bare word or a mapping, a selector as
``TASK:KIND`` or a mapping, ...) the branch whose JSON type fits the value is the one reported.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from harness.errors import SpecSchemaError
from harness.spec.durations import DurationSyntaxError, parse_duration_ms
from harness.spec.model import EventKind
from harness.spec.schema_build import SCHEMA_PATH
from harness.spec.yaml_marks import DataPath, MarkedDocument, snippet


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The shipped schema (harness/spec/schema.json)."""
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The choice nearest to ``word`` (difflib), or None if none is close."""
    if not isinstance(word, str):
        return None
    strs = [c for c in choices if isinstance(c, str)]
    lowered = {c.lower(): c for c in strs}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word, strs, n=1, cutoff=0.6)
    return found[0] if found else None


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


_JSON_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
                    "number": "a number", "boolean": "true or false", "null": "nothing (empty)"}


def where(path: DataPath) -> str:
    """A human name for a data path: ``step 3: schedule.params``, ``expectation 1: within``, ``setup.battery``."""
    if not path:
        return "the top level"
    head, rest = path[0], list(path[1:])
    prefix = ""
    if head in ("steps", "expect") and rest and isinstance(rest[0], int):
        prefix = f"{'step' if head == 'steps' else 'expectation'} {rest[0] + 1}"
        rest = rest[1:]
    else:
        rest = [head, *rest]
    text = ""
    for part in rest:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if prefix and text:
        return f"{prefix}: {text}"
    return prefix or text


def _describe_value(value: object) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, (dict, list)):
        return type_name(value)
    if isinstance(value, (bool, int, float)):
        return f"{type_name(value)} {json.dumps(value)}"
    return f"{type_name(value)} {str(value)!r}"


def _branch_fits(schema: dict[str, Any], instance: object, resolver_schema: dict[str, Any]) -> bool:
    """Whether a branch of anyOf is meant for values of ``instance``'s JSON type."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**resolver_schema["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        return any(_branch_fits(b, instance, resolver_schema) for b in schema["anyOf"])
    types = schema.get("type")
    if types is None:
        if "enum" in schema:
            return any(type_name(v) == type_name(instance) for v in schema["enum"])
        return True
    if isinstance(types, str):
        types = [types]
    actual = type_name(instance)
    mapping = {"mapping": "object", "list": "array", "integer": "integer", "number": "number",
               "string": "string", "boolean": "boolean", "null": "null"}
    jt = mapping.get(actual, actual)
    return jt in types or (jt == "integer" and "number" in types)


class _Mapper:
    def __init__(self, doc: MarkedDocument) -> None:
        self.doc = doc
        self.schema = load_schema()

    def make(self, message: str, path: DataPath, *, key: bool = False,
             suggestion: str | None = None) -> SpecSchemaError:
        pos = self.doc.pos(path, key=key)
        return SpecSchemaError(message, self.doc.path, pos.line, pos.column,
                               snippet(self.doc.text, pos.line, pos.column), suggestion)

    def convert(self, error: ValidationError) -> Iterator[SpecSchemaError]:
        path: DataPath = tuple(error.absolute_path)
        v = error.validator
        inst = error.instance
        schema = error.schema if isinstance(error.schema, dict) else {}
        if v in ("anyOf", "oneOf"):
            yield from self._alternatives(error, path)
        elif v == "additionalProperties":
            yield from self._unknown_keys(error, path)
        elif v == "required":
            missing = error.validator_value
            absent = [k for k in missing if isinstance(inst, dict) and k not in inst]
            for k in absent:
                if not path:
                    yield self.make(f"missing required top-level key {k!r}", path)
                else:
                    yield self.make(f"missing required key {k!r} in {where(path)}", path)
        elif v == "type" and schema.get("title") in ("duration", "within"):
            yield self._duration(inst, path)
        elif v == "type":
            expected = error.validator_value
            types = [expected] if isinstance(expected, str) else list(expected)
            words = " or ".join(_JSON_TYPE_WORDS.get(t, t) for t in types)
            yield self.make(f"wrong type for {where(path)}: expected {words}, got {_describe_value(inst)}", path)
        elif v == "enum":
            yield self._enum(error, path)
        elif v == "pattern":
            yield self._pattern(schema, inst, path)
        elif v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bound = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
            yield self.make(f"{where(path)} is out of range: expected {bound} {error.validator_value}, got {inst}",
                            path)
        elif v == "minItems":
            n = error.validator_value
            yield self.make(f"{where(path)} needs at least {n} item{'s' if n != 1 else ''}, got {len(inst)}", path)
        elif v == "maxItems":
            n = error.validator_value
            yield self.make(f"{where(path)} takes at most {n} item{'s' if n != 1 else ''}, got {len(inst)}", path)
        elif v == "minProperties":
            keys = ", ".join(schema.get("properties", {}))
            yield self.make(f"{where(path)} must not be empty: expected at least one of: {keys}", path)
        elif v == "minLength":
            yield self.make(f"{where(path)} must not be empty", path)
        elif v == "uniqueItems":
            yield self.make(f"{where(path)} lists the same item twice", path)
        else:
            yield self.make(f"{where(path)}: {error.message}", path)

    # -------------------------------------------------------------- specific validators

    def _alternatives(self, error: ValidationError, path: DataPath) -> Iterator[SpecSchemaError]:
        branches: list[dict[str, Any]] = error.validator_value
        fitting = [i for i, b in enumerate(branches) if _branch_fits(b, error.instance, self.schema)]
        if len(fitting) >= 1:
            chosen = fitting[0]
            sub = [e for e in error.context or [] if e.relative_schema_path[0] == chosen]
            if sub:
                # Report the deepest errors of the chosen branch (nested alternatives recurse).
                for e in sub:
                    yield from self.convert(e)
                return
        if isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool) and any(
                b.get("$ref") == "#/$defs/duration" for b in branches):
            yield self._duration(error.instance, path)
            return
        expected = " or ".join(self._branch_words(b) for b in branches)
        if path and path[0] == "steps" and len(path) == 2:
            expected = "a step name word or a mapping with one step key"
        yield self.make(f"wrong type for {where(path)}: expected {expected}, got {_describe_value(error.instance)}",
                        path)

    def _branch_words(self, branch: dict[str, Any]) -> str:
        if "$ref" in branch:
            name = branch["$ref"].rsplit("/", 1)[-1]
            branch = self.schema["$defs"][name]
        if "title" in branch:
            return f"a {branch['title']}"
        t = branch.get("type")
        if isinstance(t, str):
            return _JSON_TYPE_WORDS.get(t, t)
        if isinstance(t, list):
            return " or ".join(_JSON_TYPE_WORDS.get(x, x) for x in t)
        return "a valid value"

    def _unknown_keys(self, error: ValidationError, path: DataPath) -> Iterator[SpecSchemaError]:
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        inst = error.instance if isinstance(error.instance, dict) else {}
        for key in inst:
            if key in allowed:
                continue
            kpath = path + (key,)
            suggestion = closest(key, allowed)
            extra = ""
            if isinstance(key, str) and key.endswith("_ms") and key[:-3] in allowed:
                suggestion = key[:-3]
                extra = f"; specs use durations ({key[:-3]}: 15m), not milliseconds"
            listed = [a for a in allowed if a != "name"] if len(path) == 2 and path[0] == "steps" else allowed
            expected = f"expected one of: {', '.join(listed)}" if listed else "it takes no keys"
            if len(path) == 2 and path[0] == "steps" and any(k in allowed and k != "name" for k in inst):
                what = f"unknown key {key!r} in {where(path)}"
                expected = "a step takes one action key and an optional name"
            elif len(path) == 2 and path[0] == "steps":
                what = f"unknown step type {key!r}"
            elif len(path) == 2 and path[0] == "expect":
                what = f"unknown expectation key {key!r}"
            elif path and path[-1] == "params":
                what = f"unknown param {key!r} in {where(path)}"
            elif not path:
                what = f"unknown top-level key {key!r}"
            else:
                what = f"unknown key {key!r} in {where(path)}"
            yield self.make(f"{what} ({expected}){extra}", kpath, key=True, suggestion=suggestion)

    def _enum(self, error: ValidationError, path: DataPath) -> SpecSchemaError:
        values = error.validator_value
        inst = error.instance
        shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
        if len(path) == 2 and path[0] == "steps":
            from harness.spec.model import STEP_TYPES
            return self.make(
                f"unknown step {inst!r} (expected a step mapping, or a bare step: {shown})", path,
                suggestion=closest(inst, list(STEP_TYPES)))
        if path and path[-1] == "kind":
            what = f"unknown event kind {inst!r}"
        elif path and path[-1] == "stop_reason":
            what = f"unknown stop reason {inst!r}"
        else:
            what = f"bad value {_describe_value(inst)} for {where(path)}"
        return self.make(f"{what} (expected one of: {shown})", path, suggestion=closest(inst, values))

    def _duration(self, inst: object, path: DataPath) -> SpecSchemaError:
        try:
            parse_duration_ms(inst)
            msg = f"bad duration {inst!r} in {where(path)}"
        except DurationSyntaxError as exc:
            msg = f"{exc} (in {where(path)})"
        return self.make(msg, path)

    def _pattern(self, schema: dict[str, Any], inst: object, path: DataPath) -> SpecSchemaError:
        title = schema.get("title", "")
        if title == "duration":
            return self._duration(inst, path)
        if title == "within":
            return self.make(
                f"bad within {inst!r} in {where(path)}: expected a duration (16m) or 'DURATION after ANCHOR' "
                "(16m after boot)", path)
        if title == "selector shorthand":
            text = str(inst)
            if text.count(":") == 1:
                task, kind = text.split(":")
                kinds = [k.value for k in EventKind]
                if kind not in kinds:
                    return self.make(
                        f"unknown event kind {kind!r} in selector {text!r} (expected one of: {', '.join(kinds)})",
                        path, suggestion=f"{task}:{closest(kind, kinds)}" if closest(kind, kinds) else None)
            return self.make(
                f"bad event selector {text!r} in {where(path)}: expected TASK:KIND (sync:started) or a mapping "
                "{task: ..., kind: ...}", path)
        if title == "task id":
            return self.make(f"bad task id {inst!r} in {where(path)}: expected 1-64 characters A-Z a-z 0-9 _ . -",
                             path)
        if title == "step name":
            return self.make(
                f"bad step name {inst!r} in {where(path)}: expected letters, digits, _ . - starting with a "
                "letter or _ (at most 64)", path)
        if title == "spec name":
            return self.make(
                f"bad spec name {inst!r}: expected letters, digits, _ . - starting with a letter or digit "
                "(at most 100)", path)
        return self.make(f"bad value {inst!r} for {where(path)}: expected to match {schema.get('pattern')}", path)


def validate_document(doc: MarkedDocument) -> tuple[list[SpecSchemaError], list[DataPath]]:
    """Every schema error of the document (worded, placed, deduplicated), and the data paths that failed."""
    mapper = _Mapper(doc)
    out: list[SpecSchemaError] = []
    paths: list[DataPath] = []
    seen: set[tuple[int, int, str]] = set()
    for error in _validator().iter_errors(doc.data):
        paths.append(tuple(error.absolute_path))
        for converted in mapper.convert(error):
            key = (converted.line, converted.column, converted.message)
            if key not in seen:
                seen.add(key)
                out.append(converted)
    return out, paths
