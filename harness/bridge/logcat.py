"""Streaming logcat lines for chosen tags, parsed.

Runs ``logcat -v threadtime TAG:V ... *:S`` on adbutils' streaming shell and parses each line
(``MM-DD HH:MM:SS.mmm  PID  TID P TAG     : message``) into a :class:`LogLine`. A
:class:`LogcatStream` is an iterator and a context manager; :meth:`LogcatStream.close` may be
called from another thread and ends a blocked iteration at once (the socket is shut down).
:meth:`LogcatStream.read_line` waits at most a given time for the next line.

logcat never ends by itself: a stream that ends without :meth:`close` means the device went away
and raises :class:`DeviceDisconnectedError`.
"""

from __future__ import annotations

import enum
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.bridge.shell import quote_argv
from harness.errors import DeviceDisconnectedError

if TYPE_CHECKING:
    from adbutils import AdbConnection

    from harness.bridge.device import Device

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0
_READ_SIZE = 65536
_TAG = re.compile(r"^[^\s:*]+$")


class LogPriority(str, enum.Enum):
    VERBOSE = "V"
    DEBUG = "D"
    INFO = "I"
    WARN = "W"
    ERROR = "E"
    FATAL = "F"
    SILENT = "S"


@dataclass(frozen=True)
class LogLine:
    time: str  # "MM-DD HH:MM:SS.mmm" as logcat prints it (device local time, no year)
    pid: int
    tid: int
    priority: LogPriority
    tag: str
    message: str


# threadtime: "%s.%03ld %5d %5d %c %-8s: %s" (liblog logprint.cpp); the tag is padded with spaces.
_THREADTIME = re.compile(
    r"^(?P<time>\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+(?P<pid>\d+)\s+(?P<tid>\d+)\s+"
    r"(?P<prio>[VDIWEFS])\s(?P<tag>.*?)\s*: (?P<msg>.*)$"
)


def parse_line(line: str) -> LogLine | None:
    """A LogLine from one ``threadtime`` line, or None (``--------- beginning of main`` etc.)."""
    m = _THREADTIME.match(line.rstrip("\r\n"))
    if not m:
        return None
    return LogLine(m["time"], int(m["pid"]), int(m["tid"]), LogPriority(m["prio"]), m["tag"], m["msg"])


def logcat_argv(tags: Sequence[str], *, priority: LogPriority = LogPriority.VERBOSE,
                dump: bool = False, since_wall_ms: int | None = None) -> list[str]:
    """``logcat -v threadtime [-d] [-t TIME] TAG:P ... *:S``.

    ``since_wall_ms``: only the lines from the first one logged at or after this wall time (ms
    since the epoch), as ``-t sssss.mmm`` (logcat's epoch time format; ``-t`` implies ``-d``).
    """
    for tag in tags:
        if not _TAG.match(tag):
            raise ValueError(f"invalid logcat tag {tag!r}")
    argv = ["logcat", "-v", "threadtime"]
    if dump:
        argv.append("-d")
    if since_wall_ms is not None:
        if since_wall_ms < 0:
            raise ValueError(f"since_wall_ms must not be negative: {since_wall_ms}")
        argv += ["-t", f"{since_wall_ms // 1000}.{since_wall_ms % 1000:03d}"]
    argv += [f"{tag}:{priority.value}" for tag in tags]
    argv.append("*:S")
    return argv


class LogcatStream:
    """Parsed logcat lines of the given tags, as they arrive."""

    def __init__(self, device: "Device", tags: Sequence[str], *,
                 priority: LogPriority = LogPriority.VERBOSE) -> None:
        self.device = device
        self.command = quote_argv(logcat_argv(tags, priority=priority))
        self._conn: AdbConnection | None = None
        self._buf = bytearray()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._readers = 0  # threads inside _next_raw; the last one out releases a closed socket

    # ------------------------------------------------------------ lifecycle
    def open(self) -> "LogcatStream":
        if self._conn is None:
            try:
                conn = self.device.adb.shell(self.command, stream=True, timeout=OPEN_TIMEOUT_S)
            except TRANSPORT_ERRORS as e:
                raise translate(self.device.serial, self.command, e) from e
            self._conn = conn
        return self

    def close(self) -> None:
        """End the stream; safe from any thread, and more than once."""
        self._closed.set()
        with self._lock:
            conn = self._conn
            reading = self._readers > 0
        if conn is None:
            return
        try:
            conn.conn.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked in recv()
        except TRANSPORT_ERRORS:
            log.debug("logcat socket already closed", exc_info=True)
        if not reading:
            self._release()

    def _release(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.conn.close()
            except TRANSPORT_ERRORS:
                log.debug("logcat socket already closed", exc_info=True)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __enter__(self) -> "LogcatStream":
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
        self._release()

    # ------------------------------------------------------------ reading
    def _next_raw(self, timeout: float | None) -> str | None:
        """Next text line; None on timeout or after close(); raises if the device went away."""
        with self._lock:
            self._readers += 1
        try:
            return self._read_text_line(timeout)
        finally:
            with self._lock:
                self._readers -= 1
                release = self._readers == 0 and self._closed.is_set()
            if release:
                self._release()

    def _read_text_line(self, timeout: float | None) -> str | None:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                return raw.decode("utf-8", errors="replace").rstrip("\r")
            if self._closed.is_set():
                return None
            conn = self._conn
            if conn is None:
                self.open()
                conn = self._conn
                if conn is None:
                    return None
            sock = conn.conn
            if end is None:
                sock.settimeout(None)
            else:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                sock.settimeout(left)
            try:
                chunk = sock.recv(_READ_SIZE)
            except TimeoutError:
                return None
            except OSError as e:
                if self._closed.is_set():
                    return None
                raise translate(self.device.serial, self.command, e) from e
            if not chunk:
                if self._closed.is_set():
                    return None
                self._closed.set()
                raise DeviceDisconnectedError(f"logcat stream ended: device went away ({self.command!r})",
                                              self.device.serial)
            self._buf += chunk

    def read_line(self, timeout: float) -> LogLine | None:
        """The next parsed line within ``timeout`` seconds, else None (also None once closed)."""
        end = time.monotonic() + timeout
        while True:
            text = self._next_raw(max(0.0, end - time.monotonic()))
            if text is None:
                return None
            line = parse_line(text)
            if line is not None:
                return line

    def __iter__(self) -> Iterator[LogLine]:
        """Lines until :meth:`close` (from any thread)."""
        while True:
            text = self._next_raw(None)
            if text is None:
                return
            line = parse_line(text)
            if line is not None:
                yield line
