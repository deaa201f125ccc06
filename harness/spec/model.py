"""The typed model of a behavior spec: what the loader builds and the runner executes.

Every object carries the :class:`SourceMark` of the YAML node it came from, so the runner can report
a failed step or expectation as ``file:line``. The model is immutable (frozen dataclasses) and holds
durations as :class:`~harness.spec.durations.Duration`; :meth:`TaskSpec.to_protocol` converts a
task to the companion's ``schedule`` argument (``*_ms`` fields, docs/companion-protocol.md).

The YAML format is described in docs/spec-format.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from harness.companion.protocol import (  # the companion protocol's vocabulary, used by specs as is
    ONE_TIME_UNIQUE_POLICIES,
    PERIODIC_UNIQUE_POLICIES,
    REPEATING_ALARM_METHODS,
    AlarmMethod,
    AlarmType,
    BackoffPolicy,
    EventKind,
    EventMechanism,
    ForegroundType,
    JobNetwork,
    Mechanism,
    OnStop,
    OutOfQuota,
    Outcome,
    StopReason,
    UniquePolicy,
    WorkKind,
    WorkNetwork,
    present_fields,
)
from harness.spec.durations import Duration


# ---------------------------------------------------------------- source marks

@dataclass(frozen=True)
class SourceMark:
    """Where a node starts in its file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_MARK = SourceMark("<unknown>", 0, 0)


# ---------------------------------------------------------------- enums

class ThreadKind(enum.Enum):
    """Where a callback ran: the main thread, or any other thread."""

    MAIN = "main"
    NOT_MAIN = "not_main"


class DozeMode(enum.Enum):
    """``doze:`` step values (``dumpsys deviceidle force-idle [deep|light]``, ``step [deep|light]``, ``unforce``)."""

    DEEP = "deep"
    LIGHT = "light"
    STEP = "step"
    STEP_LIGHT = "step_light"
    EXIT = "exit"


class Bucket(enum.Enum):
    """Buckets settable with ``am set-standby-bucket``."""

    ACTIVE = "active"
    WORKING_SET = "working_set"
    FREQUENT = "frequent"
    RARE = "rare"
    RESTRICTED = "restricted"


class NetworkSetting(enum.Enum):
    WIFI = "wifi"
    CELLULAR = "cellular"
    NONE = "none"


class ExactAlarmAction(enum.Enum):
    GRANT = "grant"
    REVOKE = "revoke"


class AnchorKind(enum.Enum):
    START = "start"     # the first step begins (after setup)
    END = "end"         # the last step has finished
    STEP = "step"       # a step, by name or 1-based number
    EVENT = "event"     # a journal event matching a selector


class Edge(enum.Enum):
    """Which moment of a step an anchor means."""

    START = "start"
    END = "end"


# ---------------------------------------------------------------- protocol members

class ProtocolFields:
    """A record whose fields map one to one onto companion protocol members (``to_protocol``)."""

    def to_protocol(self) -> dict[str, Any]:
        """The fields that are set, in declaration order: a Duration becomes ``NAME_ms``; enums and
        sequences convert as the companion protocol's own requests do."""
        members: dict[str, Any] = {}
        for name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if isinstance(value, Duration):
                name, value = name + "_ms", value.ms
            members[name] = value
        return present_fields(members)


# ---------------------------------------------------------------- requirements and setup

@dataclass(frozen=True, kw_only=True)
class Requirements:
    """``requires:``. A device that does not meet them makes the runner skip the spec, not fail it."""

    api_min: int | None = None
    api_max: int | None = None
    mechanisms: tuple[Mechanism, ...] = ()
    fast_forward: bool = False   # the spec may force time (run_job): results say nothing about natural timing
    virtual_only: bool = False   # only meaningful on the virtual device (uses vdev-only controls)
    real_only: bool = False      # only meaningful on a real device or emulator
    mark: SourceMark = NO_MARK

    def allows_api(self, api: int) -> bool:
        return (self.api_min is None or api >= self.api_min) and (self.api_max is None or api <= self.api_max)


@dataclass(frozen=True, kw_only=True)
class BatterySetting:
    level: int | None = None      # 0-100
    charging: bool | None = None
    saver: bool | None = None


@dataclass(frozen=True, kw_only=True)
class CompanionConfig(ProtocolFields):
    reregister_alarms_on_boot: bool | None = None


