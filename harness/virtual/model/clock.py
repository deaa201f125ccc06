"""Virtual time. Time moves only when told (``vdev advance``); timers fire in a fixed order.

Three clocks, as on Android:
  elapsed  SystemClock.elapsedRealtime(): ms since boot, counting deep sleep
  uptime   SystemClock.uptimeMillis(): ms since boot, not counting deep sleep
  wall     System.currentTimeMillis(): ms since the epoch; survives reboots

Timers are keyed on elapsed time. Ties fire in scheduling order (a sequence number), so the
same scenario always produces the same trace.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

# 2026-01-01T00:00:00Z: a fixed, documented start so traces are reproducible.
DEFAULT_WALL_START_MS = 1_767_225_600_000


@dataclass(order=True)
class Timer:
    at_ms: int
    seq: int
    tag: str = field(compare=False)
    callback: Callable[[], None] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    def __init__(self, wall_start_ms: int = DEFAULT_WALL_START_MS) -> None:
        self.boot_count = 1
        self.elapsed_ms = 0
        self.uptime_ms = 0
        self.wall_ms = wall_start_ms
        self.suspended = False  # while True, uptime does not advance (deep sleep)
        self._timers: list[Timer] = []
        self._seq = itertools.count()

    # ---------------------------------------------------------------- timers
    def call_at(self, at_elapsed_ms: int, callback: Callable[[], None], tag: str) -> Timer:
        t = Timer(max(at_elapsed_ms, self.elapsed_ms), next(self._seq), tag, callback)
        heapq.heappush(self._timers, t)
        return t

    def call_later(self, delay_ms: int, callback: Callable[[], None], tag: str) -> Timer:
        return self.call_at(self.elapsed_ms + max(0, delay_ms), callback, tag)

    def next_timer_at(self) -> int | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].at_ms if self._timers else None

    def clear_timers(self) -> None:
        self._timers.clear()

    # ---------------------------------------------------------------- time
    def _move_to(self, at_ms: int) -> None:
        delta = at_ms - self.elapsed_ms
        if delta <= 0:
            return
        self.elapsed_ms = at_ms
        self.wall_ms += delta
        if not self.suspended:
            self.uptime_ms += delta

    def run_due(self) -> int:
        """Fire every timer due at the current time (including ones they schedule for now)."""
        fired = 0
        while True:
            nxt = self.next_timer_at()
            if nxt is None or nxt > self.elapsed_ms:
                return fired
            t = heapq.heappop(self._timers)
            t.callback()
            fired += 1

    def advance(self, ms: int) -> int:
        """Move time forward by ``ms``, firing timers in order. Returns how many fired."""
        target = self.elapsed_ms + max(0, ms)
        fired = self.run_due()
        while True:
            nxt = self.next_timer_at()
            if nxt is None or nxt > target:
                break
            self._move_to(nxt)
            fired += self.run_due()
        self._move_to(target)
        return fired + self.run_due()

    def advance_to_next(self) -> int | None:
        """Move to the next timer and fire everything due then. Returns the new elapsed time."""
        nxt = self.next_timer_at()
        if nxt is None:
            return None
        self._move_to(nxt)
        self.run_due()
        return self.elapsed_ms

    def reboot(self, boot_duration_ms: int) -> None:
        """A new boot: timers are gone, elapsed/uptime restart, wall time keeps going."""
        self.clear_timers()
        self.boot_count += 1
        self.wall_ms += boot_duration_ms
        self.elapsed_ms = boot_duration_ms
        self.uptime_ms = boot_duration_ms
        self.suspended = False
