"""Model A, AlarmManager (rules A26-A42), through the real adb server and the companion's alarms."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from harness.companion.protocol import AlarmMethod, AlarmType
from harness.errors import CompanionRpcError
from harness.virtual.model.apk import build_apk

from .conftest import ACTIVITY, COMPANION, HOUR, MIN, Phone

M = AlarmMethod
CHANGED = "android.app.action.SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED"


def _action(task: str) -> str:
    """The companion's PendingIntent action of an alarm task (docs/companion-protocol.md)."""
    return "dev.harness.companion.action.ALARM." + task


def _tag(task: str) -> str:
    """dumpsys alarm's tag of a companion task's wakeup alarm: *walarm*: + its PendingIntent's action."""
    return "*walarm*:" + _action(task)


def _idle(phone: Phone) -> None:
    phone.unplug_and_sleep()
    assert phone.out("cmd", "deviceidle", "force-idle") == "Now forced in to deep idle mode\n"


def test_set_is_inexact_with_75_percent_window_capped_at_an_hour(phone: Phone) -> None:
    phone.alarm("twenty", M.SET, 20 * MIN)
    phone.alarm("four_h", M.SET, 4 * HOUR)
    phone.alarm("soon", M.SET, 8000)
    phone.alarm("rep", M.SET_REPEATING, 2 * HOUR, interval_ms=HOUR)
    by_tag = {a.tag: a for a in phone.app_alarms()}
    assert by_tag[_tag("twenty")].window == "+15m0s0ms"
    assert by_tag[_tag("four_h")].window == "+1h0m0s0ms"
    assert by_tag[_tag("soon")].window == "0"  # under MIN_FUZZABLE_INTERVAL (10 s)
    assert by_tag[_tag("rep")].window == "+45m0s0ms"  # 75 % of the interval
    phone.advance(str(35 * MIN - 1))
    assert phone.fired("twenty") == []
    phone.advance("1")  # lazy delivery: at the window end
    assert [(e.elapsed_ms, e.detail["delay_ms"]) for e in phone.fired("twenty")] == [(35 * MIN, 15 * MIN)]


def test_overlapping_inexact_alarms_are_delivered_together(phone: Phone) -> None:
    phone.alarm("a", M.SET, 20 * MIN)  # window 20..35 min
    phone.alarm("b", M.SET, 30 * MIN)  # window 30..52.5 min: overlaps, delivered with a
    phone.alarm("c", M.SET, 40 * MIN)  # 40..70 min: after a's delivery
    phone.advance("2h")
    got = {e.task_id: e.elapsed_ms for e in phone.fired()}
    assert got == {"a": 35 * MIN, "b": 35 * MIN, "c": 70 * MIN}


def test_min_futurity_and_interval_clamps(phone: Phone) -> None:
    phone.alarm("now", M.SET, 0)
    phone.alarm("fast", M.SET_INEXACT_REPEATING, 10 * MIN, interval_ms=1000)
    by_tag = {a.tag: a for a in phone.app_alarms()}
    assert by_tag[_tag("now")].when_elapsed == 5000  # MIN_FUTURITY
    assert by_tag[_tag("fast")].repeat_interval == MIN  # MIN_INTERVAL
    phone.advance("4999")
    assert phone.fired("now") == []
    phone.advance("1")
    assert len(phone.fired("now")) == 1


def test_set_window_is_stretched_to_min_window_for_targets_31_plus(phone: Phone) -> None:
    phone.alarm("hour", M.SET_WINDOW, 60 * MIN, window_ms=MIN)
    phone.alarm("eight", M.SET_WINDOW, 8 * MIN, window_ms=MIN)
    by_tag = {a.tag: a for a in phone.app_alarms()}
    assert by_tag[_tag("hour")].window == "+10m0s0ms"
    assert by_tag[_tag("eight")].window == "+6m0s0ms"  # 75 % of the futurity


