"""The companion protocol's vocabulary: versions, names, and typed records (docs/companion-protocol.md).

Requests are built from dataclasses with ``to_json()`` (a dict ready for ``json.dumps``); a field
left at ``None`` is absent from the request, so the app applies the protocol's default. Answers
are read into dataclasses with ``from_json()``, which raises :class:`ValueError` (turned into
:class:`~harness.errors.CompanionResponseError` by the client) when the answer lacks a field
the protocol requires.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.errors import RpcErrorInfo

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
PROTOCOL_VERSION = (PROTOCOL_MAJOR, PROTOCOL_MINOR)

PACKAGE = "dev.harness.companion"
AUTHORITY = "dev.harness.companion.rpc"
URI = f"content://{AUTHORITY}"
JOURNAL_TAG = "HarnessJournal"

# An alarm task's PendingIntent action is this prefix + the whole task id (docs/companion-protocol.md,
# "params for alarm"); dumpsys alarm names the alarm by it: ``tag=*walarm*:ACTION`` / ``*alarm*:ACTION``.
ALARM_ACTION_PREFIX = "dev.harness.companion.action.ALARM."

# The Activity's intent extra naming a runtime permission to request (docs/companion-protocol.md, "The Activity").
EXTRA_REQUEST_PERMISSION = f"{PACKAGE}.REQUEST_PERMISSION"

EVENTS_LIMIT_MAX = 1000
EVENTS_LIMIT_DEFAULT = 200

__all__ = [
    "alarm_action", "ALARM_ACTION_PREFIX", "alarm_task_of_action", "AlarmMethod", "AlarmParams", "AlarmType",
    "AUTHORITY", "BackoffPolicy", "Behavior", "CancelResult", "CoroutineParams", "Event", "EventKind",
    "EventMechanism", "EventPage", "EVENTS_LIMIT_DEFAULT", "EVENTS_LIMIT_MAX", "EXTRA_REQUEST_PERMISSION",
    "ForegroundParams", "ForegroundType", "HelloInfo", "JobNetwork", "JobParams", "JOURNAL_TAG", "Mechanism",
    "Method", "ONE_TIME_UNIQUE_POLICIES", "OnStop", "Outcome", "OutOfQuota", "PACKAGE", "PERIODIC_UNIQUE_POLICIES",
    "protocol_field", "PROTOCOL_MAJOR", "PROTOCOL_MINOR", "REPEATING_ALARM_METHODS", "rpc_error_from_json",
    "RpcErrorCode", "RpcErrorInfo", "ScheduleResult", "StopReason", "Task", "TaskInfo", "TaskList", "TaskState",
    "UniquePolicy", "URI", "WorkKind", "WorkNetwork", "WorkParams",
]


def alarm_action(task_id: str) -> str:
    """The broadcast action of an alarm task's PendingIntent."""
    return ALARM_ACTION_PREFIX + task_id


def alarm_task_of_action(action: str | None) -> str | None:
    """The whole task id an alarm action names, or None for an action that is not the companion's."""
    if action is None or not action.startswith(ALARM_ACTION_PREFIX):
        return None
    return action[len(ALARM_ACTION_PREFIX):] or None


class Method(str, enum.Enum):
    HELLO = "hello"
    SCHEDULE = "schedule"
    CANCEL = "cancel"
    CANCEL_ALL = "cancel_all"
    LIST = "list"
    EVENTS = "events"
    CLEAR_EVENTS = "clear_events"
    CONFIGURE = "configure"


class RpcErrorCode(str, enum.Enum):
    BAD_JSON = "bad_json"
    UNKNOWN_METHOD = "unknown_method"
    PROTOCOL_MISMATCH = "protocol_mismatch"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    BAD_TYPE = "bad_type"
    BAD_VALUE = "bad_value"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_TASK = "unknown_task"
    DUPLICATE_TASK = "duplicate_task"
    NOT_SUPPORTED = "not_supported"
    PLATFORM_ERROR = "platform_error"


class Mechanism(str, enum.Enum):
    """What a task uses to run."""

    JOB = "job"
    WORK = "work"
    ALARM = "alarm"
    FOREGROUND = "foreground"
    COROUTINE = "coroutine"


