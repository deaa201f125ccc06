"""Typed records of a run: what each spec did, what the device did, and the verdict.

Everything here is plain data (dataclasses and enums) that serialises to JSON for
``results.json`` and feeds the HTML report. Times come in two kinds:

- ``*_ms`` on the *device* clock: ``SystemClock.elapsedRealtime()`` of the boot ``boot``,
  the clock the companion journal stamps events with. Timelines are drawn on it.
- ``host_*_s`` on the host's monotonic clock, relative to the start of the spec: how long the
  harness itself took (what ``bench/`` measures).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"  # the harness or the device broke; says nothing about the app


class StepStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"  # an expectation did not hold
    ERROR = "error"  # the step could not be carried out
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class DevicePoint:
    """A point in device time: boot count and elapsedRealtime in that boot."""

    boot: int
    elapsed_ms: int

    def to_json(self) -> dict[str, int]:
        return {"boot": self.boot, "elapsed_ms": self.elapsed_ms}


@dataclass
class StepRecord:
    index: int
    kind: str
    description: str
    line: int | None = None
    status: StepStatus = StepStatus.NOT_RUN
    start: DevicePoint | None = None
    end: DevicePoint | None = None
    host_start_s: float = 0.0
    host_end_s: float = 0.0
    round_trips: int = 0
    message: str = ""

    @property
    def host_duration_s(self) -> float:
        return max(0.0, self.host_end_s - self.host_start_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "description": self.description,
            "line": self.line,
            "status": self.status.value,
            "start": self.start.to_json() if self.start else None,
            "end": self.end.to_json() if self.end else None,
            "host_start_s": round(self.host_start_s, 6),
            "host_duration_s": round(self.host_duration_s, 6),
            "round_trips": self.round_trips,
            "message": self.message,
        }


@dataclass
class StateSample:
    """Device state at one moment, for the report's lanes. ``None`` means "not known here"."""

    at: DevicePoint
    screen_on: bool | None = None
    doze: str | None = None  # deep idle state name (ACTIVE, IDLE, ...)
    light_doze: str | None = None
    network: str | None = None  # none / wifi / cellular
    charging: bool | None = None
    battery_saver: bool | None = None
    battery_level: int | None = None
    process_alive: bool | None = None
    standby_bucket: str | None = None
    source: str = ""  # "vdev state" or the controls that read it

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.to_json()
        return d


@dataclass
class FailureDetail:
    """Why a spec failed: what it expected, what happened instead, and the events around it."""

    expectation: str  # the expectation as the spec wrote it, in words
    expected: str
    actual: str
    line: int | None = None
    step_index: int | None = None
    around: list[dict[str, Any]] = field(default_factory=list)  # journal events near the point

    def render(self, path: str | None = None) -> str:
        where = f"{path}:{self.line}: " if path and self.line else (f"line {self.line}: " if self.line else "")
        lines = [f"{where}{self.expectation}", f"  expected: {self.expected}", f"  actual:   {self.actual}"]
        if self.around:
            lines.append("  events around it:")
            lines.extend("    " + format_event(e) for e in self.around)
        else:
            lines.append("  events around it: (none in the journal)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def format_event(event: dict[str, Any]) -> str:
    """One journal event as a short line: ``#12 boot 1 +65.000s job/sync started (thread main)``."""
    seq = event.get("seq", "?")
    boot = event.get("boot", "?")
    ms = event.get("elapsed_ms")
    at = f"{ms / 1000:.3f}s" if isinstance(ms, int) else "?"
    task = event.get("task_id") or "-"
    text = f"#{seq} boot {boot} {at} {event.get('mechanism', '?')}/{task} {event.get('kind', '?')}"
    extras = []
    if event.get("stop_reason"):
        extras.append(f"stop_reason {event['stop_reason']}")
    if event.get("thread"):
        extras.append(f"thread {event['thread']}")
    detail = event.get("detail") or {}
    for key in ("reason", "cause", "result", "outcome", "run", "run_attempt", "delay_ms", "state", "exception"):
        if key in detail and detail[key] is not None:
            extras.append(f"{key} {detail[key]}")
    return text + (f" ({', '.join(extras)})" if extras else "")


@dataclass
class SpecResult:
    name: str
    path: str
    line: int
    verdict: Verdict = Verdict.ERROR
    reason: str = ""  # skip reason, error message, or the first failure in one line
    device: str = ""
    api_level: int | None = None
    virtual: bool = False
    host_duration_s: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    samples: list[StateSample] = field(default_factory=list)
    failures: list[FailureDetail] = field(default_factory=list)
    round_trips: int = 0
    restore_problems: list[str] = field(default_factory=list)
    restored: bool | None = None  # True: restore ran, nothing left; False: see restore_problems; None: not needed

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def failure_text(self) -> str:
        if self.failures:
            return "\n".join(f.render(self.path) for f in self.failures)
        return self.reason

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "device": self.device,
            "api_level": self.api_level,
            "virtual": self.virtual,
            "host_duration_s": round(self.host_duration_s, 6),
            "round_trips": self.round_trips,
            "steps": [s.to_json() for s in self.steps],
            "events": self.events,
            "samples": [s.to_json() for s in self.samples],
            "failures": [f.to_json() for f in self.failures],
            "restore_problems": self.restore_problems,
            "restored": self.restored,
        }


@dataclass
class RunResult:
    """A whole run: every spec's result, in order, and whether the run finished."""

    specs: list[SpecResult] = field(default_factory=list)
    device: str = ""
    virtual: bool = False
    started_wall: float = 0.0
    host_duration_s: float = 0.0
    interrupted: bool = False
    harness_version: str = ""

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for s in self.specs:
            out[s.verdict.value] += 1
        return out

    @property
    def all_passed(self) -> bool:
        return all(s.verdict in (Verdict.PASSED, Verdict.SKIPPED) for s in self.specs)

    def to_json(self) -> dict[str, Any]:
        return {
            "harness_version": self.harness_version,
            "device": self.device,
            "virtual": self.virtual,
            "started_wall": self.started_wall,
            "host_duration_s": round(self.host_duration_s, 6),
            "interrupted": self.interrupted,
            "counts": self.counts(),
            "specs": [s.to_json() for s in self.specs],
        }
