"""Reboot and wait until ready, through the real adb server (TCP device: reconnect fast path)."""

from __future__ import annotations

import time

import pytest

from harness.bridge.attached import AdbState
from harness.bridge.device import Device
from harness.bridge.reboot import probe
from harness.errors import BootTimeoutError


def test_reboot_waits_until_ready_and_boot_count_advanced(device: Device) -> None:
    before = device.boot_count()
    assert before is not None
    started = time.monotonic()
    state = device.reboot(timeout=30.0)
    took = time.monotonic() - started
    assert state.boot_completed and state.package_manager
    assert state.boot_count == before + 1
    assert device.adb_state() is AdbState.DEVICE
    assert device.boot_count() == before + 1
    assert device.shell(["echo", "back"]).stdout == "back\n"
    assert took < 20.0  # far below adb's own 10 s retry cycles; bench/ measures the real figure


def test_wait_until_ready_is_bounded_and_reports_last_state(device: Device) -> None:
    current = probe(device)
    assert current.boot_completed and current.boot_count is not None
    started = time.monotonic()
    with pytest.raises(BootTimeoutError) as info:
        # No reboot happens, so the boot count never passes the current one.
        device.wait_until_ready(current.boot_count, timeout=0.5)
    assert time.monotonic() - started < 3.0
    assert info.value.serial == device.serial
    assert f"boot_count={current.boot_count}" in info.value.last_state
    assert "not advanced" in info.value.last_state
