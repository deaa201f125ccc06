"""Command builders: argv lists (one word per argument, nothing pasted), per API level."""

from __future__ import annotations

import pytest

from harness.bridge.shell import quote_argv
from harness.controls import app, appops, battery, doze, jobs, network, power, settings, standby
from harness.controls.batch import batch_script, split_batch_output
from harness.errors import UnsupportedOnDeviceError

PKG = "dev.harness.companion"


def test_doze() -> None:
    assert doze.force_idle_commands() == [["cmd", "deviceidle", "force-idle", "deep"]]
    assert doze.force_idle_commands(doze.DozeMode.LIGHT) == [["cmd", "deviceidle", "force-idle", "light"]]
    assert doze.step_commands("light") == [["cmd", "deviceidle", "step", "light"]]
    assert doze.unforce_commands() == [["cmd", "deviceidle", "unforce"]]
    assert doze.allowlist_add_commands(PKG) == [["cmd", "deviceidle", "whitelist", "+" + PKG]]
    state = doze.parse_state("IDLE\n", "INACTIVE", "true")
    assert state.deep_idle and not state.light_idle and state.forced
    with pytest.raises(ValueError):
        doze.parse_state("IDLE", "IDLE", "maybe")
    entries = doze.parse_allowlist("system-excidle,com.android.shell,2000\nsystem,com.google.gms,10050\n"
                                   f"user,{PKG},10190\n")
    assert doze.user_allowlisted(entries, PKG) and not doze.system_allowlisted(entries, PKG)
    assert doze.system_allowlisted(entries, "com.google.gms") and not doze.user_allowlisted(entries, "x")


def test_battery_by_api() -> None:
    assert battery.set_level_commands(15) == [["cmd", "battery", "set", "level", "15"]]
    assert battery.set_level_commands(15, api=24) == [["dumpsys", "battery", "set", "level", "15"]]
    assert battery.plug_commands(battery.PowerSource.USB) == [["cmd", "battery", "set", "usb", "1"],
                                                             ["cmd", "battery", "set", "status", "2"]]
    assert battery.unplug_commands()[0] == ["cmd", "battery", "unplug"]
    assert battery.reset_commands() == [["cmd", "battery", "reset"]]
    with pytest.raises(ValueError):
        battery.set_level_commands(101)


def test_battery_restore() -> None:
    free = battery.BatteryState(80, 100, 3, False, False, False, True, updates_stopped=False)
    assert battery.restore_commands(free) == [["cmd", "battery", "reset"]]
    held = battery.BatteryState(35, 100, 2, False, True, False, True, updates_stopped=True)
    assert battery.restore_commands(held) == [
        ["cmd", "battery", "set", "ac", "0"], ["cmd", "battery", "set", "usb", "1"],
        ["cmd", "battery", "set", "wireless", "0"], ["cmd", "battery", "set", "level", "35"],
        ["cmd", "battery", "set", "status", "2"]]


def test_power_by_api() -> None:
    assert power.battery_saver_commands(True) == [["cmd", "power", "set-mode", "1"]]
    assert power.battery_saver_commands(False, api=26) == [["settings", "put", "global", "low_power", "0"]]
    assert power.screen_commands(True) == [["input", "keyevent", "KEYCODE_WAKEUP"]]
    assert power.screen_commands(False) == [["input", "keyevent", "KEYCODE_SLEEP"]]


def test_network_by_api() -> None:
    assert network.wifi_commands(False) == [["svc", "wifi", "disable"]]
    assert network.data_commands(True) == [["svc", "data", "enable"]]
    assert network.airplane_commands(True, api=34) == [["cmd", "connectivity", "airplane-mode", "enable"]]
    with pytest.raises(UnsupportedOnDeviceError, match="needs API 30"):
        network.airplane_commands(True, api=29)  # AIRPLANE_MODE is a protected broadcast; no shell way
    assert network.set_metered_commands('"Harness Wi-Fi"', network.MeteredOverride.NONE) == [
        ["cmd", "netpolicy", "set", "metered-network", '"Harness Wi-Fi"', "undefined"]]
    nets = network.parse_wifi_networks('"Harness Wi-Fi";true\n"Other; net";none\ngarbage\n')
    assert nets == {'"Harness Wi-Fi"': network.MeteredOverride.METERED,
                    '"Other; net"': network.MeteredOverride.NONE}
    st = network.parse_state("2", "null", "1")
    assert st.wifi and st.data and st.airplane
    assert not network.parse_state("3", "0", "0").wifi


