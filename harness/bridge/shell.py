"""Running one shell script on a device: quoting, shell v2 / v1, deadlines, the result record.

Commands are built from argv with :func:`quote_argv` (``shlex.quote`` per word), never by pasting
strings. A *script* is a string that is already safe for the device shell, e.g. several quoted
commands joined with ``;``.

Shell protocol v2 (devices advertising ``shell_v2``, Android 7+) carries stdout, stderr and the
exit status in separate packets: ``[id:u8][length:u32 LE][data]`` with id 1 stdout, 2 stderr,
3 exit (one byte). Without it, the script runs over the legacy ``shell:`` service, stdout and
stderr arrive mixed on one stream and the exit status is recovered from a marker echoed after
the script (``; echo MARKER$?``), with a marker unique to the call.

Every call has a deadline covering connecting, the transport switch and reading; the socket
timeout is re-armed with the time left before each read, so a command that keeps printing
cannot outlive it. A stream that ends before the exit status arrived means the device went away
(:class:`DeviceDisconnectedError`), which the adb server reports promptly by closing the socket.
"""

from __future__ import annotations

import logging
import secrets
import shlex
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adbutils import AdbConnection, AdbDevice, AdbError, AdbTimeout

from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.errors import CommandFailedError, CommandTimeoutError, DeviceDisconnectedError, DeviceError

log = logging.getLogger(__name__)

# adb's service request carries a 4-hex-digit length; old adbd refuse more than 4 KiB of service
# name, newer ones 1 MiB. Keep scripts below the protocol's hard limit; callers batch below this.
MAX_SCRIPT_BYTES = 0xFFFF - 64

_V2_STDOUT = 1
_V2_STDERR = 2
_V2_EXIT = 3
_V2_HEADER = struct.Struct("<BI")
_READ_SIZE = 65536


@dataclass(frozen=True)
class ShellResult:
    """What one shell command did. ``command`` is the script as the device shell saw it."""

    serial: str
    command: str
    status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == 0

    def check(self) -> "ShellResult":
        """Return self if the status is 0, else raise :class:`CommandFailedError`."""
        if self.status != 0:
            raise CommandFailedError(self.serial, self.command, self.status, self.stderr, self.stdout)
        return self


def quote_argv(argv: Sequence[str]) -> str:
    """One device-shell command line from argv; every word is quoted with ``shlex.quote``."""
    if isinstance(argv, (str, bytes)):
        raise TypeError("argv must be a sequence of words, not a string (use shell_script for scripts)")
    if not argv:
        raise ValueError("argv is empty")
    return " ".join(shlex.quote(str(word)) for word in argv)


def join_commands(commands: Sequence[Sequence[str]]) -> str:
    """A script running several argv commands in order, one round trip (``a ; b ; c``)."""
    return " ; ".join(quote_argv(argv) for argv in commands)


class _Deadline:
    def __init__(self, serial: str, command: str, timeout: float) -> None:
        self.serial, self.command, self.timeout = serial, command, timeout
        self.end = time.monotonic() + timeout

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise CommandTimeoutError(self.serial, self.command, self.timeout)
        return left

    def expired(self) -> CommandTimeoutError:
        return CommandTimeoutError(self.serial, self.command, self.timeout)


def _recv(conn: AdbConnection, deadline: _Deadline) -> bytes:
    """Next chunk from the stream (b"" at end of stream), within the deadline."""
    sock = conn.conn
    sock.settimeout(deadline.left())
    try:
        return sock.recv(_READ_SIZE)
    except (socket.timeout, TimeoutError) as e:
        raise deadline.expired() from e


def close_quietly(conn: AdbConnection) -> None:
    """Close a stream's socket now (adbutils' close() adds a 10 ms pause per call)."""
    try:
        conn.conn.close()
    except (OSError, AdbError):  # AdbError: adbutils' "Connection is closed"
        log.debug("connection already closed", exc_info=True)


