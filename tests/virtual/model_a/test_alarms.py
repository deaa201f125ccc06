"""AlarmManager rules (AlarmManagerService constants), in-process against the model."""

from __future__ import annotations

import pytest

from harness.virtual.model import alarms as am
from harness.virtual.model import power
from harness.virtual.model.alarms import AlarmMethod, AlarmRequest, AlarmType, ExactAlarmDenied
from harness.virtual.model.apk import build_apk
from harness.virtual.model.device import DeviceModel
from harness.virtual.model.packages import AppOpMode

from .conftest import COMPANION

MIN = 60_000
HOUR = 3_600_000


def _req(method: AlarmMethod, at: int, code: int, fired: list, **kw) -> AlarmRequest:  # type: ignore[type-arg]
    return AlarmRequest(kw.pop("type", AlarmType.ELAPSED_REALTIME_WAKEUP), method, at, request_code=code,
                        on_fire=lambda f: fired.append((f.request_code, f.delivered_ms, f.count)), **kw)


def _allow_exact(m: DeviceModel) -> None:
    m.packages.set_appop(COMPANION, "SCHEDULE_EXACT_ALARM", AppOpMode.ALLOW)


def _deep_idle(m: DeviceModel) -> None:
    """Screen off, on battery, forced into deep Doze."""
    power.set_screen(m, False)
    power.unplug(m)
    m.doze.force_idle("deep")


def test_set_gets_a_window_of_75_percent_of_futurity_capped_at_one_hour(model):
    h = model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, 20 * MIN, 1, []))
    assert (h.when_elapsed, h.max_when_elapsed) == (20 * MIN, 20 * MIN + 15 * MIN)
    h = model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, 4 * HOUR, 2, []))
    assert h.max_when_elapsed - h.when_elapsed == HOUR


def test_inexact_alarm_is_delivered_at_its_window_end_unless_batched(model):
    fired: list = []  # type: ignore[type-arg]
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, 20 * MIN, 1, fired))
    model.advance(35 * MIN - 1)
    assert fired == []
    model.advance(1)
    assert fired == [(1, 35 * MIN, 1)]


def test_min_futurity_and_min_interval(model):
    fired: list = []  # type: ignore[type-arg]
    h = model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_INEXACT_REPEATING, 0, 1, fired, interval_ms=1000))
    assert h.when_elapsed == am.MIN_FUTURITY_MS
    alarm = model.alarms.pending(COMPANION)[0]
    assert alarm.repeat_interval == am.MIN_INTERVAL_MS


def test_set_window_is_stretched_to_min_window_for_apps_targeting_31(model):
    h = model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, 60 * MIN, 1, [], window_ms=MIN))
    assert h.max_when_elapsed - h.when_elapsed == am.MIN_WINDOW_MS
    # the minimum is 75% of the futurity when that is smaller
    h = model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, 8 * MIN, 2, [], window_ms=MIN))
    assert h.max_when_elapsed - h.when_elapsed == 6 * MIN


def test_exact_alarm_needs_schedule_exact_alarm_on_api34_for_targets_33_plus(model):
    for method in (AlarmMethod.SET_EXACT, AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE, AlarmMethod.SET_ALARM_CLOCK):
        with pytest.raises(ExactAlarmDenied) as exc:
            model.alarms.schedule(COMPANION, _req(method, MIN, 1, []))
        assert "SCHEDULE_EXACT_ALARM" in str(exc.value) and exc.value.exception == "java.lang.SecurityException"
    # inexact calls need nothing
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_AND_ALLOW_WHILE_IDLE, MIN, 2, []))
    _allow_exact(model)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, MIN, 3, []))
    assert model.alarms.can_schedule_exact_alarms(COMPANION)


def test_exact_alarm_allowed_by_default_on_api33(model):
    model.reset(api=33)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, MIN, 1, []))
    assert len(model.alarms.pending(COMPANION)) == 1


