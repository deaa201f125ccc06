"""Shared pytest fixtures (the reusable parts live in harness/virtual/testing.py).

Fixtures
--------
``adb_server`` (session scope)
    A private adb server on a free port; ``ANDROID_ADB_SERVER_PORT`` is set for this test
    process while it runs (adbutils honours it), and the server is killed at the end. Yields
    :class:`harness.virtual.testing.AdbServerInfo` (``port``, ``adb_path``, ``kind``).
    The kind is ``debian`` (/usr/bin/adb 29) by default, or ``$HARNESS_TEST_ADB``; a test
    module picks kinds with indirect parametrization::

        pytestmark = pytest.mark.parametrize("adb_server", ["debian", "bundled"], indirect=True)

    Only one server runs at a time: pytest tears one down before starting the other kind.

``sim`` (module scope)
    A virtual device process (``python -m harness.virtual``) started by
    ``harness.virtual.sim.start_sim`` and ``adb connect``-ed to ``adb_server``; yields
    :class:`harness.virtual.sim.SimInfo` (``serial`` "127.0.0.1:PORT", ``port``, ``pid``,
    ``api``, ``name``, ``log_path``). Stopped (adb disconnect + terminate) afterwards.

``adb`` (function scope)
    :class:`harness.virtual.testing.AdbCli` for ``adb_server``: ``adb.run("shell", "id",
    serial=sim.serial)`` runs the adb command line of the same kind as the server, with a
    timeout, and returns the CompletedProcess (bytes).

``device`` (function scope)
    A :class:`harness.bridge.device.Device` for ``sim``, chosen through ``adb_server`` with the
    bridge's own device selection (``select_device(sim.serial)``).

``session`` (module scope)
    A :class:`harness.runner.session.Session` on ``device``'s sim, its companion connected: what the
    runner tests hand to ``SpecRunner``.

``sim_state_dir`` (session scope, autouse)
    Points ``$HARNESS_SIM_DIR`` at a private directory so tests never see or stop sims that
    other runs started.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbCli, AdbServerInfo, private_adb_server, running_sim

if TYPE_CHECKING:
    from harness.bridge.device import Device
    from harness.runner.session import Session


@pytest.fixture(scope="session", autouse=True)
def sim_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("sims")
    previous = os.environ.get("HARNESS_SIM_DIR")
    os.environ["HARNESS_SIM_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("HARNESS_SIM_DIR", None)
    else:
        os.environ["HARNESS_SIM_DIR"] = previous


@pytest.fixture(scope="session")
def adb_server(request: pytest.FixtureRequest) -> Iterator[AdbServerInfo]:
    kind = getattr(request, "param", None) or os.environ.get("HARNESS_TEST_ADB", "debian")
    with private_adb_server(kind) as server:
        yield server


@pytest.fixture(scope="module")
def sim(adb_server: AdbServerInfo, request: pytest.FixtureRequest) -> Iterator[SimInfo]:
    name = "sim_" + request.module.__name__.rsplit(".", 1)[-1]
    with running_sim(adb_server, name=name[:40]) as info:
        yield info


@pytest.fixture
def adb(adb_server: AdbServerInfo) -> AdbCli:
    return AdbCli(adb_server)


@pytest.fixture
def device(sim: SimInfo, adb_server: AdbServerInfo) -> "Device":
    from harness.bridge.select import select_device

    return select_device(sim.serial, adb_port=adb_server.port)


@pytest.fixture(scope="module")
def session(sim: SimInfo, adb_server: AdbServerInfo) -> "Session":
    from harness.bridge.select import select_device
    from harness.runner.session import Session

    s = Session(select_device(sim.serial, adb_port=adb_server.port))
    s.companion.connect()
    return s
