"""JournalFollower's ordering rules: catch-up first, logcat duplicates dropped, gaps filled from the journal.

The journal and the logcat stream are doubles here (the end-to-end test against the virtual device
is in test_virtual_companion.py); what is under test is the merge of the two sources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from harness.bridge.logcat import LogLine, LogPriority
from harness.companion.client import CompanionClient
from harness.companion.journal import JournalFollower, parse_journal_line

from .test_handshake import AnsweringDevice
from .test_protocol_records import EVENT, HELLO


def ev(seq: int) -> dict[str, Any]:
    return {**EVENT, "seq": seq}


def line(seq: int, tag: str = "HarnessJournal") -> LogLine:
    return LogLine("01-01 00:00:00.000", 100, 101, LogPriority.INFO, tag, json.dumps(ev(seq)))


class ScriptedStream:
    def __init__(self, lines: Sequence[LogLine | None]) -> None:
        self.lines = list(lines)
        self.opened = False
        self.closed = False

    def open(self) -> "ScriptedStream":
        self.opened = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True

    def read_line(self, timeout: float) -> LogLine | None:
        return self.lines.pop(0) if self.lines else None


class JournalDevice(AnsweringDevice):
    def __init__(self, journal: list[dict[str, Any]], stream: ScriptedStream) -> None:
        super().__init__(self._answer)
        self.journal = journal
        self.stream = stream
        self.order: list[str] = []

    def _answer(self, method: str, arg: dict) -> Any:
        if method == "hello":
            return HELLO
        self.order.append("events")
        rest = [e for e in self.journal if e["seq"] > arg["since"]]
        return {"ok": True, "events": rest[:arg["limit"]], "last_seq": len(self.journal),
                "more": len(rest) > arg["limit"]}

    def logcat(self, tags: Sequence[str], *, priority: LogPriority = LogPriority.VERBOSE) -> ScriptedStream:
        assert list(tags) == ["HarnessJournal"] and priority is LogPriority.INFO
        self.order.append("logcat")
        return self.stream


def test_stream_opens_before_catch_up_and_replays_are_dropped() -> None:
    journal = [ev(1), ev(2)]
    # logcat replays its buffer (1, 2) then brings 3; the journal had 1-2 at catch-up time.
    stream = ScriptedStream([line(1), line(2), line(3, tag="Other"), line(3)])
    dev = JournalDevice(journal, stream)
    with JournalFollower(CompanionClient(dev)) as follower:  # type: ignore[arg-type]
        assert dev.order[:2] == ["logcat", "events"]
        got = [follower.next_event(1).seq for _ in range(3)]  # type: ignore[union-attr]
    assert got == [1, 2, 3]
    assert stream.closed


def test_a_gap_in_logcat_is_filled_from_the_journal() -> None:
    journal = [ev(1)]
    stream = ScriptedStream([line(4)])
    dev = JournalDevice(journal, stream)
    follower = JournalFollower(CompanionClient(dev)).open()  # type: ignore[arg-type]
    assert follower.next_event(1).seq == 1  # type: ignore[union-attr]
    journal.extend([ev(2), ev(3), ev(4)])  # logcat lost 2 and 3
    assert [follower.next_event(1).seq for _ in range(3)] == [2, 3, 4]  # type: ignore[union-attr]
    assert follower.next_event(0.01) is None
    follower.close()


def test_since_skips_what_the_caller_already_has() -> None:
    dev = JournalDevice([ev(1), ev(2), ev(3)], ScriptedStream([]))
    with JournalFollower(CompanionClient(dev), since=2) as follower:  # type: ignore[arg-type]
        assert [e.seq for e in follower.drain()] == [3]
        assert follower.last_seq == 3


def test_unreadable_lines_are_ignored() -> None:
    bad = LogLine("01-01 00:00:00.000", 1, 1, LogPriority.INFO, "HarnessJournal", "{not json")
    assert parse_journal_line(bad) is None
    assert parse_journal_line(line(5)).seq == 5  # type: ignore[union-attr]
    assert parse_journal_line(line(5, tag="X")) is None
