"""push/pull (adbutils sync) and install/uninstall through the real adb server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from harness.bridge.device import Device
from harness.errors import CommandFailedError, InstallError, UninstallError, UsageError

FIVE_MB = 5 * 1024 * 1024


def test_push_pull_5mb_byte_identical(device: Device, tmp_path: Path) -> None:
    data = os.urandom(FIVE_MB)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    remote = "/data/local/tmp/harness_big.bin"
    try:
        assert device.push(local, remote) == FIVE_MB
        back = tmp_path / "back.bin"
        assert device.pull(remote, back) == FIVE_MB
        assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
        assert device.read_bytes(remote) == data
    finally:
        device.shell(["rm", "-f", remote])


def test_pull_of_missing_file_names_it(device: Device, tmp_path: Path) -> None:
    with pytest.raises(CommandFailedError) as info:
        device.pull("/data/local/tmp/no_such_file", tmp_path / "x")
    assert info.value.serial == device.serial
    assert "no_such_file" in info.value.command


def test_push_of_missing_local_file_is_a_usage_error(device: Device, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        device.push(tmp_path / "absent.bin", "/data/local/tmp/absent.bin")


def _staged(device: Device) -> list[str]:
    listing = device.shell(["ls", "/data/local/tmp"], check=True).stdout.split()
    return [name for name in listing if name.startswith("harness-") and name.endswith(".apk")]


def test_install_failure_reason_is_parsed_and_staged_copy_removed(device: Device, tmp_path: Path) -> None:
    pytest.importorskip("harness.virtual.model.apk", reason="the virtual device's APK reader is not there yet")
    apk = tmp_path / "not-an-apk.apk"
    apk.write_bytes(b"this is not a zip file at all")
    with pytest.raises(InstallError) as info:
        device.install(apk)
    assert info.value.reason.startswith(("INSTALL_PARSE_FAILED_", "INSTALL_FAILED_"))
    assert info.value.reason != "INSTALL_FAILED_INTERNAL_ERROR"
    assert info.value.serial == device.serial and "not-an-apk.apk" in str(info.value)
    assert _staged(device) == []


def test_uninstall_of_unknown_package_reports_delete_failure(device: Device) -> None:
    with pytest.raises(UninstallError) as info:
        device.uninstall("dev.harness.no.such.package")
    assert info.value.reason == "DELETE_FAILED_INTERNAL_ERROR"
    assert "uninstall of dev.harness.no.such.package failed" in str(info.value)
    assert not device.is_installed("dev.harness.no.such.package")