@dataclass(frozen=True, kw_only=True)
class Setup:
    """``setup:``: the device and app state the steps start from. Everything set is restored afterwards.

    ``None`` means "leave as the device has it". The runner always cancels the companion's tasks and
    clears its journal before the steps (``reset``), unless ``reset: false``.
    """

    reset: bool = True
    launch: bool = False                      # start with the app in the foreground
    battery: BatterySetting | None = None
    network: NetworkSetting | None = None
    airplane: bool | None = None
    metered: bool | None = None
    screen_on: bool | None = None
    standby_bucket: Bucket | None = None
    exact_alarm: ExactAlarmAction | None = None
    configure: CompanionConfig | None = None
    mark: SourceMark = NO_MARK


# ---------------------------------------------------------------- tasks

@dataclass(frozen=True, kw_only=True)
class Behavior(ProtocolFields):
    duration: Duration | None = None
    outcomes: tuple[Outcome, ...] | None = None
    on_stop: OnStop | None = None


@dataclass(frozen=True, kw_only=True)
class JobParams(ProtocolFields):
    job_id: int | None = None
    min_latency: Duration | None = None
    override_deadline: Duration | None = None
    periodic: Duration | None = None
    flex: Duration | None = None
    network: JobNetwork | None = None
    requires_charging: bool | None = None
    requires_device_idle: bool | None = None
    requires_battery_not_low: bool | None = None
    requires_storage_not_low: bool | None = None
    persisted: bool | None = None
    backoff_policy: BackoffPolicy | None = None
    backoff_initial: Duration | None = None
    expedited: bool | None = None


@dataclass(frozen=True, kw_only=True)
class WorkParams(ProtocolFields):
    kind: WorkKind | None = None
    interval: Duration | None = None
    flex: Duration | None = None
    initial_delay: Duration | None = None
    network: WorkNetwork | None = None
    requires_charging: bool | None = None
    requires_device_idle: bool | None = None
    requires_battery_not_low: bool | None = None
    requires_storage_not_low: bool | None = None
    backoff_policy: BackoffPolicy | None = None
    backoff_delay: Duration | None = None
    expedited: bool | None = None
    out_of_quota: OutOfQuota | None = None
    unique_name: str | None = None
    unique_policy: UniquePolicy | None = None
    after: tuple[str, ...] | None = None
    foreground: bool | None = None
    tags: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class AlarmParams(ProtocolFields):
    trigger_in: Duration
    type: AlarmType | None = None
    method: AlarmMethod | None = None
    window: Duration | None = None
    interval: Duration | None = None


@dataclass(frozen=True, kw_only=True)
class ForegroundParams(ProtocolFields):
    type: ForegroundType | None = None


@dataclass(frozen=True, kw_only=True)
class CoroutineParams(ProtocolFields):
    """A coroutine task has no parameters."""


TaskParams = Union[JobParams, WorkParams, AlarmParams, ForegroundParams, CoroutineParams]


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """One task to schedule (the companion's TASK)."""

    id: str
    mechanism: Mechanism
    params: TaskParams
    behavior: Behavior = field(default_factory=Behavior)
    mark: SourceMark = NO_MARK

    def to_protocol(self) -> dict[str, Any]:
        """The ``task`` of the companion's ``schedule`` argument; absent fields take the app's defaults."""
        out: dict[str, Any] = {"id": self.id, "mechanism": self.mechanism.value,
                               "params": self.params.to_protocol()}
        behavior = self.behavior.to_protocol()
        if behavior:
            out["behavior"] = behavior
        return out


# ---------------------------------------------------------------- event selectors

def detail_matches(want: Any, got: Any) -> bool:
    """A selector's ``detail`` value against an event's: a mapping matches a mapping that has every
    key it names with a matching value (recursively, so ``{previous_exit: {reason: X}}`` ignores the
    exit's other fields); any other value, a list included, must be equal as a whole."""
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(k in got and detail_matches(v, got[k]) for k, v in want.items())
    return bool(want == got)


@dataclass(frozen=True, kw_only=True)
class EventSelector:
    """Which journal events a step or expectation means; every field given must match."""

    task: str | None = None
    mechanism: EventMechanism | None = None
    kind: EventKind | None = None
    stop_reason: StopReason | None = None
    thread: ThreadKind | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    mark: SourceMark = NO_MARK

    def matches(self, event: Mapping[str, Any]) -> bool:
        """True if a journal event (the protocol's EVENT JSON) matches."""
        if self.task is not None and event.get("task_id") != self.task:
            return False
        if self.mechanism is not None and event.get("mechanism") != self.mechanism.value:
            return False
        if self.kind is not None and event.get("kind") != self.kind.value:
            return False
        if self.stop_reason is not None and event.get("stop_reason") != self.stop_reason.value:
            return False
        if self.thread is not None:
            on_main = event.get("thread") == "main"
            if on_main != (self.thread is ThreadKind.MAIN):
                return False
        if self.detail and not detail_matches(self.detail, event.get("detail") or {}):
            return False
        return True

    def describe(self) -> str:
        parts: list[str] = []
        if self.task is not None:
            parts.append(f"task {self.task}")
        if self.mechanism is not None:
            parts.append(f"mechanism {self.mechanism.value}")
        if self.kind is not None:
            parts.append(f"kind {self.kind.value}")
        if self.stop_reason is not None:
            parts.append(f"stop_reason {self.stop_reason.value}")
        if self.thread is not None:
            parts.append(f"thread {self.thread.value}")
        for key, value in self.detail.items():
            parts.append(f"detail.{key}={value!r}")
        return ", ".join(parts) or "any event"


