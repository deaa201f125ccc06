"""Choosing a device, through real adb servers: serial, ANDROID_SERIAL, the only one, host:port,
an explicitly given (remote-style) server, and the errors for none / several / offline / gone."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from harness.bridge.attached import AdbState, list_attached
from harness.bridge.private_server import free_port
from harness.bridge.select import select_device
from harness.bridge.server import AdbServer
from harness.errors import AdbServerError, DeviceDisconnectedError, DeviceNotFoundError, DeviceOfflineError
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo, running_sim, start_adb_server, stop_adb_server


@pytest.fixture(autouse=True)
def _no_android_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)


@pytest.fixture(scope="module")
def second_sim(adb_server: AdbServerInfo) -> Iterator[SimInfo]:
    with running_sim(adb_server, name="sim_select_second") as info:
        yield info


@pytest.fixture
def lonely_server(adb_server: AdbServerInfo) -> Iterator[AdbServerInfo]:
    """A second private adb server that starts with no device (never the session's server)."""
    server = start_adb_server(adb_server.kind)
    try:
        yield server
    finally:
        stop_adb_server(server)


def _online(port: int) -> list[str]:
    return [d.serial for d in list_attached(AdbServer("127.0.0.1", port)) if d.state.online]


def test_explicit_serial(sim: SimInfo, second_sim: SimInfo) -> None:
    device = select_device(second_sim.serial)
    assert device.serial == second_sim.serial
    assert device.getprop("ro.serialno") == f"virtual-{second_sim.port}"


def test_android_serial_env(sim: SimInfo, second_sim: SimInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_SERIAL", sim.serial)
    assert select_device().serial == sim.serial
    assert select_device(second_sim.serial).serial == second_sim.serial  # explicit beats the env


def test_several_attached_and_none_chosen(sim: SimInfo, second_sim: SimInfo) -> None:
    with pytest.raises(DeviceNotFoundError) as info:
        select_device()
    text = str(info.value)
    assert "several devices" in text and sim.serial in text and second_sim.serial in text
    assert "--device" in text


def test_unknown_serial_lists_what_is_attached(sim: SimInfo) -> None:
    with pytest.raises(DeviceNotFoundError) as info:
        select_device("no-such-serial")
    assert "no-such-serial" in str(info.value) and sim.serial in str(info.value)


def test_none_attached_then_host_port_connect_then_only_one(lonely_server: AdbServerInfo, sim: SimInfo) -> None:
    port = lonely_server.port
    with pytest.raises(DeviceNotFoundError) as info:
        select_device(adb_port=port)
    assert "no device attached" in str(info.value) and str(port) in str(info.value)

    device = select_device(sim.serial, adb_port=port)  # not attached there yet: adb connect
    assert _online(port) == [sim.serial]
    assert device.shell(["echo", "via lonely"]).stdout == "via lonely\n"

    assert select_device(adb_port=port).serial == sim.serial  # the only attached one


def test_explicit_server_beats_the_environment(adb_server: AdbServerInfo, sim: SimInfo,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    unused = free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(unused))
    device = select_device(sim.serial, adb_host="127.0.0.1", adb_port=adb_server.port)
    assert device.server.port == adb_server.port
    assert device.shell(["echo", "farm"]).stdout == "farm\n"
    with socket.socket() as s:  # nothing was started on the environment's port
        assert s.connect_ex(("127.0.0.1", unused)) != 0


def test_unreachable_remote_server_is_not_started() -> None:
    port = free_port()
    with pytest.raises(AdbServerError) as info:
        select_device("x:1", adb_host="127.0.0.2", adb_port=port)
    assert f"127.0.0.2:{port}" in str(info.value)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_two_devices_at_once(sim: SimInfo, second_sim: SimInfo) -> None:
    devices = [select_device(sim.serial), select_device(second_sim.serial)]
    answers: dict[str, list[str]] = {d.serial: [] for d in devices}

    def work(dev) -> None:  # type: ignore[no-untyped-def]
        for i in range(20):
            answers[dev.serial].append(dev.shell(["getprop", "ro.serialno"]).stdout.strip() + f"/{i}")

    threads = [threading.Thread(target=work, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30.0)
    for dev, info in zip(devices, (sim, second_sim)):
        assert answers[dev.serial] == [f"virtual-{info.port}/{i}" for i in range(20)]


def test_device_gone_mid_command_then_offline(adb_server: AdbServerInfo, lonely_server: AdbServerInfo) -> None:
    with running_sim(adb_server, name="sim_select_doomed") as doomed:
        device = select_device(doomed.serial, adb_port=lonely_server.port)  # the only device there
        assert device.shell(["echo", "alive"]).stdout == "alive\n"
        threading.Timer(0.3, os.kill, args=(doomed.pid, signal.SIGKILL)).start()
        started = time.monotonic()
        with pytest.raises(DeviceDisconnectedError) as info:
            device.shell(["logcat"], timeout=30.0)  # never ends by itself
        assert time.monotonic() - started < 5.0
        assert info.value.serial == doomed.serial and "logcat" in str(info.value)

        # The next command fails at once with a typed error, never a hang.
        with pytest.raises((DeviceOfflineError, DeviceDisconnectedError)):
            device.shell(["echo", "x"], timeout=5.0)

        # adb keeps the dead TCP transport listed as offline: choosing "the only device" says so.
        assert device.adb_state() is AdbState.OFFLINE
        with pytest.raises(DeviceOfflineError) as offline:
            select_device(adb_port=lonely_server.port)
        assert "offline" in str(offline.value) and doomed.serial in str(offline.value)
        # Asking for it by host:port tries a fresh connect, which nothing answers.
        with pytest.raises(DeviceNotFoundError) as gone:
            select_device(doomed.serial, adb_port=lonely_server.port, connect_timeout=0.5)
        assert "Connection refused" in str(gone.value) or "failed" in str(gone.value)