class EventMechanism(str, enum.Enum):
    """The ``mechanism`` of a journal event: a task mechanism, or app/boot for app-level events."""

    JOB = "job"
    WORK = "work"
    ALARM = "alarm"
    FOREGROUND = "foreground"
    COROUTINE = "coroutine"
    APP = "app"
    BOOT = "boot"


class EventKind(str, enum.Enum):
    """Journal event kinds (docs/companion-protocol.md, "Kinds")."""

    SCHEDULED = "scheduled"
    SCHEDULE_FAILED = "schedule_failed"
    CANCELLED = "cancelled"
    STARTED = "started"
    WORK_STARTED = "work_started"
    FINISHED = "finished"
    STOPPED = "stopped"
    FOREGROUND = "foreground"
    FIRED = "fired"
    CRASHED = "crashed"
    PROCESS_START = "process_start"
    ACTIVITY = "activity"
    LOCKED_BOOT_COMPLETED = "locked_boot_completed"
    BOOT_COMPLETED = "boot_completed"
    PACKAGE_REPLACED = "package_replaced"
    TIME_SET = "time_set"


class StopReason(str, enum.Enum):
    """An event's ``stop_reason``: JobParameters.STOP_REASON_* and WorkInfo.STOP_REASON_* without prefix."""

    UNDEFINED = "UNDEFINED"
    CANCELLED_BY_APP = "CANCELLED_BY_APP"
    PREEMPT = "PREEMPT"
    TIMEOUT = "TIMEOUT"
    DEVICE_STATE = "DEVICE_STATE"
    CONSTRAINT_BATTERY_NOT_LOW = "CONSTRAINT_BATTERY_NOT_LOW"
    CONSTRAINT_CHARGING = "CONSTRAINT_CHARGING"
    CONSTRAINT_CONNECTIVITY = "CONSTRAINT_CONNECTIVITY"
    CONSTRAINT_DEVICE_IDLE = "CONSTRAINT_DEVICE_IDLE"
    CONSTRAINT_STORAGE_NOT_LOW = "CONSTRAINT_STORAGE_NOT_LOW"
    QUOTA = "QUOTA"
    BACKGROUND_RESTRICTION = "BACKGROUND_RESTRICTION"
    APP_STANDBY = "APP_STANDBY"
    USER = "USER"
    SYSTEM_PROCESSING = "SYSTEM_PROCESSING"
    ESTIMATED_APP_LAUNCH_TIME_CHANGED = "ESTIMATED_APP_LAUNCH_TIME_CHANGED"
    # WorkInfo only
    NOT_STOPPED = "NOT_STOPPED"
    UNKNOWN = "UNKNOWN"
    FOREGROUND_SERVICE_TIMEOUT = "FOREGROUND_SERVICE_TIMEOUT"