# ---------------------------------------------------------------- anchors and windows

@dataclass(frozen=True, kw_only=True)
class Anchor:
    """A point in a run: spec start/end, a step's start or end, or the Nth matching event."""

    kind: AnchorKind
    step: str | int | None = None        # STEP: a step name, or a 1-based step number
    edge: Edge = Edge.START              # STEP: which moment of the step (windows: start unless ``at: end``)
    event: EventSelector | None = None   # EVENT
    occurrence: int = 1                  # EVENT: 1 = first match, -1 = last match
    mark: SourceMark = NO_MARK

    def describe(self) -> str:
        if self.kind is AnchorKind.STEP:
            ref = f"step {self.step}" if isinstance(self.step, int) else repr(self.step)
            return f"{self.edge.value} of {ref}"
        if self.kind is AnchorKind.EVENT:
            assert self.event is not None
            which = "last" if self.occurrence == -1 else f"#{self.occurrence}"
            return f"{which} event ({self.event.describe()})"
        return f"spec {self.kind.value}"


SPEC_START = Anchor(kind=AnchorKind.START)
SPEC_END = Anchor(kind=AnchorKind.END)


@dataclass(frozen=True, kw_only=True)
class Window:
    """The span an expectation looks at: from ``start`` to ``end``, cut to ``within`` after ``start``.

    ``start`` defaults to the spec start, ``end`` to the spec end. With ``within``, events count only
    if they happen at most ``within`` after ``start`` (and before ``end`` if one is given).
    """

    start: Anchor = SPEC_START
    end: Anchor = SPEC_END
    within: Duration | None = None
    mark: SourceMark = NO_MARK

    def describe(self) -> str:
        text = f"after {self.start.describe()}"
        if self.within is not None:
            text = f"within {self.within} " + text
        if self.end.kind is not AnchorKind.END:
            text += f", before {self.end.describe()}"
        return text


WHOLE_RUN = Window()


# ---------------------------------------------------------------- steps

@dataclass(frozen=True, kw_only=True)
class Step:
    """Base of every step. ``number`` is 1-based, ``name`` the optional anchor name."""

    number: int
    name: str | None = None
    mark: SourceMark = NO_MARK

    # the YAML key of the step type, e.g. "schedule"
    KEY: str = field(default="", init=False, repr=False, compare=False)

    @property
    def label(self) -> str:
        suffix = f" ({self.name})" if self.name else ""
        return f"step {self.number}: {self.KEY}{suffix}"


