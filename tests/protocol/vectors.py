"""Reading and checking the shared protocol conformance vectors (tests/protocol/vectors.json).

The format is described in docs/companion-protocol.md ("Conformance vectors"); the Kotlin suite
(android-app ProtocolVectorsTest) implements the same checks. Pure functions: no device here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).with_name("vectors.json")
_VAR = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)([+-]\d+)?\}$")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_ABSENT = object()


@dataclass(frozen=True)
class Step:
    method: str
    arg: Any  # a JSON value with ${var} strings, or None for no --arg
    arg_raw: str | None
    expect: dict[str, Any]
    save: dict[str, str] = field(default_factory=dict)
    event: dict[str, Any] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]


def _step(d: dict[str, Any]) -> Step:
    return Step(d["method"], d.get("arg"), d.get("arg_raw"), d["expect"], dict(d.get("save", {})), d.get("event"))


def load_cases(path: Path = VECTORS_PATH) -> list[Case]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    cases = []
    for c in doc["cases"]:
        steps = [_step(s) for s in c.get("setup", [])] + [_step(c)] + [_step(s) for s in c.get("then", [])]
        cases.append(Case(c["name"], tuple(steps)))
    return cases


def substitute(value: Any, variables: dict[str, int | str]) -> Any:
    """Replaces every string ``${name}`` by the saved integer or string, ``${name+N}`` by the saved
    integer plus N."""
    if isinstance(value, str):
        m = _VAR.match(value)
        if m is None:
            return value
        saved = variables[m.group(1)]
        if isinstance(saved, str):
            assert m.group(2) is None, f"{value}: {m.group(1)} is a string"
            return saved
        return saved + int(m.group(2) or 0)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def arg_text(step: Step, variables: dict[str, int | str]) -> str | None:
    """The --arg word of a step, or None when the step sends no argument."""
    if step.arg_raw is not None:
        return step.arg_raw
    if step.arg is None:
        return None
    return json.dumps(substitute(step.arg, variables), separators=(",", ":"))


def lookup(doc: Any, path: str) -> Any:
    """The value at a dotted path with ``[i]`` indices, or the _ABSENT marker."""
    cur = doc
    for m in _SEGMENT.finditer(path):
        key, index = m.group(1), m.group(2)
        if key is not None:
            if not isinstance(cur, dict) or key not in cur:
                return _ABSENT
            cur = cur[key]
        else:
            i = int(index)
            if not isinstance(cur, list) or i >= len(cur):
                return _ABSENT
            cur = cur[i]
    return cur


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    return "object"


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b) and type(a) is type(b)


def check_value(doc: Any, path: str, want: Any) -> str | None:
    """None if the value at ``path`` matches ``want`` (a literal or a ``$`` matcher), else a message."""
    got = lookup(doc, path)
    if isinstance(want, dict) and len(want) == 1 and next(iter(want)).startswith("$"):
        op, arg = next(iter(want.items()))
        if op == "$absent":
            ok = (got is _ABSENT) == bool(arg)
        elif got is _ABSENT:
            ok = False
        elif op == "$len":
            ok = isinstance(got, (list, dict, str)) and len(got) == arg
        elif op == "$type":
            ok = _json_type(got) == arg
        elif op == "$gt":
            ok = isinstance(got, int) and got > arg
        else:
            return f"unknown matcher {op}"
        return None if ok else f"{path}: {op} {arg!r} does not hold for {'absent' if got is _ABSENT else repr(got)}"
    if got is _ABSENT:
        return f"{path}: absent, expected {want!r}"
    return None if _same(got, want) else f"{path}: got {got!r}, expected {want!r}"


def check_answer(answer: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """Every mismatch between an answer and a step's ``expect``."""
    problems: list[str] = []
    if answer.get("ok") is not expect["ok"]:
        return [f"ok is {answer.get('ok')!r}, expected {expect['ok']!r}: {answer}"]
    if expect["ok"]:
        for path, want in expect.get("fields", {}).items():
            p = check_value(answer, path, want)
            if p:
                problems.append(p)
    else:
        for key, want in expect["error"].items():
            p = check_value(answer, f"error.{key}", want)
            if p:
                problems.append(f"{p} ({answer['error'].get('message')})")
    return problems


def find_event(events: list[dict[str, Any]], task_id: str | None, kind: str) -> dict[str, Any] | None:
    """The last event of ``task_id`` with ``kind``."""
    found = [e for e in events if e.get("task_id") == task_id and e.get("kind") == kind]
    return found[-1] if found else None
