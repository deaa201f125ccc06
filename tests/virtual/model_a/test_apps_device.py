"""Apps and processes, packages, device state commands, time and determinism (in-process shell)."""

from __future__ import annotations

import json

from harness.virtual.commands import build_registry
from harness.virtual.model.apk import build_apk
from harness.virtual.model.device import DeviceModel
from harness.virtual.model.packages import InstallFailure
from harness.virtual.shell.registry import CommandContext

import pytest

from .conftest import COMPANION

APP = "com.example.app"


def _install(model, **kw) -> str:  # type: ignore[no-untyped-def]
    return model.packages.install_apk(build_apk(APP, receivers={".Boot": ("android.intent.action.BOOT_COMPLETED",)},
                                                **kw))


def test_am_start_top_then_home_previous_then_cached_after_60s(sh, model):
    out = sh(f"am start -W -n {COMPANION}/.ui.CompanionActivity")
    assert out.stdout.startswith(f"Starting: Intent {{ cmp={COMPANION}/.ui.CompanionActivity }}\nStatus: ok\nLaunchState: COLD")
    assert model.processes.state(COMPANION).name == "TOP"
    assert " TOP  ---- " in sh("dumpsys activity lru").stdout
    sh("input keyevent KEYCODE_HOME")
    assert model.processes.state(COMPANION).name == "LAST_ACTIVITY"
    assert model.processes.is_uid_active(COMPANION)
    model.advance(60_000)
    assert model.processes.state(COMPANION).name == "CACHED_ACTIVITY"
    assert not model.processes.is_uid_active(COMPANION)
    assert sh(f"pidof {COMPANION}").stdout.strip() == str(model.processes.pid(COMPANION))


def test_am_start_unknown_activity_reports_error(sh, model):
    out = sh(f"am start -n {COMPANION}/.Nope")
    assert "Error: Activity class {dev.harness.companion/.Nope} does not exist." in out.stderr
    assert not model.processes.is_running(COMPANION)


def test_am_kill_only_kills_background_and_does_not_stop(sh, model):
    sh(f"am start -n {COMPANION}/.ui.CompanionActivity")
    sh(f"am kill {COMPANION}")
    assert model.processes.is_running(COMPANION)  # foreground: untouched
    sh("input keyevent KEYCODE_HOME")
    sh(f"am kill {COMPANION}")
    assert not model.processes.is_running(COMPANION)
    assert not model.packages.is_stopped(COMPANION)
    ex = model.processes.last_exit(COMPANION)
    assert (ex.reason.name, ex.subreason.name) == ("USER_REQUESTED", "KILL_BACKGROUND")
    assert "reason=10 (USER REQUESTED) subreason=24 (KILL BACKGROUND)" in sh(
        f"dumpsys activity exit-info {COMPANION}").stdout
    assert sh(f"pidof {COMPANION}").status == 1


def test_force_stop_stops_cancels_alarms_and_blocks_broadcasts_until_launch(sh, model):
    _install(model)
    sh(f"am start -n {APP}/.MainActivity")
    model.alarms.schedule(APP, __import__("harness.virtual.model.alarms", fromlist=["x"]).AlarmRequest(
        2, __import__("harness.virtual.model.alarms", fromlist=["x"]).AlarmMethod.SET, 3_600_000, request_code=1))
    got: list[str] = []
    model.packages.register_receiver(APP, "com.example.PING", lambda action, extras: got.append(action))
    sh(f"am force-stop {APP}")
    assert model.packages.is_stopped(APP) and not model.processes.is_running(APP)
    assert model.alarms.pending(APP) == []
    assert model.processes.last_exit(APP).subreason.name == "FORCE_STOP"
    assert " stopped=true " in sh(f"dumpsys package {APP}").stdout
    out = sh(f"am broadcast -a com.example.PING -p {APP}")
    assert out.stdout == (f"Broadcasting: Intent {{ act=com.example.PING flg=0x400000 pkg={APP} }}\n"
                          "Broadcast completed: result=0\n")
    assert got == []
    sh(f"am broadcast -a com.example.PING -p {APP} --include-stopped-packages")
    assert got == ["com.example.PING"]
    assert not model.packages.is_stopped(APP)