@dataclass(frozen=True, kw_only=True)
class ScheduleStep(Step):
    task: TaskSpec
    KEY: str = field(default="schedule", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class CancelStep(Step):
    task_id: str
    KEY: str = field(default="cancel", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class CancelAllStep(Step):
    KEY: str = field(default="cancel_all", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class LaunchStep(Step):
    """Start the companion's Activity (brings it to the foreground)."""

    KEY: str = field(default="launch", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class HomeStep(Step):
    """Press HOME: the app goes to the background, its process stays."""

    KEY: str = field(default="home", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class SwipeFromRecentsStep(Step):
    KEY: str = field(default="swipe_from_recents", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class KillStep(Step):
    """Kill the app's process as the low-memory killer would (``am kill`` after going home)."""

    KEY: str = field(default="kill", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ForceStopStep(Step):
    KEY: str = field(default="force_stop", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class RebootStep(Step):
    KEY: str = field(default="reboot", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class DozeStep(Step):
    mode: DozeMode
    KEY: str = field(default="doze", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class StandbyBucketStep(Step):
    bucket: Bucket
    KEY: str = field(default="standby_bucket", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class BatteryStep(Step):
    battery: BatterySetting
    KEY: str = field(default="battery", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class NetworkStep(Step):
    network: NetworkSetting
    KEY: str = field(default="network", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class AirplaneStep(Step):
    on: bool
    KEY: str = field(default="airplane", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class MeteredStep(Step):
    metered: bool
    KEY: str = field(default="metered", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ScreenStep(Step):
    on: bool
    KEY: str = field(default="screen", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ExactAlarmStep(Step):
    action: ExactAlarmAction
    KEY: str = field(default="exact_alarm", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ConfigureStep(Step):
    config: CompanionConfig
    KEY: str = field(default="configure", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class WaitStep(Step):
    """Let device time pass: ``duration``; or until an event matches ``until``, at most ``timeout``.

    With ``until``, a matching event journalled since the start of the step before the wait (or of
    the step ``since`` names: an earlier step or the wait itself) satisfies it, so an event the
    previous step already caused ends the wait at once. ``timeout`` counts from the wait's own
    start; reaching it fails the spec (the expectations are still checked and reported).
    """

    duration: Duration | None = None
    until: EventSelector | None = None
    timeout: Duration | None = None
    since: str | int | None = None  # with ``until``: a step name or number; None = the step before
    since_mark: SourceMark = NO_MARK
    KEY: str = field(default="wait", init=False, repr=False, compare=False)

    @property
    def bound(self) -> Duration:
        """The longest this step may take (device time)."""
        value = self.duration if self.until is None else self.timeout
        assert value is not None
        return value


@dataclass(frozen=True, kw_only=True)
class RunJobStep(Step):
    """Force a job to run now (``cmd jobscheduler run -f``); needs ``requires: {fast_forward: true}``."""

    task_id: str
    KEY: str = field(default="run_job", init=False, repr=False, compare=False)


# ---------------------------------------------------------------- screen steps (uiautomator2, harness/ui)

@dataclass(frozen=True, kw_only=True)
class CheckNotificationStep(Step):
    """Open the notification shade and check a notification of the app (or the alarm-clock icon).

    ``task_id``: the companion's notification for that running foreground service / foreground
    work ("Running task ID" / "Running work ID"); ``text``/``title``: substrings of a notification
    of the app; ``alarm``: SystemUI's alarm-clock indicator. ``present: false`` checks absence.
    """

    task_id: str | None = None
    text: str | None = None
    title: str | None = None
    alarm: bool = False
    present: bool = True
    KEY: str = field(default="check_notification", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ToggleExactAlarmSettingStep(Step):
    """Turn the app's Settings switch "Alarms & reminders" on or off (API 31+)."""

    allowed: bool
    KEY: str = field(default="toggle_exact_alarm_setting", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class AcceptNotificationPermissionStep(Step):
    """The app asks for POST_NOTIFICATIONS; tap Allow in the prompt (API 33+; a no-op below)."""

    KEY: str = field(default="accept_notification_permission", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class AllowIgnoreBatteryOptimizationsStep(Step):
    """Open "Let app always run in background?" for the app and tap Allow (power-save allowlist)."""

    KEY: str = field(default="allow_ignore_battery_optimizations", init=False, repr=False, compare=False)


STEP_TYPES: dict[str, type[Step]] = {
    cls.KEY: cls for cls in (  # type: ignore[misc]
        ScheduleStep, CancelStep, CancelAllStep, LaunchStep, HomeStep, SwipeFromRecentsStep, KillStep,
        ForceStopStep, RebootStep, DozeStep, StandbyBucketStep, BatteryStep, NetworkStep, AirplaneStep,
        MeteredStep, ScreenStep, ExactAlarmStep, ConfigureStep, WaitStep, RunJobStep,
        CheckNotificationStep, ToggleExactAlarmSettingStep, AcceptNotificationPermissionStep,
        AllowIgnoreBatteryOptimizationsStep)
}
SCREEN_STEPS: tuple[type[Step], ...] = (SwipeFromRecentsStep, CheckNotificationStep, ToggleExactAlarmSettingStep,
                                        AcceptNotificationPermissionStep, AllowIgnoreBatteryOptimizationsStep)


# ---------------------------------------------------------------- expectations

@dataclass(frozen=True, kw_only=True)
class Expectation:
    """Base of every expectation. ``number`` is 1-based; ``name`` an optional label for reports."""

    number: int
    name: str | None = None
    window: Window = WHOLE_RUN
    mark: SourceMark = NO_MARK

    KEY: str = field(default="", init=False, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.name or f"expectation {self.number}: {self.KEY}"


@dataclass(frozen=True, kw_only=True)
class HappensExpectation(Expectation):
    """At least one matching event in the window."""

    selector: EventSelector
    KEY: str = field(default="happens", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class NeverExpectation(Expectation):
    """No matching event in the window."""

    selector: EventSelector
    KEY: str = field(default="never", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class CountExpectation(Expectation):
    """The number of matching events in the window is ``exactly`` N, or within ``at_least``..``at_most``."""

    selector: EventSelector
    exactly: int | None = None
    at_least: int | None = None
    at_most: int | None = None
    KEY: str = field(default="count", init=False, repr=False, compare=False)

    def accepts(self, n: int) -> bool:
        if self.exactly is not None:
            return n == self.exactly
        return (self.at_least is None or n >= self.at_least) and (self.at_most is None or n <= self.at_most)


@dataclass(frozen=True, kw_only=True)
class OrderExpectation(Expectation):
    """Events matching each selector occur in this order (a subsequence of the journal, by ``seq``)."""

    selectors: tuple[EventSelector, ...]
    KEY: str = field(default="order", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class ThreadExpectation(Expectation):
    """At least one event matches ``of`` in the window, and every one ran on ``thread``."""

    thread: ThreadKind
    of: EventSelector
    KEY: str = field(default="thread", init=False, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class StopReasonExpectation(Expectation):
    """At least one event matches ``of`` (kind defaults to ``stopped``), and every one has ``reason``."""

    reason: StopReason
    of: EventSelector
    KEY: str = field(default="stop_reason", init=False, repr=False, compare=False)


class StateCheck(enum.Enum):
    """Platform state the runner reads from dumpsys."""

    JOB_PENDING = "job_pending"              # dumpsys jobscheduler: the task's job is pending
    ALARM_REGISTERED = "alarm_registered"    # dumpsys alarm: the task's alarm is registered
    PROCESS_RUNNING = "process_running"      # the app's process is alive
    APP_STOPPED = "app_stopped"              # dumpsys package: the app is in the stopped state
    STANDBY_BUCKET = "standby_bucket"        # am get-standby-bucket


TASK_STATE_CHECKS = frozenset({StateCheck.JOB_PENDING, StateCheck.ALARM_REGISTERED})


@dataclass(frozen=True, kw_only=True)
class StateExpectation(Expectation):
    """Platform state at ``at`` (the spec end, or right after a step): ``check`` equals ``value``.

    ``value`` is a bool for every check but STANDBY_BUCKET, where it is a :class:`Bucket`.
    ``task`` names the task for JOB_PENDING and ALARM_REGISTERED. ``window`` is unused.
    """

    check: StateCheck
    value: bool | Bucket
    task: str | None = None
    at: Anchor = SPEC_END
    KEY: str = field(default="state", init=False, repr=False, compare=False)


EXPECTATION_TYPES: dict[str, type[Expectation]] = {
    cls.KEY: cls for cls in (  # type: ignore[misc]
        HappensExpectation, NeverExpectation, CountExpectation, OrderExpectation, ThreadExpectation,
        StopReasonExpectation, StateExpectation)
}


# ---------------------------------------------------------------- the spec

@dataclass(frozen=True, kw_only=True)
class Spec:
    name: str
    path: Path
    line: int
    description: str = ""
    requires: Requirements = field(default_factory=Requirements)
    setup: Setup = field(default_factory=Setup)
    steps: tuple[Step, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    mark: SourceMark = NO_MARK

    @property
    def tasks(self) -> dict[str, TaskSpec]:
        """Every task the steps schedule, by id."""
        return {s.task.id: s.task for s in self.steps if isinstance(s, ScheduleStep)}

    def step(self, ref: str | int) -> Step:
        """A step by name or 1-based number; KeyError if none (the loader has checked references)."""
        if isinstance(ref, int):
            if 1 <= ref <= len(self.steps):
                return self.steps[ref - 1]
            raise KeyError(ref)
        for s in self.steps:
            if s.name == ref:
                return s
        raise KeyError(ref)

    def wait_since(self, step: WaitStep) -> int:
        """The step from whose start a wait-until counts matching events: its number, or 0 (the spec start).

        ``since`` names one. Default: the step before the wait; when that is an action (not a wait), the
        first of the actions directly before the wait (back to the previous wait, or the spec start: 0),
        so a wait counts what any of the steps since the previous wait caused.
        """
        if step.since is not None:
            return self.step(step.since).number
        number = step.number - 1  # 0: the wait is the first step
        if number >= 1 and not isinstance(self.steps[number - 1], WaitStep):
            while number > 1 and not isinstance(self.steps[number - 2], WaitStep):
                number -= 1
        return number

    @property
    def max_device_time(self) -> Duration:
        """The sum of every wait's bound: how much device time the steps may take at most."""
        return Duration(sum(s.bound.ms for s in self.steps if isinstance(s, WaitStep)))
