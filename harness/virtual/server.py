"""VirtualDeviceServer: one virtual device (model + shell registry) served over the ADB protocol.

It listens on 127.0.0.1 (adbd over TCP, no authentication) and keeps the model across
connections. A reboot (``adb reboot`` or the ``reboot`` shell command) drops every connection,
closes the listening socket, shuts the model down, stays unreachable for ``boot_delay`` seconds
of wall-clock time, boots the model and listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from harness.virtual.adb.connection import AdbConnection
from harness.virtual.adb.packets import DEVICE_FEATURES
from harness.virtual.adb.service import ServiceContext
from harness.virtual.commands import build_registry
from harness.virtual.faults import DeviceFaults
from harness.virtual.model.device import DeviceModel
from harness.virtual.shell.registry import CommandRegistry

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
# The adb server probes these ports for emulators; a virtual device must not sit on them.
EMULATOR_PORTS = range(5555, 5586)
DEFAULT_BOOT_DELAY = 0.5
READ_LIMIT = 4 * 1024 * 1024  # StreamReader buffer: a 1 MiB WRTE must not pause reading


class PortError(OSError):
    """No usable port (the requested one is taken or reserved)."""


def bind_listening_socket(port: int = 0, host: str = LOCALHOST, attempts: int = 50) -> socket.socket:
    """A bound (not yet listening) TCP socket. Port 0 picks a free port outside 5555-5585."""
    if port in EMULATOR_PORTS:
        raise PortError(f"port {port} is in 5555-5585, which the adb server probes for emulators")
    for _ in range(attempts if port == 0 else 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            raise PortError(f"cannot listen on {host}:{port}: {e.strerror}") from e
        if sock.getsockname()[1] not in EMULATOR_PORTS:
            return sock
        sock.close()
    raise PortError("no free port outside 5555-5585")


class VirtualDeviceServer:
    def __init__(self, model: DeviceModel, registry: CommandRegistry | None = None, *,
                 sock: socket.socket | None = None, port: int = 0, host: str = LOCALHOST,
                 boot_delay: float = DEFAULT_BOOT_DELAY, features: tuple[str, ...] = DEVICE_FEATURES) -> None:
        self.model = model
        self.registry = registry if registry is not None else build_registry()
        self.host = host
        self.boot_delay = boot_delay
        self.features = features
        self._sock = sock if sock is not None else bind_listening_socket(port, host)
        self.port: int = self._sock.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._connections: set[AdbConnection] = set()
        self._reboot_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self.faults = DeviceFaults()
        self.faults.on_death = self.die
        self.context = ServiceContext(model, self.registry, self.request_reboot, faults=self.faults)

    @property
    def serial(self) -> str:
        """The serial the adb server shows for this device."""
        return f"{self.host}:{self.port}"

    @property
    def rebooting(self) -> bool:
        return self._reboot_task is not None and not self._reboot_task.done()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            sock = bind_listening_socket(self.port, self.host)
        sock.listen(64)
        sock.setblocking(False)
        self._server = await asyncio.start_server(self._on_client, sock=sock, limit=READ_LIMIT)
        log.info("virtual device %s listening on %s (api %d)", self.model.name, self.serial, self.model.api)

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        if self._reboot_task is not None:
            self._reboot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reboot_task
        self._close_listener()
        await self._drop_connections()
        self._stopped.set()
        log.info("virtual device %s stopped", self.serial)

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_connections(self) -> None:
        conns = list(self._connections)
        for conn in conns:
            conn.abort()
        for conn in conns:
            await conn.wait_closed(1.0)
        self._connections.clear()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = AdbConnection(reader, writer, self.context, self.features)
        self._connections.add(conn)
        log.info("connection from %s", conn.peer)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)

    # ------------------------------------------------------------------ faults (harness/virtual/faults.py)
    def die(self, argv: list[str]) -> None:
        """``vdev die-after``: vanish now. Every connection is dropped and nothing listens any more.

        ``python -m harness.virtual`` replaces this with a SIGKILL of the whole process.
        """
        log.warning("device %s dies at %r: dropping %d connection(s)", self.serial, argv, len(self._connections))
        self._close_listener()
        for conn in list(self._connections):
            conn.abort()
        self._connections.clear()
        self._stopped.set()

    # ------------------------------------------------------------------ reboot
    def request_reboot(self) -> None:
        if self.rebooting:
            log.info("reboot already in progress")
            return
        self._reboot_task = asyncio.get_running_loop().create_task(self._reboot(), name="reboot")

    async def _reboot(self) -> None:
        log.info("reboot: dropping %d connection(s), offline for %.2fs", len(self._connections), self.boot_delay)
        self._close_listener()
        await self._drop_connections()
        self.model.shutdown()
        self.model.logcat.clear()  # logd's ring buffers live in RAM
        await asyncio.sleep(self.boot_delay)  # wall-clock time the device is unreachable (configured)
        if self.faults.take_boot_hang():
            self.model.boot_stuck()  # `vdev boot-hang`: back on adb, boot never completes
            await self.start()
            log.warning("reboot: back on %s but the boot hangs (sys.boot_completed=0)", self.serial)
            return
        self.model.boot()
        await self.start()
        log.info("reboot: back on %s (boot count %d)", self.serial, self.model.clock.boot_count)

    async def wait_rebooted(self, timeout: float) -> None:
        """Bounded wait for a reboot in progress to finish (for in-process tests)."""
        if self._reboot_task is not None:
            await asyncio.wait_for(asyncio.shield(self._reboot_task), timeout)


def create_server(*, port: int = 0, api: int | None = None, name: str = "harness_virtual", seed: int = 0,
                  serial: str | None = None, boot_delay: float = DEFAULT_BOOT_DELAY) -> VirtualDeviceServer:
    """Bind the port, build the model (its ro.serialno names the port) and the server."""
    sock = bind_listening_socket(port)
    bound = sock.getsockname()[1]
    kwargs: dict[str, object] = {}
    if api is not None:
        kwargs["api"] = api
    model = DeviceModel(name=name, serial=serial or f"virtual-{bound}", seed=seed, **kwargs)  # type: ignore[arg-type]
    return VirtualDeviceServer(model, build_registry(), sock=sock, boot_delay=boot_delay)
