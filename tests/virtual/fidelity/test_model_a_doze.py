"""Model A, Doze (DeviceIdleController, rules A2-A12), through the real adb server."""

from __future__ import annotations

from harness.companion.protocol import JobParams, Task, Behavior

from .conftest import HOUR, MIN, Phone


def test_deep_doze_needs_screen_off_and_battery_then_steps_by_window_alarms(phone: Phone) -> None:
    # A2: screen off on the charger stays ACTIVE; unplugging starts INACTIVE
    phone.out("cmd", "battery", "set", "ac", "1")
    phone.screen_off()
    assert phone.deep() == "ACTIVE"
    phone.out("cmd", "battery", "set", "ac", "0")
    assert phone.deep() == "INACTIVE"
    # A3: INACTIVE_TIMEOUT 30 min + FLEX_TIME_SHORT 1 min (window alarm delivered at its end)
    phone.advance(str(31 * MIN - 1))
    assert phone.deep() == "INACTIVE"
    phone.advance("1")
    assert phone.deep() == "IDLE_PENDING"
    # A3 + A4: IDLE_AFTER_INACTIVE 30 min (+1 min flex) and no SENSING / LOCATING on this device
    phone.advance(str(31 * MIN - 1))
    assert phone.deep() == "IDLE_PENDING"
    phone.advance("1")
    assert phone.deep() == "IDLE"
    states = [r["state"] for r in phone.trace("doze_deep")]
    assert states == ["INACTIVE", "IDLE_PENDING", "IDLE"]
    # A11: deep IDLE overrides light Doze
    assert phone.light() == "OVERRIDE"
    assert "  mState=IDLE mLightState=OVERRIDE\n" in phone.out("dumpsys", "deviceidle")
    assert "mDeviceIdleMode=true" in phone.out("dumpsys", "power")


def test_step_passes_sensing_and_locating_on_a_device_without_anymotion_or_location(phone: Phone) -> None:
    phone.unplug_and_sleep()
    assert phone.out("cmd", "deviceidle", "step") == "Stepped to deep: IDLE_PENDING\n"
    assert phone.out("cmd", "deviceidle", "step") == "Stepped to deep: IDLE\n"
    assert phone.out("cmd", "deviceidle", "step") == "Stepped to deep: IDLE_MAINTENANCE\n"


def test_deep_idle_lasts_idle_timeout_then_grows_by_idle_factor_up_to_max(phone: Phone) -> None:
    phone.unplug_and_sleep()
    assert phone.out("cmd", "deviceidle", "force-idle", "deep") == "Now forced in to deep idle mode\n"
    # A5: 1 h, 2 h, 4 h, 6 h, 6 h; A6: each empty maintenance window closes after 30 s
    for hours in (1, 2, 4, 6, 6):
        phone.advance(str(hours * HOUR - 1))
        assert phone.deep() == "IDLE", hours
        phone.advance("1")
        assert phone.deep() == "IDLE_MAINTENANCE", hours
        phone.advance("29999")
        assert phone.deep() == "IDLE_MAINTENANCE"
        phone.advance("1")
        assert phone.deep() == "IDLE"


def test_maintenance_window_stays_open_while_a_job_runs_up_to_idle_pending_timeout(phone: Phone) -> None:
    phone.unplug_and_sleep()
    phone.out("cmd", "deviceidle", "force-idle")
    phone.companion.schedule(Task("long", JobParams(), Behavior(duration_ms=20 * MIN)))
    assert phone.events("long", "started") == []  # Doze holds the job
    assert phone.out("cmd", "deviceidle", "step") == "Stepped to deep: IDLE_MAINTENANCE\n"
    assert len(phone.events("long", "started")) == 1
    # A6: the window is held open by the running job until IDLE_PENDING_TIMEOUT (5 min, +1 min flex)
    phone.advance(str(5 * MIN - 1))
    assert phone.deep() == "IDLE_MAINTENANCE"
    phone.advance(str(MIN + 1))
    assert phone.deep() == "IDLE"
    assert phone.events("long", "stopped")[0].stop_reason == "DEVICE_STATE"


def test_screen_on_or_charger_end_doze_and_charging_keeps_the_device_out(phone: Phone) -> None:
    phone.unplug_and_sleep()
    phone.out("cmd", "deviceidle", "force-idle")
    phone.out("cmd", "deviceidle", "unforce")
    assert phone.deep() == "IDLE"  # screen off, on battery: still idle
    phone.screen_on()
    assert (phone.deep(), phone.light()) == ("ACTIVE", "ACTIVE")
    phone.screen_off()
    assert phone.deep() == "INACTIVE"
    phone.out("cmd", "battery", "set", "ac", "1")
    assert (phone.deep(), phone.light()) == ("ACTIVE", "ACTIVE")
    phone.advance("3h")
    assert phone.deep() == "ACTIVE"
    assert "  mCharging=true\n" in phone.out("dumpsys", "deviceidle")
    phone.out("cmd", "battery", "set", "ac", "0")
    assert phone.deep() == "INACTIVE"