def _open(device: AdbDevice, service: str, deadline: _Deadline) -> AdbConnection:
    conn = device.open_transport(timeout=deadline.left())
    try:
        conn.conn.settimeout(deadline.left())
        conn.send_command(service)
        conn.check_okay()
    except BaseException:
        close_quietly(conn)
        raise
    return conn


def _read_v2(conn: AdbConnection, deadline: _Deadline) -> tuple[bytes, bytes, int | None]:
    stdout, stderr = bytearray(), bytearray()
    buf = bytearray()
    while True:
        chunk = _recv(conn, deadline)
        if not chunk:
            return bytes(stdout), bytes(stderr), None
        buf += chunk
        while len(buf) >= _V2_HEADER.size:
            kind, length = _V2_HEADER.unpack_from(buf)
            end = _V2_HEADER.size + length
            if len(buf) < end:
                break
            data = bytes(buf[_V2_HEADER.size:end])
            del buf[:end]
            if kind == _V2_STDOUT:
                stdout += data
            elif kind == _V2_STDERR:
                stderr += data
            elif kind == _V2_EXIT and data:
                return bytes(stdout), bytes(stderr), data[0]


def _read_v1(conn: AdbConnection, deadline: _Deadline, marker: bytes) -> tuple[bytes, int | None]:
    out = bytearray()
    while True:
        chunk = _recv(conn, deadline)
        if not chunk:
            break
        out += chunk
    data = bytes(out).replace(b"\r\n", b"\n")
    at = data.rfind(marker)
    if at < 0:
        return data, None
    status_text, _, rest = data[at + len(marker):].partition(b"\n")
    try:
        status = int(status_text.strip())
    except ValueError:
        return data, None
    return data[:at] + rest, status  # rest: output that arrived after the marker (stderr is unordered)


def run_script(
    device: AdbDevice, serial: str, script: str, *, timeout: float, shell_v2: bool, check: bool = False,
    still_attached: Callable[[], bool] | None = None,
) -> ShellResult:
    """Run a trusted, already-quoted script; see the module doc for the protocol details."""
    if len(script.encode()) > MAX_SCRIPT_BYTES:
        raise DeviceError(f"shell script too long ({len(script.encode())} bytes > {MAX_SCRIPT_BYTES}): split it", serial)
    deadline = _Deadline(serial, script, timeout)
    started = time.monotonic()
    try:
        if shell_v2:
            conn = _open(device, "shell,v2,raw:" + script, deadline)
            try:
                out, err, status = _read_v2(conn, deadline)
            finally:
                close_quietly(conn)
        else:
            marker = f"HARNESS_EXIT_{secrets.token_hex(6)}:"
            body = script.rstrip().rstrip(";").rstrip()
            conn = _open(device, f"shell:{body} ; echo {marker}$?", deadline)
            try:
                out, status = _read_v1(conn, deadline, marker.encode())
            finally:
                close_quietly(conn)
            err = b""
    except CommandTimeoutError:
        raise
    except TRANSPORT_ERRORS as e:
        if isinstance(e, (AdbTimeout, TimeoutError)) or time.monotonic() >= deadline.end:
            raise deadline.expired() from e
        raise translate(serial, f"shell {script!r}", e) from e
    if status is None and not shell_v2 and still_attached is not None and still_attached():
        raise DeviceError(
            f"exit status of {script!r} unknown: the script ended the shell before the status marker "
            "(legacy shell protocol, the device lacks shell_v2); do not use `exit` in scripts for it",
            serial,
        )
    if status is None:
        raise DeviceDisconnectedError(
            f"device went away during {script!r} (stream closed after {time.monotonic() - started:.2f}s "
            "without an exit status)",
            serial,
        )
    result = ShellResult(
        serial=serial,
        command=script,
        status=status,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
    )
    log.debug("[%s] %r -> %d (%.3fs)", serial, script, status, time.monotonic() - started)
    return result.check() if check else result