def test_swipe_from_recents_kills_with_remove_task_unless_fgs_and_oem_option(sh, model):
    sh(f"am start -n {COMPANION}/.ui.CompanionActivity")
    sh(f"vdev swipe {COMPANION}")
    ex = model.processes.last_exit(COMPANION)
    assert (ex.reason.name, ex.subreason.name) == ("USER_REQUESTED", "REMOVE_TASK")
    assert not model.packages.is_stopped(COMPANION)
    sh(f"am start -n {COMPANION}/.ui.CompanionActivity")
    model.processes.set_foreground_service(COMPANION, True)
    sh(f"vdev swipe {COMPANION}")
    assert model.processes.is_running(COMPANION)
    sh("vdev oem swipe-force-stop on")
    sh(f"vdev swipe {COMPANION}")
    assert model.packages.is_stopped(COMPANION)


def test_reboot_kills_processes_and_boot_completed_reaches_only_non_stopped_apps(model):
    _install(model)
    got: list[str] = []
    model.packages.register_receiver(APP, "android.intent.action.BOOT_COMPLETED", lambda a, e: got.append(a))
    model.shutdown()
    model.boot()
    assert got == []  # never launched: stopped
    model.processes.start_activity(APP)
    model.shutdown()
    model.boot()
    assert got == ["android.intent.action.BOOT_COMPLETED"]
    assert model.processes.procs[APP].start_reason == "broadcast"
    kinds = [json.loads(x)["kind"] for x in model.trace_lines()]
    assert "process_died" in kinds


def test_install_apk_reads_manifest_and_refuses_bad_apks(model):
    assert _install(model, version_code=3, target_sdk=33) == APP
    info = model.packages.info(APP)
    assert (info.version_code, info.target_sdk, info.stopped) == (3, 33, True)
    assert info.receivers[0].name == f"{APP}.Boot"
    with pytest.raises(InstallFailure) as e:
        model.packages.install_apk(build_apk("com.example.unsigned", signed=False))
    assert e.value.code == "INSTALL_PARSE_FAILED_NO_CERTIFICATES"
    with pytest.raises(InstallFailure) as e:
        model.packages.install_apk(b"not a zip")
    assert e.value.code == "INSTALL_FAILED_INVALID_APK"
    with pytest.raises(InstallFailure) as e:
        _install(model, version_code=2)
    assert e.value.code == "INSTALL_FAILED_VERSION_DOWNGRADE"


def test_pm_grant_revoke_and_appops(sh, model):
    out = sh(f"pm revoke {COMPANION} android.permission.POST_NOTIFICATIONS")
    assert out.status == 0 and not model.packages.has_permission(COMPANION, "android.permission.POST_NOTIFICATIONS")
    out = sh(f"pm grant {COMPANION} android.permission.CAMERA")
    assert out.status == 255 and "has not requested permission android.permission.CAMERA" in out.stderr
    assert sh(f"appops get {COMPANION} SCHEDULE_EXACT_ALARM").stdout == "SCHEDULE_EXACT_ALARM: default\n"
    assert sh(f"appops set {COMPANION} SCHEDULE_EXACT_ALARM allow").status == 0
    assert sh(f"appops get {COMPANION} SCHEDULE_EXACT_ALARM").stdout == "SCHEDULE_EXACT_ALARM: allow\n"
    assert model.alarms.can_schedule_exact_alarms(COMPANION)
    assert sh(f"appops set {COMPANION} BOGUS_OP allow").status == 255


def test_battery_commands_and_dumpsys_battery(sh, model):
    sh("cmd battery set ac 1")
    dump = sh("dumpsys battery").stdout
    assert "  (UPDATES STOPPED -- use 'reset' to restart)\n" in dump and "  AC powered: true\n" in dump
    assert "  status: 2\n" in dump
    sh("cmd battery set level 15")
    assert "  level: 15\n" in sh("dumpsys battery").stdout
    sh("dumpsys battery unplug")
    assert not model.state.charging
    sh("cmd battery reset")
    assert "UPDATES STOPPED" not in sh("dumpsys battery").stdout and model.state.battery_level == 80
    assert sh("cmd battery set bogus 1").status == 255


def test_battery_saver_commands_and_plug_in_turns_it_off(sh, model):
    sh("cmd power set-mode 1")
    assert model.state.battery_saver and sh("settings get global low_power").stdout == "1\n"
    assert "  mLowPowerModeEnabled=true\n" in sh("dumpsys power").stdout
    sh("cmd battery set ac 1")
    assert not model.state.battery_saver
    sh("cmd battery set ac 0")
    assert model.state.battery_saver  # sticky manual choice comes back on battery
    sh("settings put global low_power 0")
    assert not model.state.battery_saver
    sh("settings put global low_power_trigger_level 20")
    sh("cmd battery set level 20")
    assert model.state.battery_saver


