"""The virtual device's ADB transport through the REAL adb server, with both adb binaries."""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from pathlib import Path

import adbutils
import pytest

from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbCli, AdbServerInfo

pytestmark = pytest.mark.parametrize("adb_server", ["debian", "bundled"], indirect=True)

FIVE_MB = 5 * 1024 * 1024


def _device(sim: SimInfo) -> adbutils.AdbDevice:
    return adbutils.AdbClient(port=int(os.environ["ANDROID_ADB_SERVER_PORT"])).device(sim.serial)


def test_connected_device_is_listed(adb: AdbCli, sim: SimInfo, adb_server: AdbServerInfo) -> None:
    out = adb.run("devices").stdout.decode()
    assert f"{sim.serial}\tdevice" in out
    assert adb.run("get-state", serial=sim.serial).stdout.strip() == b"device"


@pytest.mark.parametrize(("script", "status"), [("exit 3", 3), ("exit 0", 0), ("true", 0),
                                                  ("no_such_command", 127), ("false", 1)])
def test_shell_exit_status(adb: AdbCli, sim: SimInfo, script: str, status: int) -> None:
    proc = adb.run("shell", script, serial=sim.serial)
    assert proc.returncode == status, proc.stderr


def test_unknown_command_message_on_stderr(adb: AdbCli, sim: SimInfo) -> None:
    proc = adb.run("shell", "no_such_command", serial=sim.serial)
    assert proc.stdout == b""
    assert proc.stderr == b"/system/bin/sh: no_such_command: inaccessible or not found\n"


def test_stderr_kept_apart_with_shell_v2(adb: AdbCli, sim: SimInfo) -> None:
    proc = adb.run("shell", "echo out; echo err >&2; echo out2", serial=sim.serial)
    assert proc.stdout == b"out\nout2\n"
    assert proc.stderr == b"err\n"
    merged = adb.run("shell", "no_such_command 2>&1; echo gone >/dev/null", serial=sim.serial)
    assert merged.stdout == b"/system/bin/sh: no_such_command: inaccessible or not found\n"
    assert merged.stderr == b""


def test_semicolon_and_status_expansion(adb: AdbCli, sim: SimInfo) -> None:
    proc = adb.run("shell", "false; echo A:$?; true && echo B || echo C; false || echo D:$?", serial=sim.serial)
    assert proc.stdout == b"A:1\nB\nD:1\n"
    # adbutils' shell2 appends "; echo X4EXIT:$?" to a legacy shell: command
    ret = _device(sim).shell2("echo hi; sh_missing_cmd")
    # legacy shell: (no shell protocol) stderr is merged into the output, as on a device
    assert (ret.returncode, ret.output) == (127, "hi\n/system/bin/sh: sh_missing_cmd: inaccessible or not found\n")
    ret = _device(sim).shell2("echo hi; exit 5", v2=True)
    assert (ret.returncode, ret.output) == (5, "hi\n")
    ret = _device(sim).shell2("echo 'quoted; not split' \"$?\"")
    assert (ret.returncode, ret.output) == (0, "quoted; not split 0\n")


def test_exec_out_quoted_arguments(adb: AdbCli, sim: SimInfo) -> None:
    proc = adb.run("exec-out", "echo", "raw value", serial=sim.serial)
    assert proc.stdout == b"raw value\n"


def test_push_pull_5mb_with_adb_cli(adb: AdbCli, sim: SimInfo, tmp_path: Path) -> None:
    data = os.urandom(FIVE_MB) + b"tail"
    src, back = tmp_path / "src.bin", tmp_path / "back.bin"
    src.write_bytes(data)
    remote = "/data/local/tmp/cli_5mb.bin"
    push = adb.run("push", str(src), remote, serial=sim.serial)
    assert push.returncode == 0, push.stderr
    size = adb.run("shell", f"stat -c %s {remote}", serial=sim.serial)
    assert size.stdout.strip() == str(len(data)).encode()
    pull = adb.run("pull", remote, str(back), serial=sim.serial)
    assert pull.returncode == 0, pull.stderr
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_push_pull_5mb_with_adbutils_sync(sim: SimInfo, tmp_path: Path) -> None:
    data = os.urandom(FIVE_MB)
    dev = _device(sim)
    remote = "/sdcard/Download/adbutils_5mb.bin"
    dev.sync.push(data, remote)
    info = dev.sync.stat(remote)
    assert info.size == len(data)
    assert dev.sync.read_bytes(remote) == data
    names = [f.path for f in dev.sync.list("/sdcard/Download")]
    assert "adbutils_5mb.bin" in names


