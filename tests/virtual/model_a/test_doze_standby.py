"""Doze (DeviceIdleController) and app standby rules, driven through the shell commands in-process."""

from __future__ import annotations

from harness.virtual.model import doze as dz
from harness.virtual.model.state import StandbyBucket

from .conftest import COMPANION

MIN = 60_000


def _go_dark(sh) -> None:  # type: ignore[no-untyped-def]
    assert sh("cmd battery unplug").status == 0
    assert sh("input keyevent KEYCODE_SLEEP").status == 0


def test_screen_off_on_battery_enters_deep_idle_after_inactive_and_idle_after_inactive_timeouts(sh, model):
    _go_dark(sh)
    assert sh("cmd deviceidle get deep").stdout == "INACTIVE\n"
    # INACTIVE_TIMEOUT (30 min) is a setWindow alarm with FLEX_TIME_SHORT (1 min): delivered at its window end
    model.advance(dz.INACTIVE_TIMEOUT_MS + dz.FLEX_TIME_SHORT_MS - 1)
    assert sh("cmd deviceidle get deep").stdout == "INACTIVE\n"
    model.advance(1)
    assert sh("cmd deviceidle get deep").stdout == "IDLE_PENDING\n"
    model.advance(dz.IDLE_AFTER_INACTIVE_TIMEOUT_MS + dz.FLEX_TIME_SHORT_MS)
    assert sh("cmd deviceidle get deep").stdout == "IDLE\n"
    assert sh("cmd deviceidle get light").stdout == "OVERRIDE\n"


def test_deep_idle_periods_grow_by_idle_factor_up_to_max(sh, model):
    _go_dark(sh)
    assert sh("cmd deviceidle force-idle deep").stdout == "Now forced in to deep idle mode\n"
    starts = []
    for _ in range(6):
        t0 = model.clock.elapsed_ms
        model.advance(model.clock.next_timer_at() - t0)  # to the maintenance window
        while model.state.deep_idle.value != "IDLE_MAINTENANCE":
            model.advance(model.clock.next_timer_at() - model.clock.elapsed_ms)
        starts.append(model.clock.elapsed_ms)
        # no jobs: the window closes MIN_DEEP_MAINTENANCE_TIME after it opened
        model.advance(dz.MIN_DEEP_MAINTENANCE_TIME_MS)
        assert sh("cmd deviceidle get deep").stdout == "IDLE\n"
    gaps = [b - a - dz.MIN_DEEP_MAINTENANCE_TIME_MS for a, b in zip(starts, starts[1:])]
    assert gaps == [2 * 3_600_000, 4 * 3_600_000, 6 * 3_600_000, 6 * 3_600_000, 6 * 3_600_000]


def test_maintenance_window_lasts_while_jobs_run_up_to_idle_pending_timeout(sh, model):
    _go_dark(sh)
    sh("cmd deviceidle force-idle")
    model.doze.set_jobs_active(True)
    assert sh("cmd deviceidle step").stdout == "Stepped to deep: IDLE_MAINTENANCE\n"
    model.advance(dz.IDLE_PENDING_TIMEOUT_MS - 1)
    assert model.state.deep_idle.value == "IDLE_MAINTENANCE"
    model.advance(dz.FLEX_TIME_SHORT_MS + 1)
    assert model.state.deep_idle.value == "IDLE"


def test_screen_on_and_charger_exit_doze_and_charging_prevents_it(sh, model):
    _go_dark(sh)
    sh("cmd deviceidle force-idle")
    sh("cmd deviceidle unforce")  # screen off, on battery: stays idle
    assert sh("cmd deviceidle get deep").stdout == "IDLE\n"
    sh("input keyevent KEYCODE_WAKEUP")
    assert sh("cmd deviceidle get deep").stdout == "ACTIVE\n"
    sh("input keyevent KEYCODE_SLEEP")
    sh("cmd battery set ac 1")
    assert sh("cmd deviceidle get deep").stdout == "ACTIVE\n"
    model.advance(3 * 3_600_000)
    assert sh("cmd deviceidle get deep").stdout == "ACTIVE\n"
    sh("cmd battery set ac 0")
    assert sh("cmd deviceidle get deep").stdout == "INACTIVE\n"


def test_light_idle_after_light_idle_after_inactive_timeout_and_maintenance_budget(sh, model):
    _go_dark(sh)
    assert sh("cmd deviceidle get light").stdout == "INACTIVE\n"
    model.advance(dz.LIGHT_IDLE_AFTER_INACTIVE_TIMEOUT_MS + dz.FLEX_TIME_SHORT_MS)
    assert sh("cmd deviceidle get light").stdout == "IDLE\n"
    assert sh("cmd deviceidle step light").stdout == "Stepped to light: IDLE_MAINTENANCE\n"
    model.advance(dz.MIN_LIGHT_MAINTENANCE_TIME_MS)
    assert sh("cmd deviceidle get light").stdout == "IDLE\n"


def test_light_idle_waits_for_network(sh, model):
    _go_dark(sh)
    sh("svc wifi disable")
    sh("svc data disable")
    sh("cmd deviceidle force-idle light")
    assert sh("cmd deviceidle step light").stdout == "Stepped to light: WAITING_FOR_NETWORK\n"
    sh("svc wifi enable")
    assert sh("cmd deviceidle get light").stdout == "IDLE_MAINTENANCE\n"


