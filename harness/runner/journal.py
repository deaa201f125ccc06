"""The spec's journal events as the runner collects them, from logcat lines or ``events`` answers.

The companion writes each journal event as one JSON document to logcat (tag ``HarnessJournal``),
so the runner observes the journal without calling the app's provider: a provider call starts
the app's process, which would disturb a spec about process death or force-stop. Events keep the
protocol's JSON form (dicts), in sequence order, each seq once. Only events after the spec's
baseline (the journal's last seq when the spec started) belong to the spec. A seq that skips
numbers means logcat lost lines; the runner then reads the journal itself at the end.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from harness.bridge.logcat import LogPriority, logcat_argv, parse_line
from harness.companion.protocol import JOURNAL_TAG

log = logging.getLogger(__name__)


def dump_commands(since_wall_ms: int | None = None) -> list[list[str]]:
    """``logcat -d`` of the journal tag only: the journal lines in the device's log buffer.

    ``since_wall_ms``: only the lines from the first one logged at or after that device wall time
    (``-t TIME``), so a round trip reads the lines that are new since the last look, not the
    whole journal again; lines printed twice are deduplicated by seq (:class:`JournalLog`).
    """
    return [logcat_argv([JOURNAL_TAG], priority=LogPriority.INFO, dump=True, since_wall_ms=since_wall_ms)]


def event_from_text(message: str) -> dict[str, Any] | None:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        log.warning("unreadable %s line ignored: %.200s", JOURNAL_TAG, text)
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("seq"), int):
        return None
    return doc


def events_from_logcat(text: str) -> list[dict[str, Any]]:
    """Journal events in a logcat dump (``threadtime`` format), in the order printed."""
    out = []
    for raw in text.splitlines():
        line = parse_line(raw)
        if line is None or line.tag != JOURNAL_TAG:
            continue
        event = event_from_text(line.message)
        if event is not None:
            out.append(event)
    return out


class JournalLog:
    """The events of one spec, deduplicated and in seq order."""

    def __init__(self, baseline: int = 0) -> None:
        self.baseline = baseline
        self.events: list[dict[str, Any]] = []
        self._seen: set[int] = set()
        self.gap = False

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else self.baseline

    def add(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Take new events (any order, duplicates ignored); returns those that were new."""
        new = []
        for e in events:
            seq = e.get("seq")
            if not isinstance(seq, int) or seq <= self.baseline or seq in self._seen:
                continue
            self._seen.add(seq)
            new.append(dict(e))
        if new:
            in_order = self.events[-1]["seq"] if self.events else self.baseline
            self.events.extend(new)
            if any(e["seq"] < in_order for e in new) or any(a["seq"] > b["seq"] for a, b in zip(new, new[1:])):
                self.events.sort(key=lambda e: e["seq"])
            # distinct seqs above the baseline: no gap exactly when they fill baseline+1..last
            self.gap = len(self.events) != self.events[-1]["seq"] - self.baseline
        return new