def test_exact_alarms_need_schedule_exact_alarm_on_api_34(phone: Phone) -> None:
    assert phone.out("appops", "get", COMPANION, "SCHEDULE_EXACT_ALARM") == "SCHEDULE_EXACT_ALARM: default\n"
    assert phone.companion.connect().permissions.can_schedule_exact_alarms is False
    for method in (M.SET_EXACT, M.SET_EXACT_AND_ALLOW_WHILE_IDLE, M.SET_ALARM_CLOCK):
        with pytest.raises(CompanionRpcError) as e:
            phone.alarm(method.value, method, MIN)
        assert "SCHEDULE_EXACT_ALARM" in str(e.value)
        failed = phone.events(method.value)
        assert [ev.kind for ev in failed] == ["schedule_failed"]
        assert failed[0].detail["exception"] == "java.lang.SecurityException"
    phone.alarm("inexact", M.SET_AND_ALLOW_WHILE_IDLE, MIN)  # inexact calls need nothing
    phone.allow_exact()
    phone.alarm("exact", M.SET_EXACT, MIN)
    assert {a.tag for a in phone.app_alarms()} == {_tag("inexact"), _tag("exact")}


def test_exact_alarms_allowed_by_default_on_api_33(phone: Phone) -> None:
    phone.out("vdev", "reset", "--api", "33")
    assert phone.out("getprop", "ro.build.version.sdk").strip() == "33"
    phone.alarm("exact", M.SET_EXACT, MIN)
    phone.advance("1m")
    assert len(phone.fired("exact")) == 1


def test_old_targets_and_use_exact_alarm_need_no_appop(phone: Phone, tmp_path: Path) -> None:
    # the companion reinstalled as a build targeting 30, then as one (targeting 33) with USE_EXACT_ALARM
    for code, target, perms in ((2, 30, ()), (3, 33, ("android.permission.USE_EXACT_ALARM",))):
        apk = tmp_path / f"companion{code}.apk"
        apk.write_bytes(build_apk(COMPANION, version_code=code, target_sdk=target, permissions=perms,
                                  activities=(".ui.CompanionActivity",)))
        phone.device.install(apk)
        assert f" targetSdk={target}\n" in phone.out("dumpsys", "package", COMPANION)
        phone.alarm(f"exact{code}", M.SET_EXACT, MIN)
    phone.advance("1m")
    assert {e.task_id for e in phone.fired()} == {"exact2", "exact3"}  # an update keeps the app's alarms


def test_an_update_that_loses_exact_alarm_rights_removes_only_exact_alarms(phone: Phone, tmp_path: Path) -> None:
    phone.out("vdev", "reset", "--api", "33")  # SCHEDULE_EXACT_ALARM allowed by default on API 33
    phone.alarm("exact", M.SET_EXACT, HOUR)
    phone.alarm("inexact", M.SET, HOUR)
    apk = tmp_path / "companion.apk"  # a version that no longer requests SCHEDULE_EXACT_ALARM
    apk.write_bytes(build_apk(COMPANION, version_code=2, target_sdk=33, activities=(".ui.CompanionActivity",)))
    phone.device.install(apk)
    assert [a.tag for a in phone.app_alarms()] == [_tag("inexact")]


