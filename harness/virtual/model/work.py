"""WorkManager as the library behaves inside the companion's process, on top of JobScheduler.

Sources (androidx/androidx work/work-runtime, docs/fidelity.md):
  * WorkRequest: MIN_BACKOFF_MILLIS 10 s, MAX_BACKOFF_MILLIS 5 h, DEFAULT_BACKOFF_DELAY_MILLIS 30 s;
    PeriodicWorkRequest MIN_PERIODIC_INTERVAL_MILLIS 15 min, MIN_PERIODIC_FLEX_MILLIS 5 min;
    WorkSpec.setPeriodic / setBackoffDelayDuration clamp to them;
  * WorkSpec.calculateNextRunTime: backoff linear = delay * attempts, exponential =
    delay * 2^(attempts-1), capped at 5 h; periodic: first run at enqueue + initial delay
    (+ interval - flex when a flex is set), later runs one interval after the previous one ended;
  * SystemJobInfoConverter: every WorkSpec becomes a JobInfo for SystemJobService with its own
    id (IdGenerator), NOT periodic and NOT persisted, setMinimumLatency(nextRunTime - now) when in
    the future, setImportantWhileForeground when not delayed (API 29+), setExpedited only for a
    first, undelayed attempt (API 31+), no backoff criteria with requires-device-idle;
  * WorkerWrapper: runAttemptCount is incremented when a run starts; success/failure of periodic
    work both schedule the next period; retry goes back to ENQUEUED with backoff;
  * SystemJobService.onStopJob: a stopped worker returns to ENQUEUED and the job asks to be
    rescheduled; a worker that called setForeground keeps running in the foreground service;
  * ForceStopRunnable / RescheduleReceiver: jobs are not persisted, so after a reboot or a
    force-stop WorkManager schedules everything again the next time the process starts;
  * Schedulers.schedule hands every schedulable WorkSpec to SystemJobScheduler and, while the
    app's process lives, to GreedyScheduler (work_greedy.py), which runs due work in-process;
    Processor runs one WorkSpec once: the second starter only attaches (SystemJobService keeps its
    job until the work ends, then jobFinished), and every scheduler cancels the work's job when it
    finished (Schedulers' execution listener).
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from harness.companion.protocol import OutOfQuota, UniquePolicy, WorkNetwork
from harness.virtual.model.job_info import (
    JOB_NETWORK_OF_WORK,
    MINUTE_MS,
    BackoffPolicy,
    InvalidJob,
    JobInfo,
    StopReason,
)
from harness.virtual.model.jobs import RESULT_SUCCESS, JobParams, JobSchedulerError
from harness.virtual.model.packages import COMPANION_PACKAGE
from harness.virtual.model.subsystem import Subsystem
from harness.virtual.model.work_greedy import GreedyScheduler

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

MIN_BACKOFF_MILLIS = 10_000
MAX_BACKOFF_MILLIS = 5 * 60 * MINUTE_MS
DEFAULT_BACKOFF_DELAY_MILLIS = 30_000
MIN_PERIODIC_INTERVAL_MILLIS = 15 * MINUTE_MS
MIN_PERIODIC_FLEX_MILLIS = 5 * MINUTE_MS

SYSTEM_JOB_SERVICE = f"{COMPANION_PACKAGE}/androidx.work.impl.background.systemjob.SystemJobService"
EXTRA_WORK_SPEC_ID = "EXTRA_WORK_SPEC_ID"


class WorkState(enum.Enum):
    ENQUEUED = "ENQUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    BLOCKED = "BLOCKED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in (WorkState.SUCCEEDED, WorkState.FAILED, WorkState.CANCELLED)


@dataclass
class WorkRequest:
    periodic: bool = False
    interval_ms: int = 0
    flex_ms: int = 0
    initial_delay_ms: int = 0
    network: WorkNetwork = WorkNetwork.NONE
    requires_charging: bool = False
    requires_device_idle: bool = False
    requires_battery_not_low: bool = False
    requires_storage_not_low: bool = False
    backoff_policy: BackoffPolicy = BackoffPolicy.EXPONENTIAL
    backoff_delay_ms: int = DEFAULT_BACKOFF_DELAY_MILLIS
    expedited: bool = False
    out_of_quota: OutOfQuota = OutOfQuota.RUN_AS_NON_EXPEDITED
    tags: tuple[str, ...] = ()
    foreground: bool = False
    owner: str = ""  # the companion task id


@dataclass
class WorkSpec:
    id: str
    request: WorkRequest
    interval_ms: int
    flex_ms: int
    backoff_delay_ms: int
    state: WorkState = WorkState.ENQUEUED
    run_attempt_count: int = 0
    period_count: int = 0
    last_enqueue_wall_ms: int = 0
    job_id: int | None = None
    prerequisites: list[str] = field(default_factory=list)
    unique_name: str | None = None
    stop_reason: int = -256  # WorkInfo.STOP_REASON_NOT_STOPPED
    generation: int = 0
    in_foreground: bool = False

    @property
    def is_periodic(self) -> bool:
        return self.request.periodic

    @property
    def is_backed_off(self) -> bool:
        return self.state == WorkState.ENQUEUED and self.run_attempt_count > 0

    def next_run_wall_ms(self) -> int:
        """WorkSpec.calculateNextRunTime."""
        if self.is_backed_off:
            if self.request.backoff_policy == BackoffPolicy.LINEAR:
                delay = self.backoff_delay_ms * self.run_attempt_count
            else:
                delay = self.backoff_delay_ms * 2 ** min(self.run_attempt_count - 1, 40)
            return self.last_enqueue_wall_ms + min(delay, MAX_BACKOFF_MILLIS)
        if self.is_periodic:
            if self.period_count == 0:
                schedule = self.last_enqueue_wall_ms + self.request.initial_delay_ms
                if self.flex_ms != self.interval_ms:
                    schedule += self.interval_ms - self.flex_ms
                return schedule
            return self.last_enqueue_wall_ms + self.interval_ms
        return self.last_enqueue_wall_ms + self.request.initial_delay_ms


class WorkExecutor(Protocol):
    """The app's Worker code (the companion's CoroutineWorker)."""

    def start_work(self, spec: WorkSpec, run_attempt: int) -> None: ...

    def stop_work(self, spec: WorkSpec, reason: StopReason) -> None: ...


@dataclass
class EnqueueResult:
    spec: WorkSpec | None  # None: the request was dropped (KEEP of an unfinished unique work)
    replaced: list[str] = field(default_factory=list)  # work ids cancelled by REPLACE
    updated: str | None = None  # work id updated in place (periodic UPDATE)


class WorkManager(Subsystem):
    package = COMPANION_PACKAGE

    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self.specs: dict[str, WorkSpec] = {}
        self.unique: dict[str, list[str]] = {}
        self.executor: WorkExecutor | None = None
        self.running_params: dict[str, JobParams] = {}
        self._next_job_id = 0  # IdGenerator's NEXT_JOB_SCHEDULER_ID_KEY starts at 0
        self.greedy = GreedyScheduler(self)
        model.jobs.register_service(SYSTEM_JOB_SERVICE, self)

    def hold(self) -> Any:
        """Defer in-process (greedy) starts until the app call that enqueued the work returned."""
        return self.greedy.hold()

    # ------------------------------------------------------------------ enqueue
    def _new_id(self) -> str:
        return str(uuid.UUID(int=self.model.random.getrandbits(128), version=4))

    def build_spec(self, req: WorkRequest) -> WorkSpec:
        if req.periodic:
            interval = max(req.interval_ms, MIN_PERIODIC_INTERVAL_MILLIS)
            flex = req.flex_ms if req.flex_ms > 0 else interval
            flex = min(max(flex, MIN_PERIODIC_FLEX_MILLIS), interval)
        else:
            interval = flex = 0
        backoff = min(max(req.backoff_delay_ms, MIN_BACKOFF_MILLIS), MAX_BACKOFF_MILLIS)
        return WorkSpec(self._new_id(), req, interval, flex, backoff,
                        last_enqueue_wall_ms=self.model.clock.wall_ms)

    def enqueue(self, req: WorkRequest, after: list[str] | None = None, unique_name: str | None = None,
                policy: UniquePolicy | None = None) -> EnqueueResult:
        """WorkManager.enqueue / beginWith(...).then(...) / enqueueUnique(Periodic)Work.

        EnqueueRunnable: the existing-work policy applies only to named work that starts a chain
        (no prerequisites). APPEND / APPEND_OR_REPLACE make the new work a child of every leaf of
        the name (work of that name no other work depends on); APPEND_OR_REPLACE starts afresh
        when a leaf failed or was cancelled. KEEP drops the request while unfinished work of the
        name exists; otherwise (and for REPLACE) the name's unfinished work is cancelled and all its
        records leave the name."""
        result = EnqueueResult(None)
        prereqs = list(after or [])
        if unique_name is not None and not prereqs:
            policy = policy or UniquePolicy.KEEP
            existing = [self.specs[i] for i in self.unique.get(unique_name, []) if i in self.specs]
            unfinished = [s for s in existing if not s.state.finished]
            if unfinished and policy == UniquePolicy.KEEP:
                return result
            if policy == UniquePolicy.UPDATE and unfinished:
                target = unfinished[0]
                self._update_in_place(target, req)
                result.spec = target
                result.updated = target.id
                return result
            if policy in (UniquePolicy.APPEND, UniquePolicy.APPEND_OR_REPLACE) and existing:
                leaves = [s for s in existing if not any(s.id in o.prerequisites for o in self.specs.values())]
                broken = any(s.state in (WorkState.FAILED, WorkState.CANCELLED) for s in leaves)
                if policy == UniquePolicy.APPEND_OR_REPLACE and broken:
                    self.unique[unique_name] = []
                else:
                    prereqs.extend(s.id for s in leaves)
            elif existing:  # KEEP with nothing unfinished, REPLACE, CANCEL_AND_REENQUEUE, UPDATE
                for s in unfinished:
                    self.cancel(s.id, StopReason.CANCELLED_BY_APP)
                    result.replaced.append(s.id)
                self.unique[unique_name] = []
        spec = self.build_spec(req)
        spec.prerequisites = prereqs
        spec.unique_name = unique_name
        self.specs[spec.id] = spec
        if unique_name is not None:
            self.unique.setdefault(unique_name, []).append(spec.id)
        result.spec = spec
        self.model.trace("work_enqueued", work_id=spec.id, owner=req.owner, periodic=req.periodic)
        self._resolve_prerequisites(spec)
        if spec.state == WorkState.ENQUEUED:
            self._schedule(spec)
        return result

    def _update_in_place(self, spec: WorkSpec, req: WorkRequest) -> None:
        fresh = self.build_spec(req)
        spec.request = req
        spec.interval_ms, spec.flex_ms, spec.backoff_delay_ms = fresh.interval_ms, fresh.flex_ms, fresh.backoff_delay_ms
        spec.generation += 1
        self.model.trace("work_updated", work_id=spec.id, owner=req.owner, generation=spec.generation)
        if spec.state == WorkState.ENQUEUED:
            self._schedule(spec)

    def _resolve_prerequisites(self, spec: WorkSpec) -> None:
        states = [self.specs[p].state for p in spec.prerequisites if p in self.specs]
        if any(s == WorkState.CANCELLED for s in states):
            spec.state = WorkState.CANCELLED
        elif any(s == WorkState.FAILED for s in states):
            spec.state = WorkState.FAILED
        elif all(s == WorkState.SUCCEEDED for s in states):
            spec.state = WorkState.ENQUEUED
        else:
            spec.state = WorkState.BLOCKED

    # ------------------------------------------------------------------ scheduling (SystemJobScheduler)
    def to_job_info(self, spec: WorkSpec, allow_expedited: bool = True) -> JobInfo:
        """SystemJobInfoConverter.convert (``allow_expedited`` False: the non-expedited fallback)."""
        req = spec.request
        api = self.model.api
        offset = max(spec.next_run_wall_ms() - self.model.clock.wall_ms, 0)
        if spec.job_id is None:
            spec.job_id = self._next_job_id
            self._next_job_id += 1
        info = JobInfo(job_id=spec.job_id, service=SYSTEM_JOB_SERVICE, network=JOB_NETWORK_OF_WORK[req.network],
                       requires_charging=req.requires_charging, requires_device_idle=req.requires_device_idle,
                       requires_battery_not_low=req.requires_battery_not_low and api >= 26,
                       requires_storage_not_low=req.requires_storage_not_low and api >= 26,
                       persisted=False, extras={EXTRA_WORK_SPEC_ID: spec.id, "EXTRA_IS_PERIODIC": spec.is_periodic})
        if not req.requires_device_idle:
            info.backoff_policy = req.backoff_policy
            info.backoff_initial_ms = spec.backoff_delay_ms
            info.backoff_set = True
        if api <= 28 or offset > 0:
            info.min_latency_ms = offset
        elif not req.expedited:
            info.important_while_foreground = True
        if api >= 31 and req.expedited and allow_expedited and spec.run_attempt_count == 0 and offset == 0:
            info.expedited = True
        return info

    def _schedule(self, spec: WorkSpec) -> None:
        """Schedulers.schedule for one WorkSpec: SystemJobScheduler, then GreedyScheduler."""
        self._system_schedule(spec)
        self.greedy.schedule([spec])

    def _greedy_schedule_all(self) -> None:
        """Schedulers.schedule after an execution: GreedyScheduler gets every ENQUEUED WorkSpec."""
        self.greedy.schedule(sorted((s for s in self.specs.values() if s.state == WorkState.ENQUEUED),
                                    key=lambda s: s.last_enqueue_wall_ms))

    def _system_schedule(self, spec: WorkSpec, allow_expedited: bool = True) -> None:
        """SystemJobScheduler.scheduleInternal. JobScheduler answers RESULT_FAILURE to an expedited
        job without EJ quota: RUN_AS_NON_EXPEDITED_WORK_REQUEST schedules it again as a regular
        job; DROP_WORK_REQUEST does nothing more, so the work stays ENQUEUED without a job until
        WorkManager reconciles its jobs at the next process start."""
        info = self.to_job_info(spec, allow_expedited)
        try:
            result = self.model.jobs.schedule(self.package, info)
        except (InvalidJob, JobSchedulerError) as e:
            log.warning("WorkManager could not schedule %s: %s", spec.id, e)
            return
        if result != RESULT_SUCCESS:
            self.model.trace("work_job_refused", work_id=spec.id, job_id=info.job_id, expedited=info.expedited)
            if info.expedited and spec.request.out_of_quota == OutOfQuota.RUN_AS_NON_EXPEDITED:
                self._system_schedule(spec, allow_expedited=False)
            return
        self.model.trace("work_job_scheduled", work_id=spec.id, job_id=info.job_id,
                         min_latency_ms=info.min_latency_ms, expedited=info.expedited)

    def initialize(self) -> None:
        """WorkManager init in a new process (ForceStopRunnable): reschedule what has no job."""
        for spec in sorted(self.specs.values(), key=lambda s: s.last_enqueue_wall_ms):
            if spec.state == WorkState.RUNNING and spec.id not in self.running_params:
                spec.state = WorkState.ENQUEUED
            if spec.state != WorkState.ENQUEUED or spec.job_id is None:
                continue
            if self.model.jobs.get(self.package, spec.job_id) is None:
                self.model.trace("work_rescheduled_at_start", work_id=spec.id)
                self._schedule(spec)

    # ------------------------------------------------------------------ JobServiceClient (SystemJobService)
    def on_start_job(self, params: JobParams) -> None:
        spec = self.specs.get(str(params.extras.get(EXTRA_WORK_SPEC_ID)))
        if (spec is not None and spec.state == WorkState.RUNNING and spec.id in self.greedy.tokens
                and spec.id not in self.running_params):
            # Processor already runs it (GreedyScheduler): the job's token is added and
            # SystemJobService keeps the job until the work ends (onExecuted -> jobFinished).
            self.running_params[spec.id] = params
            self.model.trace("work_job_attached", work_id=spec.id, job_id=params.job_id)
            return
        if spec is None or spec.state != WorkState.ENQUEUED or self.executor is None:
            self.model.jobs.job_finished(self.package, params.job_id, False)
            return
        self.running_params[spec.id] = params
        self._start_worker(spec, "job")

    def _start_worker(self, spec: WorkSpec, by: str) -> None:
        """Processor.startWork -> WorkerWrapper: RUNNING, runAttemptCount + 1, doWork."""
        assert self.executor is not None
        attempt = spec.run_attempt_count
        spec.state = WorkState.RUNNING
        spec.run_attempt_count += 1
        spec.stop_reason = -256
        self.model.trace("work_start", work_id=spec.id, run_attempt=attempt, by=by)
        self.executor.start_work(spec, attempt)

    # ------------------------------------------------------------------ GreedyScheduler's starts and stops
    def greedy_start(self, spec: WorkSpec) -> None:
        """Processor.startWork with GreedyScheduler's token."""
        if spec.state == WorkState.RUNNING:
            self.model.trace("work_greedy_attached", work_id=spec.id)
            return
        if spec.state != WorkState.ENQUEUED or self.executor is None:
            return
        self._start_worker(spec, "greedy")

    def greedy_stop(self, spec: WorkSpec, reason: StopReason) -> None:
        """Processor.stopWork with GreedyScheduler's token (constraints no longer met, time limit)."""
        if spec.state != WorkState.RUNNING or spec.in_foreground:
            return  # Processor ignores stopWork for a worker in the foreground
        params = self.running_params.pop(spec.id, None)
        spec.state = WorkState.ENQUEUED
        spec.stop_reason = int(reason)
        spec.last_enqueue_wall_ms = self.model.clock.wall_ms
        self.model.trace("work_greedy_stop", work_id=spec.id, reason=reason.name)
        if self.executor is not None:
            self.executor.stop_work(spec, reason)
        if params is not None and self.model.jobs.is_running(self.package, params.job_id):
            self.model.jobs.job_finished(self.package, params.job_id, False)
        self._schedule(spec)

    def on_stop_job(self, params: JobParams) -> bool:
        spec = self.specs.get(str(params.extras.get(EXTRA_WORK_SPEC_ID)))
        if spec is None:
            return False
        self.running_params.pop(spec.id, None)
        if spec.state != WorkState.RUNNING:
            return False
        if spec.in_foreground:
            return False  # the worker goes on in the foreground service; the job itself ends
        spec.state = WorkState.ENQUEUED
        spec.stop_reason = int(params.stop_reason)
        spec.last_enqueue_wall_ms = self.model.clock.wall_ms
        if self.executor is not None:
            self.executor.stop_work(spec, params.stop_reason)
        self.greedy.on_executed(spec.id, True)
        reschedule = params.stop_reason not in (StopReason.CANCELLED_BY_APP, StopReason.USER)
        if reschedule:
            self._greedy_schedule_all()
        return reschedule

    # ------------------------------------------------------------------ worker results
    def set_foreground(self, work_id: str) -> None:
        spec = self.specs[work_id]
        spec.in_foreground = True
        self.model.processes.set_foreground_service(self.package, True)

    def _leave_foreground(self, spec: WorkSpec) -> None:
        if spec.in_foreground:
            spec.in_foreground = False
            if not any(s.in_foreground for s in self.specs.values()):
                self.model.processes.set_foreground_service(self.package, False)

    def work_done(self, work_id: str, result: str) -> None:
        """The worker's doWork returned ``success`` / ``failure`` / ``retry``."""
        spec = self.specs.get(work_id)
        if spec is None or spec.state != WorkState.RUNNING:
            return
        params = self.running_params.pop(work_id, None)
        self._leave_foreground(spec)
        now = self.model.clock.wall_ms
        if result == "retry":
            spec.state = WorkState.ENQUEUED
            spec.last_enqueue_wall_ms = now
        elif spec.is_periodic:
            spec.state = WorkState.ENQUEUED
            spec.period_count += 1
            spec.run_attempt_count = 0
            spec.last_enqueue_wall_ms = now
        else:
            spec.state = WorkState.SUCCEEDED if result == "success" else WorkState.FAILED
        self.model.trace("work_done", work_id=work_id, result=result, state=spec.state.value)
        self.greedy.on_executed(work_id, result == "retry")
        if params is not None and self.model.jobs.is_running(self.package, params.job_id):
            self.model.jobs.job_finished(self.package, params.job_id, False)
        if spec.state == WorkState.ENQUEUED:
            self._schedule(spec)
        else:
            # Every scheduler cancels finished work: SystemJobScheduler removes a job that did not run it.
            if spec.job_id is not None and self.model.jobs.get(self.package, spec.job_id) is not None \
                    and not self.model.jobs.is_running(self.package, spec.job_id):
                self.model.jobs.cancel(self.package, spec.job_id)
            self._propagate(spec)
        self._greedy_schedule_all()

    def worker_died(self, work_id: str) -> None:
        """The process died under a running worker (the job is rescheduled by JobScheduler)."""
        spec = self.specs.get(work_id)
        self.running_params.pop(work_id, None)
        if spec is not None:
            spec.in_foreground = False

    def _propagate(self, spec: WorkSpec) -> None:
        for other in sorted(self.specs.values(), key=lambda s: s.last_enqueue_wall_ms):
            if spec.id in other.prerequisites and other.state == WorkState.BLOCKED:
                self._resolve_prerequisites(other)
                if other.state == WorkState.ENQUEUED:
                    other.last_enqueue_wall_ms = self.model.clock.wall_ms
                    self._schedule(other)
                elif other.state.finished:
                    self._propagate(other)

    def cancel(self, work_id: str, reason: StopReason = StopReason.CANCELLED_BY_APP) -> bool:
        spec = self.specs.get(work_id)
        if spec is None or spec.state.finished:
            return False
        was_running = spec.state == WorkState.RUNNING
        spec.state = WorkState.CANCELLED
        self.greedy.cancel(work_id)
        params = self.running_params.pop(work_id, None)
        if was_running and self.executor is not None:
            spec.stop_reason = int(reason)
            self.executor.stop_work(spec, reason)
        self._leave_foreground(spec)
        if spec.job_id is not None:
            job_running = params is not None and self.model.jobs.is_running(self.package, spec.job_id)
            if job_running:
                self.model.jobs.job_finished(self.package, spec.job_id, False)
            self.model.jobs.cancel(self.package, spec.job_id)
        self.model.trace("work_cancelled", work_id=work_id)
        self._propagate(spec)
        return True

    def owner_of(self, work_id: str) -> str:
        spec = self.specs.get(work_id)
        return spec.request.owner if spec is not None else ""

    # ------------------------------------------------------------------ hooks
    def on_process_died(self, package: str, reason: str) -> None:
        if package != self.package:
            return
        for work_id in list(self.running_params):
            self.worker_died(work_id)
        for work_id in list(self.greedy.tokens):
            self.worker_died(work_id)
        self.greedy.reset()

    def on_state_changed(self) -> None:
        self.greedy.on_state_changed()
