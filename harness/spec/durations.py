"""Human durations in specs: ``500ms``, ``90s``, ``15m``, ``1h30m``, ``2d``.

A duration is a sequence of ``NUMBER UNIT`` parts, largest unit first, each unit at most once.
Units: ``d`` (day), ``h``, ``m`` (minute), ``s``, ``ms``. Numbers are whole (no ``1.5h``; write
``1h30m``). A bare number has no unit and is refused: ``15`` could mean anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT_MS: dict[str, int] = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_UNIT_ORDER = ["d", "h", "m", "s", "ms"]

# The schema's pattern for a duration string (kept in step with parse_duration_ms).
DURATION_PATTERN = r"^\s*(\d+\s*(ms|d|h|m|s)\s*)+$"
_PART = re.compile(r"(\d+)\s*(ms|d|h|m|s)")


class DurationSyntaxError(ValueError):
    """A duration string does not parse. The message says what was expected."""


def parse_duration_ms(text: object) -> int:
    """Parse a human duration into milliseconds, or raise :class:`DurationSyntaxError`."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise DurationSyntaxError(
            f"expected a duration such as 500ms, 90s, 15m or 1h30m, got {type(text).__name__}")
    if isinstance(text, int):
        raise DurationSyntaxError(f"duration {text} has no unit: write {text}s, {text}m or {text}ms")
    s = text.strip()
    if not s:
        raise DurationSyntaxError("empty duration: write e.g. 90s or 15m")
    if s.isdigit():
        raise DurationSyntaxError(f"duration {s!r} has no unit: write {s}s, {s}m or {s}ms")
    pos = 0
    total = 0
    last_rank = -1
    compact = re.sub(r"\s+", "", s)
    while pos < len(compact):
        m = _PART.match(compact, pos)
        if m is None:
            raise DurationSyntaxError(
                f"bad duration {text!r}: expected NUMBER+UNIT parts (units d, h, m, s, ms), e.g. 1h30m or 500ms")
        unit = m.group(2)
        rank = _UNIT_ORDER.index(unit)
        if rank <= last_rank:
            raise DurationSyntaxError(
                f"bad duration {text!r}: units must go from largest to smallest, each once (e.g. 1h30m)")
        last_rank = rank
        total += int(m.group(1)) * UNIT_MS[unit]
        pos = m.end()
    return total


def format_duration_ms(ms: int) -> str:
    """The canonical short form: 5400000 -> ``1h30m``; 0 -> ``0s``."""
    if ms == 0:
        return "0s"
    parts: list[str] = []
    rest = ms
    for unit in _UNIT_ORDER:
        n, rest = divmod(rest, UNIT_MS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


@dataclass(frozen=True, order=True)
class Duration:
    """A non-negative span of time, held in milliseconds."""

    ms: int

    @classmethod
    def parse(cls, text: object) -> Duration:
        return cls(parse_duration_ms(text))

    @property
    def seconds(self) -> float:
        return self.ms / 1000.0

    def __str__(self) -> str:
        return format_duration_ms(self.ms)
