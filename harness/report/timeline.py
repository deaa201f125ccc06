"""The SVG timeline of one spec: journal events on a device-time axis, with device-state lanes.

Device time is ``(boot, elapsedRealtime)``; a reboot restarts elapsedRealtime, so each boot gets
its own segment of the axis, in the order the boots appear, separated by a marked gap. Lanes are
step functions built from state samples (a sample holds until the next one). Events sit in one
row per task (plus a row for app/boot events); each mark carries a ``<title>`` with the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from harness.runner.result import DevicePoint, SpecResult, StateSample, format_event

WIDTH = 960
LEFT = 150  # room for row labels
RIGHT = 20
ROW_H = 22
AXIS_H = 28
BOOT_GAP_FRACTION = 0.04

# lane name -> (label, sample attribute, value -> (css class, text))
LANES: list[tuple[str, str]] = [
    ("screen", "Screen"),
    ("doze", "Doze"),
    ("network", "Network"),
    ("charging", "Charging"),
    ("process", "Process alive"),
]

EVENT_CLASS = {
    "scheduled": "ev-scheduled",
    "started": "ev-started",
    "work_started": "ev-started",
    "finished": "ev-finished",
    "fired": "ev-fired",
    "stopped": "ev-stopped",
    "cancelled": "ev-stopped",
    "schedule_failed": "ev-failed",
    "process_start": "ev-app",
    "activity": "ev-app",
}


def lane_value(lane: str, s: StateSample) -> tuple[str, str] | None:
    """(css class, text) of a lane at a sample, or None when the sample does not know it."""
    if lane == "screen" and s.screen_on is not None:
        return ("on", "on") if s.screen_on else ("off", "off")
    if lane == "doze" and s.doze is not None:
        text = s.doze if not s.light_doze or s.light_doze == "ACTIVE" else f"{s.doze} / light {s.light_doze}"
        return ("off" if s.doze == "ACTIVE" and (s.light_doze in (None, "ACTIVE")) else "warn", text)
    if lane == "network" and s.network is not None:
        return ("off", "none") if s.network == "none" else ("on", s.network)
    if lane == "charging" and s.charging is not None:
        return ("on", "charging") if s.charging else ("off", "on battery")
    if lane == "process" and s.process_alive is not None:
        return ("on", "alive") if s.process_alive else ("off", "dead")
    return None


@dataclass
class Axis:
    """Maps device points to x pixels; one segment per boot."""

    segments: list[tuple[int, int, int, float]]  # (boot, min_ms, max_ms, x_offset_units)
    total_units: float

    @classmethod
    def build(cls, points: list[DevicePoint]) -> "Axis":
        order: list[int] = []
        lo: dict[int, int] = {}
        hi: dict[int, int] = {}
        for p in points:
            if p.boot not in lo:
                order.append(p.boot)
                lo[p.boot] = hi[p.boot] = p.elapsed_ms
            lo[p.boot] = min(lo[p.boot], p.elapsed_ms)
            hi[p.boot] = max(hi[p.boot], p.elapsed_ms)
        spans = {b: max(1, hi[b] - lo[b]) for b in order}
        total_span = sum(spans.values()) or 1
        gap = total_span * BOOT_GAP_FRACTION if len(order) > 1 else 0.0
        segments = []
        offset = 0.0
        for b in order:
            segments.append((b, lo[b], hi[b], offset))
            offset += spans[b] + gap
        total = max(1.0, offset - gap) if order else 1.0
        return cls(segments, total)

    def x(self, p: DevicePoint) -> float:
        for boot, lo, _hi, off in self.segments:
            if boot == p.boot:
                units = off + (p.elapsed_ms - lo)
                return LEFT + (WIDTH - LEFT - RIGHT) * units / self.total_units
        return float(LEFT)

    def segment_end_x(self, boot: int) -> float:
        """x of the end of ``boot``'s segment (the last boot's reaches the right edge)."""
        for i, (b, _lo, hi, _off) in enumerate(self.segments):
            if b == boot:
                return float(WIDTH - RIGHT) if i == len(self.segments) - 1 else self.x(DevicePoint(b, hi))
        return float(WIDTH - RIGHT)


def _point(event: dict[str, Any]) -> DevicePoint | None:
    boot, ms = event.get("boot"), event.get("elapsed_ms")
    if isinstance(boot, int) and isinstance(ms, int):
        return DevicePoint(boot, ms)
    return None


def _fmt_ms(ms: int) -> str:
    if ms >= 3_600_000:
        return f"{ms / 3_600_000:.2f}h"
    if ms >= 60_000:
        return f"{ms / 60_000:.1f}min"
    return f"{ms / 1000:.1f}s"


def render_timeline(result: SpecResult) -> str:
    """The ``<svg>`` element for one spec (empty-state text when nothing was recorded)."""
    points: list[DevicePoint] = [s.at for s in result.samples]
    for st in result.steps:
        points.extend(p for p in (st.start, st.end) if p is not None)
    ev_points = [(e, _point(e)) for e in result.events]
    points.extend(p for _e, p in ev_points if p is not None)
    if not points:
        return '<svg class="timeline" width="%d" height="40" role="img" aria-label="timeline">' \
               '<text x="10" y="24">no device time recorded</text></svg>' % WIDTH
    axis = Axis.build(points)

    rows: list[str] = []  # task rows, in first-seen order
    for e, _p in ev_points:
        key = e.get("task_id") or f"({e.get('mechanism', 'app')})"
        if key not in rows:
            rows.append(key)
    lane_rows = [(k, label) for k, label in LANES if any(lane_value(k, s) for s in result.samples)]
    n_rows = len(lane_rows) + len(rows) + 1  # +1 for the steps row
    height = AXIS_H + ROW_H * n_rows + 10
    out: list[str] = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="timeline of {escape(result.name)}">'
    ]
    # axis with boot segments and ticks
    y_axis = height - AXIS_H + 4
    out.append(f'<line class="axis" x1="{LEFT}" y1="{y_axis}" x2="{WIDTH - RIGHT}" y2="{y_axis}"/>')
    for boot, lo, hi, _off in axis.segments:
        x0, x1 = axis.x(DevicePoint(boot, lo)), axis.x(DevicePoint(boot, hi))
        out.append(f'<text class="tick" x="{x0:.1f}" y="{y_axis + 14}">boot {boot} {_fmt_ms(lo)}</text>')
        if x1 - x0 > 120:
            out.append(f'<text class="tick" x="{x1:.1f}" y="{y_axis + 14}" text-anchor="end">{_fmt_ms(hi)}</text>')
        if len(axis.segments) > 1:
            out.append(f'<line class="boot" x1="{x0:.1f}" y1="4" x2="{x0:.1f}" y2="{y_axis}"/>')

    y = 4
    # state lanes
    samples = sorted(result.samples, key=lambda s: axis.x(s.at))
    for key, label in lane_rows:
        out.append(f'<g class="lane" data-lane="{key}"><text class="label" x="4" y="{y + 15}">{escape(label)}</text>')
        known = []
        for smp in samples:  # keep only changes: a value holds until the next different one (or a new boot)
            v = lane_value(key, smp)
            if v is None:
                continue
            if known and known[-1][1] == v and known[-1][0].at.boot == smp.at.boot:
                continue
            known.append((smp, v))
        for i, (s, v) in enumerate(known):
            assert v is not None
            x0 = axis.x(s.at)
            nxt = known[i + 1][0] if i + 1 < len(known) else None
            x1 = axis.x(nxt.at) if nxt is not None and nxt.at.boot == s.at.boot else axis.segment_end_x(s.at.boot)
            w = max(1.5, x1 - x0)
            out.append(
                f'<rect class="st-{v[0]}" x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}">'
                f'<title>{escape(label)}: {escape(v[1])} at boot {s.at.boot} {_fmt_ms(s.at.elapsed_ms)}</title></rect>'
            )
            if w > 8 * len(v[1]):
                out.append(f'<text class="lane-text" x="{x0 + 3:.1f}" y="{y + 15}">{escape(v[1])}</text>')
        out.append("</g>")
        y += ROW_H
    # steps row
    out.append(f'<g class="steps"><text class="label" x="4" y="{y + 15}">Steps</text>')
    for st in result.steps:
        if st.start is None:
            continue
        x0 = axis.x(st.start)
        cls = "step-failed" if st.status.value in ("failed", "error") else "step"
        out.append(
            f'<line class="{cls}" x1="{x0:.1f}" y1="{y + 2}" x2="{x0:.1f}" y2="{y_axis}"/>'
            f'<circle class="{cls}" cx="{x0:.1f}" cy="{y + 11}" r="4"><title>step {st.index + 1}: '
            f'{escape(st.description)} ({st.status.value})</title></circle>'
        )
    out.append("</g>")
    y += ROW_H
    # event rows
    for key in rows:
        out.append(f'<g class="events" data-task="{escape(key)}"><text class="label" x="4" y="{y + 15}">{escape(key)}</text>')
        for e, p in ev_points:
            if p is None or (e.get("task_id") or f"({e.get('mechanism', 'app')})") != key:
                continue
            x = axis.x(p)
            cls = EVENT_CLASS.get(str(e.get("kind")), "ev-other")
            out.append(
                f'<rect class="event {cls}" x="{x - 3:.1f}" y="{y + 5}" width="6" height="{ROW_H - 10}">'
                f'<title>{escape(format_event(e))}</title></rect>'
            )
        out.append("</g>")
        y += ROW_H
    out.append("</svg>")
    return "".join(out)
