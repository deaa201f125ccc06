"""The client's handshake and paging logic, over a device double that answers like ``content call``.

The double stands in for the bridge's Device only (no adb involved); end-to-end tests against
the virtual device are in test_virtual_companion.py.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from harness.bridge.shell import ShellResult, quote_argv
from harness.companion.client import CompanionClient
from harness.companion.protocol import CoroutineParams, Task
from harness.errors import CompanionNotInstalledError, CompanionResponseError, ProtocolMismatchError

from .test_protocol_records import EVENT, HELLO


class AnsweringDevice:
    """Answers ``content call`` argv with a JSON document computed by ``answer(method, arg)``."""

    serial = "double-1"

    def __init__(self, answer: Callable[[str, dict[str, Any]], Any], stderr: str = "") -> None:
        self.answer = answer
        self.stderr = stderr
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def shell(self, argv: Sequence[str], *, timeout: float = 30.0, check: bool = False) -> ShellResult:
        words = shlex.split(quote_argv(argv))
        method = words[words.index("--method") + 1]
        arg = json.loads(words[words.index("--arg") + 1]) if "--arg" in words else {}
        self.calls.append((method, arg))
        if self.stderr:
            return ShellResult(self.serial, quote_argv(argv), 0, "", self.stderr)
        doc = json.dumps(self.answer(method, arg), separators=(",", ":"))
        return ShellResult(self.serial, quote_argv(argv), 0, f"Result: Bundle[{{json={doc}}}]\n", "")


def test_connect_sends_hello_first_without_protocol_then_protocol_on_every_call() -> None:
    def answer(method: str, arg: dict) -> Any:
        if method == "hello":
            return HELLO
        return {"ok": True, "task_id": arg["task"]["id"], "platform": {}}

    dev = AnsweringDevice(answer)
    client = CompanionClient(dev)  # type: ignore[arg-type]
    result = client.schedule(Task("co-1", CoroutineParams()))
    assert result.task_id == "co-1"
    assert [m for m, _ in dev.calls] == ["hello", "schedule"]
    assert "protocol" not in dev.calls[0][1]
    assert dev.calls[1][1]["protocol"] == {"major": 1, "minor": 0}
    client.schedule(Task("co-2", CoroutineParams()))
    assert [m for m, _ in dev.calls] == ["hello", "schedule", "schedule"]  # one handshake per client


def test_major_mismatch_is_refused_naming_both_versions_and_the_fix() -> None:
    dev = AnsweringDevice(lambda m, a: {**HELLO, "protocol": {"major": 2, "minor": 3}})
    client = CompanionClient(dev)  # type: ignore[arg-type]
    with pytest.raises(ProtocolMismatchError) as info:
        client.list()
    text = str(info.value)
    assert "2.3" in text and "1.0" in text and "harness companion install" in text
    assert [m for m, _ in dev.calls] == ["hello"]  # nothing else was sent


def test_newer_minor_is_accepted() -> None:
    dev = AnsweringDevice(lambda m, a: {**HELLO, "protocol": {"major": 1, "minor": 7}, "extra_future_field": 1})
    assert CompanionClient(dev).connect().protocol == (1, 7)  # type: ignore[arg-type]


def test_not_installed() -> None:
    dev = AnsweringDevice(lambda m, a: None, stderr="Error while accessing provider:dev.harness.companion.rpc\n"
                          "java.lang.IllegalStateException: Could not find provider: dev.harness.companion.rpc\n")
    with pytest.raises(CompanionNotInstalledError):
        CompanionClient(dev).connect()  # type: ignore[arg-type]


def test_iter_events_pages_through_more() -> None:
    journal = [{**EVENT, "seq": s} for s in range(1, 8)]

    def answer(method: str, arg: dict) -> Any:
        if method == "hello":
            return HELLO
        since, limit = arg["since"], arg["limit"]
        rest = [e for e in journal if e["seq"] > since]
        return {"ok": True, "events": rest[:limit], "last_seq": 7, "more": len(rest) > limit}

    dev = AnsweringDevice(answer)
    client = CompanionClient(dev)  # type: ignore[arg-type]
    assert [e.seq for e in client.iter_events(since=2, page_size=2)] == [3, 4, 5, 6, 7]
    sinces = [a["since"] for m, a in dev.calls if m == "events"]
    assert sinces == [2, 4, 6]


def test_more_with_an_empty_page_does_not_loop() -> None:
    dev = AnsweringDevice(lambda m, a: HELLO if m == "hello" else
                          {"ok": True, "events": [], "last_seq": 9, "more": True})
    with pytest.raises(CompanionResponseError, match="empty page"):
        list(CompanionClient(dev).iter_events())  # type: ignore[arg-type]


def test_limit_is_checked_before_sending() -> None:
    dev = AnsweringDevice(lambda m, a: HELLO)
    with pytest.raises(ValueError):
        CompanionClient(dev).events(limit=1001)  # type: ignore[arg-type]
    assert dev.calls == []


def test_answer_missing_a_field_is_a_response_error() -> None:
    dev = AnsweringDevice(lambda m, a: HELLO if m == "hello" else {"ok": True})
    with pytest.raises(CompanionResponseError, match="task_id"):
        CompanionClient(dev).cancel("x")  # type: ignore[arg-type]
