"""JobInfo / JobStatus as JobScheduler sees them, with the platform's constants and validation.

Sources (docs/fidelity.md, section "JobScheduler, WorkManager, companion"):
  * android.app.job.JobInfo: MIN_PERIOD_MILLIS 15 min, MIN_FLEX_MILLIS 5 min, flex is at least 5 %
    of the interval (getFlexMillis), MIN_BACKOFF_MILLIS 10 s, MAX_BACKOFF_DELAY_MILLIS 5 h,
    DEFAULT_INITIAL_BACKOFF_MILLIS 30 s, DEFAULT_BACKOFF_POLICY exponential, the expedited-job
    rules of enforceValidity();
  * android.app.job.JobParameters: STOP_REASON_* codes;
  * com.android.server.job.controllers.JobStatus: CONSTRAINT_* bits and their dump names, the
    earliest/latest run times of a new job and of a periodic job.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from harness.companion import protocol

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS

MIN_PERIOD_MILLIS = 15 * MINUTE_MS
MIN_FLEX_MILLIS = 5 * MINUTE_MS
FLEX_PERCENT_OF_PERIOD = 5
MIN_BACKOFF_MILLIS = 10_000
MAX_BACKOFF_DELAY_MILLIS = 5 * HOUR_MS
DEFAULT_INITIAL_BACKOFF_MILLIS = 30_000

NO_LATEST_RUNTIME = 2**63 - 1  # Long.MAX_VALUE
NO_EARLIEST_RUNTIME = 0


class NetworkType(enum.IntEnum):
    """JobInfo.NETWORK_TYPE_*."""

    NONE = 0
    ANY = 1
    UNMETERED = 2
    NOT_ROAMING = 3
    CELLULAR = 4


class BackoffPolicy(enum.IntEnum):
    """JobInfo.BACKOFF_POLICY_*."""

    LINEAR = 0
    EXPONENTIAL = 1


# The JobInfo.Builder values the companion passes for the protocol's names (one table each).
NETWORK_TYPES: dict[protocol.JobNetwork, NetworkType] = {
    protocol.JobNetwork.NONE: NetworkType.NONE, protocol.JobNetwork.ANY: NetworkType.ANY,
    protocol.JobNetwork.UNMETERED: NetworkType.UNMETERED, protocol.JobNetwork.NOT_ROAMING: NetworkType.NOT_ROAMING,
    protocol.JobNetwork.CELLULAR: NetworkType.CELLULAR}
BACKOFF_POLICIES: dict[protocol.BackoffPolicy, BackoffPolicy] = {
    protocol.BackoffPolicy.LINEAR: BackoffPolicy.LINEAR, protocol.BackoffPolicy.EXPONENTIAL: BackoffPolicy.EXPONENTIAL}
# androidx.work.NetworkType (the protocol's work network names) as JobInfo network types
# (SystemJobInfoConverter.convertNetworkType).
JOB_NETWORK_OF_WORK: dict[protocol.WorkNetwork, NetworkType] = {
    protocol.WorkNetwork.NONE: NetworkType.NONE, protocol.WorkNetwork.CONNECTED: NetworkType.ANY,
    protocol.WorkNetwork.UNMETERED: NetworkType.UNMETERED, protocol.WorkNetwork.NOT_ROAMING: NetworkType.NOT_ROAMING,
    protocol.WorkNetwork.METERED: NetworkType.CELLULAR}


class StopReason(enum.IntEnum):
    """JobParameters.STOP_REASON_* (API 31+); WorkInfo.STOP_REASON_* uses the same codes."""

    UNDEFINED = 0
    CANCELLED_BY_APP = 1
    PREEMPT = 2
    TIMEOUT = 3
    DEVICE_STATE = 4
    CONSTRAINT_BATTERY_NOT_LOW = 5
    CONSTRAINT_CHARGING = 6
    CONSTRAINT_CONNECTIVITY = 7
    CONSTRAINT_DEVICE_IDLE = 8
    CONSTRAINT_STORAGE_NOT_LOW = 9
    QUOTA = 10
    BACKGROUND_RESTRICTION = 11
    APP_STANDBY = 12
    USER = 13
    SYSTEM_PROCESSING = 14
    ESTIMATED_APP_LAUNCH_TIME_CHANGED = 15


class Constraint(enum.IntFlag):
    """JobStatus.CONSTRAINT_* bits (the order of JobStatus.dumpConstraints)."""

    CHARGING = 1 << 0
    BATTERY_NOT_LOW = 1 << 1
    IDLE = 1 << 2
    STORAGE_NOT_LOW = 1 << 3
    BACKGROUND_NOT_RESTRICTED = 1 << 22
    PREFETCH = 1 << 23
    WITHIN_QUOTA = 1 << 24
    DEVICE_NOT_DOZING = 1 << 25
    CONTENT_TRIGGER = 1 << 26
    CONNECTIVITY = 1 << 28
    DEADLINE = 1 << 30
    TIMING_DELAY = 1 << 31


# JobStatus.dumpConstraints prints the names in this order, then " [0x<hex>]".
_DUMP_ORDER = (Constraint.CHARGING, Constraint.BATTERY_NOT_LOW, Constraint.STORAGE_NOT_LOW,
               Constraint.TIMING_DELAY, Constraint.DEADLINE, Constraint.IDLE, Constraint.CONNECTIVITY,
               Constraint.CONTENT_TRIGGER, Constraint.DEVICE_NOT_DOZING,
               Constraint.BACKGROUND_NOT_RESTRICTED, Constraint.PREFETCH, Constraint.WITHIN_QUOTA)


def dump_constraints(bits: int) -> str:
    """The text JobStatus.dumpConstraints appends (each name preceded by a space)."""
    out = "".join(f" {c.name}" for c in _DUMP_ORDER if bits & c)
    if bits:
        out += f" [0x{bits & 0xFFFFFFFF:x}]"
    return out


class InvalidJob(ValueError):
    """IllegalArgumentException from JobInfo.Builder.build() / JobScheduler.schedule()."""

    exception = "java.lang.IllegalArgumentException"


@dataclass
class JobInfo:
    """What an app hands to JobScheduler.schedule() (JobInfo.Builder's fields)."""

    job_id: int
    service: str  # flattened short component, e.g. "dev.harness.companion/.HarnessJobService"
    min_latency_ms: int = 0
    override_deadline_ms: int | None = None
    periodic_ms: int | None = None
    flex_ms: int | None = None
    network: NetworkType = NetworkType.NONE
    requires_charging: bool = False
    requires_device_idle: bool = False
    requires_battery_not_low: bool = False
    requires_storage_not_low: bool = False
    persisted: bool = False
    backoff_policy: BackoffPolicy = BackoffPolicy.EXPONENTIAL
    backoff_initial_ms: int = DEFAULT_INITIAL_BACKOFF_MILLIS
    expedited: bool = False
    important_while_foreground: bool = False
    backoff_set: bool = False  # setBackoffCriteria was called
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_periodic(self) -> bool:
        return self.periodic_ms is not None

    @property
    def interval_ms(self) -> int:
        """JobInfo.getIntervalMillis: at least MIN_PERIOD_MILLIS."""
        return max(self.periodic_ms or 0, MIN_PERIOD_MILLIS) if self.is_periodic else 0

    @property
    def effective_flex_ms(self) -> int:
        """JobInfo.getFlexMillis: at least max(5 % of the interval, MIN_FLEX_MILLIS), at most the interval."""
        if not self.is_periodic:
            return 0
        interval = self.interval_ms
        flex = self.flex_ms if self.flex_ms is not None else interval
        floor = max(interval * FLEX_PERCENT_OF_PERIOD // 100, MIN_FLEX_MILLIS)
        return min(max(flex, floor), interval)

    @property
    def has_early_constraint(self) -> bool:
        return self.min_latency_ms > 0 or self.is_periodic

    @property
    def has_late_constraint(self) -> bool:
        return self.override_deadline_ms is not None or self.is_periodic

    @property
    def package(self) -> str:
        return self.service.split("/", 1)[0]

    def constraint_bits(self) -> int:
        """JobStatus.requiredConstraints for this JobInfo."""
        bits = 0
        if self.requires_charging:
            bits |= Constraint.CHARGING
        if self.requires_battery_not_low:
            bits |= Constraint.BATTERY_NOT_LOW
        if self.requires_storage_not_low:
            bits |= Constraint.STORAGE_NOT_LOW
        if self.requires_device_idle:
            bits |= Constraint.IDLE
        if self.network != NetworkType.NONE:
            bits |= Constraint.CONNECTIVITY
        if self.has_early_constraint:
            bits |= Constraint.TIMING_DELAY
        if self.has_late_constraint:
            bits |= Constraint.DEADLINE
        return bits

    def validate(self, api: int) -> None:
        """JobInfo.Builder.build() / enforceValidity(): raise InvalidJob like the platform."""
        if self.is_periodic and (self.min_latency_ms > 0 or self.override_deadline_ms is not None):
            what = "setMinimumLatency" if self.min_latency_ms > 0 else "setOverrideDeadline"
            raise InvalidJob(f"Can't call {what}() on a periodic job.")
        if self.backoff_initial_ms < 0:
            raise InvalidJob("Backoff delay must be >= 0")
        if self.requires_device_idle and self.backoff_set:
            raise InvalidJob("An idle mode job will not respect any back-off policy, so calling"
                             " setBackoffCriteria with setRequiresDeviceIdle is an error.")
        if self.expedited:
            if api < 31:
                raise InvalidJob("setExpedited needs API 31")
            if self.min_latency_ms > 0:
                raise InvalidJob("An expedited job cannot have a time delay")
            if self.override_deadline_ms is not None:
                raise InvalidJob("An expedited job cannot have a deadline")
            if self.is_periodic:
                raise InvalidJob("An expedited job cannot be periodic")
            if self.requires_charging or self.requires_device_idle or self.requires_battery_not_low:
                raise InvalidJob("An expedited job can only have network and storage-not-low constraints")


def backoff_delay_ms(policy: BackoffPolicy, initial_ms: int, attempts: int) -> int:
    """JobSchedulerService.getRescheduleJobForFailureLocked: the delay before retry ``attempts`` (>= 1).

    The initial backoff is raised to MIN_BACKOFF_MILLIS (the min_linear/min_exp_backoff_time_ms
    constants default to it); linear = initial * attempts, exponential = initial * 2^(attempts-1);
    both capped at MAX_BACKOFF_DELAY_MILLIS.
    """
    base = max(initial_ms, MIN_BACKOFF_MILLIS)
    attempts = max(1, attempts)
    if policy == BackoffPolicy.LINEAR:
        delay = base * attempts
    else:
        delay = base * (2 ** min(attempts - 1, 40))
    return min(delay, MAX_BACKOFF_DELAY_MILLIS)


class JobState(enum.Enum):
    WAITING = "waiting"
    PENDING = "pending"
    ACTIVE = "active"


@dataclass
class JobStatus:
    """One scheduled job (JobStatus): the JobInfo plus run times, failures and state."""

    info: JobInfo
    package: str
    uid: int
    ident: int  # stands in for System.identityHashCode in dumps
    enqueue_elapsed_ms: int
    earliest_ms: int = NO_EARLIEST_RUNTIME  # elapsed; 0 = no delay
    latest_ms: int = NO_LATEST_RUNTIME  # elapsed; NO_LATEST_RUNTIME = no deadline
    original_latest_ms: int = NO_LATEST_RUNTIME
    num_failures: int = 0
    state: JobState = JobState.WAITING
    override: int = 0  # JobStatus.OVERRIDE_* set by `cmd jobscheduler run`
    foreground_exemption: bool = False  # INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION
    last_successful_wall_ms: int = 0
    last_failed_wall_ms: int = 0
    satisfied: int = 0  # last evaluated constraint bits (for dumps)

    @property
    def job_id(self) -> int:
        return self.info.job_id

    @property
    def has_deadline(self) -> bool:
        return self.latest_ms != NO_LATEST_RUNTIME

    @property
    def has_delay(self) -> bool:
        return self.earliest_ms != NO_EARLIEST_RUNTIME

    def required_bits(self) -> int:
        bits = self.info.constraint_bits()
        if not self.has_delay:
            bits &= ~Constraint.TIMING_DELAY
        if not self.has_deadline:
            bits &= ~Constraint.DEADLINE
        if self.has_delay:
            bits |= Constraint.TIMING_DELAY
        if self.has_deadline:
            bits |= Constraint.DEADLINE
        return bits


def new_job_times(info: JobInfo, now_elapsed: int) -> tuple[int, int]:
    """JobStatus.createFromJobInfo: (earliest, latest) for a freshly scheduled job."""
    if info.is_periodic:
        latest = now_elapsed + info.interval_ms
        return latest - info.effective_flex_ms, latest
    earliest = now_elapsed + info.min_latency_ms if info.min_latency_ms > 0 else NO_EARLIEST_RUNTIME
    latest = (now_elapsed + info.override_deadline_ms if info.override_deadline_ms is not None
              else NO_LATEST_RUNTIME)
    return earliest, latest


def next_periodic_times(info: JobInfo, original_latest: int, now_elapsed: int) -> tuple[int, int]:
    """JobSchedulerService.getRescheduleJobForPeriodic (simplified to whole windows).

    A periodic job that finished inside its window gets the next window, one period later; one
    that ran late (after its window closed) gets the first window that ends after now.
    """
    period = info.interval_ms
    flex = info.effective_flex_ms
    if now_elapsed <= original_latest:
        latest = original_latest + period
    else:
        skipped = (now_elapsed - original_latest) // period + 1
        latest = original_latest + period * skipped
    return latest - flex, latest
