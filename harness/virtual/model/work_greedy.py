"""WorkManager's GreedyScheduler: work run inside the app's own process, beside SystemJobScheduler.

WorkManager (API 23+) hands every schedulable WorkSpec to two schedulers (WorkManagerImpl's
scheduler list: SystemJobScheduler, then GreedyScheduler). GreedyScheduler lives in the app's
process and is lost with it. Sources (androidx/androidx work-runtime 2.11, the version the companion
app uses; docs/fidelity.md B41-B47):

  * GreedyScheduler.schedule: skips work it already started; ENQUEUED work whose next run time
    (WorkSpec.calculateNextRunTime, raised by throttleIfNeeded) is in the future goes to the
    DelayedWorkTracker; due work without constraints starts at once; due work with constraints is
    tracked in-process (WorkConstraintsTracker) except work that requires device idle or has
    content-URI triggers, which is left to JobScheduler. Periodic and expedited work are treated
    like any other work.
  * throttleIfNeeded: after NON_THROTTLE_RUN_ATTEMPT_COUNT (5) attempts seen in this process's
    life, each further attempt waits DEFAULT_BACKOFF_DELAY_MILLIS (30 s) more.
  * DelayedWorkTracker / TimeLimiter post Runnables on the main Handler (DefaultRunnableScheduler:
    Handler.postDelayed), which counts SystemClock.uptimeMillis(): the delay does not advance
    while the CPU sleeps. The model treats the CPU as asleep whenever the screen is off (model
    A's rule A36). TimeLimiter stops greedily started work after 90 min (STOP_REASON_TIMEOUT).
  * WorkConstraintsTracker controllers, in order: BatteryCharging, BatteryNotLow, StorageNotLow,
    network; the first unmet one gives the stop reason. On API 28+ the network is the
    NetworkRequestConstraintController: NetworkType becomes a NetworkRequest (INTERNET + VALIDATED;
    UNMETERED adds NOT_METERED, NOT_ROAMING adds NOT_ROAMING, METERED the cellular transport); on
    API 30+ one shared default-network callback answers it, and a network that is *blocked* for the
    app (onBlockedStatusChanged) never meets it.
  * The app's network is blocked (NetworkPolicyManagerService) in Doze, deep or light idle
    (DeviceIdleController reports both with setDeviceIdleMode(true); maintenance windows unblock),
    and under battery saver, unless the app is on the power-save or temp allowlist or its process
    state is FOREGROUND_SERVICE or better.
  * Processor runs a WorkSpec once: a start for work that already runs only adds a token; a stop
    by any token that started it interrupts it (a foreground worker ignores stopWork).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.companion.protocol import WorkNetwork
from harness.virtual.model.clock import Timer
from harness.virtual.model.job_info import JOB_NETWORK_OF_WORK, StopReason
from harness.virtual.model.processes import ProcState

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel
    from harness.virtual.model.work import WorkManager, WorkSpec

log = logging.getLogger(__name__)

GREEDY_MIN_API = 23  # WorkManagerImpl uses GreedyScheduler with SystemJobScheduler from API 23
NON_THROTTLE_RUN_ATTEMPT_COUNT = 5  # GreedyScheduler
THROTTLE_STEP_MS = 30_000  # WorkRequest.DEFAULT_BACKOFF_DELAY_MILLIS
TIME_LIMIT_MS = 90 * 60_000  # TimeLimiter default timeoutMs
BLOCKED_NETWORK_MIN_API = 30  # SharedNetworkCallback (onBlockedStatusChanged) from API 30


class UptimeTimer:
    """A Handler.postDelayed: fires after ``delay_ms`` of uptime (CPU awake time)."""

    def __init__(self, model: "DeviceModel", delay_ms: int, callback: Callable[[], None], tag: str) -> None:
        self.model = model
        self.remaining_ms = max(0, delay_ms)
        self.callback = callback
        self.tag = tag
        self._timer: Timer | None = None
        self._armed_at = 0
        self.cancelled = False

    def sync(self, awake: bool) -> None:
        """Run the countdown while the CPU is awake, hold it while it sleeps."""
        if self.cancelled:
            return
        now = self.model.clock.elapsed_ms
        if self._timer is not None:
            if awake:
                return
            self.remaining_ms = max(0, self.remaining_ms - (now - self._armed_at))
            self._timer.cancel()
            self._timer = None
        elif awake:
            self._armed_at = now
            self._timer = self.model.clock.call_later(self.remaining_ms, self._fire, self.tag)

    def _fire(self) -> None:
        self._timer = None
        if not self.cancelled:
            self.cancelled = True
            self.callback()

    def cancel(self) -> None:
        self.cancelled = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@dataclass
class _AttemptData:
    run_attempt_count: int
    timestamp_wall_ms: int


class GreedyScheduler:
    """In-process scheduling of WorkManager work; its state dies with the app's process."""

    def __init__(self, work: "WorkManager") -> None:
        self.work = work
        self.model = work.model
        self.tokens: set[str] = set()  # work ids this scheduler started (StartStopTokens)
        self.tracked: dict[str, int | None] = {}  # work id -> last constraint state (None = met)
        self.delayed: dict[str, UptimeTimer] = {}  # DelayedWorkTracker
        self.limits: dict[str, UptimeTimer] = {}  # TimeLimiter
        self.attempts: dict[str, _AttemptData] = {}
        self._held = 0
        self._deferred: list[str] = []

    # ------------------------------------------------------------------ conditions
    @property
    def package(self) -> str:
        return self.work.package

    def active(self) -> bool:
        """The scheduler exists: API 23+ and the app's (default) process is alive."""
        m = self.model
        return m.api >= GREEDY_MIN_API and not m.booting and m.processes.is_running(self.package)

    def cpu_awake(self) -> bool:
        return bool(self.model.state.screen_on)

    def network_blocked(self) -> bool:
        """NetworkPolicyManagerService: Doze (deep or light idle) and battery saver block the app's
        network unless it is allowlisted or in the foreground (procstate <= FOREGROUND_SERVICE)."""
        m = self.model
        st = m.state
        if not (st.device_idle or st.battery_saver):
            return False
        if m.standby.is_power_save_allowlisted(self.package) or m.standby.is_temp_allowlisted(self.package):
            return False
        return m.processes.state(self.package) > ProcState.FOREGROUND_SERVICE

    def _network_met(self, spec: "WorkSpec") -> bool:
        """The NetworkRequest the work's NetworkType becomes is the one JobScheduler's
        ConnectivityController checks (DeviceConditions.network_ok), and the app's network must
        not be blocked."""
        kind = spec.request.network
        if kind == WorkNetwork.NONE:
            return True
        if not self.model.jobs.conditions.network_ok(JOB_NETWORK_OF_WORK[kind]):
            return False
        return not (self.model.api >= BLOCKED_NETWORK_MIN_API and self.network_blocked())

    def constraint_state(self, spec: "WorkSpec") -> int | None:
        """WorkConstraintsTracker: None when every tracked constraint is met, else the stop reason
        of the first unmet controller."""
        req = spec.request
        st = self.model.state
        if req.requires_charging and not st.charging:
            return int(StopReason.CONSTRAINT_CHARGING)
        if req.requires_battery_not_low and self.model.jobs.conditions.battery_low:
            return int(StopReason.CONSTRAINT_BATTERY_NOT_LOW)
        if req.requires_storage_not_low and st.storage_low:
            return int(StopReason.CONSTRAINT_STORAGE_NOT_LOW)
        if not self._network_met(spec):
            return int(StopReason.CONSTRAINT_CONNECTIVITY)
        return None

    @staticmethod
    def has_constraints(spec: "WorkSpec") -> bool:
        r = spec.request
        return (r.requires_charging or r.requires_battery_not_low or r.requires_storage_not_low
                or r.requires_device_idle or r.network != WorkNetwork.NONE)

    # ------------------------------------------------------------------ Scheduler
    def schedule(self, specs: Iterable["WorkSpec"]) -> None:
        """GreedyScheduler.schedule."""
        from harness.virtual.model.work import WorkState

        if not self.active():
            return
        now = self.model.clock.wall_ms
        for spec in specs:
            if spec.id in self.tokens or spec.state != WorkState.ENQUEUED:
                continue
            next_run = max(spec.next_run_wall_ms(), self._throttle(spec))
            if now < next_run:
                self._delay(spec, next_run - now)
            elif self.has_constraints(spec):
                if spec.request.requires_device_idle:
                    self.model.trace("greedy_ignored", work_id=spec.id, why="requires_device_idle")
                    continue
                if spec.id not in self.tracked:
                    self.tracked[spec.id] = -1  # flows emit their first value at once
                    self.model.trace("greedy_tracking", work_id=spec.id)
                    self._check(spec)
            else:
                self._start(spec)

    def cancel(self, work_id: str) -> None:
        """GreedyScheduler.cancel (WorkManager asks every scheduler when work is cancelled)."""
        timer = self.delayed.pop(work_id, None)
        if timer is not None:
            timer.cancel()
        self.tracked.pop(work_id, None)
        self._drop_token(work_id)

    def on_executed(self, work_id: str, needs_reschedule: bool) -> None:
        """ExecutionListener.onExecuted: the token and the constraint tracking end."""
        self._drop_token(work_id)
        self.tracked.pop(work_id, None)
        if not needs_reschedule:
            self.attempts.pop(work_id, None)

    def reset(self) -> None:
        """The process died: everything in it is gone."""
        for t in list(self.delayed.values()) + list(self.limits.values()):
            t.cancel()
        self.delayed.clear()
        self.limits.clear()
        self.tokens.clear()
        self.tracked.clear()
        self.attempts.clear()
        self._deferred.clear()

    # ------------------------------------------------------------------ deferral (the caller's binder call returns first)
    def hold(self) -> "_Hold":
        return _Hold(self)

    # ------------------------------------------------------------------ internals
    def _throttle(self, spec: "WorkSpec") -> int:
        data = self.attempts.get(spec.id)
        if data is None:
            data = _AttemptData(spec.run_attempt_count, self.model.clock.wall_ms)
            self.attempts[spec.id] = data
        extra = max(spec.run_attempt_count - data.run_attempt_count - NON_THROTTLE_RUN_ATTEMPT_COUNT, 0)
        return data.timestamp_wall_ms + extra * THROTTLE_STEP_MS

    def _delay(self, spec: "WorkSpec", delay_ms: int) -> None:
        """DelayedWorkTracker.schedule: replace the pending Runnable; on time, schedule(spec) again."""
        old = self.delayed.pop(spec.id, None)
        if old is not None:
            old.cancel()
        work_id = spec.id

        def fire() -> None:
            self.delayed.pop(work_id, None)
            current = self.work.specs.get(work_id)
            if current is not None:
                self.model.trace("greedy_delay_done", work_id=work_id)
                self.schedule([current])

        timer = UptimeTimer(self.model, delay_ms, fire, f"work:greedy-delay:{work_id}")
        self.delayed[work_id] = timer
        self.model.trace("greedy_delayed", work_id=work_id, uptime_delay_ms=delay_ms)
        timer.sync(self.cpu_awake())

    def _check(self, spec: "WorkSpec") -> None:
        """onConstraintsStateChanged for one tracked WorkSpec (only on a change of state)."""
        state = self.constraint_state(spec)
        if self.tracked.get(spec.id) == state:
            return
        self.tracked[spec.id] = state
        if state is None:
            if spec.id not in self.tokens:
                self.model.trace("greedy_constraints_met", work_id=spec.id)
                self._start(spec)
        elif spec.id in self.tokens:
            self.model.trace("greedy_constraints_not_met", work_id=spec.id, reason=state)
            self._drop_token(spec.id)
            self.work.greedy_stop(spec, StopReason(state))

    def _start(self, spec: "WorkSpec") -> None:
        if self._held:
            if spec.id not in self._deferred:
                self._deferred.append(spec.id)
            return
        self.tokens.add(spec.id)
        limit = UptimeTimer(self.model, TIME_LIMIT_MS, lambda: self._time_limit(spec.id),
                            f"work:greedy-limit:{spec.id}")
        self.limits[spec.id] = limit
        limit.sync(self.cpu_awake())
        self.work.greedy_start(spec)

    def _time_limit(self, work_id: str) -> None:
        self.limits.pop(work_id, None)
        spec = self.work.specs.get(work_id)
        if spec is not None and work_id in self.tokens:
            self._drop_token(work_id)
            self.work.greedy_stop(spec, StopReason.TIMEOUT)

    def _drop_token(self, work_id: str) -> None:
        self.tokens.discard(work_id)
        limit = self.limits.pop(work_id, None)
        if limit is not None:
            limit.cancel()

    def _release(self) -> None:
        pending, self._deferred = self._deferred, []
        for work_id in pending:
            spec = self.work.specs.get(work_id)
            if spec is not None and self.active() and work_id not in self.tokens:
                from harness.virtual.model.work import WorkState

                if spec.state == WorkState.ENQUEUED:
                    self._start(spec)

    def on_state_changed(self) -> None:
        if not self.active():
            return
        awake = self.cpu_awake()
        for t in list(self.delayed.values()) + list(self.limits.values()):
            t.sync(awake)
        for work_id in sorted(self.tracked, key=lambda i: self.work.specs[i].last_enqueue_wall_ms
                              if i in self.work.specs else 0):
            spec = self.work.specs.get(work_id)
            if spec is not None and work_id in self.tracked:
                self._check(spec)


class _Hold:
    """Defers greedy starts until the enclosing app call returned (WorkManager schedules on its
    own thread after ``enqueue`` came back)."""

    def __init__(self, greedy: GreedyScheduler) -> None:
        self.greedy = greedy

    def __enter__(self) -> None:
        self.greedy._held += 1

    def __exit__(self, *exc: object) -> None:
        self.greedy._held -= 1
        if self.greedy._held == 0:
            self.greedy._release()


__all__ = ["GreedyScheduler", "UptimeTimer", "NON_THROTTLE_RUN_ATTEMPT_COUNT", "TIME_LIMIT_MS"]
