"""The shared protocol conformance vectors (tests/protocol/vectors.json) against the virtual device.

Each case runs on a freshly reset virtual device (``vdev reset``) through the real adb server, as
raw ``content call`` commands (the bridge quotes the argument as one word), so what is checked is
exactly what a client on a real device would see. The Kotlin suite runs the same file against the
app's RpcDispatcher (android-app ProtocolVectorsTest).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from harness.companion.client import extract_document
from harness.companion.protocol import URI

from .vectors import Case, Step, arg_text, check_answer, check_value, find_event, load_cases, lookup, substitute

if TYPE_CHECKING:
    from harness.bridge.device import Device

CASES = load_cases()


def content_call(device: "Device", method: str, arg: str | None) -> dict[str, Any]:
    argv = ["content", "call", "--uri", URI, "--method", method]
    if arg is not None:
        argv += ["--arg", arg]
    result = device.shell(argv)
    doc = extract_document(result.stdout)
    assert doc is not None, (f"no answer from content call {method} {arg!r}: status {result.status}, "
                             f"stdout {result.stdout!r}, stderr {result.stderr!r}")
    answer = json.loads(doc)
    assert isinstance(answer, dict)
    return answer


def run_step(device: "Device", step: Step, variables: dict[str, int | str]) -> list[str]:
    where = f"{step.method} {arg_text(step, variables)}"
    answer = content_call(device, step.method, arg_text(step, variables))
    problems = [f"{where}: {p}" for p in check_answer(answer, substitute(step.expect, variables))]
    for name, path in step.save.items():
        value = lookup(answer, path)
        assert isinstance(value, (int, str)) and not isinstance(value, bool), f"{where}: cannot save {path} from {answer}"
        variables[name] = value
    if step.event is not None:
        ev = substitute(step.event, variables)
        events = content_call(device, "events", json.dumps({"since": 0, "limit": 1000}))["events"]
        found = find_event(events, ev["task_id"], ev["kind"])
        if found is None:
            problems.append(f"{where}: no {ev['kind']} event for {ev['task_id']} in {events}")
        else:
            problems += [f"{where}: event {p}" for p in
                         (check_value(found, path, want) for path, want in ev.get("fields", {}).items()) if p]
    return problems



@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vector(case: Case, device: "Device") -> None:
    device.shell(["vdev", "reset"], check=True)
    variables: dict[str, int | str] = {}
    problems: list[str] = []
    for step in case.steps:
        problems += run_step(device, step, variables)
    assert not problems, "\n".join(problems)


def test_vectors_cover_every_error_code() -> None:
    """The file exercises every error code the doc defines that a vector can provoke on any device."""
    codes = {s.expect["error"]["code"] for c in CASES for s in c.steps if not s.expect["ok"]}
    assert codes >= {"bad_json", "unknown_method", "protocol_mismatch", "missing_field", "unknown_field", "bad_type",
                     "bad_value", "out_of_range", "unknown_task", "duplicate_task", "platform_error"}