def test_revoking_the_appop_removes_exact_alarms_and_kills_the_app(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("exact", M.SET_EXACT, HOUR)
    phone.alarm("inexact", M.SET, HOUR)
    assert phone.pid() is not None
    phone.out("appops", "set", COMPANION, "SCHEDULE_EXACT_ALARM", "deny")
    assert phone.pid() is None
    assert "(PERMISSION CHANGE)" in phone.exit_info()
    assert [a.tag for a in phone.app_alarms()] == [_tag("inexact")]



def test_gaining_schedule_exact_alarm_sends_the_state_changed_broadcast(phone: Phone, tmp_path: Path) -> None:
    app = "com.example.exact"
    apk = tmp_path / "exact.apk"
    apk.write_bytes(build_apk(app, target_sdk=34, permissions=("android.permission.SCHEDULE_EXACT_ALARM",),
                              receivers={".Changed": (CHANGED,)}))
    phone.device.install(apk)
    phone.out("am", "start", "-n", f"{app}/.MainActivity")  # launched once: broadcasts reach it
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.out("am", "kill", app)
    assert phone.pid(app) is None
    phone.out("appops", "set", app, "SCHEDULE_EXACT_ALARM", "allow")
    assert phone.pid(app) is not None  # its receiver ran
    delivered = [r["action"] for r in phone.trace("broadcast_delivered") if r["package"] == app]
    assert delivered == [CHANGED]


def test_doze_holds_alarms_until_maintenance_but_not_allow_while_idle(phone: Phone) -> None:
    phone.allow_exact()
    _idle(phone)
    assert "  Idle mode state:\n    Idling until: " in phone.out("dumpsys", "alarm")
    phone.alarm("plain", M.SET_EXACT, 10 * MIN)
    phone.alarm("awi", M.SET_EXACT_AND_ALLOW_WHILE_IDLE, 10 * MIN)
    phone.advance("10m")
    assert [e.task_id for e in phone.fired()] == ["awi"]
    phone.advance("50m")  # IDLE_TIMEOUT: the maintenance window
    assert [(e.task_id, e.elapsed_ms) for e in phone.fired()] == [("awi", 10 * MIN), ("plain", HOUR)]


def test_allow_while_idle_quota_72_per_hour(phone: Phone) -> None:
    phone.allow_exact()
    _idle(phone)
    script = "; ".join(shlex.join(phone.alarm_argv(f"q{i}", M.SET_EXACT_AND_ALLOW_WHILE_IDLE, MIN + i * 10_000))
                       for i in range(80))
    assert phone.script(script).status == 0
    phone.advance("55m")
    assert len(phone.fired()) == 72  # ALLOW_WHILE_IDLE_QUOTA


def test_inexact_allow_while_idle_compat_quota_7_per_hour(phone: Phone) -> None:
    _idle(phone)
    parts = []
    for i in range(10):  # one at a time: deliveries at the same instant count once
        parts.append(shlex.join(phone.alarm_argv(f"c{i}", M.SET_AND_ALLOW_WHILE_IDLE, 10_000)))
        parts.append("vdev advance 5m")
    assert phone.script("; ".join(parts)).status == 0
    assert len(phone.fired()) == 7  # ALLOW_WHILE_IDLE_COMPAT_QUOTA


def test_alarm_clock_fires_on_time_in_doze_and_pulls_the_device_out(phone: Phone) -> None:
    phone.allow_exact()
    _idle(phone)
    wall = phone.wall()
    phone.alarm("clock", M.SET_ALARM_CLOCK, 3 * HOUR)
    assert "Next alarm clock information:" in phone.out("dumpsys", "alarm")
    phone.advance("3h")
    fired = phone.fired("clock")
    assert len(fired) == 1 and fired[0].wall_ms == wall + 3 * HOUR and fired[0].detail["delay_ms"] == 0
    # the next idle-until alarm (due at 1 h + 30 s + 2 h) was pulled 2-15 min before the alarm clock,
    # and with the alarm clock that close DeviceIdleController became active (isUpcomingAlarmClock)
    woke = [r["elapsed_ms"] for r in phone.trace("doze_deep") if r["state"] == "ACTIVE" and r["reason"] == "alarm"]
    assert len(woke) == 1 and 3 * HOUR - 15 * MIN <= woke[0] <= 3 * HOUR - 2 * MIN
    assert phone.deep() != "IDLE"


def test_an_upcoming_alarm_clock_keeps_the_device_out_of_deep_idle(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("clock", M.SET_ALARM_CLOCK, 80 * MIN)
    phone.unplug_and_sleep()
    phone.advance("62m")  # would be IDLE, but the alarm clock is < MIN_TIME_TO_ALARM (30 min) away
    assert phone.deep() != "IDLE"
    phone.advance("20m")
    assert len(phone.fired("clock")) == 1


def test_standby_bucket_quota_and_charging_parole(phone: Phone) -> None:
    phone.out("am", "set-standby-bucket", COMPANION, "rare")
    for i in range(3):
        phone.alarm(f"w{i}", M.SET_WINDOW, MIN + i * 20 * MIN, window_ms=10 * MIN)
    assert phone.bucket() == 40
    phone.advance("59m")
    assert len(phone.fired()) == 1  # RARE: 1 per hour
    phone.out("cmd", "battery", "set", "ac", "1")  # charging: parole
    assert len(phone.fired()) == 3


def test_non_wakeup_alarms_wait_for_the_screen_or_the_next_wakeup(phone: Phone) -> None:
    phone.out("cmd", "battery", "set", "ac", "1")  # no Doze alarms wake the device
    phone.screen_off()
    phone.alarm("nw", M.SET_WINDOW, 10 * MIN, type=AlarmType.ELAPSED, window_ms=10 * MIN)
    phone.advance("2h")
    assert phone.fired("nw") == []
    phone.screen_on()
    assert len(phone.fired("nw")) == 1
    phone.screen_off()
    phone.alarm("nw2", M.SET_WINDOW, 10 * MIN, type=AlarmType.ELAPSED, window_ms=10 * MIN)
    phone.alarm("wake", M.SET_WINDOW, 50 * MIN, window_ms=10 * MIN)
    phone.advance("1h")
    got = {e.task_id: e.elapsed_ms for e in phone.fired() if e.task_id in ("nw2", "wake")}
    assert set(got) == {"nw2", "wake"} and got["nw2"] == got["wake"]


def test_battery_saver_holds_alarms_of_idle_uids_but_not_alarm_clocks(phone: Phone) -> None:
    phone.allow_exact()
    phone.out("cmd", "power", "set-mode", "1")
    phone.alarm("plain", M.SET, 10 * MIN)
    phone.alarm("clock", M.SET_ALARM_CLOCK, 20 * MIN)
    phone.advance("2h")
    assert [e.task_id for e in phone.fired()] == ["clock"]
    phone.out("cmd", "power", "set-mode", "0")
    assert [e.task_id for e in phone.fired()] == ["clock", "plain"]


def test_repeating_alarm_after_a_long_deferral_counts_missed_intervals(phone: Phone) -> None:
    _idle(phone)
    phone.alarm("rep", M.SET_INEXACT_REPEATING, 15 * MIN, interval_ms=15 * MIN)
    phone.advance("1h")
    fired = [r for r in phone.trace("alarm_fired") if r["tag"] == _action("rep")]
    assert len(fired) == 1 and fired[0]["count"] == 4  # EXTRA_ALARM_COUNT
    nxt = phone.app_alarms()[0]
    assert nxt.when_elapsed is not None and (nxt.when_elapsed - 15 * MIN) % (15 * MIN) == 0  # original phase


def test_exact_alarms_go_out_alone(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("inexact", M.SET_WINDOW, 10 * MIN, window_ms=10 * MIN)
    phone.alarm("exact", M.SET_EXACT, 12 * MIN)
    phone.advance("12m")
    assert [e.task_id for e in phone.fired()] == ["exact"]
    phone.advance("8m")
    assert [e.task_id for e in phone.fired()] == ["exact", "inexact"]


def test_exact_delivery_temp_allowlists_the_app_for_10_seconds(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("exact", M.SET_EXACT, MIN)
    phone.advance("1m")
    assert phone.state()["temp_allowlist"] == [COMPANION]
    phone.advance("9999")
    assert phone.state()["temp_allowlist"] == [COMPANION]
    phone.advance("1")
    assert phone.state()["temp_allowlist"] == []


def test_cmd_alarm_set_time_moves_rtc_alarms_and_broadcasts_time_set(phone: Phone) -> None:
    phone.allow_exact()
    wall = phone.wall()
    phone.alarm("rtc", M.SET_EXACT, HOUR, type=AlarmType.RTC_WAKEUP)
    phone.alarm("elapsed", M.SET_EXACT, HOUR)
    phone.out("cmd", "alarm", "set-time", str(wall + HOUR - MIN))
    assert abs(phone.wall() - (wall + HOUR - MIN)) < 1000
    assert [e.kind for e in phone.events() if e.mechanism.value == "boot"] == ["time_set"]
    phone.advance("1m")
    assert [e.task_id for e in phone.fired()] == ["rtc"]


def test_dumpsys_alarm_lists_pending_alarms_soonest_first(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("later", M.SET_INEXACT_REPEATING, 2 * HOUR, interval_ms=HOUR)
    phone.alarm("sooner", M.SET_EXACT, 20 * MIN, type=AlarmType.RTC_WAKEUP)
    text = phone.out("dumpsys", "alarm")
    assert "  2 pending alarms: \n" in text
    alarms = phone.app_alarms()
    assert [a.tag for a in alarms] == [_tag("sooner"), _tag("later")]
    sooner, later = alarms
    assert (sooner.label, sooner.type, sooner.window, sooner.repeat_interval) == ("RTC_WAKEUP", 0, "0", 0)
    assert sooner.flags is not None and sooner.flags & 0x1  # FLAG_STANDALONE
    assert (later.label, later.type, later.repeat_interval) == ("ELAPSED_WAKEUP", 2, HOUR)
    assert "count=0" in text