class TaskState(str, enum.Enum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Outcome(str, enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    RETRY = "retry"
    CRASH = "crash"  # the app crashes where the run would end (journals `crashed`, the process dies)


class OnStop(str, enum.Enum):
    RESCHEDULE = "reschedule"
    DROP = "drop"


class JobNetwork(str, enum.Enum):
    NONE = "none"
    ANY = "any"
    UNMETERED = "unmetered"
    NOT_ROAMING = "not_roaming"
    CELLULAR = "cellular"


class WorkNetwork(str, enum.Enum):
    NONE = "none"
    CONNECTED = "connected"
    UNMETERED = "unmetered"
    NOT_ROAMING = "not_roaming"
    METERED = "metered"


class BackoffPolicy(str, enum.Enum):
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


class WorkKind(str, enum.Enum):
    ONE_TIME = "one_time"
    PERIODIC = "periodic"


class OutOfQuota(str, enum.Enum):
    RUN_AS_NON_EXPEDITED = "run_as_non_expedited"
    DROP = "drop"


class UniquePolicy(str, enum.Enum):
    REPLACE = "replace"
    KEEP = "keep"
    APPEND = "append"
    APPEND_OR_REPLACE = "append_or_replace"
    UPDATE = "update"
    CANCEL_AND_REENQUEUE = "cancel_and_reenqueue"


# The unique_policy values each kind of work accepts (ExistingWorkPolicy / ExistingPeriodicWorkPolicy), in the
# order the app lists them when it refuses one.
ONE_TIME_UNIQUE_POLICIES = (UniquePolicy.REPLACE, UniquePolicy.KEEP, UniquePolicy.APPEND, UniquePolicy.APPEND_OR_REPLACE)
PERIODIC_UNIQUE_POLICIES = (UniquePolicy.KEEP, UniquePolicy.UPDATE, UniquePolicy.CANCEL_AND_REENQUEUE)


class AlarmType(str, enum.Enum):
    RTC = "rtc"
    RTC_WAKEUP = "rtc_wakeup"
    ELAPSED = "elapsed"
    ELAPSED_WAKEUP = "elapsed_wakeup"


class AlarmMethod(str, enum.Enum):
    SET = "set"
    SET_WINDOW = "set_window"
    SET_EXACT = "set_exact"
    SET_AND_ALLOW_WHILE_IDLE = "set_and_allow_while_idle"
    SET_EXACT_AND_ALLOW_WHILE_IDLE = "set_exact_and_allow_while_idle"
    SET_REPEATING = "set_repeating"
    SET_INEXACT_REPEATING = "set_inexact_repeating"
    SET_ALARM_CLOCK = "set_alarm_clock"


REPEATING_ALARM_METHODS = (AlarmMethod.SET_REPEATING, AlarmMethod.SET_INEXACT_REPEATING)


class ForegroundType(str, enum.Enum):
    DATA_SYNC = "dataSync"
    SHORT_SERVICE = "shortService"
    SPECIAL_USE = "specialUse"


def protocol_field() -> dict[str, int]:
    """The optional top-level ``protocol`` member every request may carry."""
    return {"major": PROTOCOL_MAJOR, "minor": PROTOCOL_MINOR}


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def present_fields(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """The request members that were set (``None`` means "absent: the app's default applies")."""
    return {k: _json_value(v) for k, v in pairs.items() if v is not None}


# ---------------------------------------------------------------------------- task requests

@dataclass(frozen=True)
class Behavior:
    """What the task does when it runs; ``None`` fields take the protocol defaults."""

    duration_ms: int | None = None
    outcomes: Sequence[Outcome] | None = None
    on_stop: OnStop | None = None

    def to_json(self) -> dict[str, Any]:
        return present_fields({"duration_ms": self.duration_ms, "outcomes": self.outcomes, "on_stop": self.on_stop})


@dataclass(frozen=True)
class JobParams:
    """JobInfo.Builder parameters of a ``job`` task."""

    job_id: int | None = None
    min_latency_ms: int | None = None
    override_deadline_ms: int | None = None
    periodic_ms: int | None = None
    flex_ms: int | None = None
    network: JobNetwork | None = None
    requires_charging: bool | None = None
    requires_device_idle: bool | None = None
    requires_battery_not_low: bool | None = None
    requires_storage_not_low: bool | None = None
    persisted: bool | None = None
    backoff_policy: BackoffPolicy | None = None
    backoff_initial_ms: int | None = None
    expedited: bool | None = None

    mechanism = Mechanism.JOB

    def to_json(self) -> dict[str, Any]:
        return present_fields(self.__dict__)


@dataclass(frozen=True)
class WorkParams:
    """WorkRequest parameters of a ``work`` task."""

    kind: WorkKind | None = None
    interval_ms: int | None = None
    flex_ms: int | None = None
    initial_delay_ms: int | None = None
    network: WorkNetwork | None = None
    requires_charging: bool | None = None
    requires_device_idle: bool | None = None
    requires_battery_not_low: bool | None = None
    requires_storage_not_low: bool | None = None
    backoff_policy: BackoffPolicy | None = None
    backoff_delay_ms: int | None = None
    expedited: bool | None = None
    out_of_quota: OutOfQuota | None = None
    unique_name: str | None = None
    unique_policy: UniquePolicy | None = None
    after: Sequence[str] | None = None
    foreground: bool | None = None
    tags: Sequence[str] | None = None

    mechanism = Mechanism.WORK

    def to_json(self) -> dict[str, Any]:
        return present_fields(self.__dict__)


@dataclass(frozen=True)
class AlarmParams:
    """AlarmManager parameters of an ``alarm`` task (``trigger_in_ms`` is required)."""

    trigger_in_ms: int
    type: AlarmType | None = None
    method: AlarmMethod | None = None
    window_ms: int | None = None
    interval_ms: int | None = None

    mechanism = Mechanism.ALARM

    def to_json(self) -> dict[str, Any]:
        return present_fields(self.__dict__)


@dataclass(frozen=True)
class ForegroundParams:
    type: ForegroundType | None = None

    mechanism = Mechanism.FOREGROUND

    def to_json(self) -> dict[str, Any]:
        return present_fields({"type": self.type})


@dataclass(frozen=True)
class CoroutineParams:
    mechanism = Mechanism.COROUTINE

    def to_json(self) -> dict[str, Any]:
        return {}


TaskParams = JobParams | WorkParams | AlarmParams | ForegroundParams | CoroutineParams


@dataclass(frozen=True)
class Task:
    """One ``schedule`` request. The mechanism follows from the type of ``params``.

    The id is sent as given: the app is the authority on what it accepts (it answers
    ``bad_value`` for ``task.id``), and the client quotes it so it arrives byte for byte.
    """

    id: str
    params: TaskParams
    behavior: Behavior = field(default_factory=Behavior)

    @property
    def mechanism(self) -> Mechanism:
        return self.params.mechanism

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mechanism": self.mechanism.value,
            "params": self.params.to_json(),
            "behavior": self.behavior.to_json(),
        }


# ---------------------------------------------------------------------------- answers

def _get(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    if not isinstance(d, Mapping) or key not in d:
        raise ValueError(f"missing field {where}{key!r}")
    value = d[key]
    if kind is int and isinstance(value, bool):
        raise ValueError(f"field {where}{key!r} is not an integer: {value!r}")
    if not isinstance(value, kind):
        raise ValueError(f"field {where}{key!r} has type {type(value).__name__}: {value!r}")
    return value


def _opt(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = d.get(key, default) if isinstance(d, Mapping) else default
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"field {key!r} has type {type(value).__name__}: {value!r}")
    return value


def rpc_error_from_json(answer: Mapping[str, Any]) -> RpcErrorInfo:
    """The RpcErrorInfo of a ``{"ok": false, "error": {...}}`` answer."""
    err = _get(answer, "error", Mapping)
    code = _get(err, "code", str, "error.")
    message = _opt(err, "message", str, "") or ""
    fld = _opt(err, "field", str)
    extra = {k: v for k, v in err.items() if k not in ("code", "message", "field")}
    return RpcErrorInfo(code=code, message=message, field=fld, extra=extra)


@dataclass(frozen=True)
class AppInfo:
    package: str
    version_name: str
    version_code: int
    target_sdk: int


@dataclass(frozen=True)
class DeviceInfo:
    api: int
    boot_count: int
    elapsed_ms: int
    wall_ms: int


@dataclass(frozen=True)
class Permissions:
    schedule_exact_alarm: bool
    use_exact_alarm: bool
    can_schedule_exact_alarms: bool
    post_notifications: bool


@dataclass(frozen=True)
class HelloInfo:
    """The ``hello`` answer."""

    protocol: tuple[int, int]
    app: AppInfo
    device: DeviceInfo
    permissions: Permissions
    ignoring_battery_optimizations: bool
    standby_bucket: int | None
    journal_last_seq: int
    config: dict[str, Any]

    @property
    def protocol_text(self) -> str:
        return f"{self.protocol[0]}.{self.protocol[1]}"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "HelloInfo":
        proto = _get(d, "protocol", Mapping)
        app = _get(d, "app", Mapping)
        dev = _get(d, "device", Mapping)
        perms = _opt(d, "permissions", Mapping, {})
        batt = _opt(d, "battery_optimization", Mapping, {})
        journal = _opt(d, "journal", Mapping, {})
        return cls(
            protocol=(_get(proto, "major", int, "protocol."), _get(proto, "minor", int, "protocol.")),
            app=AppInfo(
                package=_get(app, "package", str, "app."),
                version_name=_opt(app, "version_name", str, ""),
                version_code=_opt(app, "version_code", int, 0),
                target_sdk=_opt(app, "target_sdk", int, 0),
            ),
            device=DeviceInfo(
                api=_get(dev, "api", int, "device."),
                boot_count=_opt(dev, "boot_count", int, 0),
                elapsed_ms=_opt(dev, "elapsed_ms", int, 0),
                wall_ms=_opt(dev, "wall_ms", int, 0),
            ),
            permissions=Permissions(
                schedule_exact_alarm=bool(_opt(perms, "schedule_exact_alarm", bool, False)),
                use_exact_alarm=bool(_opt(perms, "use_exact_alarm", bool, False)),
                can_schedule_exact_alarms=bool(_opt(perms, "can_schedule_exact_alarms", bool, False)),
                post_notifications=bool(_opt(perms, "post_notifications", bool, False)),
            ),
            ignoring_battery_optimizations=bool(_opt(batt, "ignoring", bool, False)),
            standby_bucket=_opt(d, "standby_bucket", int),
            journal_last_seq=_opt(journal, "last_seq", int, 0),
            config=dict(_opt(d, "config", Mapping, {})),
        )


@dataclass(frozen=True)
class ScheduleResult:
    task_id: str
    platform: dict[str, Any]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ScheduleResult":
        return cls(_get(d, "task_id", str), dict(_opt(d, "platform", Mapping, {})))


@dataclass(frozen=True)
class CancelResult:
    task_id: str
    was: TaskState

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "CancelResult":
        return cls(_get(d, "task_id", str), TaskState(_get(d, "was", str)))


@dataclass(frozen=True)
class TaskInfo:
    task_id: str
    mechanism: Mechanism
    state: TaskState
    platform: dict[str, Any]
    runs: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TaskInfo":
        return cls(
            task_id=_get(d, "task_id", str),
            mechanism=Mechanism(_get(d, "mechanism", str)),
            state=TaskState(_get(d, "state", str)),
            platform=dict(_opt(d, "platform", Mapping, {})),
            runs=_opt(d, "runs", int, 0),
        )


@dataclass(frozen=True)
class TaskList:
    tasks: list[TaskInfo]
    pending_jobs: list[int]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TaskList":
        tasks = _get(d, "tasks", list)
        pending = _opt(d, "pending_jobs", list, [])
        if not all(isinstance(j, int) and not isinstance(j, bool) for j in pending):
            raise ValueError(f"field 'pending_jobs' holds a non-integer: {pending!r}")
        return cls([TaskInfo.from_json(t) for t in tasks], list(pending))

    def get(self, task_id: str) -> TaskInfo | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)


@dataclass(frozen=True)
class Event:
    """One journal event (the same JSON in the ``events`` answer and on logcat)."""

    seq: int
    boot: int
    elapsed_ms: int
    wall_ms: int
    task_id: str | None
    mechanism: EventMechanism
    kind: str
    thread: str
    stop_reason: str | None
    detail: dict[str, Any]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Event":
        return cls(
            seq=_get(d, "seq", int),
            boot=_get(d, "boot", int),
            elapsed_ms=_get(d, "elapsed_ms", int),
            wall_ms=_get(d, "wall_ms", int),
            task_id=_opt(d, "task_id", str),
            mechanism=EventMechanism(_get(d, "mechanism", str)),
            kind=_get(d, "kind", str),
            thread=_opt(d, "thread", str, ""),
            stop_reason=_opt(d, "stop_reason", str),
            detail=dict(_opt(d, "detail", Mapping, {})),
        )


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    last_seq: int
    more: bool

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "EventPage":
        events = [Event.from_json(e) for e in _get(d, "events", list)]
        return cls(events, _get(d, "last_seq", int), bool(_opt(d, "more", bool, False)))
