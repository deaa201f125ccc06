"""AlarmManager: the rules of AlarmManagerService (API 31+ lazy alarm store) on virtual time.

Every figure here is an AlarmManagerService / AlarmManager constant; docs/fidelity.md lists them
with their sources. In short:

  * set() and the repeating calls are inexact for apps targeting API 19+: their window is 75% of
    the futurity (or of the interval), at most one hour for one-shot alarms (maxTriggerTime);
  * no alarm may trigger sooner than MIN_FUTURITY (5 s) from now; repeat intervals are clamped to
    MIN_INTERVAL (1 min) .. MAX_INTERVAL (365 days); explicit windows are stretched to
    min(75% of futurity, MIN_WINDOW = 10 min) for apps targeting API 31+;
  * exact alarms (window 0: setExact, setExactAndAllowWhileIdle, setAlarmClock, setWindow(0))
    from apps targeting API 31+ need SCHEDULE_EXACT_ALARM (app-op) or USE_EXACT_ALARM, else a
    SecurityException; allow-listed apps are exempt;
  * allow-while-idle alarms may fire in Doze within ALLOW_WHILE_IDLE_QUOTA (72) per
    ALLOW_WHILE_IDLE_WINDOW (1 h); inexact ones from API 31+ apps, and all from older apps, get
    ALLOW_WHILE_IDLE_COMPAT_QUOTA (7) per hour;
  * while DeviceIdleController idles (deep IDLE: the IDLE_UNTIL alarm is pending) other alarms
    wait for it; alarm clocks (FLAG_WAKE_FROM_IDLE) pull the idle-until alarm earlier by a fuzz
    of MIN_DEVICE_IDLE_FUZZ..MAX_DEVICE_IDLE_FUZZ (2..15 min) and fire on time;
  * app standby buckets cap deliveries per APP_STANDBY_WINDOW (1 h): 720/10/2/1/0 for
    active/working/frequent/rare/never, 1 per day for restricted; charging paroles the quota;
  * battery saver holds the alarms of apps whose uid is idle (not allow-while-idle ones, within quota);
  * delivery is lazy: the kernel alarm is set to the earliest maxWhenElapsed of the first run of
    overlapping alarms; exact alarms are FLAG_STANDALONE and go out alone;
  * non-wakeup alarms never wake the device: with the screen off they wait for the next wakeup
    alarm delivery or for the screen to turn on (the model treats the CPU as asleep whenever the
    screen is off);
  * alarms live in RAM: a reboot clears them; force-stop, uninstall and update remove the app's.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.companion import protocol
from harness.companion.protocol import AlarmMethod
from harness.virtual.model.clock import Timer
from harness.virtual.model.state import StandbyBucket
from harness.virtual.model.subsystem import Subsystem
from harness.virtual.model.timeutils import format_duration, format_relative, format_rtc

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- AlarmManager / AlarmManagerService constants
FLAG_STANDALONE = 1 << 0
FLAG_WAKE_FROM_IDLE = 1 << 1
FLAG_ALLOW_WHILE_IDLE = 1 << 2
FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED = 1 << 3
FLAG_IDLE_UNTIL = 1 << 4
FLAG_ALLOW_WHILE_IDLE_COMPAT = 1 << 5

MIN_FUTURITY_MS = 5_000
MIN_INTERVAL_MS = 60_000
INTERVAL_HOUR_MS = 3_600_000
INTERVAL_DAY_MS = 24 * INTERVAL_HOUR_MS
MAX_INTERVAL_MS = 365 * INTERVAL_DAY_MS
MIN_WINDOW_MS = 10 * 60_000
MIN_FUZZABLE_INTERVAL_MS = 10_000
ALLOW_WHILE_IDLE_WHITELIST_DURATION_MS = 10_000
MAX_ALARMS_PER_UID = 500
APP_STANDBY_WINDOW_MS = INTERVAL_HOUR_MS
APP_STANDBY_QUOTAS = {"active": 720, "working": 10, "frequent": 2, "rare": 1, "never": 0}
APP_STANDBY_RESTRICTED_QUOTA = 1
APP_STANDBY_RESTRICTED_WINDOW_MS = INTERVAL_DAY_MS
ALLOW_WHILE_IDLE_QUOTA = 72
ALLOW_WHILE_IDLE_COMPAT_QUOTA = 7
ALLOW_WHILE_IDLE_WINDOW_MS = INTERVAL_HOUR_MS
ALLOW_WHILE_IDLE_COMPAT_WINDOW_MS = INTERVAL_HOUR_MS
MIN_DEVICE_IDLE_FUZZ_MS = 2 * 60_000
MAX_DEVICE_IDLE_FUZZ_MS = 15 * 60_000
INDEFINITE_DELAY_MS = 365 * INTERVAL_DAY_MS

SYSTEM_PACKAGE = "android"
SYSTEM_UID = 1000

POLICY_NAMES = ("requester", "app_standby", "device_idle", "battery_saver")


class AlarmType(enum.IntEnum):
    """AlarmManager.RTC_WAKEUP etc."""

    RTC_WAKEUP = 0
    RTC = 1
    ELAPSED_REALTIME_WAKEUP = 2
    ELAPSED_REALTIME = 3

    @property
    def wakeup(self) -> bool:
        return self in (AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME_WAKEUP)

    @property
    def rtc(self) -> bool:
        return self in (AlarmType.RTC_WAKEUP, AlarmType.RTC)

    @property
    def label(self) -> str:
        """Alarm.typeToString."""
        return {AlarmType.RTC: "RTC", AlarmType.RTC_WAKEUP: "RTC_WAKEUP", AlarmType.ELAPSED_REALTIME: "ELAPSED",
                AlarmType.ELAPSED_REALTIME_WAKEUP: "ELAPSED_WAKEUP"}[self]


# The AlarmManager type constant the companion passes for each of the protocol's alarm type names.
ALARM_TYPES: dict[protocol.AlarmType, AlarmType] = {
    protocol.AlarmType.RTC: AlarmType.RTC, protocol.AlarmType.RTC_WAKEUP: AlarmType.RTC_WAKEUP,
    protocol.AlarmType.ELAPSED: AlarmType.ELAPSED_REALTIME,
    protocol.AlarmType.ELAPSED_WAKEUP: AlarmType.ELAPSED_REALTIME_WAKEUP}


class ExactAlarmDenied(Exception):
    """java.lang.SecurityException from AlarmManager.set*: exact alarm without the permission."""

    exception = "java.lang.SecurityException"

    def __init__(self, package: str) -> None:
        self.package = package
        super().__init__(f"Caller {package} needs to hold android.permission.SCHEDULE_EXACT_ALARM or "
                         "android.permission.USE_EXACT_ALARM to set exact alarms.")


class TooManyAlarms(Exception):
    """java.lang.IllegalStateException: MAX_ALARMS_PER_UID reached."""

    exception = "java.lang.IllegalStateException"


@dataclass(frozen=True)
class FiredAlarm:
    package: str
    request_code: int
    tag: str
    type: AlarmType
    method: AlarmMethod
    scheduled_ms: int  # requested trigger time on the type's clock
    delivered_ms: int  # the same clock at delivery
    delay_ms: int
    count: int  # how many (repeating) triggers this delivery stands for (EXTRA_ALARM_COUNT)


@dataclass
class AlarmRequest:
    type: AlarmType
    method: AlarmMethod
    trigger_at: int  # on the type's clock (wall for RTC*, elapsed for ELAPSED*)
    window_ms: int = 0
    interval_ms: int = 0
    request_code: int = 0
    tag: str = ""  # PendingIntent.getTag: the broadcast's action (the companion's: ACTION_PREFIX + task id)
    on_fire: Callable[[FiredAlarm], None] | None = field(default=None, repr=False)


@dataclass
class AlarmHandle:
    package: str
    request_code: int
    when_elapsed: int = 0
    max_when_elapsed: int = 0
    flags: int = 0


@dataclass(eq=False)
class Alarm:
    seq: int
    package: str
    uid: int
    type: AlarmType
    method: AlarmMethod | None
    orig_when: int
    window_ms: int
    repeat_interval: int
    flags: int
    request_code: int
    tag: str
    on_fire: Callable[[Any], None] | None
    alarm_clock: bool = False
    system: bool = False
    temp_allowlist_on_delivery: bool = False
    count: int = 0
    policies: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    when_elapsed: int = 0
    max_when_elapsed: int = 0

    @property
    def requested_elapsed(self) -> int:
        return self.policies[0]

    @property
    def wakeup(self) -> bool:
        return self.type.wakeup

    def set_policy(self, index: int, value: int) -> bool:
        self.policies[index] = value
        return self._update()

    def _update(self) -> bool:
        old = (self.when_elapsed, self.max_when_elapsed)
        self.when_elapsed = max(self.policies)
        self.max_when_elapsed = max(self.policies[0] + self.window_ms, self.when_elapsed)
        return old != (self.when_elapsed, self.max_when_elapsed)

    @property
    def allowed_while_idle_restricted(self) -> bool:
        return bool(self.flags & (FLAG_ALLOW_WHILE_IDLE | FLAG_ALLOW_WHILE_IDLE_COMPAT))

    @property
    def stats_tag(self) -> str:
        """Alarm.makeTag: what ``dumpsys alarm`` prints after ``tag=``."""
        return ("*walarm*:" if self.wakeup else "*alarm*:") + self.tag


def max_trigger_time(now: int, trigger_at: int, interval: int) -> int:
    """AlarmManagerService.maxTriggerTime: the end of the heuristic window."""
    futurity = (trigger_at - now) if interval == 0 else interval
    if futurity < MIN_FUZZABLE_INTERVAL_MS:
        futurity = 0
    max_elapsed = trigger_at + int(0.75 * futurity)
    if interval == 0:
        max_elapsed = min(max_elapsed, trigger_at + INTERVAL_HOUR_MS)
    return max_elapsed


class _History:
    """AppWakeupHistory: per package delivery times within a rolling window."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._h: dict[str, list[int]] = {}

    def record(self, package: str, now: int) -> None:
        lst = self._h.setdefault(package, [])
        if not lst or lst[-1] < now:
            lst.append(now)
        while lst and lst[0] + self.window_ms < lst[-1]:
            lst.pop(0)

    def total(self, package: str) -> int:
        return len(self._h.get(package, ()))

    def nth_last(self, package: str, n: int) -> int:
        lst = self._h.get(package, [])
        i = len(lst) - n
        return lst[i] if i >= 0 else 0

    def remove(self, package: str) -> None:
        self._h.pop(package, None)

    def items(self) -> list[tuple[str, list[int]]]:
        return sorted(self._h.items())


