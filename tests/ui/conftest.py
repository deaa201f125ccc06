"""Fixtures for the screen tests: one virtual device per module, a fresh device and uiautomator2 per test.

Everything goes through the real adb server (tests/conftest.py ``adb_server``) and
uiautomator2's own client code: its jar push, its ``app_process`` launch and its HTTP JSON-RPC
over adb's ``tcp:9008`` service.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.bridge.device import Device
from harness.companion.client import CompanionClient
from harness.ui.session import UiSession, connect
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo

PKG = "dev.harness.companion"


@pytest.fixture(scope="module")
def vdevice(sim: SimInfo, adb_server: AdbServerInfo) -> Device:
    from harness.bridge.select import select_device

    return select_device(sim.serial, adb_port=adb_server.port)


def sh(device: Device, *argv: str) -> str:
    r = device.shell(list(argv))
    return r.stdout + r.stderr


def vstate(device: Device) -> dict[str, Any]:
    return json.loads(device.shell(["vdev", "state"]).stdout)


def package_state(device: Device, package: str = PKG) -> dict[str, Any]:
    return next(p for p in vstate(device)["packages"] if p["package"] == package)


def schedule(device: Device, task: dict[str, Any]) -> dict[str, Any]:
    return CompanionClient(device).call("schedule", {"task": task})


@pytest.fixture
def fresh(vdevice: Device, sim: SimInfo) -> Device:
    """The module's device, reset to a fresh boot (at the sim's API level) with the companion installed."""
    r = vdevice.shell(["vdev", "reset", "--api", str(sim.api)])
    assert r.status == 0, r.stderr
    vdevice.forget_boot_facts()
    return vdevice


@pytest.fixture
def ui(fresh: Device) -> Iterator[UiSession]:
    session = connect(fresh)
    yield session
    session.close()