def test_screen_keyevents_and_dumpsys_power(sh, model):
    sh("input keyevent 26")
    assert "  mWakefulness=Asleep\n" in sh("dumpsys power").stdout
    assert "Display Power: state=OFF" in sh("dumpsys display").stdout
    sh("input keyevent KEYCODE_WAKEUP")
    assert "  mWakefulness=Awake\n" in sh("dumpsys power").stdout


def test_network_commands(sh, model):
    assert "Active default network: 100" in sh("dumpsys connectivity").stdout
    sh("svc wifi disable")
    assert model.state.network.value == "cellular" and model.state.network_metered
    assert "Transports: CELLULAR" in sh("dumpsys connectivity").stdout
    sh("cmd connectivity airplane-mode enable")
    assert not model.state.network_connected
    assert sh("cmd connectivity airplane-mode").stdout == "enabled\n"
    assert sh("settings get global airplane_mode_on").stdout == "1\n"
    assert "Active default network: none" in sh("dumpsys connectivity").stdout
    sh("cmd connectivity airplane-mode disable")
    assert model.state.network.value == "wifi" and not model.state.network_metered
    sh("cmd netpolicy set metered-network VirtualWifi true")
    assert model.state.network_metered
    assert "NOT_METERED" not in sh("dumpsys connectivity").stdout
    sh("cmd netpolicy set restrict-background true")
    assert sh("cmd netpolicy get restrict-background").stdout == "Restrict background status: enabled\n"


def test_storage_low(sh, model):
    sh("cmd devicestoragemonitor force-low -f")
    assert model.state.storage_low
    sh("cmd devicestoragemonitor reset -f")
    assert not model.state.storage_low


def test_vdev_now_advance_state_trace_reset(sh, model):
    assert sh("vdev now").stdout == "boot_count=1\nelapsed_ms=0\nuptime_ms=0\nwall_ms=1767225600000\n"
    assert "elapsed_ms=90000\n" in sh("vdev advance 90s").stdout
    assert "elapsed_ms=990000\n" in sh("vdev advance 15m").stdout
    assert sh("vdev advance 1x").status == 2
    st = json.loads(sh("vdev state").stdout)
    assert st["screen_on"] is True and st["doze"]["deep"] == "ACTIVE" and st["network"]["type"] == "wifi"
    sh("input keyevent KEYCODE_SLEEP")
    lines = sh("vdev trace").stdout.splitlines()
    assert json.loads(lines[-1])["kind"] in ("alarm_set", "doze_light", "doze_deep", "screen")
    assert sh(f"vdev trace --since {len(lines)}").stdout == ""
    sh("vdev reset --api 33 --seed 5")
    assert model.api == 33 and model.clock.elapsed_ms == 0 and model.trace_lines() == []


def _busy_scenario(seed: int) -> list[str]:
    m = DeviceModel(seed=seed)
    reg = build_registry()
    ctx = CommandContext(m)
    import shlex
    for cmd in ("appops set dev.harness.companion SCHEDULE_EXACT_ALARM allow", "am start -n "
                "dev.harness.companion/.ui.CompanionActivity", "input keyevent 3", "cmd battery unplug", "input keyevent 26"):
        reg.dispatch(ctx, shlex.split(cmd))
    from harness.virtual.model.alarms import AlarmMethod, AlarmRequest, AlarmType
    m.alarms.schedule("dev.harness.companion", AlarmRequest(AlarmType.RTC_WAKEUP, AlarmMethod.SET_ALARM_CLOCK,
                                                             m.clock.wall_ms + 5 * 3_600_000, request_code=1))
    m.alarms.schedule("dev.harness.companion", AlarmRequest(AlarmType.ELAPSED_REALTIME_WAKEUP,
                                                             AlarmMethod.SET_INEXACT_REPEATING, 900_000,
                                                             interval_ms=900_000, request_code=2))
    m.advance(12 * 3_600_000)
    m.shutdown()
    m.boot()
    m.advance(12 * 3_600_000)
    return m.trace_lines()


def test_same_scenario_and_seed_give_a_byte_identical_trace():
    a, b = _busy_scenario(7), _busy_scenario(7)
    assert a == b and len(a) > 50
