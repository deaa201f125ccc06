"""DeviceIdleController: the deep and light Doze state machines on virtual time.

The timeouts are DeviceIdleController.Constants defaults (docs/fidelity.md, section "Doze"). The
state machines follow stepIdleStateLocked / stepLightIdleStateLocked; their timers are system
alarms in the virtual AlarmManager, as in AOSP (setWindow with FLEX_TIME_SHORT, setIdleUntil for
deep IDLE), so they batch with app alarms the way the platform's do.

The modelled hardware has a significant-motion sensor (the device is always stationary) but no
AnyMotion accelerometer check and no location provider, so a step from IDLE_PENDING passes
SENSING and LOCATING at once, as DeviceIdleController does when those are absent: screen off
and on battery -> INACTIVE (INACTIVE_TIMEOUT) -> IDLE_PENDING (IDLE_AFTER_INACTIVE_TIMEOUT) -> IDLE.
"""

from __future__ import annotations

import logging

from harness.virtual.model.alarms import AlarmType
from harness.virtual.model.state import DeepIdleState, LightIdleState
from harness.virtual.model.subsystem import Subsystem

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
# DeviceIdleController.Constants defaults (not a small-battery device, COMPRESS_TIME off)
FLEX_TIME_SHORT_MS = 1 * MINUTE_MS
LIGHT_IDLE_AFTER_INACTIVE_TIMEOUT_MS = 1 * MINUTE_MS
LIGHT_PRE_IDLE_TIMEOUT_MS = 3 * MINUTE_MS
LIGHT_IDLE_TIMEOUT_MS = 5 * MINUTE_MS
LIGHT_IDLE_TIMEOUT_INITIAL_FLEX_MS = 1 * MINUTE_MS
LIGHT_MAX_IDLE_TIMEOUT_FLEX_MS = 15 * MINUTE_MS
LIGHT_IDLE_FACTOR = 2.0
LIGHT_MAX_IDLE_TIMEOUT_MS = 15 * MINUTE_MS
LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS = 1 * MINUTE_MS
LIGHT_IDLE_MAINTENANCE_MAX_BUDGET_MS = 5 * MINUTE_MS
MIN_LIGHT_MAINTENANCE_TIME_MS = 5_000
MIN_DEEP_MAINTENANCE_TIME_MS = 30_000
INACTIVE_TIMEOUT_MS = 30 * MINUTE_MS
SENSING_TIMEOUT_MS = 4 * MINUTE_MS
LOCATING_TIMEOUT_MS = 30_000
IDLE_AFTER_INACTIVE_TIMEOUT_MS = 30 * MINUTE_MS
IDLE_PENDING_TIMEOUT_MS = 5 * MINUTE_MS
MAX_IDLE_PENDING_TIMEOUT_MS = 10 * MINUTE_MS
IDLE_PENDING_FACTOR = 2.0
IDLE_TIMEOUT_MS = 60 * MINUTE_MS
MAX_IDLE_TIMEOUT_MS = 6 * 60 * MINUTE_MS
IDLE_FACTOR = 2.0
MIN_TIME_TO_ALARM_MS = 30 * MINUTE_MS

DEEP_TAG = "DeviceIdleController.deep"
LIGHT_TAG = "DeviceIdleController.light"


class DozeError(Exception):
    """A `cmd deviceidle` request the controller refuses (message as printed by the shell)."""