def test_light_doze_timeouts_factor_and_non_wakeup_maintenance_alarm(phone: Phone) -> None:
    phone.out("cmd", "deviceidle", "disable", "deep")
    phone.unplug_and_sleep()
    assert phone.light() == "INACTIVE"
    # A8: LIGHT_IDLE_AFTER_INACTIVE_TIMEOUT 1 min + 1 min flex
    phone.advance(str(2 * MIN - 1))
    assert phone.light() == "INACTIVE"
    phone.advance("1")
    assert phone.light() == "IDLE"
    # A9: the light idle -> maintenance alarm (5 min + 1 min flex) is non-wakeup: nothing wakes the device
    phone.advance("2h")
    assert phone.light() == "IDLE"
    lights = [r for r in phone.trace("alarm_set") if r["tag"] == "DeviceIdleController.light"]
    assert lights[-1]["type"] == "ELAPSED" and lights[-1]["when_elapsed"] == 2 * MIN + 5 * MIN
    phone.screen_on()
    phone.screen_off()
    phone.out("cmd", "deviceidle", "enable", "deep")
    phone.out("cmd", "deviceidle", "force-idle", "light")
    # A8: maintenance ends MIN_LIGHT_MAINTENANCE_TIME (5 s) after it opened when nothing runs;
    # the next light idle is LIGHT_IDLE_TIMEOUT x LIGHT_IDLE_FACTOR, capped at 15 min
    delays = []
    for _ in range(3):
        assert phone.out("cmd", "deviceidle", "step", "light") == "Stepped to light: IDLE_MAINTENANCE\n"
        t0 = phone.elapsed()
        phone.advance("4999")
        assert phone.light() == "IDLE_MAINTENANCE"
        phone.advance("1")
        assert phone.light() == "IDLE"
        last = [r for r in phone.trace("alarm_set") if r["tag"] == "DeviceIdleController.light"][-1]
        delays.append(last["when_elapsed"] - t0 - 5000)
    assert delays == [10 * MIN, 15 * MIN, 15 * MIN]


def test_light_idle_waits_for_a_network_before_maintenance(phone: Phone) -> None:
    phone.unplug_and_sleep()
    phone.out("svc", "wifi", "disable")
    phone.out("svc", "data", "disable")
    assert "  mNetworkConnected=false\n" in phone.out("dumpsys", "deviceidle")
    phone.out("cmd", "deviceidle", "force-idle", "light")
    assert phone.out("cmd", "deviceidle", "step", "light") == "Stepped to light: WAITING_FOR_NETWORK\n"
    # it waits at most one more light idle period, mNextLightIdleDelay (5 min, already x2 by the IDLE step)
    last = [r for r in phone.trace("alarm_set") if r["tag"] == "DeviceIdleController.light"][-1]
    assert last["when_elapsed"] - phone.elapsed() == 10 * MIN
    phone.advance("1m")
    assert phone.light() == "WAITING_FOR_NETWORK"
    phone.out("svc", "wifi", "enable")
    assert phone.light() == "IDLE_MAINTENANCE"


def test_cmd_deviceidle_verbs_and_outputs(phone: Phone) -> None:
    assert phone.out("cmd", "deviceidle", "force-idle") == "Now forced in to deep idle mode\n"
    assert phone.out("cmd", "deviceidle", "get", "force") == "true\n"
    assert phone.out("dumpsys", "deviceidle", "get", "deep") == "IDLE\n"
    assert phone.out("cmd", "deviceidle", "unforce") == "Light state: ACTIVE, deep state: ACTIVE\n"
    assert phone.out("cmd", "deviceidle", "get", "screen") == "true\n"
    assert phone.out("cmd", "deviceidle", "disable", "deep") == "Deep idle mode disabled\n"
    r = phone.sh("cmd", "deviceidle", "force-idle", "deep")
    assert r.stdout == "Unable to go deep idle; not enabled\n" and r.status != 0
    assert phone.out("cmd", "deviceidle", "enabled", "deep") == "0\n"
    assert phone.out("cmd", "deviceidle", "enable") == "Deep idle mode enabled\n"
    assert phone.out("cmd", "deviceidle", "enabled", "deep") == "1\n"
    assert phone.out("cmd", "deviceidle", "force-inactive") == "Light state: INACTIVE, deep state: INACTIVE\n"
    dump = phone.out("dumpsys", "deviceidle")
    assert "  mForceIdle=true\n" in dump and "    idle_to=+1h0m0s0ms\n" in dump
