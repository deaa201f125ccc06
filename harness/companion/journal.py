"""Following the companion's event journal live: logcat lines, checked against the journal itself.

The app writes every event to SQLite and, as the same JSON, to logcat under the tag
``HarnessJournal``. :class:`JournalFollower` opens the logcat stream *first*, then catches up
with the ``events`` method from the last sequence number it knows, so an event is either in the
catch-up page or arrives on the stream after it: none is missed. Events are handed out once, in
sequence order: a logcat line at or below the last sequence seen is a duplicate (logcat replays
its buffer) and is dropped; a line that skips sequence numbers (logcat dropped lines, or the
buffer wrapped) triggers another catch-up before anything newer is handed out.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from harness.bridge.logcat import LogLine, LogPriority
from harness.companion.client import CompanionClient
from harness.companion.protocol import JOURNAL_TAG, Event

if TYPE_CHECKING:
    from harness.bridge.logcat import LogcatStream

log = logging.getLogger(__name__)

IDLE_POLL_S = 5.0  # with no logcat line for this long, ask the journal anyway


def parse_journal_line(line: LogLine) -> Event | None:
    """The Event a ``HarnessJournal`` logcat line carries, or None for any other line."""
    if line.tag != JOURNAL_TAG:
        return None
    text = line.message.strip()
    if not text.startswith("{"):
        return None
    try:
        return Event.from_json(json.loads(text))
    except (ValueError, TypeError) as e:  # JSONDecodeError is a ValueError
        log.warning("unreadable %s line ignored (%s): %.200s", JOURNAL_TAG, e, text)
        return None


class JournalFollower:
    """Events after ``since``, as they happen. Use as a context manager; every wait is bounded."""

    def __init__(self, client: CompanionClient, since: int = 0, *, idle_poll: float = IDLE_POLL_S) -> None:
        self.client = client
        self.device = client.device
        self.last_seq = since
        self.idle_poll = idle_poll
        self._pending: collections.deque[Event] = collections.deque()
        self._stream: LogcatStream | None = None
        self._last_poll = 0.0

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> "JournalFollower":
        if self._stream is None:
            stream = self.device.logcat([JOURNAL_TAG], priority=LogPriority.INFO)
            stream.open()
            self._stream = stream
            self.catch_up()
        return self

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.__exit__(None, None, None)

    def __enter__(self) -> "JournalFollower":
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def catch_up(self) -> int:
        """Fetch every journal event after the last one known; returns how many were new."""
        self._last_poll = time.monotonic()
        base = self._pending[-1].seq if self._pending else self.last_seq
        added = 0
        for event in self.client.iter_events(base):
            if event.seq > base:
                self._pending.append(event)
                base = event.seq
                added += 1
        return added

    def _accept(self, event: Event) -> None:
        known = self._pending[-1].seq if self._pending else self.last_seq
        if event.seq <= known:
            return  # replayed from logcat's buffer, or already caught up
        if event.seq > known + 1:
            log.debug("journal gap after seq %d (logcat gave %d): catching up", known, event.seq)
            self.catch_up()
            known = self._pending[-1].seq if self._pending else self.last_seq
            if event.seq <= known:
                return
        self._pending.append(event)

    def next_event(self, timeout: float) -> Event | None:
        """The next event within ``timeout`` seconds, else None."""
        self.open()
        end = time.monotonic() + timeout
        while not self._pending:
            left = end - time.monotonic()
            if left <= 0:
                break
            assert self._stream is not None
            line = self._stream.read_line(min(left, self.idle_poll))
            if line is not None:
                event = parse_journal_line(line)
                if event is not None:
                    self._accept(event)
            elif time.monotonic() - self._last_poll >= self.idle_poll or time.monotonic() >= end:
                self.catch_up()
        if not self._pending:
            return None
        event = self._pending.popleft()
        self.last_seq = event.seq
        return event

    def drain(self) -> list[Event]:
        """Everything the journal holds after the last event handed out, without waiting."""
        self.open()
        self.catch_up()
        out = list(self._pending)
        self._pending.clear()
        if out:
            self.last_seq = out[-1].seq
        return out

    def iter_until(self, deadline_s: float) -> Iterator[Event]:
        """Events until ``deadline_s`` seconds from now have passed."""
        end = time.monotonic() + deadline_s
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            event = self.next_event(left)
            if event is None:
                return
            yield event
