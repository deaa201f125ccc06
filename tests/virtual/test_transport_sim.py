"""Virtual device processes: several at once, one vanishing mid-command, `harness sim`,
streamed install bytes, delayed_ack (adb 36 burst mode)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import adbutils
import pytest

from harness.virtual.model.packages import InstallFailure
from harness.virtual.sim import SimInfo, adb_connect, adb_disconnect, list_sims, sim_process_alive, state_dir
from harness.virtual.testing import (
    AdbCli,
    AdbServerInfo,
    ThreadedVirtualDevice,
    private_adb_server,
    running_sim,
)

EXIT_TIMEOUT = 20.0


def _client() -> adbutils.AdbClient:
    return adbutils.AdbClient(port=int(os.environ["ANDROID_ADB_SERVER_PORT"]))


def _read_available(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """What the process wrote to stdout within ``timeout`` seconds (b"" if nothing)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout.fileno()], [], [], timeout)
    return os.read(proc.stdout.fileno(), 65536) if ready else b""


def test_two_virtual_devices_at_once(adb: AdbCli, adb_server: AdbServerInfo) -> None:
    with running_sim(adb_server, name="first") as one, running_sim(adb_server, name="second") as two:
        listed = adb.run("devices").stdout.decode()
        assert f"{one.serial}\tdevice" in listed and f"{two.serial}\tdevice" in listed
        assert adb.run("shell", "getprop ro.product.model", serial=one.serial).stdout == b"first\n"
        assert adb.run("shell", "getprop ro.product.model", serial=two.serial).stdout == b"second\n"
        # state is per device
        adb.run("shell", "settings put global harness_probe one", serial=one.serial)
        assert adb.run("shell", "settings get global harness_probe", serial=two.serial).stdout == b"null\n"
    assert one.serial not in adb.run("devices").stdout.decode()


def test_device_vanishing_during_logcat_follow(adb: AdbCli, adb_server: AdbServerInfo) -> None:
    with running_sim(adb_server, name="vanishing") as info:
        follower = adb.popen("logcat", "-v", "brief", "-s", "Vanish", serial=info.serial)
        try:
            adb.run("shell", "log -t Vanish ping", serial=info.serial)
            seen = b""
            deadline = time.monotonic() + EXIT_TIMEOUT
            while b"I/Vanish" not in seen and time.monotonic() < deadline:
                seen += _read_available(follower, 1.0)
            assert b"I/Vanish  ( 4242): ping" in seen
            os.kill(info.pid, signal.SIGKILL)
            status = follower.wait(timeout=EXIT_TIMEOUT)  # no hang
        finally:
            if follower.poll() is None:
                follower.kill()
                follower.wait(5)
        assert status is not None
        # a command on the vanished device fails with a clear error, quickly
        proc = adb.run("shell", "echo hi", serial=info.serial, timeout=EXIT_TIMEOUT)
        assert proc.returncode != 0
        assert b"error" in (proc.stdout + proc.stderr).lower() or b"offline" in (proc.stdout + proc.stderr)
        with pytest.raises(adbutils.AdbError):
            _client().device(info.serial).shell("echo hi", timeout=EXIT_TIMEOUT)


def test_adbutils_stream_ends_when_device_is_killed(adb_server: AdbServerInfo) -> None:
    with running_sim(adb_server, name="killed") as info:
        dev = _client().device(info.serial)
        conn = dev.shell("logcat -v brief", stream=True, timeout=EXIT_TIMEOUT)
        try:
            dev.shell("log -t Killed before-kill")
            os.kill(info.pid, signal.SIGKILL)
            data = b""
            deadline = time.monotonic() + EXIT_TIMEOUT
            while time.monotonic() < deadline:
                chunk = conn.read(4096)
                if not chunk:
                    break
                data += chunk
            else:
                pytest.fail("stream did not end after the device died")
        finally:
            conn.close()
        assert b"before-kill" in data