def test_use_exact_alarm_and_old_targets_need_no_appop(model):
    pk = model.packages
    pk.install_apk(build_apk("com.example.clock", target_sdk=33, permissions=("android.permission.USE_EXACT_ALARM",)))
    model.alarms.schedule("com.example.clock", _req(AlarmMethod.SET_EXACT, MIN, 1, []))
    pk.install_apk(build_apk("com.example.old", target_sdk=30))
    model.alarms.schedule("com.example.old", _req(AlarmMethod.SET_EXACT, MIN, 1, []))
    assert len(model.alarms.pending()) == 2


def test_revoking_the_appop_removes_exact_alarms_and_kills_the_app(model):
    _allow_exact(model)
    model.processes.start(COMPANION, "test")
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, HOUR, 1, []))
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, HOUR, 2, []))
    model.packages.set_appop(COMPANION, "SCHEDULE_EXACT_ALARM", AppOpMode.ERRORED)
    assert [a.request_code for a in model.alarms.pending(COMPANION)] == [2]
    assert not model.processes.is_running(COMPANION)
    assert model.processes.last_exit(COMPANION).reason.name == "PERMISSION_CHANGE"


def test_doze_defers_normal_alarms_to_the_maintenance_window_but_not_allow_while_idle(model):
    _allow_exact(model)
    fired: list = []  # type: ignore[type-arg]
    _deep_idle(model)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, 10 * MIN, 1, fired))
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE, 10 * MIN, 2, fired))
    model.advance(10 * MIN)
    assert [c for c, _t, _n in fired] == [2]
    model.advance(HOUR)  # IDLE_TIMEOUT: the first maintenance window
    assert [c for c, _t, _n in fired] == [2, 1]
    assert fired[1][1] == HOUR


def test_allow_while_idle_quota_72_per_hour_and_compat_7_per_hour(model):
    _allow_exact(model)
    fired: list = []  # type: ignore[type-arg]
    _deep_idle(model)
    for i in range(80):
        model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE, MIN + i * 10_000, i, fired))
    model.advance(55 * MIN)
    assert len(fired) == am.ALLOW_WHILE_IDLE_QUOTA
    # inexact allow-while-idle from an app targeting 31+ uses the compat quota
    m2 = DeviceModel(seed=2)
    _deep_idle(m2)
    fired2: list = []  # type: ignore[type-arg]
    for i in range(10):  # one at a time (a batch delivered together counts once, as in AppWakeupHistory)
        m2.alarms.schedule(COMPANION, _req(AlarmMethod.SET_AND_ALLOW_WHILE_IDLE, m2.clock.elapsed_ms + 10_000, i,
                                           fired2))
        m2.advance(5 * MIN)
    assert len(fired2) == am.ALLOW_WHILE_IDLE_COMPAT_QUOTA


def test_alarm_clock_fires_on_time_in_doze_and_brings_the_device_out_of_idle(model):
    _allow_exact(model)
    fired: list = []  # type: ignore[type-arg]
    _deep_idle(model)
    at_wall = model.clock.wall_ms + 3 * HOUR
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_ALARM_CLOCK, at_wall, 7, fired))
    model.advance(3 * HOUR - 16 * MIN)
    deep_before = model.state.deep_idle.value
    model.advance(16 * MIN)
    assert [c for c, _t, _n in fired] == [7]
    assert fired[0][1] == at_wall
    assert deep_before != "IDLE" or model.state.deep_idle.value != "IDLE"
    states = [r for r in model.trace_lines() if '"doze_deep"' in r and '"reason":"alarm"' in r]
    assert states, "the upcoming alarm clock made DeviceIdleController leave IDLE"


def test_standby_bucket_quota_and_charging_parole(model):
    fired: list = []  # type: ignore[type-arg]
    model.standby.set_bucket(COMPANION, model.standby.bucket(COMPANION).__class__.RARE)
    for i in range(3):
        model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, MIN + i * 20 * MIN, i, fired,
                                              window_ms=10 * MIN))
    model.advance(59 * MIN)
    assert len(fired) == 1  # RARE: 1 per APP_STANDBY_WINDOW
    power.set_battery_override(model, "ac", 1)  # charging: mAppStandbyParole
    model.advance(1)
    assert len(fired) == 3


