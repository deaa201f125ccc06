"""Model A through the real adb server and a virtual device process (one sim for the module, reset per test)."""

from __future__ import annotations

import json

import adbutils
import pytest

from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo

COMPANION = "dev.harness.companion"


@pytest.fixture
def dev(sim: SimInfo, adb_server: AdbServerInfo) -> adbutils.AdbDevice:
    client = adbutils.AdbClient(port=adb_server.port)
    d = client.device(sim.serial)
    res = d.shell2("vdev reset --seed 3", timeout=20)
    assert res.returncode == 0, res.output
    return d


def sh(d: adbutils.AdbDevice, cmd: str) -> tuple[int, str]:
    r = d.shell2(cmd, timeout=20)
    return r.returncode, r.output


def test_doze_through_adb(dev):
    assert sh(dev, "cmd battery unplug")[0] == 0
    sh(dev, "input keyevent KEYCODE_POWER")
    assert sh(dev, "dumpsys deviceidle get deep") == (0, "INACTIVE\n")
    sh(dev, "vdev advance 62m")
    assert sh(dev, "cmd deviceidle get deep")[1] == "IDLE\n"
    assert "mState=IDLE mLightState=OVERRIDE" in sh(dev, "dumpsys deviceidle")[1]
    sh(dev, "input keyevent KEYCODE_WAKEUP")
    assert sh(dev, "cmd deviceidle get deep")[1] == "ACTIVE\n"
    assert sh(dev, "dumpsys deviceidle force-idle")[1] == "Now forced in to deep idle mode\n"
    assert sh(dev, "dumpsys deviceidle unforce")[1] == "Light state: ACTIVE, deep state: ACTIVE\n"


def test_processes_and_force_stop_through_adb(dev):
    out = sh(dev, f"am start -W -n {COMPANION}/.ui.CompanionActivity")[1]
    assert "LaunchState: COLD" in out
    rc, pid = sh(dev, f"pidof {COMPANION}")
    assert rc == 0 and pid.strip().isdigit()
    assert f"{pid.strip()}:{COMPANION}/" in sh(dev, "dumpsys activity lru")[1]
    sh(dev, f"am force-stop {COMPANION}")
    assert sh(dev, f"pidof {COMPANION}")[0] == 1
    assert " stopped=true " in sh(dev, f"dumpsys package {COMPANION}")[1]
    assert "subreason=21 (FORCE STOP)" in sh(dev, f"dumpsys activity exit-info {COMPANION}")[1]


def test_buckets_appops_alarm_dump_through_adb(dev):
    sh(dev, f"am set-standby-bucket {COMPANION} rare")
    assert sh(dev, f"am get-standby-bucket {COMPANION}")[1] == "40\n"
    assert sh(dev, f"am get-inactive {COMPANION}")[1] == "Idle=true\n"
    assert sh(dev, f"appops get {COMPANION} SCHEDULE_EXACT_ALARM")[1] == "SCHEDULE_EXACT_ALARM: default\n"
    sh(dev, f"appops set {COMPANION} SCHEDULE_EXACT_ALARM allow")
    assert sh(dev, f"appops get {COMPANION} SCHEDULE_EXACT_ALARM")[1] == "SCHEDULE_EXACT_ALARM: allow\n"
    assert "Current Alarm Manager state:" in sh(dev, "dumpsys alarm")[1]


def test_device_state_and_trace_through_adb(dev):
    sh(dev, "svc wifi disable")
    sh(dev, "cmd power set-mode 1")
    st = json.loads(sh(dev, "vdev state")[1])
    assert st["network"]["type"] == "cellular" and st["network"]["metered"] is True
    assert st["battery"]["saver"] is True
    assert sh(dev, "settings get global low_power")[1] == "1\n"
    trace = [json.loads(x) for x in sh(dev, "vdev trace")[1].splitlines()]
    assert [t["kind"] for t in trace][:2] == ["wifi", "battery_saver"]
    assert sh(dev, "vdev now")[1].startswith("boot_count=1\nelapsed_ms=0\n")