class Alarms(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self._alarms: list[Alarm] = []  # sorted by (when_elapsed, seq)
        self._seq = 0
        self._wake_timer: Timer | None = None
        self._nonwake_timer: Timer | None = None
        self.pending_idle_until: Alarm | None = None
        self.next_wake_from_idle: Alarm | None = None
        self._app_history = _History(APP_STANDBY_WINDOW_MS)
        self._awi_history = _History(ALLOW_WHILE_IDLE_WINDOW_MS)
        self._awi_compat_history = _History(ALLOW_WHILE_IDLE_COMPAT_WINDOW_MS)
        self._restricted_history = _History(APP_STANDBY_RESTRICTED_WINDOW_MS)
        self._pending_background: list[Alarm] = []
        self._screen_on = model.state.screen_on
        self.last_delivery_elapsed = 0
        self.deliveries = 0
        self._in_trigger = False
        self.removal_history: list[tuple[str, str, str, int]] = []  # (package, tag, reason, elapsed)

    # ---------------------------------------------------------------- clocks
    def _now(self) -> int:
        return self.model.clock.elapsed_ms

    def _to_elapsed(self, when: int, type_: AlarmType) -> int:
        if type_.rtc:
            return when - (self.model.clock.wall_ms - self.model.clock.elapsed_ms)
        return when

    def _on_type_clock(self, type_: AlarmType) -> int:
        return self.model.clock.wall_ms if type_.rtc else self.model.clock.elapsed_ms

    # ---------------------------------------------------------------- permission
    def _exact_change_enabled(self, package: str) -> bool:
        """AlarmManager.REQUIRE_EXACT_ALARM_PERMISSION: API 31+ devices, apps targeting 31+."""
        return self.model.api >= 31 and self.model.packages.target_sdk(package) >= 31

    def has_use_exact_alarm(self, package: str) -> bool:
        """USE_EXACT_ALARM (install-time) counts for apps targeting 33+ (ENABLE_USE_EXACT_ALARM)."""
        pk = self.model.packages
        info = pk.info(package)
        return (self.model.api >= 33 and info.target_sdk >= 33
                and "android.permission.USE_EXACT_ALARM" in info.requested_permissions)

    def can_schedule_exact_alarms(self, package: str) -> bool:
        """AlarmManager.canScheduleExactAlarms()."""
        if not self._exact_change_enabled(package):
            return True
        return (self.model.standby.is_power_save_allowlisted(package) or self.has_use_exact_alarm(package)
                or self.model.packages.has_permission(package, "android.permission.SCHEDULE_EXACT_ALARM"))

    # ---------------------------------------------------------------- scheduling (apps)
    def schedule(self, package: str, req: AlarmRequest) -> AlarmHandle:
        """The app calls AlarmManager.<method>(...) with a PendingIntent identified by request_code."""
        pk = self.model.packages
        target = pk.target_sdk(package)
        type_ = AlarmType(req.type)
        method = AlarmMethod(req.method)
        interval = 0
        flags = 0
        alarm_clock = False
        heuristic = -1 if target >= 19 else 0  # AlarmManager.legacyExactLength()
        if method == AlarmMethod.SET:
            window = heuristic
        elif method == AlarmMethod.SET_WINDOW:
            if req.window_ms < 0:
                raise ValueError("window_ms must be >= 0")
            window = req.window_ms
        elif method == AlarmMethod.SET_EXACT:
            window = 0
        elif method == AlarmMethod.SET_AND_ALLOW_WHILE_IDLE:
            window, flags = -1, FLAG_ALLOW_WHILE_IDLE
        elif method == AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE:
            window, flags = 0, FLAG_ALLOW_WHILE_IDLE
        elif method == AlarmMethod.SET_REPEATING:
            window, interval = heuristic, req.interval_ms
        elif method == AlarmMethod.SET_INEXACT_REPEATING:
            window, interval = -1, req.interval_ms
        else:  # SET_ALARM_CLOCK: always RTC_WAKEUP, exact
            window, alarm_clock, type_ = 0, True, AlarmType.RTC_WAKEUP
        if method in protocol.REPEATING_ALARM_METHODS and interval <= 0:
            raise ValueError("interval_ms must be > 0 for repeating alarms")

        # IAlarmManager.set: flags and permission.
        allowlisted = self.model.standby.is_power_save_allowlisted(package)
        if alarm_clock:
            flags |= FLAG_WAKE_FROM_IDLE
            window = 0
        elif allowlisted:
            flags |= FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED
            flags &= ~FLAG_ALLOW_WHILE_IDLE
        allow_while_idle = bool(flags & FLAG_ALLOW_WHILE_IDLE)
        exact = window == 0
        temp_allowlist = False
        if exact or allow_while_idle:
            if self._exact_change_enabled(package):
                needs_permission = exact
                lower_quota = not exact
                temp_allowlist = True  # mOptsWithFgs / mOptsWithoutFgs carry a temp allowlist
            else:
                needs_permission = False
                lower_quota = allow_while_idle
                temp_allowlist = allow_while_idle or alarm_clock
            if needs_permission and not (self.has_use_exact_alarm(package) or pk.has_permission(
                    package, "android.permission.SCHEDULE_EXACT_ALARM")):
                if not allowlisted:
                    self.model.trace("alarm_denied", package=package, method=method.value,
                                     request_code=req.request_code)
                    raise ExactAlarmDenied(package)
                temp_allowlist = allow_while_idle
                lower_quota = allow_while_idle
            if lower_quota:
                flags &= ~FLAG_ALLOW_WHILE_IDLE
                flags |= FLAG_ALLOW_WHILE_IDLE_COMPAT
        if exact:
            flags |= FLAG_STANDALONE

        a = self._set_impl(package, pk.uid_of(package), type_, method, req.trigger_at, window, interval, flags,
                           req.request_code, req.tag or f"{package}.ALARM#{req.request_code}", req.on_fire,
                           alarm_clock=alarm_clock, temp_allowlist=temp_allowlist, min_window_applies=target >= 31
                           and not allowlisted)
        return AlarmHandle(package, a.request_code, a.when_elapsed, a.max_when_elapsed, a.flags)

    def _set_impl(self, package: str, uid: int, type_: AlarmType, method: AlarmMethod | None, trigger_at: int,
                  window: int, interval: int, flags: int, request_code: int, tag: str,
                  on_fire: Callable[[Any], None] | None, *, alarm_clock: bool = False, system: bool = False,
                  temp_allowlist: bool = False, min_window_applies: bool = False) -> Alarm:
        if interval > 0 and interval < MIN_INTERVAL_MS:
            interval = MIN_INTERVAL_MS
        elif interval > MAX_INTERVAL_MS:
            interval = MAX_INTERVAL_MS
        if trigger_at < 0:
            trigger_at = 0
        now = self._now()
        nominal = self._to_elapsed(trigger_at, type_)
        trigger_elapsed = max(now + (0 if system else MIN_FUTURITY_MS), nominal)
        if window == 0:
            pass
        elif window < 0:
            window = max_trigger_time(now, trigger_elapsed, interval) - trigger_elapsed
        else:
            min_allowed = min(int((trigger_elapsed - now) * 0.75), MIN_WINDOW_MS)
            if window > INTERVAL_DAY_MS:
                window = INTERVAL_DAY_MS
            elif window < min_allowed and min_window_applies:
                window = min_allowed
        if not system:
            # replacing the same PendingIntent first (removeLocked(operation))
            self._remove(lambda x: x.package == package and not x.system and x.request_code == request_code,
                         reason=None)
            if sum(1 for x in self._alarms if x.uid == uid) >= MAX_ALARMS_PER_UID:
                raise TooManyAlarms(f"Maximum limit of concurrent alarms {MAX_ALARMS_PER_UID} reached for uid:"
                                    f" u0a{uid - 10000}, callingPackage: {package}")
        self._seq += 1
        a = Alarm(self._seq, package, uid, type_, method, trigger_at, window, interval, flags, request_code, tag,
                  on_fire, alarm_clock=alarm_clock, system=system, temp_allowlist_on_delivery=temp_allowlist)
        a.policies = [trigger_elapsed, now, now, now]
        a._update()
        self._set_impl_locked(a)
        self.model.trace("alarm_set", package=package, request_code=request_code, type=type_.label,
                         method=method.value if method else "system", when_elapsed=a.when_elapsed,
                         max_when_elapsed=a.max_when_elapsed, interval=interval, flags=a.flags, tag=tag)
        return a

    def _set_impl_locked(self, a: Alarm) -> None:
        if a.flags & FLAG_IDLE_UNTIL:
            self._adjust_idle_until(a)
            if self.pending_idle_until is not None and self.pending_idle_until is not a:
                self._remove(lambda x: x is self.pending_idle_until, reason=None)
            self.pending_idle_until = a
        if a.flags & FLAG_WAKE_FROM_IDLE:
            if self.next_wake_from_idle is None or self.next_wake_from_idle.when_elapsed > a.when_elapsed:
                self.next_wake_from_idle = a
                if self.pending_idle_until is not None:
                    self._adjust_idle_until(self.pending_idle_until)
        self._insert(a)
        self._reevaluate_all()

    def _insert(self, a: Alarm) -> None:
        self._alarms.append(a)
        self._alarms.sort(key=lambda x: (x.when_elapsed, x.seq))

    # ---------------------------------------------------------------- scheduling (system)
    def schedule_system(self, tag: str, type_: AlarmType, trigger_elapsed: int, window_ms: int,
                        callback: Callable[[], None], flags: int = 0) -> Alarm:
        """A system_server alarm (DeviceIdleController, JobScheduler...): a listener, exempt from app limits.

        ``window_ms`` 0 is exact (FLAG_STANDALONE), > 0 a setWindow window. One alarm per tag: a new
        one replaces the old one (the same OnAlarmListener).
        """
        self.cancel_system(tag)
        if window_ms == 0:
            flags |= FLAG_STANDALONE
        flags |= FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED if not flags & FLAG_IDLE_UNTIL else 0
        return self._set_impl(SYSTEM_PACKAGE, SYSTEM_UID, type_, None, trigger_elapsed, window_ms, 0, flags, 0, tag,
                              lambda _fired: callback(), system=True)

    def set_idle_until(self, trigger_elapsed: int, callback: Callable[[], None]) -> Alarm:
        """AlarmManager.setIdleUntil (DeviceIdleController.deep): other alarms wait for it."""
        return self.schedule_system("DeviceIdleController.deep", AlarmType.ELAPSED_REALTIME_WAKEUP,
                                    trigger_elapsed, 0, callback, flags=FLAG_IDLE_UNTIL)

    def cancel_system(self, tag: str) -> bool:
        return bool(self._remove(lambda x: x.system and x.tag == tag, reason=None))

    def system_alarm(self, tag: str) -> Alarm | None:
        for a in self._alarms:
            if a.system and a.tag == tag:
                return a
        return None

    def is_idling(self) -> bool:
        return self.pending_idle_until is not None

    def next_wake_from_idle_time(self) -> int:
        """AlarmManager.getNextWakeFromIdleTime (Long.MAX_VALUE when none)."""
        return self.next_wake_from_idle.when_elapsed if self.next_wake_from_idle is not None else 2 ** 63 - 1

    # ---------------------------------------------------------------- cancel / query
    def cancel(self, package: str, request_code: int) -> bool:
        return bool(self._remove(lambda x: not x.system and x.package == package and x.request_code == request_code,
                                 reason="alarm_cancelled"))

    def cancel_all(self, package: str) -> int:
        removed = self._remove(lambda x: not x.system and x.package == package, reason="alarm_cancelled")
        self._pending_background = [a for a in self._pending_background if a.package != package]
        return len(removed)

    def pending(self, package: str | None = None) -> list[Alarm]:
        """Pending app alarms (delivery order), optionally of one package."""
        return [a for a in self._alarms if not a.system and (package is None or a.package == package)]

    def all_pending(self) -> list[Alarm]:
        return list(self._alarms)

    def _remove(self, pred: Callable[[Alarm], bool], reason: str | None) -> list[Alarm]:
        removed = [a for a in self._alarms if pred(a)]
        if not removed:
            return removed
        self._alarms = [a for a in self._alarms if not pred(a)]
        for a in removed:
            if reason is not None:
                self.removal_history.append((a.package, a.stats_tag, reason, self._now()))
                del self.removal_history[:-50]
                self.model.trace("alarm_removed", package=a.package, request_code=a.request_code, reason=reason)
        idle_changed = False
        if self.pending_idle_until is not None and self.pending_idle_until in removed:
            self.pending_idle_until = None
            idle_changed = True
        if self.next_wake_from_idle is not None and self.next_wake_from_idle in removed:
            self.next_wake_from_idle = self._find_next_wake_from_idle()
            if self.pending_idle_until is not None:
                self._adjust_idle_until(self.pending_idle_until)
                idle_changed = True
        if idle_changed or not self._in_trigger:
            self._reevaluate_all()
        return removed

    def _find_next_wake_from_idle(self) -> Alarm | None:
        for a in self._alarms:
            if a.flags & FLAG_WAKE_FROM_IDLE:
                return a
        return None

    def next_alarm_clock(self) -> Alarm | None:
        for a in self._alarms:
            if a.alarm_clock:
                return a
        return None

    # ---------------------------------------------------------------- policies
    def _adjust_idle_until(self, a: Alarm) -> None:
        """adjustIdleUntilTime: pull the idle-until alarm before the next wake-from-idle alarm."""
        a.set_policy(0, self._to_elapsed(a.orig_when, a.type))
        wfi = self.next_wake_from_idle
        if wfi is None:
            return
        upcoming = wfi.when_elapsed
        if a.when_elapsed < upcoming - MIN_DEVICE_IDLE_FUZZ_MS:
            return
        now = self._now()
        futurity = upcoming - now
        if futurity <= MIN_DEVICE_IDLE_FUZZ_MS:
            a.set_policy(0, now)
        else:
            upper = min(MAX_DEVICE_IDLE_FUZZ_MS, futurity)
            fuzz = self.model.random.randint(MIN_DEVICE_IDLE_FUZZ_MS, upper)
            a.set_policy(0, upcoming - fuzz)

    def _policy_device_idle(self, a: Alarm, now: int) -> int:
        piu = self.pending_idle_until
        if piu is None or piu is a:
            return now
        if a.flags & (FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED | FLAG_WAKE_FROM_IDLE):
            return now
        if a.allowed_while_idle_restricted:
            when_in_quota = self._awi_quota_time(a, now)
            return min(when_in_quota, piu.when_elapsed)
        return piu.when_elapsed

    def _awi_quota_time(self, a: Alarm, now: int) -> int:
        if a.flags & FLAG_ALLOW_WHILE_IDLE:
            quota, window, hist = ALLOW_WHILE_IDLE_QUOTA, ALLOW_WHILE_IDLE_WINDOW_MS, self._awi_history
        else:
            quota, window, hist = ALLOW_WHILE_IDLE_COMPAT_QUOTA, ALLOW_WHILE_IDLE_COMPAT_WINDOW_MS, \
                self._awi_compat_history
        if hist.total(a.package) < quota:
            return now
        return hist.nth_last(a.package, quota) + window

    def _restricted_by_battery_saver(self, a: Alarm) -> bool:
        """AppStateTracker.areAlarmsRestrictedByBatterySaver: saver on, uid idle, not allow-listed."""
        if not self.model.state.battery_saver:
            return False
        if self.model.processes.is_uid_active(a.package):
            return False
        return not self.model.standby.is_power_save_allowlisted(a.package)

    def _policy_battery_saver(self, a: Alarm, now: int) -> int:
        if a.alarm_clock or a.system:
            return now
        if not self._restricted_by_battery_saver(a):
            return now
        if a.flags & FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED:
            return now
        if a.allowed_while_idle_restricted:
            return self._awi_quota_time(a, now)
        return now + INDEFINITE_DELAY_MS

    def _exempt_from_app_standby(self, a: Alarm) -> bool:
        return a.alarm_clock or a.system or bool(a.flags & (FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED | FLAG_ALLOW_WHILE_IDLE))

    def _policy_app_standby(self, a: Alarm, now: int) -> int:
        if self._exempt_from_app_standby(a) or self.model.state.charging:  # mAppStandbyParole
            return now
        bucket = self.model.standby.bucket(a.package)
        if bucket == StandbyBucket.RESTRICTED:
            if self._restricted_history.total(a.package) > 0:
                last = self._restricted_history.nth_last(a.package, APP_STANDBY_RESTRICTED_QUOTA)
                if now - last < APP_STANDBY_RESTRICTED_WINDOW_MS:
                    return last + APP_STANDBY_RESTRICTED_WINDOW_MS
            return now
        quota = quota_for_bucket(bucket)
        if self._app_history.total(a.package) >= quota:
            if quota <= 0:
                return now + INDEFINITE_DELAY_MS
            return self._app_history.nth_last(a.package, quota) + APP_STANDBY_WINDOW_MS
        return now

    def _reevaluate_all(self) -> None:
        now = self._now()
        for a in self._alarms:
            a.policies[1] = self._policy_app_standby(a, now)
            a.policies[2] = self._policy_device_idle(a, now)
            a.policies[3] = self._policy_battery_saver(a, now)
            a._update()
        self._alarms.sort(key=lambda x: (x.when_elapsed, x.seq))
        self._reschedule_kernel()

    # ---------------------------------------------------------------- kernel timers
    def next_delivery_time(self, wakeup_only: bool) -> int | None:
        """LazyAlarmStore.getNextDeliveryTime / getNextWakeupDeliveryTime."""
        nxt: int | None = None
        for a in self._alarms:
            if wakeup_only and not a.wakeup:
                continue
            if nxt is None:
                nxt = a.max_when_elapsed
            else:
                if a.when_elapsed > nxt:
                    break
                nxt = min(nxt, a.max_when_elapsed)
        return nxt

    def _reschedule_kernel(self) -> None:
        if self._in_trigger:
            return
        wake = self.next_delivery_time(True)
        first = self.next_delivery_time(False)
        self._wake_timer = self._rearm(self._wake_timer, wake, True)
        nonwake = first if first != wake else None
        if not self._screen_on:
            nonwake = None  # the CPU sleeps: an ELAPSED_REALTIME kernel alarm does not wake it
        self._nonwake_timer = self._rearm(self._nonwake_timer, nonwake, False)

    def _rearm(self, timer: Timer | None, at: int | None, wakeup: bool) -> Timer | None:
        if timer is not None and not timer.cancelled and at is not None and timer.at_ms == max(at, self._now()):
            return timer
        if timer is not None:
            timer.cancel()
        if at is None or at >= 2 ** 62:
            return None
        return self.model.clock.call_at(at, lambda: self._on_kernel_alarm(wakeup),
                                        "alarm:wakeup" if wakeup else "alarm:nonwakeup")

    def _on_kernel_alarm(self, wakeup: bool) -> None:
        if wakeup:
            self._wake_timer = None
        else:
            self._nonwake_timer = None
        self._trigger()

    def wakeup_now(self) -> None:
        """Something woke the CPU (screen on): deliver what is due."""
        self._trigger()

    # ---------------------------------------------------------------- delivery
    def _remove_pending(self, now: int) -> list[Alarm]:
        pending = [a for a in self._alarms if a.when_elapsed <= now]
        standalones = [a for a in pending if a.flags & FLAG_STANDALONE]
        out = standalones if standalones else pending
        ids = {id(a) for a in out}
        self._alarms = [a for a in self._alarms if id(a) not in ids]
        return out

    def _trigger(self) -> None:
        if self._in_trigger:
            return
        now = self._now()
        self._in_trigger = True
        try:
            batch = self._remove_pending(now)
            deliver: list[Alarm] = []
            for a in batch:
                if self._background_restricted(a):
                    self._pending_background.append(a)
                    continue
                a.count = 1
                deliver.append(a)
                if self.pending_idle_until is a:
                    self.pending_idle_until = None
                if self.next_wake_from_idle is a:
                    self.next_wake_from_idle = self._find_next_wake_from_idle()
                if a.repeat_interval > 0:
                    a.count += (now - a.requested_elapsed) // a.repeat_interval
                    delta = a.count * a.repeat_interval
                    next_elapsed = a.requested_elapsed + delta
                    next_max = max_trigger_time(now, next_elapsed, a.repeat_interval)
                    self._seq += 1
                    b = Alarm(self._seq, a.package, a.uid, a.type, a.method, a.orig_when + delta,
                              next_max - next_elapsed if a.window_ms != 0 else 0, a.repeat_interval, a.flags,
                              a.request_code, a.tag, a.on_fire, alarm_clock=a.alarm_clock, system=a.system,
                              temp_allowlist_on_delivery=a.temp_allowlist_on_delivery)
                    b.policies = [next_elapsed, now, now, now]
                    b._update()
                    if b.flags & FLAG_WAKE_FROM_IDLE and (self.next_wake_from_idle is None or
                                                         self.next_wake_from_idle.when_elapsed > b.when_elapsed):
                        self.next_wake_from_idle = b
                    self._insert(b)
            deliver.sort(key=lambda x: (0 if x.system else 1, x.when_elapsed, x.seq))
            for a in deliver:
                self._deliver(a, now)
        finally:
            self._in_trigger = False
        self._reevaluate_all()

    def _background_restricted(self, a: Alarm) -> bool:
        """AppStateTracker.areAlarmsRestricted: the user restricted the app (RUN_ANY_IN_BACKGROUND ignore)."""
        if a.system or a.alarm_clock:
            return False
        pk = self.model.packages
        if not pk.is_installed(a.package):
            return False
        if pk.appop_allowed(a.package, "RUN_ANY_IN_BACKGROUND"):
            return False
        if self.model.processes.is_uid_active(a.package):
            return False
        return not self.model.standby.is_power_save_allowlisted(a.package)

    def _deliver(self, a: Alarm, now: int) -> None:
        self.last_delivery_elapsed = now
        self.deliveries += 1
        doze = self.pending_idle_until is not None
        saver = self.model.state.battery_saver
        if (doze or saver) and a.allowed_while_idle_restricted:
            hist = self._awi_history if a.flags & FLAG_ALLOW_WHILE_IDLE else self._awi_compat_history
            hist.record(a.package, now)
        if not self._exempt_from_app_standby(a):
            self._app_history.record(a.package, now)
            self._restricted_history.record(a.package, now)
        if a.system:
            self.model.trace("alarm_system", tag=a.tag)
            if a.on_fire is not None:
                a.on_fire(None)
            return
        scheduled = a.orig_when
        delivered = self._on_type_clock(a.type)
        fired = FiredAlarm(a.package, a.request_code, a.tag, a.type, a.method or AlarmMethod.SET, scheduled, delivered,
                           delivered - scheduled, a.count)
        self.model.trace("alarm_fired", package=a.package, request_code=a.request_code, tag=a.tag,
                         scheduled_ms=scheduled, delay_ms=delivered - scheduled, count=a.count)
        if a.temp_allowlist_on_delivery:
            self.model.standby.temp_allowlist(a.package, ALLOW_WHILE_IDLE_WHITELIST_DURATION_MS, reason="alarm")
        pk = self.model.packages
        if pk.is_installed(a.package) and not self.model.processes.is_running(a.package):
            self.model.processes.start(a.package, "alarm")
        if a.on_fire is not None:
            a.on_fire(fired)

    # ---------------------------------------------------------------- permission changes
    def on_package_updated(self, package: str) -> None:
        """An app update keeps its alarms (UninstallReceiver: ACTION_PACKAGE_REMOVED with EXTRA_REPLACING
        returns early); CHECK_EXACT_ALARM_PERMISSION_ON_UPDATE then removes its exact alarms, without
        killing it, when the new version may no longer set them (removeExactAlarmsOnPermissionRevoked)."""
        if self.can_schedule_exact_alarms(package) or self.model.standby.is_power_save_allowlisted(package):
            return
        self._remove(lambda x: not x.system and x.package == package and x.window_ms == 0,
                     reason="exact_alarm_permission_revoked")

    def on_exact_alarm_permission_changed(self, package: str, was: bool, now: bool) -> None:
        """The SCHEDULE_EXACT_ALARM app-op flipped (AlarmManagerService opChanged)."""
        if not self._exact_change_enabled(package) or self.has_use_exact_alarm(package):
            return
        if "android.permission.SCHEDULE_EXACT_ALARM" not in self.model.packages.info(package).requested_permissions:
            return
        if was and not now:
            if self.model.standby.is_power_save_allowlisted(package):
                return
            self._remove(lambda x: not x.system and x.package == package and x.window_ms == 0,
                         reason="exact_alarm_permission_revoked")
            # KILL_ON_SCHEDULE_EXACT_ALARM_REVOKED: PermissionManagerService.killUid
            self.model.processes.kill(package, "permissions revoked")
        elif not was and now:
            self.model.packages.broadcast("android.app.action.SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED",
                                          package=package)

    def set_wall_time(self, wall_ms: int) -> None:
        """AlarmManager.setTime (`cmd alarm set-time`): RTC alarms move with the clock (reevaluateRtcAlarms)."""
        self.model.clock.wall_ms = wall_ms
        for a in self._alarms:
            if a.type.rtc:
                a.policies[0] = self._to_elapsed(a.orig_when, a.type)
        self.model.trace("time_set", wall_ms=wall_ms)
        self._reevaluate_all()
        self.model.packages.broadcast("android.intent.action.TIME_SET")

    # ---------------------------------------------------------------- hooks
    def on_state_changed(self) -> None:
        screen = self.model.state.screen_on
        if screen != self._screen_on:
            self._screen_on = screen
            if screen:
                # interactive: pending non-wakeup alarms go out now
                self._trigger()
                return
        if self._pending_background:
            released = [a for a in self._pending_background if not self._background_restricted(a)]
            if released:
                self._pending_background = [a for a in self._pending_background if a not in released]
                now = self._now()
                for a in released:
                    a.count = 1
                    self._deliver(a, now)
        if not self._in_trigger:
            self._reevaluate_all()

    def on_force_stop(self, package: str) -> None:
        self.cancel_all(package)
        self._app_history.remove(package)
        self._awi_history.remove(package)
        self._awi_compat_history.remove(package)
        self._restricted_history.remove(package)

    def on_shutdown(self) -> None:
        # Alarms live in AlarmManagerService's memory: gone with the reboot.
        n = len([a for a in self._alarms if not a.system])
        self._alarms.clear()
        self._pending_background.clear()
        self.pending_idle_until = None
        self.next_wake_from_idle = None
        self._wake_timer = None
        self._nonwake_timer = None
        self._app_history = _History(APP_STANDBY_WINDOW_MS)
        self._awi_history = _History(ALLOW_WHILE_IDLE_WINDOW_MS)
        self._awi_compat_history = _History(ALLOW_WHILE_IDLE_COMPAT_WINDOW_MS)
        self._restricted_history = _History(APP_STANDBY_RESTRICTED_WINDOW_MS)
        self.model.trace("alarms_cleared", count=n)

    # ---------------------------------------------------------------- dumpsys alarm
    def dump(self) -> str:
        return _dump(self)


def quota_for_bucket(bucket: StandbyBucket) -> int:
    """AlarmManagerService.getQuotaForBucketLocked."""
    if bucket <= StandbyBucket.ACTIVE:
        return APP_STANDBY_QUOTAS["active"]
    if bucket <= StandbyBucket.WORKING_SET:
        return APP_STANDBY_QUOTAS["working"]
    if bucket <= StandbyBucket.FREQUENT:
        return APP_STANDBY_QUOTAS["frequent"]
    if bucket < StandbyBucket.NEVER:
        return APP_STANDBY_QUOTAS["rare"]
    return APP_STANDBY_QUOTAS["never"]


def _dump(al: Alarms) -> str:
    m = al.model
    now = m.clock.elapsed_ms
    rtc = m.clock.wall_ms
    lines = ["Current Alarm Manager state:", "  Settings:"]
    for key, val in (("min_futurity", MIN_FUTURITY_MS), ("min_interval", MIN_INTERVAL_MS),
                     ("max_interval", MAX_INTERVAL_MS), ("min_window", MIN_WINDOW_MS),
                     ("allow_while_idle_whitelist_duration", ALLOW_WHILE_IDLE_WHITELIST_DURATION_MS),
                     ("app_standby_window", APP_STANDBY_WINDOW_MS),
                     ("allow_while_idle_window", ALLOW_WHILE_IDLE_WINDOW_MS),
                     ("allow_while_idle_compat_window", ALLOW_WHILE_IDLE_COMPAT_WINDOW_MS),
                     ("min_device_idle_fuzz", MIN_DEVICE_IDLE_FUZZ_MS),
                     ("max_device_idle_fuzz", MAX_DEVICE_IDLE_FUZZ_MS)):
        lines.append(f"    {key}={format_duration(val)}")
    lines.append(f"    max_alarms_per_uid={MAX_ALARMS_PER_UID}")
    lines.append(f"    allow_while_idle_quota={ALLOW_WHILE_IDLE_QUOTA}")
    lines.append(f"    allow_while_idle_compat_quota={ALLOW_WHILE_IDLE_COMPAT_QUOTA}")
    for name, q in APP_STANDBY_QUOTAS.items():
        lines.append(f"    standby_quota_{name}={q}")
    lines.append(f"    standby_quota_restricted={APP_STANDBY_RESTRICTED_QUOTA}")
    lines += ["", f"  App Standby Parole: {str(m.state.charging).lower()}", ""]
    lines.append(f"  nowRTC={rtc}={format_rtc(rtc)} nowELAPSED={now}")
    wake = al.next_delivery_time(True) or 0
    first = al.next_delivery_time(False) or 0
    nonwake = first if first != wake else 0
    lines.append(f"  Next non-wakeup alarm: {format_relative(nonwake, now)} = {nonwake} = "
                 f"{format_rtc(nonwake + rtc - now)}")
    lines.append(f"  Next wakeup alarm: {format_relative(wake, now)} = {wake} = {format_rtc(wake + rtc - now)}")
    lines.append(f"  Time since last dispatch: {format_duration(now - al.last_delivery_elapsed)}")
    lines.append("")
    cands = sorted(m.packages.uid_of(p) - 10000 + 10000 for p in m.packages.list_packages()
                   if "android.permission.SCHEDULE_EXACT_ALARM" in m.packages.info(p).requested_permissions)
    lines.append(f"  App ids requesting SCHEDULE_EXACT_ALARM: {{{', '.join(str(c) for c in cands)}}}")
    lines.append("")
    lines.append("  Next alarm clock information: ")
    ac = al.next_alarm_clock()
    if ac is not None:
        lines.append(f"    user:0 pendingSend:false time:{ac.orig_when} = {format_rtc(ac.orig_when)} = "
                     f"{format_relative(ac.orig_when, rtc)}")
    alarms = al.all_pending()
    if alarms:
        lines.append("")
        lines.append(f"  {len(alarms)} pending alarms: ")
        for i, a in enumerate(alarms):
            lines.append(f"    {a.type.label} #{i + 1}: Alarm{{{a.seq:07x} type {int(a.type)} origWhen {a.orig_when}"
                         f"  whenElapsed {a.when_elapsed} {a.package}}}")
            lines.append(f"      tag={a.stats_tag}")
            orig = format_rtc(a.orig_when) if a.type.rtc else format_relative(a.orig_when, now)
            lines.append(f"      type={a.type.label} origWhen={orig} window={format_duration(a.window_ms)}"
                         f" repeatInterval={a.repeat_interval} count={a.count} flags=0x{a.flags:x}")
            pol = " ".join(f"{POLICY_NAMES[j]}={format_relative(a.policies[j], now)}" for j in range(4))
            lines.append(f"      policyWhenElapsed: {pol}")
            lines.append(f"      whenElapsed={format_relative(a.when_elapsed, now)}"
                         f" maxWhenElapsed={format_relative(a.max_when_elapsed, now)}")
            if a.alarm_clock:
                lines.append("      Alarm clock:")
                lines.append(f"        triggerTime={format_rtc(a.orig_when)}")
                lines.append("        showIntent=null")
            if a.system:
                lines.append(f"      listener=android.os.BinderProxy@{a.seq:07x}")
            else:
                lines.append(f"      operation=PendingIntent{{{a.seq:07x}: PendingIntentRecord{{{a.seq + 1:07x}"
                             f" {a.package} broadcastIntent}}}}")
    lines.append("")
    lines.append("  Pending user blocked background alarms: ")
    if al._pending_background:
        for i, a in enumerate(al._pending_background):
            lines.append(f"    {a.type.label} #{i + 1}: Alarm{{{a.seq:07x} type {int(a.type)} origWhen {a.orig_when}"
                         f"  whenElapsed {a.when_elapsed} {a.package}}}")
    else:
        lines.append("    none")
    lines.append("")
    lines.append("  App Alarm history:")
    for pkg, times in al._app_history.items():
        lines.append(f"    {pkg}, u0: " + "".join(f"{format_relative(t, now)}, " for t in reversed(times[-100:])))
    lines.append("")
    lines.append("  Idle mode state:" if al.pending_idle_until is not None else "  Idle mode state: not idling")
    if al.pending_idle_until is not None:
        p = al.pending_idle_until
        lines.append(f"    Idling until: Alarm{{{p.seq:07x} type {int(p.type)} origWhen {p.orig_when}"
                     f"  whenElapsed {p.when_elapsed} {p.package}}}")
    if al.next_wake_from_idle is not None:
        w = al.next_wake_from_idle
        lines.append(f"  Next wake from idle: Alarm{{{w.seq:07x} type {int(w.type)} origWhen {w.orig_when}"
                     f"  whenElapsed {w.when_elapsed} {w.package}}}")
    lines.append("")
    lines.append("  Allow while idle history:")
    for pkg, times in al._awi_history.items():
        lines.append(f"    {pkg}, u0: " + "".join(f"{format_relative(t, now)}, " for t in reversed(times)))
    lines.append("")
    lines.append("  Allow while idle compat history:")
    for pkg, times in al._awi_compat_history.items():
        lines.append(f"    {pkg}, u0: " + "".join(f"{format_relative(t, now)}, " for t in reversed(times)))
    if al.removal_history:
        lines.append("")
        lines.append("  Removal history: ")
        for pkg, tag, reason, at in al.removal_history:
            lines.append(f"    {pkg}: [tag={tag} reason={reason} elapsed={format_relative(at, now)}]")
    return "\n".join(lines) + "\n"
