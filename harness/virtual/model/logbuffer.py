"""The logcat ring buffer (logd's ``main`` buffer) with async waiters for ``logcat`` followers.

Entries carry the wall time (ms, from the model's clock), pid, tid, priority, tag and message.
The buffer keeps the newest ``capacity`` entries, like logd drops the oldest when its ring is
full. Each entry has a sequence number so a follower can ask for "everything after N", and
``logcat -t TIME`` asks for everything from the first entry logged at or after a wall time
(:meth:`LogBuffer.entries_from_wall`; read from the end while the wall clock never went back).
Waiters are futures on the device's event loop; appending wakes them all.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_CAPACITY = 20_000
RING_BYTES = 256 * 1024  # what `logcat -g` reports (logd's default per-buffer size)


class LogPriority(enum.IntEnum):
    """android_LogPriority values, with the letter logcat prints."""

    VERBOSE = 2
    DEBUG = 3
    INFO = 4
    WARN = 5
    ERROR = 6
    FATAL = 7
    SILENT = 8

    @property
    def letter(self) -> str:
        return "VDIWEFS"[self.value - 2]

    @classmethod
    def from_letter(cls, letter: str) -> "LogPriority":
        idx = "VDIWEFS".find(letter.upper()[:1]) if letter else -1
        if idx < 0:
            raise ValueError(f"unknown log priority {letter!r}")
        return cls(idx + 2)


@dataclass(frozen=True)
class LogEntry:
    seq: int
    wall_ms: int
    pid: int
    tid: int
    priority: LogPriority
    tag: str
    message: str


class LogBuffer:
    def __init__(self, wall_clock_ms: Callable[[], int], capacity: int = DEFAULT_CAPACITY) -> None:
        self._wall = wall_clock_ms
        self._entries: collections.deque[LogEntry] = collections.deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._monotonic = True  # no entry older (wall time) than the one before it since the last clear
        self._waiters: list[asyncio.Future[None]] = []

    # ------------------------------------------------------------------ writing
    def append(self, priority: LogPriority | str, tag: str, message: str, *, pid: int = 0,
               tid: int | None = None, wall_ms: int | None = None) -> LogEntry:
        prio = LogPriority.from_letter(priority) if isinstance(priority, str) else priority
        # a multi-line message is one entry per line in logcat's output, as liblog splits them
        entry = LogEntry(next(self._seq), self._wall() if wall_ms is None else wall_ms, pid,
                         pid if tid is None else tid, prio, tag, message)
        if self._entries and entry.wall_ms < self._entries[-1].wall_ms:
            self._monotonic = False  # the wall clock was set back (cmd alarm set-time)
        self._entries.append(entry)
        self._last_seq = entry.seq
        self._wake()
        return entry

    def clear(self) -> None:
        """``logcat -c`` (and a reboot: the ring lives in logd's RAM)."""
        self._entries.clear()
        self._monotonic = True

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    # ------------------------------------------------------------------ reading
    @property
    def last_seq(self) -> int:
        return self._last_seq

    def entries(self, after_seq: int = 0) -> list[LogEntry]:
        if after_seq <= 0:
            return list(self._entries)
        return [e for e in self._entries if e.seq > after_seq]

    def entries_from_wall(self, wall_ms: int) -> list[LogEntry]:
        """The first entry logged at or after ``wall_ms`` and every entry after it (``logcat -t TIME``).

        While wall times never decreased this is a walk back from the newest entry, so asking for
        the lines since the last look costs the new lines only, however full the ring is.
        """
        if not self._monotonic:
            for i, e in enumerate(self._entries):
                if e.wall_ms >= wall_ms:
                    return list(itertools.islice(self._entries, i, None))
            return []
        newer: list[LogEntry] = []
        for e in reversed(self._entries):
            if e.wall_ms < wall_ms:
                break
            newer.append(e)
        newer.reverse()
        return newer

    def __len__(self) -> int:
        return len(self._entries)

    def size_bytes(self) -> int:
        return sum(len(e.tag) + len(e.message) + 28 for e in self._entries)

    async def wait_for_new(self, after_seq: int) -> None:
        """Return once an entry newer than ``after_seq`` exists (callers bound it with a timeout
        or by cancelling: a follower is cancelled when its client closes the stream)."""
        if self._last_seq > after_seq:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)
