"""Batches through the real adb server and the virtual device's shell: per-command status and output."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.controls.base import run
from harness.controls.batch import run_batch
from harness.errors import CommandFailedError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from harness.bridge.device import Device
    from harness.virtual.testing import AdbServerInfo


def test_each_command_gets_its_own_result(device: "Device") -> None:
    hostile = "it's $HOME; `id` \"q\""
    results = run_batch(device, [["echo", hostile], ["no-such-command-xyz"], ["getprop", "ro.harness.virtual"],
                                 ["echo", "-n", "no newline"]])
    assert [r.status for r in results] == [0, 127, 0, 0]
    assert results[0].stdout == hostile + "\n" and results[0].stderr == ""
    assert results[1].stdout == "" and "no-such-command-xyz" in results[1].stderr
    assert results[2].stdout.strip() == "1"
    assert results[3].stdout == "no newline"
    assert results[1].command == "no-such-command-xyz"


def test_run_raises_for_the_failed_command_after_all_ran(device: "Device") -> None:
    with pytest.raises(CommandFailedError) as info:
        run(device, [["echo", "first"], ["no-such-command-xyz"], ["echo", "third"]])
    assert info.value.command == "no-such-command-xyz" and info.value.status == 127


def test_large_batches_are_split_into_several_round_trips(device: "Device") -> None:
    word = "x" * 2000
    results = run_batch(device, [["echo", f"{i}{word}"] for i in range(60)])  # > 64 KiB of script
    assert [r.stdout for r in results] == [f"{i}{word}\n" for i in range(60)]


# ------------------------------------------------------------------ legacy shell (no shell_v2)
@pytest.fixture(scope="module")
def legacy_device(adb_server: "AdbServerInfo") -> "Iterator[Device]":
    """A virtual device that does not advertise shell_v2 (stdout and stderr arrive mixed)."""
    from harness.bridge.select import select_device
    from harness.virtual.adb.packets import DEVICE_FEATURES
    from harness.virtual.testing import ThreadedVirtualDevice

    features = tuple(f for f in DEVICE_FEATURES if f != "shell_v2")
    with ThreadedVirtualDevice(name="legacy_batch", features=features) as vdev:
        device = select_device(vdev.serial, adb_port=adb_server.port)
        try:
            yield device
        finally:
            device.server.client.disconnect(device.serial)


def test_batch_on_a_device_without_shell_v2(legacy_device: "Device") -> None:
    assert not legacy_device.shell_v2
    results = run_batch(legacy_device, [["echo", "a b"], ["no-such-command-xyz"], ["echo", "-n", "c"],
                                        ["echo", "d"]])
    assert [r.status for r in results] == [0, 127, 0, 0]
    assert results[0].stdout == "a b\n"
    assert "no-such-command-xyz" in results[1].stdout  # stderr is mixed into stdout without shell_v2
    assert results[2].stdout == "c" and results[3].stdout == "d\n"
    assert all("HARNESS_" not in r.stdout for r in results)