def test_deviceidle_shell_outputs(sh, model):
    assert sh("cmd deviceidle force-idle").stdout == "Now forced in to deep idle mode\n"
    assert sh("cmd deviceidle get force").stdout == "true\n"
    assert sh("cmd deviceidle unforce").stdout == "Light state: ACTIVE, deep state: ACTIVE\n"
    assert sh("cmd deviceidle disable deep").stdout == "Deep idle mode disabled\n"
    out = sh("cmd deviceidle force-idle deep")
    assert out.stdout == "Unable to go deep idle; not enabled\n" and out.status != 0
    assert sh("cmd deviceidle enabled deep").stdout == "0\n"
    assert sh("cmd deviceidle enable").stdout == "Deep idle mode enabled\n"
    dump = sh("dumpsys deviceidle").stdout
    assert "  mState=ACTIVE mLightState=ACTIVE\n" in dump and "  mScreenOn=true\n" in dump
    assert "    idle_to=+1h0m0s0ms\n" in dump


def test_power_save_allowlist_makes_app_exempted(sh, model):
    assert sh(f"cmd deviceidle whitelist +{COMPANION}").stdout == f"Added: {COMPANION}\n"
    assert sh("cmd deviceidle whitelist").stdout.startswith(f"user,{COMPANION},")
    assert sh(f"am get-standby-bucket {COMPANION}").stdout == "5\n"
    assert sh("cmd deviceidle whitelist +no.such.pkg").stdout == "Unknown package: no.such.pkg\n"
    assert sh(f"cmd deviceidle whitelist -{COMPANION}").stdout == f"Removed: {COMPANION}\n"
    assert sh(f"am get-standby-bucket {COMPANION}").stdout == "10\n"


def test_temp_allowlist_default_and_cap(sh, model):
    sh(f"cmd deviceidle tempwhitelist {COMPANION}")
    assert model.standby.is_temp_allowlisted(COMPANION)
    assert "+10s0ms - shell" in sh("cmd deviceidle tempwhitelist").stdout
    model.advance(10_000)
    assert not model.standby.is_temp_allowlisted(COMPANION)
    sh(f"cmd deviceidle tempwhitelist -d 3600000 {COMPANION}")
    model.advance(5 * MIN - 1)
    assert model.standby.is_temp_allowlisted(COMPANION)
    model.advance(1)
    assert not model.standby.is_temp_allowlisted(COMPANION)


def test_set_and_get_standby_bucket_names_and_numbers(sh, model):
    for name, value in (("rare", 40), ("working_set", 20), ("frequent", 30), ("restricted", 45), ("10", 10)):
        assert sh(f"am set-standby-bucket {COMPANION} {name}").status == 0
        assert sh(f"am get-standby-bucket {COMPANION}").stdout == f"{value}\n"
    assert sh(f"am set-standby-bucket {COMPANION} bogus").status != 0
    assert f"{COMPANION}: 10\n" in sh("am get-standby-bucket").stdout


def test_forced_bucket_holds_until_the_next_usage(sh, model):
    sh(f"am set-standby-bucket {COMPANION} rare")
    model.advance(48 * 3_600_000)
    assert model.standby.bucket(COMPANION) == StandbyBucket.RARE
    sh(f"am start -n {COMPANION}/.ui.CompanionActivity")
    assert model.standby.bucket(COMPANION) == StandbyBucket.ACTIVE


def test_bucket_times_out_by_elapsed_and_screen_time_thresholds(sh, model):
    sh(f"am start -n {COMPANION}/.ui.CompanionActivity")
    sh("input keyevent KEYCODE_HOME")
    sh("input keyevent KEYCODE_SLEEP")  # no screen-on time from here
    model.advance(12 * 3_600_000 - 1)
    assert model.standby.bucket(COMPANION) == StandbyBucket.ACTIVE
    model.advance(1)
    assert model.standby.bucket(COMPANION) == StandbyBucket.WORKING_SET
    # FREQUENT needs 24 h elapsed AND 1 h of screen-on time since the last use
    model.advance(8 * 24 * 3_600_000)
    assert model.standby.bucket(COMPANION) == StandbyBucket.WORKING_SET
    sh("input keyevent KEYCODE_WAKEUP")
    model.advance(3_600_000)
    assert model.standby.bucket(COMPANION) == StandbyBucket.FREQUENT
    model.advance(3_600_000)  # 2 h of screen time and > 48 h: RARE
    assert model.standby.bucket(COMPANION) == StandbyBucket.RARE
    model.advance(4 * 3_600_000)  # 6 h of screen time and > 8 days: RESTRICTED
    assert model.standby.bucket(COMPANION) == StandbyBucket.RESTRICTED


def test_set_inactive_and_get_inactive(sh, model):
    assert sh(f"am get-inactive {COMPANION}").stdout == "Idle=false\n"
    sh(f"am set-inactive {COMPANION} true")
    assert sh(f"am get-inactive {COMPANION}").stdout == "Idle=true\n"
    assert sh(f"am get-standby-bucket {COMPANION}").stdout == "40\n"
    sh(f"am set-inactive {COMPANION} false")
    assert sh(f"am get-standby-bucket {COMPANION}").stdout == "10\n"