class Doze(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self.deep_enabled = True
        self.light_enabled = True
        self.forced = False
        st = model.state
        self.screen_on = st.screen_on
        self.charging = st.charging
        self.network_connected = st.network_connected
        self.jobs_active = False
        self.alarms_active = False
        self.active_idle_op_count = 0
        self.inactive_timeout = INACTIVE_TIMEOUT_MS
        self.next_alarm_time = 0
        self.next_light_alarm_time = 0
        self.next_idle_pending_delay = 0
        self.next_idle_delay = 0
        self.next_light_idle_delay = 0
        self.next_light_idle_delay_flex = 0
        self.cur_light_idle_budget = 0
        self.maintenance_start = 0
        self.idle_start = 0
        self.events: list[tuple[str, int, str | None]] = []  # (label, elapsed, reason), oldest first
        self._notifying = False
        self._finish_op_timer = None
        self.model.state.deep_idle = DeepIdleState.ACTIVE
        self.model.state.light_idle = LightIdleState.ACTIVE

    # ---------------------------------------------------------------- state helpers
    @property
    def state(self) -> DeepIdleState:
        return self.model.state.deep_idle

    @property
    def light_state(self) -> LightIdleState:
        return self.model.state.light_idle

    def _set_deep(self, s: DeepIdleState, reason: str) -> None:
        if self.model.state.deep_idle != s:
            self.model.state.deep_idle = s
            self.model.trace("doze_deep", state=s.value, reason=reason)
            self._notify()

    def _set_light(self, s: LightIdleState, reason: str) -> None:
        if self.model.state.light_idle != s:
            self.model.state.light_idle = s
            self.model.trace("doze_light", state=s.value, reason=reason)
            self._notify()

    def _notify(self) -> None:
        if not self._notifying:
            self.model.state_changed()

    def _add_event(self, label: str, reason: str | None) -> None:
        if not self.events or self.events[-1][0] != label:
            self.events.append((label, self.model.clock.elapsed_ms, reason))
            del self.events[:-100]

    def in_maintenance_window(self) -> bool:
        return (self.state == DeepIdleState.IDLE_MAINTENANCE
                or self.light_state == LightIdleState.IDLE_MAINTENANCE)

    def is_deep_idle(self) -> bool:
        return self.state == DeepIdleState.IDLE

    def is_light_idle(self) -> bool:
        return self.light_state in (LightIdleState.IDLE, LightIdleState.WAITING_FOR_NETWORK,
                                    LightIdleState.OVERRIDE) and self.state != DeepIdleState.IDLE_MAINTENANCE

    # ---------------------------------------------------------------- alarms
    def _now(self) -> int:
        return self.model.clock.elapsed_ms

    def _schedule_alarm(self, delay: int, idle_until: bool) -> None:
        """scheduleAlarmLocked."""
        self.next_alarm_time = self._now() + delay
        al = self.model.alarms
        if idle_until:
            al.set_idle_until(self.next_alarm_time, lambda: self.step_deep("s:alarm"))
        elif self.state == DeepIdleState.LOCATING:
            al.schedule_system(DEEP_TAG, AlarmType.ELAPSED_REALTIME_WAKEUP, self.next_alarm_time, 0,
                               lambda: self.step_deep("s:alarm"))
        else:
            al.schedule_system(DEEP_TAG, AlarmType.ELAPSED_REALTIME_WAKEUP, self.next_alarm_time,
                               FLEX_TIME_SHORT_MS, lambda: self.step_deep("s:alarm"))

    def _cancel_alarm(self) -> None:
        if self.next_alarm_time != 0:
            self.next_alarm_time = 0
            self.model.alarms.cancel_system(DEEP_TAG)

    def _schedule_light_alarm(self, delay: int, flex: int, wakeup: bool) -> None:
        self.next_light_alarm_time = self._now() + delay
        self.model.alarms.schedule_system(
            LIGHT_TAG, AlarmType.ELAPSED_REALTIME_WAKEUP if wakeup else AlarmType.ELAPSED_REALTIME,
            self.next_light_alarm_time, flex, lambda: self.step_light("s:alarm"))

    def _cancel_light_alarm(self) -> None:
        if self.next_light_alarm_time != 0:
            self.next_light_alarm_time = 0
            self.model.alarms.cancel_system(LIGHT_TAG)

    def _upcoming_alarm_clock(self) -> bool:
        """isUpcomingAlarmClock: an alarm clock within MIN_TIME_TO_ALARM keeps the device out of idle."""
        return self._now() + MIN_TIME_TO_ALARM_MS >= self.model.alarms.next_wake_from_idle_time()

    # ---------------------------------------------------------------- transitions
    def become_active(self, reason: str, inactive_timeout: int = INACTIVE_TIMEOUT_MS,
                      change_light: bool = True) -> None:
        if self.state != DeepIdleState.ACTIVE or self.light_state != LightIdleState.ACTIVE:
            self._set_deep(DeepIdleState.ACTIVE, reason)
            self.inactive_timeout = inactive_timeout
            self._reset_idle_management()
            if self.light_state != LightIdleState.IDLE_MAINTENANCE:
                self.maintenance_start = 0
            if change_light:
                self._set_light(LightIdleState.ACTIVE, reason)
                self._reset_light_idle_management()
                self._add_event("normal", reason)

    def become_inactive_if_appropriate(self) -> None:
        if not self.forced and (self.charging or self.screen_on):
            return
        if self.deep_enabled and self.state == DeepIdleState.ACTIVE:
            self._set_deep(DeepIdleState.INACTIVE, "no activity")
            self._reset_idle_management()
            delay = self.inactive_timeout
            if self._upcoming_alarm_clock():
                self._schedule_alarm(self.model.alarms.next_wake_from_idle_time() - self._now() + delay, False)
            else:
                self._schedule_alarm(delay, False)
        if self.light_state == LightIdleState.ACTIVE and self.light_enabled:
            self._set_light(LightIdleState.INACTIVE, "no activity")
            self._reset_light_idle_management()
            self._schedule_light_alarm(LIGHT_IDLE_AFTER_INACTIVE_TIMEOUT_MS, FLEX_TIME_SHORT_MS, True)

    def _reset_idle_management(self) -> None:
        self.next_idle_pending_delay = 0
        self.next_idle_delay = 0
        self.idle_start = 0
        self._cancel_alarm()

    def _reset_light_idle_management(self) -> None:
        self.next_light_idle_delay = 0
        self.next_light_idle_delay_flex = 0
        self.cur_light_idle_budget = 0
        self._cancel_light_alarm()

    def _ops_inactive(self) -> bool:
        return self.active_idle_op_count <= 0 and not self._jobs_running() and not self.alarms_active

    def _jobs_running(self) -> bool:
        """JobSchedulerService reports running jobs (setJobsActive); also read its running set directly,
        so a window opened while a job runs stays open even if no report came."""
        return self.jobs_active or bool(self.model.jobs.running)

    def _start_idle_op(self, min_time: int) -> None:
        """mActiveIdleOpCount = 1, released MIN_*_MAINTENANCE_TIME after the idle broadcast."""
        self.active_idle_op_count = 1
        if self._finish_op_timer is not None:
            self._finish_op_timer.cancel()
        self._finish_op_timer = self.model.clock.call_later(min_time, self._finish_idle_op, "doze:finish_idle_op")

    def _finish_idle_op(self) -> None:
        self._finish_op_timer = None
        self.active_idle_op_count -= 1
        if self.active_idle_op_count <= 0:
            self.active_idle_op_count = 0
            self.exit_maintenance_early_if_needed()

    def exit_maintenance_early_if_needed(self) -> None:
        if self.state == DeepIdleState.IDLE_MAINTENANCE or self.light_state == LightIdleState.IDLE_MAINTENANCE \
                or self.light_state == LightIdleState.PRE_IDLE:
            if self._ops_inactive():
                if self.state == DeepIdleState.IDLE_MAINTENANCE:
                    self.step_deep("s:early")
                elif self.light_state == LightIdleState.PRE_IDLE:
                    self.step_light("s:predone")
                else:
                    self.step_light("s:early")

    def set_jobs_active(self, active: bool) -> None:
        """JobSchedulerService tells DeviceIdleController whether jobs run (setJobsActive)."""
        self.jobs_active = active
        if not active:
            self.exit_maintenance_early_if_needed()

    def set_alarms_active(self, active: bool) -> None:
        self.alarms_active = active
        if not active:
            self.exit_maintenance_early_if_needed()

    def step_light(self, reason: str) -> None:
        """stepLightIdleStateLocked."""
        ls = self.light_state
        if ls == LightIdleState.OVERRIDE:
            return
        if ls == LightIdleState.INACTIVE or ls == LightIdleState.PRE_IDLE or ls == LightIdleState.IDLE_MAINTENANCE:
            if ls == LightIdleState.INACTIVE:
                self.cur_light_idle_budget = LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS
                self.next_light_idle_delay = LIGHT_IDLE_TIMEOUT_MS
                self.next_light_idle_delay_flex = LIGHT_IDLE_TIMEOUT_INITIAL_FLEX_MS
                self.maintenance_start = 0
                if not self._ops_inactive():
                    self._set_light(LightIdleState.PRE_IDLE, reason)
                    self._schedule_light_alarm(LIGHT_PRE_IDLE_TIMEOUT_MS, FLEX_TIME_SHORT_MS, True)
                    return
            if self.maintenance_start != 0:
                duration = self._now() - self.maintenance_start
                if duration < LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS:
                    self.cur_light_idle_budget += LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS - duration
                else:
                    self.cur_light_idle_budget -= duration - LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS
            self.maintenance_start = 0
            self._schedule_light_alarm(self.next_light_idle_delay, self.next_light_idle_delay_flex, False)
            self.next_light_idle_delay = min(LIGHT_MAX_IDLE_TIMEOUT_MS,
                                             int(self.next_light_idle_delay * LIGHT_IDLE_FACTOR))
            self.next_light_idle_delay_flex = min(LIGHT_MAX_IDLE_TIMEOUT_FLEX_MS,
                                                  int(self.next_light_idle_delay_flex * LIGHT_IDLE_FACTOR))
            self._set_light(LightIdleState.IDLE, reason)
            self._add_event("light-idle", None)
        elif ls in (LightIdleState.IDLE, LightIdleState.WAITING_FOR_NETWORK):
            if self.network_connected or ls == LightIdleState.WAITING_FOR_NETWORK:
                self.maintenance_start = self._now()
                self.cur_light_idle_budget = min(max(self.cur_light_idle_budget, LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS),
                                                 LIGHT_IDLE_MAINTENANCE_MAX_BUDGET_MS)
                self._schedule_light_alarm(self.cur_light_idle_budget, FLEX_TIME_SHORT_MS, True)
                self._set_light(LightIdleState.IDLE_MAINTENANCE, reason)
                self._add_event("light-maint", None)
                self._start_idle_op(MIN_LIGHT_MAINTENANCE_TIME_MS)
            else:
                self._schedule_light_alarm(self.next_light_idle_delay, self.next_light_idle_delay_flex // 2, True)
                self._set_light(LightIdleState.WAITING_FOR_NETWORK, reason)

    def step_deep(self, reason: str) -> None:
        """stepIdleStateLocked."""
        if self._upcoming_alarm_clock():
            if self.state != DeepIdleState.ACTIVE:
                self.become_active("alarm")
                self.become_inactive_if_appropriate()
            return
        s = self.state
        if s == DeepIdleState.INACTIVE:
            self._schedule_alarm(IDLE_AFTER_INACTIVE_TIMEOUT_MS, False)
            self._set_deep(DeepIdleState.IDLE_PENDING, reason)
            return
        if s in (DeepIdleState.IDLE_PENDING, DeepIdleState.SENSING, DeepIdleState.LOCATING,
                 DeepIdleState.QUICK_DOZE_DELAY):
            # IDLE_PENDING -> SENSING -> LOCATING -> IDLE in one step: no AnyMotion sensor, no location.
            self._cancel_alarm()
            self.next_idle_pending_delay = IDLE_PENDING_TIMEOUT_MS
            self.next_idle_delay = IDLE_TIMEOUT_MS
            s = DeepIdleState.IDLE_MAINTENANCE  # fall through into the "go idle" branch
        if s == DeepIdleState.IDLE_MAINTENANCE:
            delay = self.next_idle_delay
            self.next_idle_delay = int(self.next_idle_delay * IDLE_FACTOR)
            self.idle_start = self._now()
            self.next_idle_delay = max(min(self.next_idle_delay, MAX_IDLE_TIMEOUT_MS), IDLE_TIMEOUT_MS)
            self._set_deep(DeepIdleState.IDLE, reason)
            if self.light_state != LightIdleState.OVERRIDE:
                self._set_light(LightIdleState.OVERRIDE, reason)
                self._cancel_light_alarm()
            self._schedule_alarm(delay, True)
            self._add_event("deep-idle", None)
        elif s == DeepIdleState.IDLE:
            self._schedule_alarm(self.next_idle_pending_delay, False)
            self.maintenance_start = self._now()
            self.next_idle_pending_delay = max(min(MAX_IDLE_PENDING_TIMEOUT_MS,
                                                   int(self.next_idle_pending_delay * IDLE_PENDING_FACTOR)),
                                               IDLE_PENDING_TIMEOUT_MS)
            self._set_deep(DeepIdleState.IDLE_MAINTENANCE, reason)
            self._add_event("deep-maint", None)
            self._start_idle_op(MIN_DEEP_MAINTENANCE_TIME_MS)

    # ---------------------------------------------------------------- shell-facing
    def force_idle(self, which: str = "deep") -> str:
        """``cmd deviceidle force-idle [deep|light]``: returns the line the shell prints."""
        if which == "deep":
            if not self.deep_enabled:
                raise DozeError("Unable to go deep idle; not enabled")
            self.forced = True
            self.become_inactive_if_appropriate()
            cur = self.state
            while cur != DeepIdleState.IDLE:
                self.step_deep("s:shell")
                if cur == self.state:
                    self.exit_force_idle()
                    raise DozeError(f"Unable to go deep idle; stopped at {self.state.value}")
                cur = self.state
            return "Now forced in to deep idle mode"
        self.forced = True
        self.become_inactive_if_appropriate()
        cur_l = self.light_state
        while cur_l != LightIdleState.IDLE:
            self.step_light("s:shell")
            if cur_l == self.light_state:
                self.exit_force_idle()
                raise DozeError(f"Unable to go light idle; stopped at {self.light_state.value}")
            cur_l = self.light_state
        return "Now forced in to light idle mode"

    def force_inactive(self) -> None:
        self.forced = True
        self.become_inactive_if_appropriate()

    def exit_force_idle(self) -> None:
        if self.forced:
            self.forced = False
            if self.screen_on or self.charging:
                self.become_active("exit-force")

    def unforce(self) -> None:
        self.exit_force_idle()

    def step(self, which: str = "deep") -> str:
        if which == "light":
            self.step_light("s:shell")
            return f"Stepped to light: {self.light_state.value}"
        self.step_deep("s:shell")
        return f"Stepped to deep: {self.state.value}"

    def exit(self, reason: str = "shell") -> None:
        """DeviceIdleController.exitIdle (PowerManager / `cmd deviceidle` callers)."""
        self.become_active(reason)

    def motion(self) -> None:
        """``cmd deviceidle motion``: handleMotionDetectedLocked(MOTION_INACTIVE_TIMEOUT)."""
        become_inactive = self.state != DeepIdleState.ACTIVE or self.light_state == LightIdleState.OVERRIDE
        self.become_active("motion", 10 * MINUTE_MS, self.light_state == LightIdleState.OVERRIDE)
        if become_inactive:
            self.become_inactive_if_appropriate()

    def set_enabled(self, which: str, enabled: bool) -> list[str]:
        out: list[str] = []
        change = False
        if which in ("deep", "all"):
            if self.deep_enabled != enabled:
                self.deep_enabled = enabled
                change = True
                out.append("Deep idle mode enabled" if enabled else "Deep idle mode disabled")
        if which in ("light", "all"):
            if self.light_enabled != enabled:
                self.light_enabled = enabled
                change = True
                out.append("Light idle mode enable" if enabled else "Light idle mode disabled")
        if change:
            if enabled:
                self.become_inactive_if_appropriate()
            else:
                self.become_active(f"{which}-disabled")
        return out

    # ---------------------------------------------------------------- hooks
    def on_state_changed(self) -> None:
        st = self.model.state
        self._notifying = True
        try:
            if st.network_connected != self.network_connected:
                self.network_connected = st.network_connected
                if self.network_connected and self.light_state == LightIdleState.WAITING_FOR_NETWORK:
                    self.step_light("network")
            if st.charging != self.charging:
                self.charging = st.charging
                if not self.charging:
                    if not self.forced:
                        self.become_inactive_if_appropriate()
                elif not self.forced:
                    self.become_active("charging")
            if st.screen_on != self.screen_on:
                self.screen_on = st.screen_on
                if not self.screen_on:
                    if not self.forced:
                        self.become_inactive_if_appropriate()
                elif not self.forced:
                    # WAIT_FOR_UNLOCK: the virtual device has no keyguard, screen on = unlocked
                    self.become_active("screen")
        finally:
            self._notifying = False

    def on_shutdown(self) -> None:
        if self._finish_op_timer is not None:
            self._finish_op_timer.cancel()
        self._finish_op_timer = None

    def on_boot(self) -> None:
        from harness.virtual.model import power

        power.on_reboot(self.model)  # BatteryService restarts with the boot too
        # A fresh DeviceIdleController: enabled flags persist only in settings; force state does not.
        self.forced = False
        self.active_idle_op_count = 0
        self.next_alarm_time = 0
        self.next_light_alarm_time = 0
        self._reset_idle_management()
        self._reset_light_idle_management()
        self.model.state.deep_idle = DeepIdleState.ACTIVE
        self.model.state.light_idle = LightIdleState.ACTIVE
        st = self.model.state
        self.screen_on, self.charging, self.network_connected = st.screen_on, st.charging, st.network_connected
        self.become_inactive_if_appropriate()