def test_standby() -> None:
    assert standby.set_bucket_commands(PKG, "rare") == [["am", "set-standby-bucket", PKG, "rare"]]
    assert standby.set_bucket_commands(PKG, 45) == [["am", "set-standby-bucket", PKG, "restricted"]]
    with pytest.raises(ValueError):
        standby.set_bucket_commands(PKG, "never")
    with pytest.raises(ValueError):
        standby.Bucket.parse("sometimes")
    assert standby.parse_bucket("40\n") is standby.Bucket.RARE
    assert standby.parse_inactive("Idle=true\n") and not standby.parse_inactive("Idle=false")


def test_appops_settings_app_jobs() -> None:
    assert appops.set_mode_commands(PKG, "SCHEDULE_EXACT_ALARM", "deny") == [
        ["appops", "set", PKG, "SCHEDULE_EXACT_ALARM", "deny"]]
    assert appops.grant_commands(PKG, "android.permission.POST_NOTIFICATIONS", False) == [
        ["pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS"]]
    with pytest.raises(ValueError):
        appops.get_mode_commands(PKG, "--help")
    assert settings.restore_commands("global", "k", None) == [["settings", "delete", "global", "k"]]
    assert settings.restore_commands("secure", "k", "a b") == [["settings", "put", "secure", "k", "a b"]]
    assert settings.parse_value("null\n") is None and settings.parse_value(" spaced \n") == " spaced "
    assert settings.parse_value("\n") == ""
    with pytest.raises(ValueError):
        settings.get_commands("vendor", "k")
    assert app.launch_commands() == [["am", "start", "-W", "-n", f"{PKG}/.ui.CompanionActivity"]]
    assert app.force_stop_commands() == [["am", "force-stop", PKG]]
    assert jobs.run_commands(1001) == [["cmd", "jobscheduler", "run", "-f", PKG, "1001"]]
    assert jobs.get_state_commands(7, "x.y") == [["cmd", "jobscheduler", "get-job-state", "x.y", "7"]]


def test_hostile_setting_value_is_one_word() -> None:
    value = "x'; reboot; echo '$(id)"
    line = quote_argv(settings.put_commands("global", "harness_test", value)[0])
    import shlex
    assert shlex.split(line) == ["settings", "put", "global", "harness_test", value]


# ------------------------------------------------------------------ batch output splitting
def test_batch_split_v2() -> None:
    m = "HARNESS_BATCH_abc"
    script = batch_script([["echo", "a"], ["false"], ["printf", "no-newline"]], m)
    assert script.count(m) == 6 and "$?" in script
    stdout = f"a\n{m}:0:0\n{m}:1:1\nno-newline{m}:2:0\n"
    stderr = f"{m}:0\noops\n{m}:1\n{m}:2\n"
    assert split_batch_output(stdout, stderr, m, 3) == [(0, "a\n", ""), (1, "", "oops\n"), (0, "no-newline", "")]


def test_batch_split_v1_mixed_streams() -> None:
    m = "HARNESS_BATCH_abc"
    stdout = f"a\n{m}:0:0\n{m}:0\noops\n{m}:1:1\n{m}:1\n"
    assert split_batch_output(stdout, "", m, 2) == [(0, "a\n", ""), (1, "oops\n", "")]


def test_batch_broken_off() -> None:
    m = "HARNESS_BATCH_abc"
    assert split_batch_output(f"a\n{m}:0:0\n", "", m, 2) is None
    with pytest.raises(ValueError):
        batch_script([["true"]], "bad marker;")
