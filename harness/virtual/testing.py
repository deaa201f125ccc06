"""Test support shared by the project's tests and benchmarks: private adb servers
and virtual devices run as real processes, so tests go through the real adb server.

* :func:`adb_binary` / :class:`AdbKind`: the Debian adb (``/usr/bin/adb``, 29) or the adb 36
  that adbutils bundles.
* :func:`private_adb_server`: an adb server of the chosen kind on a free port, started as the
  product starts its private servers (:mod:`harness.bridge.private_server`), with
  ``ANDROID_ADB_SERVER_PORT`` set in this process while it runs; killed at the end.
* :func:`running_sim`: a virtual device process, ``adb connect``-ed, stopped at the end.
* :class:`AdbCli`: runs the adb command line against a given server, with a timeout.
* :class:`ThreadedVirtualDevice`: a device served from a thread of the test process, for tests
  that inspect or prepare the model directly (``call(fn)`` runs on the device's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.bridge.private_server import start_private_server, stop_private_server
from harness.bridge.server import AdbServer
from harness.errors import AdbServerError, CommandTimeoutError
from harness.virtual.model.device import DeviceModel
from harness.virtual.server import LOCALHOST, VirtualDeviceServer, create_server
from harness.virtual.sim import SimInfo, start_sim, stop_sim

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_CLI_TIMEOUT = 60.0


class AdbKind(enum.Enum):
    DEBIAN = "debian"  # /usr/bin/adb (Debian's adb 29)
    BUNDLED = "bundled"  # the adb 36 inside the adbutils wheel


@dataclass(frozen=True)
class AdbServerInfo:
    port: int
    adb_path: str
    kind: str  # AdbKind value: "debian" | "bundled"


def adb_binary(kind: AdbKind | str) -> str:
    kind = AdbKind(kind)
    if kind == AdbKind.DEBIAN:
        path = shutil.which("adb") or "/usr/bin/adb"
    else:
        import adbutils

        path = str(Path(adbutils.__file__).parent / "binaries" / "adb")
    if not os.access(path, os.X_OK):
        raise AdbServerError(f"{kind.value} adb not found at {path}")
    return path


def start_adb_server(kind: AdbKind | str = AdbKind.DEBIAN,
                     extra_env: dict[str, str] | None = None) -> AdbServerInfo:
    """A private adb server of the given kind on a free port (the product's private-server start:
    ``ADB_USB=0 ADB_EMU=0 ADB_MDNS=0``, so tests never take a real phone or an emulator)."""
    path = adb_binary(kind)
    server = start_private_server(path, extra_env)
    log.info("adb server (%s) on port %d", AdbKind(kind).value, server.port)
    return AdbServerInfo(port=server.port, adb_path=path, kind=AdbKind(kind).value)


def stop_adb_server(server: AdbServerInfo) -> None:
    stop_private_server(AdbServer(LOCALHOST, server.port), server.adb_path)


@contextlib.contextmanager
def private_adb_server(kind: AdbKind | str = AdbKind.DEBIAN,
                       extra_env: dict[str, str] | None = None) -> Iterator[AdbServerInfo]:
    """A private adb server; ``ANDROID_ADB_SERVER_PORT`` points at it while the block runs."""
    server = start_adb_server(kind, extra_env=extra_env)
    previous = os.environ.get("ANDROID_ADB_SERVER_PORT")
    os.environ["ANDROID_ADB_SERVER_PORT"] = str(server.port)
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("ANDROID_ADB_SERVER_PORT", None)
        else:
            os.environ["ANDROID_ADB_SERVER_PORT"] = previous
        stop_adb_server(server)


@contextlib.contextmanager
def running_sim(server: AdbServerInfo | None = None, *, name: str = "harness_virtual", api: int | None = None,
                seed: int = 0, boot_delay: float | None = None) -> Iterator[SimInfo]:
    """A virtual device process connected to ``server`` (default: $ANDROID_ADB_SERVER_PORT)."""
    kwargs: dict[str, object] = {"name": name, "seed": seed}
    if api is not None:
        kwargs["api"] = api
    if boot_delay is not None:
        kwargs["boot_delay"] = boot_delay
    previous = os.environ.get("ANDROID_ADB_SERVER_PORT")
    if server is not None:
        os.environ["ANDROID_ADB_SERVER_PORT"] = str(server.port)
    try:
        info = start_sim(**kwargs)  # type: ignore[arg-type]
    finally:
        if server is not None:
            if previous is None:
                os.environ.pop("ANDROID_ADB_SERVER_PORT", None)
            else:
                os.environ["ANDROID_ADB_SERVER_PORT"] = previous
    try:
        yield info
    finally:
        stop_sim(info)


class AdbCli:
    """The adb command line of one server kind, pointed at one server port."""

    def __init__(self, server: AdbServerInfo) -> None:
        self.server = server

    def argv(self, args: Sequence[str], serial: str | None = None) -> list[str]:
        base = [self.server.adb_path, "-P", str(self.server.port)]
        if serial:
            base += ["-s", serial]
        return base + list(args)

    def run(self, *args: str, serial: str | None = None, timeout: float = DEFAULT_CLI_TIMEOUT,
            input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        argv = self.argv(args, serial)
        try:
            return subprocess.run(argv, capture_output=True, timeout=timeout, input=input,
                                  stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise CommandTimeoutError(serial or "", " ".join(args), timeout) from e

    def popen(self, *args: str, serial: str | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.argv(args, serial), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)


class ThreadedVirtualDevice:
    """A VirtualDeviceServer on an event loop in a background thread of this process.

    For tests that must look inside the model while a real adb server talks to the device:
    ``call(fn)`` runs ``fn(model)`` on the device's loop thread (the model is not thread-safe)
    and returns its result.
    """

    def __init__(self, *, name: str = "threaded_virtual", boot_delay: float = 0.2,
                 features: tuple[str, ...] | None = None) -> None:
        self.server: VirtualDeviceServer = create_server(name=name, boot_delay=boot_delay)
        if features is not None:  # e.g. without "shell_v2": a device older than Android 7
            self.server.features = features
        self.serial = self.server.serial
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"vdev-{self.server.port}", daemon=True)

    def __enter__(self) -> "ThreadedVirtualDevice":
        self._thread.start()
        self._run(self.server.start(), 10.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self.server.stop(), 10.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        self._loop.close()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[[DeviceModel], T], timeout: float = 10.0) -> T:
        async def _call() -> T:
            return fn(self.server.model)

        return self._run(_call(), timeout)