def _apk(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00manifest")
        z.writestr("classes.dex", os.urandom(300_000))
    return path


@pytest.mark.parametrize("adb_server", ["debian", "bundled"], indirect=True)
def test_streamed_install_delivers_exact_bytes(adb: AdbCli, adb_server: AdbServerInfo, tmp_path: Path) -> None:
    apk = _apk(tmp_path / "app.apk")
    received: list[bytes] = []

    def accept(data: bytes, replace: bool = True) -> str:
        received.append(data)
        return "dev.harness.testapp"

    def refuse(data: bytes, replace: bool = True) -> str:
        raise InstallFailure("INSTALL_FAILED_VERSION_DOWNGRADE", "Downgrade detected")

    with ThreadedVirtualDevice(name="install") as dev:
        adb_connect(dev.serial)
        try:
            dev.call(lambda m: setattr(m.packages, "install_apk", accept))
            ok = adb.run("install", str(apk), serial=dev.serial)
            assert ok.returncode == 0, ok.stdout + ok.stderr
            assert b"Success" in ok.stdout
            assert received == [apk.read_bytes()]
            dev.call(lambda m: setattr(m.packages, "install_apk", refuse))
            bad = adb.run("install", str(apk), serial=dev.serial)
            assert bad.returncode == 1
            assert b"Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected]" in bad.stdout + bad.stderr
        finally:
            adb_disconnect(dev.serial)


def test_delayed_ack_with_adb36_burst_mode(tmp_path: Path) -> None:
    with private_adb_server("bundled", extra_env={"ADB_BURST_MODE": "1"}) as server, \
            running_sim(server, name="burst") as info:
        adb = AdbCli(server)
        # the device logs what CNXN negotiated; every OPEN then carries a window (else refused)
        assert "delayed_ack True" in Path(info.log_path).read_text()
        data = os.urandom(5 * 1024 * 1024)
        (tmp_path / "in.bin").write_bytes(data)
        assert adb.run("push", str(tmp_path / "in.bin"), "/data/local/tmp/burst.bin", serial=info.serial).returncode == 0
        assert adb.run("pull", "/data/local/tmp/burst.bin", str(tmp_path / "out.bin"), serial=info.serial).returncode == 0
        assert (tmp_path / "out.bin").read_bytes() == data
        assert adb.run("shell", "exit 4", serial=info.serial).returncode == 4


def test_adbutils_reboot_runs_shell_reboot(adb: AdbCli, adb_server: AdbServerInfo) -> None:
    with running_sim(adb_server, name="shellreboot") as info:
        dev = _client().device(info.serial)
        assert dev.getprop("ro.boot.bootcount") == "1"
        dev.reboot()  # adbutils: `shell reboot`
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            adb_disconnect(info.serial)
            if "connected to" in _client().connect(info.serial, timeout=5) and \
                    adb.run("get-state", serial=info.serial).returncode == 0:
                break
        assert _client().device(info.serial).getprop("ro.boot.bootcount") == "2"


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli.main", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_harness_sim_cli(adb: AdbCli, adb_server: AdbServerInfo) -> None:
    start = _harness("sim", "start", "--name", "cli_sim")
    assert start.returncode == 0, start.stderr
    serial = start.stdout.strip()
    try:
        assert serial.startswith("127.0.0.1:")
        port = int(serial.rsplit(":", 1)[1])
        assert not 5555 <= port <= 5585
        assert f"{serial}\tdevice" in adb.run("devices").stdout.decode()
        listed = _harness("sim", "list")
        assert serial in listed.stdout and "cli_sim" in listed.stdout
        assert adb.run("shell", "exit 3", serial=serial).returncode == 3
        pid = next(s.pid for s in list_sims() if s.serial == serial)
    finally:
        stop = _harness("sim", "stop", serial)
    assert stop.returncode == 0, stop.stderr
    assert serial not in _harness("sim", "list").stdout
    assert serial not in adb.run("devices").stdout.decode()
    assert not sim_process_alive(pid)  # gone (a zombie of a non-reaping init counts as gone)
    again = _harness("sim", "stop", serial)
    assert again.returncode != 0 and "no running virtual device" in again.stderr


def test_stale_state_is_pruned() -> None:
    stale = SimInfo(serial="127.0.0.1:1", port=1, pid=2**22 + 12345, api=34, name="ghost", log_path="/nonexistent")
    path = state_dir() / "1.json"
    path.write_text(stale.to_json())
    assert all(s.serial != stale.serial for s in list_sims())
    assert not path.exists()
    assert json.loads(stale.to_json())["serial"] == "127.0.0.1:1"


def test_emulator_ports_are_refused() -> None:
    result = _harness("sim", "start", "--port", "5555")
    assert result.returncode != 0
    assert "5555-5585" in result.stderr
