"""The legacy shell protocol (devices without ``shell_v2``, before Android 7): exit status from
an echoed marker. A virtual device that does not advertise ``shell_v2`` is served in this test
process (on its own event-loop thread) and reached through the real adb server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bridge.device import Device
from harness.bridge.select import select_device
from harness.errors import CommandFailedError, DeviceError
from harness.virtual.adb.packets import DEVICE_FEATURES
from harness.virtual.testing import AdbServerInfo, ThreadedVirtualDevice

LEGACY_FEATURES = tuple(f for f in DEVICE_FEATURES if f != "shell_v2")


@pytest.fixture(scope="module")
def legacy_device(adb_server: AdbServerInfo) -> Iterator[Device]:
    with ThreadedVirtualDevice(name="legacy", features=LEGACY_FEATURES) as vdev:
        device = select_device(vdev.serial, adb_port=adb_server.port)
        try:
            yield device
        finally:
            device.server.client.disconnect(device.serial)


def test_legacy_device_has_no_shell_v2(legacy_device: Device) -> None:
    assert not legacy_device.shell_v2


@pytest.mark.parametrize(("script", "status"), [("true", 0), ("false", 1), ("no_such_command_xyz", 127)])
def test_exit_status_from_marker(legacy_device: Device, script: str, status: int) -> None:
    result = legacy_device.shell_script(script + " ;")  # a trailing ';' must not break the marker
    assert result.status == status
    assert "HARNESS_EXIT" not in result.stdout


def test_output_and_quoting_survive(legacy_device: Device) -> None:
    words = ["'; rm -rf /", "$HOME", "a  b", "x\ny"]
    result = legacy_device.shell(["echo", *words], check=True)
    assert result.stdout == " ".join(words) + "\n"
    assert result.stderr == ""  # v1 mixes stderr into stdout


def test_check_and_merged_stderr(legacy_device: Device) -> None:
    with pytest.raises(CommandFailedError) as info:
        legacy_device.shell(["cat", "/no/such/file"], check=True)
    assert info.value.status == 1 and "/no/such/file" in info.value.stdout


def test_script_that_exits_the_shell_is_reported(legacy_device: Device) -> None:
    with pytest.raises(DeviceError) as info:
        legacy_device.shell_script("exit 3")
    assert "exit status" in str(info.value) and "unknown" in str(info.value)
