"""File transfer with adbutils' sync protocol, bounded by a deadline.

adbutils' sync opens its sockets without a timeout and sends with ``socket.send`` ignoring
partial writes, which only a blocking socket never makes. So the sockets stay blocking and a
watchdog timer shuts the socket down when the deadline passes: the blocked call then fails and
the failure is reported as :class:`CommandTimeoutError`. Any other failure is classified by
asking the server whether the device is still there: gone -> :class:`DeviceDisconnectedError`;
still there -> :class:`CommandFailedError` (e.g. no such remote file).
"""

from __future__ import annotations

import contextlib
import logging
import pathlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from adbutils import AdbConnection, AdbDevice
from adbutils.sync import Sync

from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.bridge.shell import close_quietly
from harness.errors import CommandFailedError, CommandTimeoutError, UsageError

log = logging.getLogger(__name__)

T = TypeVar("T")
Source = str | pathlib.Path | bytes | bytearray | BinaryIO

# What adbutils' sync code raises when its socket is shut down or the peer goes away.
_SYNC_FAILURES: tuple[type[BaseException], ...] = TRANSPORT_ERRORS + (struct.error, AssertionError, ValueError)


class _BoundedSync(Sync):
    """adbutils' Sync whose connections are shut down by a watchdog at the deadline."""

    def __init__(self, device: AdbDevice, end: float) -> None:
        super().__init__(device)
        self._end = end
        self.expired = False

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            log.debug("sync socket already closed", exc_info=True)

    @contextlib.contextmanager
    def _prepare_sync(self, path: str, cmd: str) -> Iterator[AdbConnection]:
        left = self._end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("deadline passed")
        conn = self._device.open_transport(timeout=left)
        sock = conn.conn
        watchdog = threading.Timer(left, self._expire, args=(sock,))
        watchdog.daemon = True
        watchdog.start()
        try:
            sock.settimeout(None)  # blocking: adbutils' sends must never be partial
            conn.send_command("sync:")
            conn.check_okay()
            encoded = path.encode("utf-8")
            sock.sendall(cmd.encode("utf-8") + struct.pack("<I", len(encoded)) + encoded)
            yield conn
        finally:
            watchdog.cancel()
            close_quietly(conn)


def run_sync(
    device: AdbDevice, serial: str, what: str, timeout: float,
    operation: Callable[[Sync], T], still_attached: Callable[[], bool],
) -> T:
    """Run ``operation`` on a bounded Sync; typed errors for timeouts, disconnects and failures."""
    sync = _BoundedSync(device, time.monotonic() + timeout)
    try:
        return operation(sync)
    except _SYNC_FAILURES as e:
        if sync.expired:
            raise CommandTimeoutError(serial, what, timeout) from e
        if still_attached():
            detail = ": ".join(str(a) for a in e.args) if e.args else type(e).__name__
            raise CommandFailedError(serial, what, 1, detail) from e
        raise translate(serial, what, e) from e


def push(device: AdbDevice, serial: str, src: Source, dst: str, mode: int, timeout: float,
         still_attached: Callable[[], bool]) -> int:
    """Copy ``src`` (path, bytes or binary file) to ``dst`` on the device; returns bytes sent."""
    if isinstance(src, (str, pathlib.Path)) and not pathlib.Path(src).is_file():
        raise UsageError(f"push: no such local file: {src}")
    return run_sync(device, serial, f"push {dst}", timeout, lambda s: s.push(src, dst, mode=mode, check=False),
                    still_attached)


def pull(device: AdbDevice, serial: str, src: str, dst: str | pathlib.Path, timeout: float,
         still_attached: Callable[[], bool]) -> int:
    """Copy the device file ``src`` to the local path ``dst``; returns bytes received."""
    if not pathlib.Path(dst).parent.is_dir():
        raise UsageError(f"pull: local directory {pathlib.Path(dst).parent} does not exist")
    return run_sync(device, serial, f"pull {src}", timeout, lambda s: s.pull_file(src, pathlib.Path(dst)),
                    still_attached)


def read_bytes(device: AdbDevice, serial: str, src: str, timeout: float,
               still_attached: Callable[[], bool]) -> bytes:
    return run_sync(device, serial, f"pull {src}", timeout, lambda s: s.read_bytes(src), still_attached)
