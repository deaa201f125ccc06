"""`harness devices` and `harness doctor`, run in-process against the real adb server."""

from __future__ import annotations

import adbutils
import pytest

from harness.cli.main import main
from harness.virtual.sim import SimInfo
from harness.bridge.private_server import free_port
from harness.virtual.testing import AdbServerInfo


def _row(out: str, serial: str) -> list[str]:
    lines = [line.split() for line in out.splitlines() if line.startswith(serial + " ")]
    assert len(lines) == 1, out
    return lines[0]


def test_devices_table(sim: SimInfo, adb_server: AdbServerInfo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--adb-port", str(adb_server.port)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["SERIAL", "STATE", "MODEL", "API", "KIND"]
    assert _row(out, sim.serial) == [sim.serial, "device", sim.name, str(sim.api), "virtual"]


def test_devices_on_an_unreachable_remote_server(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert main(["devices", "--adb-host", "127.0.0.2", "--adb-port", str(port)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("harness: error:") and f"127.0.0.2:{port}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_doctor_reports_each_check_with_fixes(sim: SimInfo, adb_server: AdbServerInfo,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor", "--device", sim.serial, "--adb-port", str(adb_server.port)])
    out = capsys.readouterr().out
    lines = {line.split("] ", 1)[1].split(":", 1)[0]: line for line in out.splitlines() if line.startswith("[")}
    assert "OK" in lines["adb binary"] and adbutils.adb_path() in lines["adb binary"]  # the one adbutils picks
    assert "OK" in lines["adb server"] and str(adb_server.port) in lines["adb server"]
    assert "OK" in lines["device"] and sim.serial in lines["device"]
    assert "OK" in lines["device ready"]
    assert f"API {sim.api}" in lines["API level"] and "virtual" in lines["API level"]
    assert set(lines) >= {"companion installed", "companion protocol", "exact alarms", "battery optimization"}
    essential = ("adb binary", "adb server", "device", "device ready", "companion installed", "companion protocol")
    failed = [name for name in essential if lines[name].startswith("[FAIL]")]
    assert status == (3 if failed else 0)
    assert out.splitlines()[-1] == (f"{len(failed)} essential check(s) failed: {', '.join(failed)}" if failed
                                    else "all essential checks passed")
    text = out.splitlines()
    for i, line in enumerate(text):  # every failure comes with a fix
        if line.startswith("[FAIL]"):
            assert text[i + 1].strip().startswith("fix: ")


def test_doctor_without_a_device(adb_server: AdbServerInfo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--device", "no-such-device", "--adb-port", str(adb_server.port)]) == 3
    out = capsys.readouterr().out
    assert "[FAIL] device:" in out and "no-such-device" in out and "fix:" in out
