"""Getting a device to run on: the chosen one, the only one attached, or a virtual device started for the run.

:func:`provide_device` is a context manager. With an explicit serial (or ``ANDROID_SERIAL``) it
selects that device; with none, it takes the only online device; with no device attached at all
(or ``virtual=True``) it starts a virtual device (:mod:`harness.virtual.sim`), connects it to the
same adb server, announces it through ``on_virtual`` and stops it when the block ends, whatever
happens. With ``private_adb=True`` (the pytest plugin's xdist workers) a virtual device it starts
is connected to a private adb server of its own (:mod:`harness.bridge.private_server`) instead,
stopped after the device; a chosen or attached device always stays on the user's server.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from harness.bridge.attached import list_attached
from harness.bridge.device import Device
from harness.bridge.private_server import private_adb_server
from harness.bridge.remote import connect, disconnect_once
from harness.bridge.select import select_device
from harness.bridge.server import AdbServer
from harness.virtual.sim import SimInfo, start_sim, stop_sim

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 15.0


@dataclass
class Provided:
    device: Device
    sim: SimInfo | None = None  # set when the device is a virtual device started for this run

    @property
    def started_virtual(self) -> bool:
        return self.sim is not None


def start_virtual(server: AdbServer, *, name: str = "harness_run", seed: int = 0) -> tuple[Device, SimInfo]:
    """A new virtual device connected to ``server``; the caller stops it with :func:`stop_virtual`."""
    server.ensure_running()
    info = start_sim(name=name, seed=seed, connect=False)
    try:
        connect(server, info.serial, CONNECT_TIMEOUT_S)
        info.adb_port = server.port
        return Device(server, info.serial), info
    except BaseException:
        stop_sim(info)
        raise


def stop_virtual(server: AdbServer, info: SimInfo) -> None:
    disconnect_once(server, info.serial)
    stop_sim(info)


def nothing_attached(server: AdbServer) -> bool:
    server.ensure_running()
    return not any(d.state.online for d in list_attached(server))


@contextlib.contextmanager
def provide_device(serial: str | None = None, *, adb_host: str | None = None, adb_port: int | None = None,
                   virtual: bool = False, on_virtual: Callable[[SimInfo], None] | None = None,
                   name: str = "harness_run", private_adb: bool = False) -> Iterator[Provided]:
    server = AdbServer.from_options(adb_host, adb_port)
    wanted = serial or os.environ.get("ANDROID_SERIAL") or None
    if virtual or (wanted is None and nothing_attached(server)):
        with contextlib.ExitStack() as stack:
            if private_adb:
                server = stack.enter_context(private_adb_server())
            yield from _run_virtual(server, name, on_virtual)
        return
    yield Provided(select_device(wanted, adb_host=adb_host, adb_port=adb_port))


def _run_virtual(server: AdbServer, name: str, on_virtual: Callable[[SimInfo], None] | None) -> Iterator[Provided]:
    device, info = start_virtual(server, name=name)
    if on_virtual is not None:
        on_virtual(info)
    try:
        yield Provided(device, info)
    finally:
        stop_virtual(server, info)
