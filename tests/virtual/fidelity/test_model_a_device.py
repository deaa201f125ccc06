"""Model A, device state: battery, battery saver, screen, network, storage, permissions, packages
(rules A43-A48), through the real adb server."""

from __future__ import annotations

from harness.controls.battery import parse_dumpsys_battery

from .conftest import ACTIVITY, COMPANION, Phone


def test_cmd_battery_overrides_until_reset(phone: Phone) -> None:
    phone.out("cmd", "battery", "set", "ac", "1")
    dump = phone.out("dumpsys", "battery")
    assert "  (UPDATES STOPPED -- use 'reset' to restart)\n" in dump and "  AC powered: true\n" in dump
    assert "  status: 2\n" in dump
    phone.out("cmd", "battery", "set", "level", "15")
    assert parse_dumpsys_battery(phone.out("dumpsys", "battery")).level == 15
    phone.out("dumpsys", "battery", "unplug")
    assert phone.state()["battery"]["charging"] is False
    phone.out("cmd", "battery", "reset")
    dump = phone.out("dumpsys", "battery")
    assert "UPDATES STOPPED" not in dump and "  level: 80\n" in dump
    assert phone.sh("cmd", "battery", "set", "bogus", "1").status == 255


def test_battery_saver_modes_plug_in_and_trigger_level(phone: Phone) -> None:
    phone.out("cmd", "power", "set-mode", "1")
    assert phone.out("settings", "get", "global", "low_power") == "1\n"
    assert "  mLowPowerModeEnabled=true\n" in phone.out("dumpsys", "power")
    phone.out("cmd", "battery", "set", "ac", "1")  # plugging in turns it off
    assert phone.state()["battery"]["saver"] is False
    phone.out("cmd", "battery", "set", "ac", "0")  # the manual choice comes back on battery
    assert phone.state()["battery"]["saver"] is True
    phone.out("settings", "put", "global", "low_power", "0")
    assert "  mLowPowerModeEnabled=false\n" in phone.out("dumpsys", "power")
    phone.out("settings", "put", "global", "low_power_trigger_level", "20")
    phone.out("cmd", "battery", "set", "level", "21")
    assert phone.state()["battery"]["saver"] is False
    phone.out("cmd", "battery", "set", "level", "20")
    assert phone.state()["battery"]["saver"] is True


def test_screen_keyevents_and_dumpsys_power(phone: Phone) -> None:
    phone.out("input", "keyevent", "26")
    assert "  mWakefulness=Asleep\n" in phone.out("dumpsys", "power")
    assert "Display Power: state=OFF" in phone.out("dumpsys", "power")
    assert "  mScreenState=OFF\n" in phone.out("dumpsys", "display")
    phone.out("input", "keyevent", "POWER")
    assert "  mWakefulness=Awake\n" in phone.out("dumpsys", "power")
    phone.out("input", "keyevent", "KEYCODE_SLEEP")
    phone.out("input", "keyevent", "KEYCODE_SLEEP")
    assert phone.state()["screen_on"] is False
    phone.out("input", "keyevent", "224")
    assert phone.state()["screen_on"] is True and "Display Power: state=ON" in phone.out("dumpsys", "power")


def test_network_wifi_cellular_airplane_and_metered(phone: Phone) -> None:
    assert "Active default network: 100" in phone.out("dumpsys", "connectivity")
    phone.out("svc", "wifi", "disable")
    net = phone.state()["network"]
    assert (net["type"], net["metered"]) == ("cellular", True)
    assert "Transports: CELLULAR" in phone.out("dumpsys", "connectivity")
    phone.out("cmd", "connectivity", "airplane-mode", "enable")
    assert phone.state()["network"]["connected"] is False
    assert phone.out("cmd", "connectivity", "airplane-mode") == "enabled\n"
    assert phone.out("settings", "get", "global", "airplane_mode_on") == "1\n"
    assert "Active default network: none" in phone.out("dumpsys", "connectivity")
    phone.out("cmd", "connectivity", "airplane-mode", "disable")
    net = phone.state()["network"]
    assert (net["type"], net["metered"]) == ("wifi", False)
    phone.out("cmd", "netpolicy", "set", "metered-network", "VirtualWifi", "true")
    assert phone.state()["network"]["metered"] is True
    assert "NOT_METERED" not in phone.out("dumpsys", "connectivity")
    phone.out("cmd", "netpolicy", "set", "restrict-background", "true")
    assert phone.out("cmd", "netpolicy", "get", "restrict-background") == "Restrict background status: enabled\n"


def test_storage_low_force_and_reset(phone: Phone) -> None:
    phone.out("cmd", "devicestoragemonitor", "force-low", "-f")
    assert phone.state()["storage_low"] is True
    assert phone.out("cmd", "jobscheduler", "get-storage-not-low").strip() == "false"
    phone.out("cmd", "devicestoragemonitor", "reset", "-f")
    assert phone.state()["storage_low"] is False
    assert phone.out("cmd", "jobscheduler", "get-storage-not-low").strip() == "true"


def test_runtime_permissions_grant_revoke_and_kill(phone: Phone) -> None:
    perm = "android.permission.POST_NOTIFICATIONS"
    phone.out("am", "start", "-n", ACTIVITY)
    assert f"        {perm}: granted=true" in phone.out("dumpsys", "package", COMPANION)
    assert phone.companion.connect().permissions.post_notifications is True
    phone.out("pm", "revoke", COMPANION, perm)
    assert phone.pid() is None  # revoking a runtime permission kills the app
    assert "(PERMISSION CHANGE)" in phone.exit_info()
    assert f"        {perm}: granted=false" in phone.out("dumpsys", "package", COMPANION)
    phone.out("pm", "grant", COMPANION, perm)
    assert f"        {perm}: granted=true" in phone.out("dumpsys", "package", COMPANION)
    r = phone.sh("pm", "grant", COMPANION, "android.permission.CAMERA")
    assert r.status == 255 and "has not requested permission android.permission.CAMERA" in r.stderr
    assert phone.sh("appops", "set", COMPANION, "BOGUS_OP", "allow").status == 255


def test_pm_path_and_list_packages_show_the_package_records(phone: Phone) -> None:
    path = phone.out("pm", "path", COMPANION).strip()
    assert path.startswith("package:/data/app/") and path.endswith(f"/{COMPANION}-1/base.apk")
    assert "~~" in path  # the record's install path, not a made-up default
    dump = phone.out("dumpsys", "package", COMPANION)
    uid = dump.split("    userId=", 1)[1].split()[0]
    assert f"    codePath={path[len('package:'):-len('/base.apk')]}\n" in dump
    listed = phone.out("pm", "list", "packages", "-U", "-f", COMPANION)
    assert listed == f"{path}={COMPANION} uid:{uid}\n"
    assert COMPANION in phone.out("pm", "list", "packages", "-3")
    assert COMPANION not in phone.out("pm", "list", "packages", "-s")