def test_pull_missing_file_fails_clearly(adb: AdbCli, sim: SimInfo, tmp_path: Path) -> None:
    proc = adb.run("pull", "/data/local/tmp/does_not_exist", str(tmp_path / "x"), serial=sim.serial)
    assert proc.returncode == 1
    assert b"No such file or directory" in proc.stdout + proc.stderr


def test_push_to_read_only_system_fails(adb: AdbCli, sim: SimInfo, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_bytes(b"x")
    proc = adb.run("push", str(src), "/system/f.txt", serial=sim.serial)
    assert proc.returncode == 1
    assert b"Read-only file system" in proc.stdout + proc.stderr


def _test_apk(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("AndroidManifest.xml", b"<manifest package='dev.harness.testapp'/>")
        z.writestr("classes.dex", b"dex\n035\0")
    return path


def test_streamed_install_answers_like_pm(adb: AdbCli, sim: SimInfo, tmp_path: Path) -> None:
    apk = _test_apk(tmp_path / "test.apk")
    proc = adb.run("install", str(apk), serial=sim.serial)
    out = (proc.stdout + proc.stderr).decode()
    # The test APK has a text manifest; the Packages model decides. Either way the answer must
    # be PackageManager's, carried over the streamed install (not a transport error).
    if proc.returncode == 0:
        assert "Success" in out
    else:
        assert proc.returncode == 1
        assert "Failure [INSTALL_" in out, out


def test_unknown_service_is_refused(sim: SimInfo) -> None:
    with _device(sim).open_transport() as conn:
        conn.send_command("no-such-service:")
        with pytest.raises(adbutils.AdbError):
            conn.check_okay()
    # the device is still fine afterwards
    assert _device(sim).shell("echo alive").strip() == "alive"


def test_logcat_dump_and_filters(adb: AdbCli, sim: SimInfo) -> None:
    adb.run("logcat", "-c", serial=sim.serial)
    adb.run("shell", "log -p w -t TransportTest hello world; log -t Other noise", serial=sim.serial)
    proc = adb.run("logcat", "-d", "-v", "brief", "TransportTest:I", "*:S", serial=sim.serial)
    lines = [ln for ln in proc.stdout.decode().splitlines() if not ln.startswith("-----")]
    assert lines == ["W/TransportTest( 4242): hello world"]


def test_reboot_then_reconnect(adb: AdbCli, sim: SimInfo) -> None:
    before = int(adb.run("shell", "getprop ro.boot.bootcount", serial=sim.serial).stdout)
    proc = adb.run("reboot", serial=sim.serial, timeout=30)
    assert proc.returncode == 0, proc.stderr
    # the fast path (notes: adb-device-protocol.md): disconnect + connect until it is back
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # bounded: each round is a real connect attempt with a timeout
        adb.run("disconnect", sim.serial, timeout=10)
        connect = adb.run("connect", sim.serial, timeout=10)
        state = adb.run("get-state", serial=sim.serial, timeout=10)
        seen.append((connect.stdout + connect.stderr + state.stdout + state.stderr).decode().strip())
        if connect.stdout.startswith(b"connected to") and state.returncode == 0:
            break
    else:
        pytest.fail(f"{sim.serial} did not come back after reboot: {seen[-3:]}")
    after = int(adb.run("shell", "getprop ro.boot.bootcount", serial=sim.serial).stdout)
    assert after == before + 1


def test_shell_reads_commands_from_piped_stdin(adb: AdbCli, sim: SimInfo) -> None:
    # stdin not a terminal: `shell,v2,raw:` with no command; stdin packets carry the script
    proc = adb.run("shell", serial=sim.serial, input=b"echo piped\ncd /sdcard\npwd\nexit 4\n")
    assert (proc.returncode, proc.stdout) == (4, b"piped\n/sdcard\n")


def test_abb_exec_runs_package_commands(sim: SimInfo) -> None:
    with _device(sim).open_transport() as conn:
        conn.send_command("abb_exec:package\0list\0packages\0dev.harness.companion")
        conn.check_okay()
        out = conn.read_until_close()
    assert out == "package:dev.harness.companion\n"