def test_non_wakeup_alarms_wait_for_the_screen_while_it_is_off(model):
    fired: list = []  # type: ignore[type-arg]
    power.set_battery_override(model, "ac", 1)  # on the charger: no Doze alarms wake the device
    power.set_screen(model, False)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, 10 * MIN, 1, fired, window_ms=10 * MIN,
                                          type=AlarmType.ELAPSED_REALTIME))
    model.advance(2 * HOUR)
    assert fired == []
    power.set_screen(model, True)
    assert [c for c, _t, _n in fired] == [1]
    # with the screen off again, the next wakeup alarm carries a due non-wakeup alarm with it
    power.set_screen(model, False)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, model.clock.elapsed_ms + 10 * MIN, 2, fired,
                                          window_ms=10 * MIN, type=AlarmType.ELAPSED_REALTIME))
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, model.clock.elapsed_ms + 50 * MIN, 3, fired,
                                          window_ms=10 * MIN))
    model.advance(HOUR)
    assert [(c, t) for c, t, _n in fired[1:]] == [(3, fired[1][1]), (2, fired[1][1])] or \
        [c for c, _t, _n in fired[1:]] == [2, 3]
    assert fired[1][1] == fired[2][1]


def test_battery_saver_holds_alarms_of_idle_uids(model):
    fired: list = []  # type: ignore[type-arg]
    power.set_battery_saver(model, True)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, 10 * MIN, 1, fired))
    model.advance(2 * HOUR)
    assert fired == []
    power.set_battery_saver(model, False)
    assert [c for c, _t, _n in fired] == [1]


def test_repeating_alarm_count_after_a_long_deferral(model):
    fired: list = []  # type: ignore[type-arg]
    _deep_idle(model)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_INEXACT_REPEATING, 15 * MIN, 1, fired,
                                          interval_ms=15 * MIN))
    model.advance(HOUR)
    assert fired and fired[0][2] == 4  # EXTRA_ALARM_COUNT: four intervals were missed in Doze


def test_exact_alarms_go_out_alone(model):
    _allow_exact(model)
    fired: list = []  # type: ignore[type-arg]
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_WINDOW, 10 * MIN, 1, fired, window_ms=10 * MIN))
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, 12 * MIN, 2, fired))
    model.advance(12 * MIN)
    assert [c for c, _t, _n in fired] == [2]  # FLAG_STANDALONE: the inexact one waits for its own delivery
    model.advance(8 * MIN)
    assert [c for c, _t, _n in fired] == [2, 1]


def test_reboot_clears_alarms_and_force_stop_cancels_them(model):
    _allow_exact(model)
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, HOUR, 1, []))
    model.shutdown()
    model.boot()
    assert model.alarms.pending(COMPANION) == []
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, HOUR, 1, []))
    model.processes.force_stop(COMPANION)
    assert model.alarms.pending(COMPANION) == []


def test_dumpsys_alarm_lists_pending_alarms(model, sh):
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET, 20 * MIN, 1, [], tag="dev.harness.companion.action.ALARM.t1",
                                          type=AlarmType.RTC_WAKEUP) if False else
                          AlarmRequest(AlarmType.ELAPSED_REALTIME_WAKEUP, AlarmMethod.SET, 20 * MIN, request_code=1,
                                       tag="dev.harness.companion.action.ALARM.t1"))
    out = sh("dumpsys alarm").stdout
    assert "  1 pending alarms: \n" in out
    assert "    ELAPSED_WAKEUP #1: Alarm{" in out and f" whenElapsed {20 * MIN} {COMPANION}}}" in out
    assert "      tag=*walarm*:dev.harness.companion.action.ALARM.t1\n" in out
    assert "window=+15m0s0ms repeatInterval=0 count=0 flags=0x0" in out


def test_cmd_alarm_set_time_moves_rtc_alarms(model, sh):
    fired: list = []  # type: ignore[type-arg]
    _allow_exact(model)
    at = model.clock.wall_ms + HOUR
    model.alarms.schedule(COMPANION, _req(AlarmMethod.SET_EXACT, at, 1, fired, type=AlarmType.RTC_WAKEUP))
    assert sh(f"cmd alarm set-time {at - MIN}").status == 0
    model.advance(MIN)
    assert [c for c, _t, _n in fired] == [1]
