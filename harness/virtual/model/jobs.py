"""JobScheduler: scheduled jobs, when they run, how they stop and how they come back.

The app side (a JobService) is a :class:`JobServiceClient` registered for its component name;
JobScheduler starts the app's process (``Processes.start(pkg, "job")``), calls ``on_start_job``
and waits for ``job_finished``; it calls ``on_stop_job`` when it stops a job itself.

Rules and their sources are in docs/fidelity.md ("JobScheduler, WorkManager, companion"); the
constants live in job_info.py (JobInfo, JobParameters, JobStatus), job_constraints.py (the
StateControllers) and job_quota.py (QuotaController).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from harness.virtual.model.clock import Timer
from harness.virtual.model.job_constraints import DeviceConditions
from harness.virtual.model.job_info import (
    MINUTE_MS,
    NO_LATEST_RUNTIME,
    Constraint,
    InvalidJob,
    JobInfo,
    JobState,
    JobStatus,
    StopReason,
    backoff_delay_ms,
    new_job_times,
    next_periodic_times,
)
from harness.virtual.model.job_quota import QuotaTracker
from harness.virtual.model.processes import ProcState
from harness.virtual.model.state import StandbyBucket
from harness.virtual.model.subsystem import Subsystem

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

MAX_JOBS_PER_APP = 150  # JobSchedulerService.MAX_JOBS_PER_APP
MAX_JOB_CONTEXTS_COUNT = 16  # JobSchedulerService.MAX_JOB_CONTEXTS_COUNT
RUNTIME_MIN_GUARANTEE_MS = 10 * MINUTE_MS  # JobSchedulerService.Constants.DEFAULT_RUNTIME_MIN_GUARANTEE_MS
RUNTIME_FREE_QUOTA_MAX_LIMIT_MS = 30 * MINUTE_MS  # DEFAULT_RUNTIME_FREE_QUOTA_MAX_LIMIT_MS (API 33+)
RUNTIME_MIN_EJ_GUARANTEE_MS = 3 * MINUTE_MS  # DEFAULT_RUNTIME_MIN_EJ_GUARANTEE_MS

# JobStatus.OVERRIDE_* (set by `cmd jobscheduler run`)
OVERRIDE_NONE, OVERRIDE_SORTING, OVERRIDE_SOFT, OVERRIDE_FULL = 0, 1, 2, 3
SOFT_OVERRIDE_CONSTRAINTS = (Constraint.CHARGING | Constraint.BATTERY_NOT_LOW | Constraint.STORAGE_NOT_LOW
                             | Constraint.TIMING_DELAY | Constraint.IDLE)
EXPLICIT_CONSTRAINTS = (Constraint.CHARGING | Constraint.BATTERY_NOT_LOW | Constraint.STORAGE_NOT_LOW
                        | Constraint.IDLE | Constraint.CONNECTIVITY)
# JobStatus.DYNAMIC_RESTRICTED_CONSTRAINTS: what a RESTRICTED-bucket job must also have.
DYNAMIC_RESTRICTED_CONSTRAINTS = (Constraint.BATTERY_NOT_LOW | Constraint.CHARGING | Constraint.CONNECTIVITY
                                  | Constraint.IDLE)

# JobSchedulerShellCommand error codes
CMD_ERR_NO_PACKAGE = -1000
CMD_ERR_NO_JOB = -1001
CMD_ERR_CONSTRAINTS = -1002

RESULT_SUCCESS = 1  # JobScheduler.RESULT_SUCCESS
RESULT_FAILURE = 0  # JobScheduler.RESULT_FAILURE

# Process deaths after which another hook (force-stop, shutdown, removal) decides the jobs' fate.
_TEARDOWN_REASONS = frozenset({"reboot", "force_stop", "package_removed"})


class JobSchedulerError(Exception):
    """A refusal by JobScheduler.schedule(): ``exception`` names the Java exception."""

    def __init__(self, exception: str, message: str) -> None:
        self.exception = exception
        super().__init__(message)


@dataclass
class JobParams:
    """What the JobService sees (JobParameters)."""

    package: str
    job_id: int
    service: str
    extras: dict[str, Any]
    expedited: bool
    run: int  # 1 for the first execution of this scheduled job, then 2, 3...
    stop_reason: StopReason = StopReason.UNDEFINED
    override_deadline_expired: bool = False


class JobServiceClient(Protocol):
    def on_start_job(self, params: JobParams) -> None: ...

    def on_stop_job(self, params: JobParams) -> bool: ...


@dataclass
class _Running:
    js: JobStatus
    params: JobParams
    started_ms: int
    limit_ms: int
    expedited: bool
    counted_quota: bool
    counted_ej: bool
    timer: Timer | None = None


@dataclass
class CompletedJob:
    js: JobStatus
    at_elapsed_ms: int
    reason: str


@dataclass
class _Readiness:
    ready: bool
    satisfied: int
    unready: StopReason | None
    treat_as_ej: bool = False
    notes: list[str] = field(default_factory=list)


class JobScheduler(Subsystem):
    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self.jobs: dict[tuple[str, int], JobStatus] = {}
        self.running: dict[tuple[str, int], _Running] = {}
        self.services: dict[str, JobServiceClient] = {}
        self.conditions = DeviceConditions(model)
        self.quota = QuotaTracker()
        self.completed: list[CompletedJob] = []
        self._runs: dict[tuple[str, int], int] = {}
        self._ident = 0x1a2b3c0
        self._timer: Timer | None = None
        self._evaluating = False
        self._dirty = False
        self._held = 0
        # JobStore's wall-clock delay/deadline of persisted jobs, kept across a reboot (on_shutdown -> on_boot).
        self._persisted_wall: dict[tuple[str, int], tuple[int | None, int | None]] = {}

    # ------------------------------------------------------------------ app-facing API
    def register_service(self, component: str, client: JobServiceClient) -> None:
        """Attach the code of a JobService (``pkg/.Cls``) to its component name."""
        self.services[component] = client

    def schedule(self, package: str, info: JobInfo) -> int:
        """JobScheduler.schedule(): validate, replace a job with the same id, start tracking it."""
        info.validate(self.model.api)
        if info.service not in self.services:
            raise JobSchedulerError("java.lang.IllegalArgumentException",
                                    f"No such service ComponentInfo{{{info.service}}}")
        if info.persisted and not self._has_permission(package, "android.permission.RECEIVE_BOOT_COMPLETED"):
            raise JobSchedulerError("java.lang.IllegalArgumentException",
                                    "Error: requested job be persisted without holding RECEIVE_BOOT_COMPLETED"
                                    " permission.")
        key = (package, info.job_id)
        if key not in self.jobs and sum(1 for k in self.jobs if k[0] == package) >= MAX_JOBS_PER_APP:
            raise JobSchedulerError("java.lang.IllegalStateException",
                                    f"Apps may not schedule more than {MAX_JOBS_PER_APP} distinct jobs")
        now = self.model.clock.elapsed_ms
        # JobSchedulerService.scheduleAsPackage: "Return failure early if expedited job quota used
        # up" (before an existing job of that id is replaced, so it stays).
        if info.expedited and not self.within_ej_quota(package, now):
            self.model.trace("job_schedule_failed", package=package, job_id=info.job_id, why="ej_quota")
            return RESULT_FAILURE
        old = self.jobs.get(key)
        if old is not None:
            self._cancel_one(old, StopReason.CANCELLED_BY_APP, "job rescheduled by app")
        earliest, latest = new_job_times(info, now)
        js = JobStatus(info=info, package=package, uid=self._uid(package), ident=self._next_ident(),
                       enqueue_elapsed_ms=now, earliest_ms=earliest, latest_ms=latest, original_latest_ms=latest)
        # INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION: scheduled while TOP with no time constraints.
        js.foreground_exemption = (self._is_top(package) and not info.has_early_constraint
                                   and not info.has_late_constraint)
        self.jobs[key] = js
        self._runs[key] = 0
        self.model.trace("job_scheduled", package=package, job_id=info.job_id, earliest=earliest,
                         latest=None if latest == NO_LATEST_RUNTIME else latest, persisted=info.persisted)
        self.evaluate()
        return RESULT_SUCCESS

    def cancel(self, package: str, job_id: int, reason: StopReason = StopReason.CANCELLED_BY_APP) -> bool:
        js = self.jobs.get((package, job_id))
        if js is None:
            return False
        self._cancel_one(js, reason, "cancel() called by app" if reason == StopReason.CANCELLED_BY_APP
                         else "cancel shell command")
        self.evaluate()
        return True

    def cancel_all(self, package: str, reason: StopReason = StopReason.CANCELLED_BY_APP) -> int:
        found = [js for (pkg, _), js in sorted(self.jobs.items()) if pkg == package]
        for js in found:
            self._cancel_one(js, reason, "cancelAll() called by app")
        self.evaluate()
        return len(found)

    def pending_jobs(self, package: str) -> list[JobInfo]:
        """JobScheduler.getAllPendingJobs(): every scheduled job of the app (running ones too)."""
        return [js.info for (pkg, _), js in sorted(self.jobs.items()) if pkg == package]

    def get(self, package: str, job_id: int) -> JobStatus | None:
        return self.jobs.get((package, job_id))

    def is_running(self, package: str, job_id: int) -> bool:
        return (package, job_id) in self.running

    def job_finished(self, package: str, job_id: int, reschedule: bool) -> None:
        """JobService.jobFinished(params, wantsReschedule)."""
        run = self.running.get((package, job_id))
        if run is None:
            log.debug("jobFinished for %s/%d which is not running", package, job_id)
            return
        self._complete(run, reschedule, "app called jobFinished")
        self.evaluate()

    # ------------------------------------------------------------------ shell-facing API
    def run_command(self, package: str, job_id: int, force: bool, satisfied: bool) -> int:
        """JobSchedulerService.executeRunCommand."""
        if not self.model.packages.is_installed(package):
            return CMD_ERR_NO_PACKAGE
        js = self.jobs.get((package, job_id))
        if js is None:
            return CMD_ERR_NO_JOB
        js.override = OVERRIDE_FULL if force else (OVERRIDE_SORTING if satisfied else OVERRIDE_SOFT)
        if not self._constraints_satisfied(js):
            js.override = OVERRIDE_NONE
            return CMD_ERR_CONSTRAINTS
        self.model.trace("job_run_command", package=package, job_id=job_id, force=force)
        self.evaluate()
        return 0

    def stop_command(self, package: str | None, job_id: int | None, reason: StopReason) -> list[JobStatus]:
        """executeStopCommand / executeTimeoutCommand: stop matching running jobs."""
        stopped: list[JobStatus] = []
        for key in sorted(self.running):
            run = self.running.get(key)
            if run is None:
                continue
            if package is not None and key[0] != package:
                continue
            if job_id is not None and key[1] != job_id:
                continue
            stopped.append(run.js)
            self._stop(run, reason)
        self.evaluate()
        return stopped

    def job_state(self, js: JobStatus) -> list[str]:
        """The words of `cmd jobscheduler get-job-state` for a known job."""
        words: list[str] = []
        key = (js.package, js.job_id)
        if js.state == JobState.PENDING:
            words.append("pending")
        if key in self.running:
            words.append("active")
        if key not in self.running and self._readiness(js).ready:
            words.append("ready")
        return words or ["waiting"]

    def set_monitor_battery(self, on: bool) -> None:
        self.conditions.monitor_battery = on

    def reset_execution_quota(self, package: str) -> None:
        self.quota.clear(package)
        self.evaluate()

    # ------------------------------------------------------------------ app state helpers
    def _uid(self, package: str) -> int:
        try:
            return self.model.packages.uid_of(package)
        except KeyError:
            return 10000

    def _has_permission(self, package: str, permission: str) -> bool:
        try:
            return self.model.packages.has_permission(package, permission)
        except KeyError:
            return True

    def _procstate(self, package: str) -> ProcState:
        return self.model.processes.state(package)

    def _is_top(self, package: str) -> bool:
        return self._procstate(package) == ProcState.TOP

    def _in_foreground(self, package: str) -> bool:
        """QuotaController.isUidInForeground: procstate <= BOUND_FOREGROUND_SERVICE."""
        return self._procstate(package) <= ProcState.BOUND_FOREGROUND_SERVICE

    def _uid_active(self, package: str) -> bool:
        """AppStateTracker.isUidActive: foreground, or still inside the uid-idle settle time."""
        st = self._procstate(package)
        # ... or PROCESS_STATE_LAST_ACTIVITY (left the top < 60 s ago)
        return st <= ProcState.BOUND_FOREGROUND_SERVICE or st == ProcState.LAST_ACTIVITY

    def _bucket(self, package: str) -> StandbyBucket:
        return self.model.standby.bucket(package)

    def _power_allowlisted(self, package: str) -> bool:
        return self.model.standby.is_power_save_allowlisted(package)

    def _temp_allowlisted(self, package: str) -> bool:
        return self.model.standby.is_temp_allowlisted(package)

    def _next_ident(self) -> int:
        self._ident = (self._ident * 1103515245 + 12345) & 0x0FFFFFFF | 0x1000000
        return self._ident

    # ------------------------------------------------------------------ readiness
    def _time_bits(self, js: JobStatus, now: int) -> int:
        bits = 0
        if not js.has_delay or now >= js.earliest_ms:
            bits |= Constraint.TIMING_DELAY
        if js.has_deadline and now >= js.latest_ms:
            bits |= Constraint.DEADLINE
        return bits

    def _constraints_satisfied(self, js: JobStatus) -> bool:
        """JobStatus.isConstraintsSatisfied (with the run-command override)."""
        if js.override == OVERRIDE_FULL:
            return True
        now = self.model.clock.elapsed_ms
        sat = self.conditions.satisfied_bits(js.info) | self._time_bits(js, now)
        required = js.required_bits() & (EXPLICIT_CONSTRAINTS | Constraint.TIMING_DELAY)
        if js.override == OVERRIDE_SOFT:
            sat |= required & SOFT_OVERRIDE_CONSTRAINTS
        return (sat & required) == required

    def within_ej_quota(self, package: str, now: int) -> bool:
        """QuotaController.isWithinEJQuotaLocked for a new job: quota-free (charging, not
        RESTRICTED), the app in the foreground or on the temp allowlist (not RESTRICTED/NEVER),
        or EJ time left in the 24-hour window."""
        bucket = self._bucket(package)
        if self.conditions.charging and bucket not in (StandbyBucket.RESTRICTED, StandbyBucket.NEVER):
            return True
        if self._in_foreground(package):
            return True
        if self._temp_allowlisted(package) and bucket not in (StandbyBucket.RESTRICTED, StandbyBucket.NEVER):
            return True
        return self.quota.ej_remaining_ms(package, bucket, now) > 0

    def _treat_as_ej(self, js: JobStatus, now: int) -> bool:
        if not js.info.expedited:
            return False
        pkg = js.package
        if self._is_top(pkg):
            return True
        return self.quota.ej_remaining_ms(pkg, self._bucket(pkg), now) > 0

    def _readiness(self, js: JobStatus, running: _Running | None = None) -> _Readiness:
        """JobStatus.isReady plus the implicit constraints JobSchedulerService checks."""
        now = self.model.clock.elapsed_ms
        pkg = js.package
        info = js.info
        bucket = self._bucket(pkg)
        explicit_sat = self.conditions.satisfied_bits(info)
        time_sat = self._time_bits(js, now)
        sat = explicit_sat | time_sat
        required = js.required_bits()
        ej = running.expedited if running is not None else self._treat_as_ej(js, now)
        forced = js.override == OVERRIDE_FULL
        if js.override == OVERRIDE_SOFT:
            sat |= required & SOFT_OVERRIDE_CONSTRAINTS
        result = _Readiness(False, sat, None, ej)
        if bucket == StandbyBucket.NEVER:
            result.unready = StopReason.APP_STANDBY
            return result
        if forced:
            result.ready = True
            return result
        # Implicit constraints first (they trump the deadline).
        allowlisted = self._power_allowlisted(pkg)
        fg = self._in_foreground(pkg)
        not_dozing = (not self.conditions.dozing() or allowlisted or ej
                      or (info.important_while_foreground and fg))
        bg_restricted = (self.model.state.battery_saver and not self._uid_active(pkg) and not allowlisted
                         and not self._temp_allowlisted(pkg) and not js.foreground_exemption and not ej)
        if bg_restricted:
            result.unready = StopReason.BACKGROUND_RESTRICTION
            return result
        sat |= Constraint.BACKGROUND_NOT_RESTRICTED
        if not not_dozing:
            result.unready = StopReason.DEVICE_STATE
            return result
        sat |= Constraint.DEVICE_NOT_DOZING
        if running is None and not ej:
            quota_free = (self.conditions.charging and bucket != StandbyBucket.RESTRICTED) or fg
            if not quota_free and not self.quota.within_quota(pkg, bucket, now):
                result.unready = StopReason.QUOTA
                result.satisfied = sat
                return result
        sat |= Constraint.WITHIN_QUOTA
        result.satisfied = sat
        if bucket == StandbyBucket.RESTRICTED and not ej:
            dyn = DYNAMIC_RESTRICTED_CONSTRAINTS
            if info.network.value == 0:
                dyn &= ~Constraint.CONNECTIVITY
            if (explicit_sat & dyn) != dyn:
                result.unready = StopReason.APP_STANDBY
                return result
        # Explicit constraints; a passed deadline trumps them (not for periodic jobs).
        deadline_passed = bool(time_sat & Constraint.DEADLINE) and not info.is_periodic
        if not (sat & Constraint.TIMING_DELAY) and running is None:
            result.unready = None
            return result
        missing = required & EXPLICIT_CONSTRAINTS & ~sat
        if missing and not deadline_passed:
            result.unready = _stop_reason_for(missing)
            return result
        result.ready = True
        return result

    # ------------------------------------------------------------------ engine
    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Defer job starts until the block ends (an app call that returns before callbacks run)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if self._held == 0 and self._dirty:
                self.evaluate()

    def evaluate(self) -> None:
        """Re-check every job: start the ready ones, stop running ones that lost a constraint."""
        if self._evaluating or self._held:
            self._dirty = True
            return
        self._evaluating = True
        try:
            for _ in range(100):
                self._dirty = False
                self._evaluate_once()
                if not self._dirty:
                    break
        finally:
            self._evaluating = False
        self._arm_timer()

    def _evaluate_once(self) -> None:
        if self.model.booting:
            return
        for key in sorted(self.running):
            run = self.running.get(key)
            if run is None:
                continue
            r = self._readiness(run.js, run)
            if not r.ready and r.unready is not None:
                self._stop(run, r.unready)
        waiting = sorted((js for key, js in self.jobs.items() if key not in self.running),
                         key=lambda j: (-j.override, j.enqueue_elapsed_ms, j.package, j.job_id))
        for js in waiting:
            if (js.package, js.job_id) not in self.jobs or (js.package, js.job_id) in self.running:
                continue
            r = self._readiness(js)
            js.satisfied = r.satisfied
            if r.ready:
                if len(self.running) >= MAX_JOB_CONTEXTS_COUNT:
                    js.state = JobState.PENDING
                    continue
                self._start(js, r.treat_as_ej)
            else:
                js.state = JobState.WAITING

    def _start(self, js: JobStatus, as_ej: bool) -> None:
        key = (js.package, js.job_id)
        client = self.services.get(js.info.service)
        if client is None:
            return
        now = self.model.clock.elapsed_ms
        pkg = js.package
        bucket = self._bucket(pkg)
        top = self._is_top(pkg)
        fg = self._in_foreground(pkg)
        quota_free = (self.conditions.charging and bucket != StandbyBucket.RESTRICTED) or fg
        counted_quota = not as_ej and not quota_free
        counted_ej = as_ej and not top
        if as_ej:
            limit = max(RUNTIME_MIN_EJ_GUARANTEE_MS, self.quota.ej_remaining_ms(pkg, bucket, now))
            limit = min(limit, RUNTIME_MIN_GUARANTEE_MS)
        elif quota_free and self.model.api >= 33:
            limit = RUNTIME_FREE_QUOTA_MAX_LIMIT_MS
        else:
            limit = RUNTIME_MIN_GUARANTEE_MS
        deadline_expired = js.has_deadline and now >= js.latest_ms and not js.info.is_periodic
        self._runs[key] = self._runs.get(key, 0) + 1
        params = JobParams(pkg, js.job_id, js.info.service, dict(js.info.extras), as_ej, self._runs[key],
                           override_deadline_expired=deadline_expired)
        run = _Running(js, params, now, limit, as_ej, counted_quota, counted_ej)
        js.state = JobState.ACTIVE
        self.running[key] = run
        if counted_quota:
            self.quota.note_start(pkg, now)
        if counted_ej:
            self.quota.ej_note_start(pkg, now)
        run.timer = self.model.clock.call_later(limit, lambda: self._on_timeout(key, run), f"job:timeout:{pkg}/{js.job_id}")
        self.model.trace("job_start", package=pkg, job_id=js.job_id, expedited=as_ej, run=params.run,
                         limit_ms=limit)
        self.model.doze.set_jobs_active(True)
        if not self.model.processes.is_running(pkg):
            self.model.processes.start(pkg, "job")
        if self.running.get(key) is run:
            client.on_start_job(params)

    def _on_timeout(self, key: tuple[str, int], run: _Running) -> None:
        if self.running.get(key) is not run:
            return
        run.timer = None
        self._stop(run, StopReason.TIMEOUT)
        self.evaluate()

    def _stop(self, run: _Running, reason: StopReason) -> None:
        """JobServiceContext.doCancelLocked: onStopJob, then reschedule if it asks to."""
        key = (run.js.package, run.js.job_id)
        if self.running.get(key) is not run:
            return
        run.params.stop_reason = reason
        self.model.trace("job_stop", package=key[0], job_id=key[1], reason=reason.name)
        client = self.services.get(run.js.info.service)
        reschedule = client.on_stop_job(run.params) if client is not None else False
        if self.running.get(key) is run:
            self._complete(run, reschedule, f"stopped: {reason.name}")

    def _release(self, run: _Running) -> None:
        key = (run.js.package, run.js.job_id)
        self.running.pop(key, None)
        if not self.running:
            # JobSchedulerService.setJobsActive(false): a Doze maintenance window may end early.
            self.model.doze.set_jobs_active(False)
        if run.timer is not None:
            run.timer.cancel()
            run.timer = None
        now = self.model.clock.elapsed_ms
        if run.counted_quota:
            self.quota.note_stop(key[0], now)
        if run.counted_ej:
            self.quota.ej_note_stop(key[0], now)

    def _complete(self, run: _Running, needs_reschedule: bool, why: str) -> None:
        """JobSchedulerService.onJobCompletedLocked."""
        self._release(run)
        js = run.js
        key = (js.package, js.job_id)
        now = self.model.clock.elapsed_ms
        self.completed.append(CompletedJob(js, now, why))
        del self.completed[:-20]  # NUM_COMPLETED_JOB_HISTORY
        if self.jobs.get(key) is not js:
            return  # cancelled or replaced meanwhile
        js.override = OVERRIDE_NONE
        wall = self.model.clock.wall_ms
        if needs_reschedule:
            js.num_failures += 1
            js.last_failed_wall_ms = wall
            js.earliest_ms = now + backoff_delay_ms(js.info.backoff_policy, js.info.backoff_initial_ms,
                                                    js.num_failures)
            js.latest_ms = NO_LATEST_RUNTIME
            js.state = JobState.WAITING
            js.enqueue_elapsed_ms = now
            self.model.trace("job_rescheduled", package=js.package, job_id=js.job_id,
                             failures=js.num_failures, earliest=js.earliest_ms)
        elif js.info.is_periodic:
            js.last_successful_wall_ms = wall
            js.num_failures = 0
            base = js.original_latest_ms if js.original_latest_ms != NO_LATEST_RUNTIME else now
            js.earliest_ms, js.latest_ms = next_periodic_times(js.info, base, now)
            js.original_latest_ms = js.latest_ms
            js.state = JobState.WAITING
            js.enqueue_elapsed_ms = now
            self.model.trace("job_periodic_next", package=js.package, job_id=js.job_id,
                             earliest=js.earliest_ms, latest=js.latest_ms)
        else:
            js.last_successful_wall_ms = wall
            del self.jobs[key]
            self.model.trace("job_done", package=js.package, job_id=js.job_id)

    def _cancel_one(self, js: JobStatus, reason: StopReason, why: str) -> None:
        key = (js.package, js.job_id)
        self.jobs.pop(key, None)
        run = self.running.get(key)
        self.model.trace("job_cancelled", package=js.package, job_id=js.job_id, reason=reason.name)
        if run is not None:
            run.params.stop_reason = reason
            client = self.services.get(js.info.service)
            if client is not None:
                client.on_stop_job(run.params)
            if self.running.get(key) is run:
                self._release(run)
                self.completed.append(CompletedJob(js, self.model.clock.elapsed_ms, why))

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.model.booting:
            return
        now = self.model.clock.elapsed_ms
        times: list[int] = []
        for key, js in self.jobs.items():
            if key in self.running:
                continue
            if js.has_delay and js.earliest_ms > now:
                times.append(js.earliest_ms)
            if js.has_deadline and js.latest_ms > now:
                times.append(js.latest_ms)
            bucket = self._bucket(js.package)
            back = self.quota.in_quota_at(js.package, bucket, now)
            if back is not None and back > now:
                times.append(back)
        idle_at = self.conditions.idle_due_at()
        if idle_at is not None and any(key not in self.running for key in self.jobs):
            times.append(idle_at)
        if times:
            self._timer = self.model.clock.call_at(min(times), self._on_timer, "jobs:evaluate")

    def _on_timer(self) -> None:
        self._timer = None
        self.evaluate()

    # ------------------------------------------------------------------ subsystem hooks
    def on_state_changed(self) -> None:
        self.conditions.refresh()
        self.evaluate()

    def on_process_died(self, package: str, reason: str) -> None:
        """The JobService's process died under a running job: JobServiceContext reschedules it
        (closeAndCleanupJobLocked with needsReschedule) without calling onStopJob."""
        for key in sorted(self.running):
            if key[0] != package:
                continue
            run = self.running.get(key)
            if run is not None:
                run.params.stop_reason = StopReason.UNDEFINED
                self._complete(run, True, f"process died: {reason}")
        if reason not in _TEARDOWN_REASONS:
            # Not from inside the death notification: other subsystems have not seen it yet.
            self.model.clock.call_later(0, self.evaluate, "jobs:evaluate-after-death")

    def on_force_stop(self, package: str) -> None:
        """Force-stop cancels every job of the package, persisted ones included (STOP_REASON_USER)."""
        for key in sorted(self.jobs):
            if key[0] == package:
                js = self.jobs[key]
                self._cancel_one(js, StopReason.USER, "app force stopped")
        self.evaluate()

    def on_shutdown(self) -> None:
        """Running jobs die with the device; only persisted jobs survive (JobStore on disk)."""
        for key in sorted(self.running):
            run = self.running.pop(key)
            if run.timer is not None:
                run.timer.cancel()
        now_wall = self.model.clock.wall_ms
        now = self.model.clock.elapsed_ms
        kept: dict[tuple[str, int], JobStatus] = {}
        self._persisted_wall = {}
        for key, js in self.jobs.items():
            if not js.info.persisted:
                self.model.trace("job_dropped_at_reboot", package=key[0], job_id=key[1])
                continue
            # JobStore writes delay/deadline as wall-clock times and rebases them at boot.
            e = now_wall + (js.earliest_ms - now) if js.has_delay else None
            d = now_wall + (js.latest_ms - now) if js.has_deadline else None
            self._persisted_wall[key] = (e, d)
            js.state = JobState.WAITING
            js.override = OVERRIDE_NONE
            kept[key] = js
        self.jobs = kept
        self._timer = None
        self.quota.clear()

    def on_boot(self) -> None:
        now_wall = self.model.clock.wall_ms
        now = self.model.clock.elapsed_ms
        for key, (e, d) in self._persisted_wall.items():
            js = self.jobs.get(key)
            if js is None:
                continue
            js.earliest_ms = max(1, now + (e - now_wall)) if e is not None else 0
            if e is not None and js.earliest_ms <= now:
                js.earliest_ms = now
            js.latest_ms = max(now, now + (d - now_wall)) if d is not None else NO_LATEST_RUNTIME
            if js.info.is_periodic:
                js.original_latest_ms = js.latest_ms
            js.enqueue_elapsed_ms = now
        self._persisted_wall = {}
        self.conditions.reset_after_boot()
        self.evaluate()

    # ------------------------------------------------------------------ introspection
    def jobs_of(self, package: str | None = None) -> Iterable[JobStatus]:
        return [js for (pkg, _), js in sorted(self.jobs.items()) if package is None or pkg == package]

    def readiness(self, js: JobStatus) -> _Readiness:
        return self._readiness(js, self.running.get((js.package, js.job_id)))


def _stop_reason_for(missing: int) -> StopReason:
    """JobStatus: the public stop reason for the first unsatisfied explicit constraint."""
    if missing & Constraint.BATTERY_NOT_LOW:
        return StopReason.CONSTRAINT_BATTERY_NOT_LOW
    if missing & Constraint.CHARGING:
        return StopReason.CONSTRAINT_CHARGING
    if missing & Constraint.CONNECTIVITY:
        return StopReason.CONSTRAINT_CONNECTIVITY
    if missing & Constraint.IDLE:
        return StopReason.CONSTRAINT_DEVICE_IDLE
    if missing & Constraint.STORAGE_NOT_LOW:
        return StopReason.CONSTRAINT_STORAGE_NOT_LOW
    return StopReason.UNDEFINED


__all__ = ["JobScheduler", "JobParams", "JobServiceClient", "JobSchedulerError", "InvalidJob", "StopReason",
           "CMD_ERR_NO_PACKAGE", "CMD_ERR_NO_JOB", "CMD_ERR_CONSTRAINTS", "RESULT_SUCCESS", "RESULT_FAILURE"]
