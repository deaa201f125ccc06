"""Model A, apps and processes (rules A19-A25), through the real adb server."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.companion.protocol import AlarmMethod, ForegroundParams, Task, Behavior
from harness.errors import InstallError
from harness.virtual.model.apk import build_apk

from .conftest import ACTIVITY, COMPANION, MIN, Phone

APP = "com.example.fidelity"
BOOT = "android.intent.action.BOOT_COMPLETED"


def _apk(tmp_path: Path, name: str, package: str = APP, **kw: object) -> Path:
    path = tmp_path / name
    path.write_bytes(build_apk(package, **kw))  # type: ignore[arg-type]
    return path


def _procstate(phone: Phone, package: str = COMPANION) -> str | None:
    procs = [p for p in phone.state()["processes"] if p["package"] == package]
    return procs[0]["procstate"] if procs else None


def test_am_start_puts_the_app_on_top_and_clears_the_stopped_state(phone: Phone) -> None:
    phone.out("am", "force-stop", COMPANION)
    assert phone.stopped()
    out = phone.out("am", "start", "-W", "-n", ACTIVITY)
    assert out.startswith(f"Starting: Intent {{ cmp={ACTIVITY} }}\nStatus: ok\nLaunchState: COLD\n")
    assert "\nComplete\n" in out
    assert not phone.stopped()
    pid = phone.pid()
    assert pid is not None
    procs = phone.out("dumpsys", "activity", "processes")
    assert f"{pid}:{COMPANION}/" in procs and "    curProcState=2 " in procs  # PROCESS_STATE_TOP
    assert " TOP  " in phone.out("dumpsys", "activity", "lru")
    assert "LaunchState: HOT" in phone.out("am", "start", "-W", "-n", ACTIVITY)
    r = phone.sh("am", "start", "-n", f"{COMPANION}/.MainActivity")  # not in the manifest
    assert "Error: Activity class {dev.harness.companion/.MainActivity} does not exist." in r.stderr


def test_home_makes_the_app_previous_then_cached_after_60_seconds(phone: Phone) -> None:
    phone.out("am", "start", "-n", ACTIVITY)
    phone.out("input", "keyevent", "KEYCODE_HOME")
    assert _procstate(phone) == "LAST_ACTIVITY"
    assert " LAST " in phone.out("dumpsys", "activity", "lru")
    # the uid stays active: battery saver does not hold its alarms yet
    phone.out("cmd", "power", "set-mode", "1")
    phone.alarm("early", AlarmMethod.SET, 6 * 1000)
    phone.advance("6s")
    assert len(phone.fired("early")) == 1
    phone.advance(str(60_000 - 6000 - 1))
    assert _procstate(phone) == "LAST_ACTIVITY"
    phone.advance("1")
    assert _procstate(phone) == "CACHED_ACTIVITY"
    assert " CAC  " in phone.out("dumpsys", "activity", "lru")
    phone.alarm("late", AlarmMethod.SET, 6 * 1000)  # uid idle now: battery saver holds it
    phone.advance("10m")
    assert phone.fired("late") == []


def test_am_kill_kills_only_a_background_process_and_does_not_stop_it(phone: Phone) -> None:
    phone.out("am", "start", "-n", ACTIVITY)
    pid = phone.pid()
    phone.out("am", "kill", COMPANION)
    assert phone.pid() == pid  # on top: not killable
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.out("am", "kill", COMPANION)
    assert phone.pid() is None
    assert not phone.stopped()
    assert "reason=10 (USER REQUESTED) subreason=24 (KILL BACKGROUND)" in phone.exit_info()
    start = phone.events(kind="process_start")[-1]  # the RPC call starts the app again
    assert start.detail["previous_exit"]["reason"] == "USER_REQUESTED"


def test_force_stop_stops_the_package_and_removes_its_alarms(phone: Phone) -> None:
    phone.alarm("a", AlarmMethod.SET, 60 * MIN)
    assert len(phone.app_alarms()) == 1
    phone.out("am", "force-stop", COMPANION)
    assert phone.pid() is None and phone.stopped()
    assert phone.app_alarms() == []
    assert "reason=10 (USER REQUESTED) subreason=21 (FORCE STOP)" in phone.exit_info()
    phone.advance("2h")
    assert phone.fired("a") == []


def test_broadcasts_skip_a_stopped_package_unless_included(phone: Phone, tmp_path: Path) -> None:
    phone.device.install(_apk(tmp_path, "app.apk", receivers={".Ping": ("com.example.PING",)}))
    assert phone.stopped(APP)  # a new install is stopped until launched
    out = phone.out("am", "broadcast", "-a", "com.example.PING", "-p", APP)
    assert out == (f"Broadcasting: Intent {{ act=com.example.PING flg=0x400000 pkg={APP} }}\n"
                   "Broadcast completed: result=0\n")
    assert phone.pid(APP) is None
    phone.out("am", "broadcast", "-a", "com.example.PING", "-p", APP, "--include-stopped-packages")
    assert phone.pid(APP) is not None and not phone.stopped(APP)
    procs = {p["package"]: p for p in phone.state()["processes"]}
    assert procs[APP]["start_reason"] == "broadcast"
    phone.out("am", "force-stop", APP)
    phone.out("am", "broadcast", "-a", "com.example.PING", "-p", APP)
    assert phone.pid(APP) is None
    phone.out("am", "start", "-n", f"{APP}/.MainActivity")
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.out("am", "kill", APP)
    phone.out("am", "broadcast", "-a", "com.example.PING", "-p", APP)
    assert phone.pid(APP) is not None  # launched again: broadcasts reach it


def test_swipe_from_recents_kills_with_remove_task_unless_a_foreground_service_runs(phone: Phone) -> None:
    phone.out("am", "start", "-n", ACTIVITY)
    phone.out("vdev", "swipe", COMPANION)
    assert phone.pid() is None and not phone.stopped()
    assert "reason=10 (USER REQUESTED) subreason=22 (REMOVE TASK)" in phone.exit_info()
    phone.out("am", "start", "-n", ACTIVITY)
    phone.companion.schedule(Task("fgs", ForegroundParams(), Behavior(duration_ms=30 * MIN)))
    assert len(phone.events("fgs", "started")) == 1
    pid = phone.pid()
    phone.out("vdev", "swipe", COMPANION)
    assert phone.pid() == pid and _procstate(phone) == "FOREGROUND_SERVICE"
    phone.out("vdev", "oem", "swipe-force-stop", "on")  # e.g. Xiaomi, Huawei (dontkillmyapp.com)
    phone.out("vdev", "swipe", COMPANION)
    assert phone.pid() is None and phone.stopped()


def test_reboot_kills_processes_clears_alarms_and_boot_completed_reaches_non_stopped_apps(
        phone: Phone, tmp_path: Path) -> None:
    receivers = {".Boot": (BOOT,)}
    phone.device.install(_apk(tmp_path, "a.apk", receivers=receivers))
    phone.device.install(_apk(tmp_path, "b.apk", package=APP + ".never", receivers=receivers))
    phone.out("am", "start", "-n", f"{APP}/.MainActivity")  # launched once: no longer stopped
    phone.allow_exact()
    phone.alarm("a", AlarmMethod.SET_EXACT, 60 * MIN)
    phone.out("cmd", "battery", "set", "level", "15")  # A43: overrides are lost at reboot
    old_pid = phone.pid(APP)
    phone.device.reboot(timeout=60)
    assert phone.state()["boot_count"] == 2
    procs = {p["package"]: p for p in phone.state()["processes"]}
    assert procs[APP]["start_reason"] == "broadcast" and procs[APP]["pid"] != old_pid
    assert APP + ".never" not in procs and phone.stopped(APP + ".never")
    assert phone.app_alarms() == []
    assert "UPDATES STOPPED" not in phone.out("dumpsys", "battery")
    boots = [e.kind for e in phone.events() if e.mechanism.value == "boot" and e.boot == 2]
    assert boots == ["locked_boot_completed", "boot_completed"]
    phone.advance("2h")
    assert phone.fired("a") == []


def test_install_reads_the_manifest_and_refuses_bad_apks(phone: Phone, tmp_path: Path) -> None:
    phone.device.install(_apk(tmp_path, "v3.apk", version_code=3, target_sdk=33,
                              permissions=("android.permission.CAMERA",)))
    dump = phone.out("dumpsys", "package", APP)
    assert "    versionCode=3 minSdk=21 targetSdk=33\n" in dump and " stopped=true " in dump
    assert "android.permission.CAMERA" in dump
    assert phone.out("pm", "path", APP).startswith(f"package:/data/app/") and APP in phone.out("pm", "path", APP)
    bad = {"unsigned.apk": ("INSTALL_PARSE_FAILED_NO_CERTIFICATES", {"signed": False}),
           "old.apk": ("INSTALL_FAILED_VERSION_DOWNGRADE", {"version_code": 2})}
    for name, (reason, kw) in bad.items():
        with pytest.raises(InstallError) as e:
            phone.device.install(_apk(tmp_path, name, **kw))
        assert e.value.reason == reason
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InstallError) as e:
        phone.device.install(junk)
    assert e.value.reason == "INSTALL_FAILED_INVALID_APK"
    assert "    versionCode=3 " in phone.out("dumpsys", "package", APP)
