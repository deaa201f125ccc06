"""Points in device time and how journal events and step moments compare.

A :class:`Moment` is where the run was at some instant: boot count, elapsedRealtime, wall clock,
and the highest journal sequence number seen by then. Two moments in the same millisecond (the
virtual device runs a step's commands without moving time) are ordered by that sequence number:
an event is *after* a moment when it happened later, or in the same millisecond but was journalled
after the moment was taken. Across reboots elapsedRealtime restarts, so moments compare by boot
first, and durations across boots use the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.runner.result import DevicePoint


@dataclass(frozen=True)
class Moment:
    boot: int
    elapsed_ms: int
    wall_ms: int | None = None
    seq: int = 0  # highest journal seq known at this moment

    @property
    def point(self) -> DevicePoint:
        return DevicePoint(self.boot, self.elapsed_ms)

    @classmethod
    def of_event(cls, event: Mapping[str, Any]) -> "Moment":
        return cls(int(event.get("boot", 0)), int(event.get("elapsed_ms", 0)),
                   event.get("wall_ms") if isinstance(event.get("wall_ms"), int) else None,
                   int(event.get("seq", 0)))

    def key(self) -> tuple[int, int, int]:
        return (self.boot, self.elapsed_ms, self.seq)

    def describe(self) -> str:
        return f"boot {self.boot} at {fmt_ms(self.elapsed_ms)}"


def event_after(event: Mapping[str, Any], m: Moment) -> bool:
    """The event happened after moment ``m`` (same millisecond: journalled after it)."""
    e = Moment.of_event(event)
    if (e.boot, e.elapsed_ms) != (m.boot, m.elapsed_ms):
        return (e.boot, e.elapsed_ms) > (m.boot, m.elapsed_ms)
    return e.seq > m.seq


def event_before(event: Mapping[str, Any], m: Moment) -> bool:
    """The event happened before moment ``m`` (same millisecond: journalled by then)."""
    e = Moment.of_event(event)
    if (e.boot, e.elapsed_ms) != (m.boot, m.elapsed_ms):
        return (e.boot, e.elapsed_ms) < (m.boot, m.elapsed_ms)
    return e.seq <= m.seq


def span_ms(a: Moment, b: Moment) -> int | None:
    """Device time from ``a`` to ``b``: elapsed in one boot, wall clock across boots (None if unknown)."""
    if a.boot == b.boot:
        return b.elapsed_ms - a.elapsed_ms
    if a.wall_ms is not None and b.wall_ms is not None:
        return b.wall_ms - a.wall_ms
    return None


def fmt_ms(ms: int) -> str:
    """A short human duration: 950ms, 12.5s, 16m3s, 1h2m."""
    neg = ms < 0
    ms = abs(ms)
    if ms < 1000:
        text = f"{ms}ms"
    elif ms < 60_000:
        text = f"{ms / 1000:g}s" if ms % 100 == 0 else f"{ms / 1000:.3f}s"
    elif ms < 3_600_000:
        m, rest = divmod(ms, 60_000)
        s = rest / 1000
        text = f"{m}m" + (f"{s:g}s" if rest else "")
    else:
        h, rest = divmod(ms, 3_600_000)
        m = rest // 60_000
        text = f"{h}h" + (f"{m}m" if m else "")
    return ("-" if neg else "") + text
