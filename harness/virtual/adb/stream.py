"""One ADB stream (an OPENed service) on the device side: buffered input, flow-controlled output.

Flow control, as adbd does it (AOSP packages/modules/adb, protocol.txt and adb.cpp):

* classic: one WRTE in flight per direction. We send a WRTE and wait for the host's OKAY before
  the next; the host waits for our OKAY after each of its WRTEs.
* delayed_ack (only when both sides advertise it): OPEN's arg1 is the host's receive window in
  bytes; we may send that many bytes before an OKAY (whose 4-byte payload is the number of
  bytes the host consumed) tops the window up. Our OKAYs carry the bytes we consumed, and our
  first OKAY (the answer to OPEN) carries our own window.

Incoming data is acknowledged at once while the unread buffer is small, and only when the
service reads it once the buffer is large: a slow service applies back-pressure to the host
instead of growing memory.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Protocol

from harness.virtual.adb.packets import INITIAL_DELAYED_ACK_BYTES, Command

log = logging.getLogger(__name__)

# Unread bytes above which we stop acknowledging the host's writes until the service reads.
ACK_HIGH_WATER = 8 * 1024 * 1024


class StreamClosed(Exception):
    """The stream was closed (by either side) while a service used it."""


class StreamTransport(Protocol):
    """What a stream needs from its connection."""

    @property
    def max_payload(self) -> int: ...

    @property
    def delayed_ack(self) -> bool: ...

    def send_message(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None: ...

    async def drain(self) -> None: ...

    def forget_stream(self, local_id: int) -> None: ...


class AdbStream:
    def __init__(self, transport: StreamTransport, local_id: int, remote_id: int, service: str,
                 send_window: int | None = None) -> None:
        self.transport = transport
        self.local_id = local_id
        self.remote_id = remote_id
        self.service = service
        self.task: asyncio.Task[None] | None = None
        self._buffer = bytearray()
        self._readable = asyncio.Event()
        self._eof = False  # the host closed its side
        self._closed = False  # we sent CLSE or the host did
        self._can_send = asyncio.Event()
        self._can_send.set()
        # delayed_ack: bytes we may still send; None in classic mode
        self._send_window = send_window
        self._unacked: list[int] = []  # sizes of host WRTEs not yet acknowledged

    # ------------------------------------------------------------------ state
    @property
    def closed(self) -> bool:
        return self._closed

    def accept(self) -> None:
        """Answer the OPEN with OKAY (carrying our receive window under delayed_ack)."""
        payload = struct.pack("<i", INITIAL_DELAYED_ACK_BYTES) if self.transport.delayed_ack else b""
        self.transport.send_message(Command.OKAY, self.local_id, self.remote_id, payload)

    # ------------------------------------------------------------------ input (host -> device)
    def on_write(self, data: bytes) -> None:
        """A WRTE from the host."""
        if self._closed:
            return
        self._buffer += data
        self._unacked.append(len(data))
        self._readable.set()
        if len(self._buffer) <= ACK_HIGH_WATER:
            self._send_acks()

    def _send_acks(self) -> None:
        if not self._unacked or self._closed:
            return
        if self.transport.delayed_ack:
            total = sum(self._unacked)
            self._unacked.clear()
            self.transport.send_message(Command.OKAY, self.local_id, self.remote_id, struct.pack("<i", total))
        else:
            for _ in self._unacked:
                self.transport.send_message(Command.OKAY, self.local_id, self.remote_id)
            self._unacked.clear()

    def _consumed(self) -> None:
        if self._unacked and len(self._buffer) <= ACK_HIGH_WATER:
            self._send_acks()

    async def _wait_readable(self) -> None:
        while not self._buffer:
            if self._eof or self._closed:
                raise StreamClosed(self.service)
            self._readable.clear()
            await self._readable.wait()

    async def read_exact(self, n: int) -> bytes:
        """Exactly ``n`` bytes; raises StreamClosed if the stream ends first."""
        while len(self._buffer) < n:
            if self._eof or self._closed:
                raise StreamClosed(self.service)
            self._readable.clear()
            await self._readable.wait()
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._consumed()
        return out

    async def read_some(self, limit: int = 1 << 20) -> bytes:
        """Whatever is buffered (at least one byte, at most ``limit``); b"" once the host closed."""
        try:
            await self._wait_readable()
        except StreamClosed:
            return b""
        out = bytes(self._buffer[:limit])
        del self._buffer[:limit]
        self._consumed()
        return out

    def buffered(self) -> int:
        return len(self._buffer)

    # ------------------------------------------------------------------ output (device -> host)
    def on_okay(self, data: bytes) -> None:
        """An OKAY from the host: the previous WRTE was taken (classic) or window credit."""
        if self._send_window is not None:
            if len(data) == 4:
                self._send_window += struct.unpack("<i", data)[0]
            if self._send_window > 0:
                self._can_send.set()
        else:
            self._can_send.set()

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` in WRTEs of at most the negotiated payload, honouring flow control."""
        view = memoryview(data)
        size = self.transport.max_payload
        for start in range(0, len(view), size):
            chunk = bytes(view[start:start + size])
            if self._send_window is None:
                await self._wait_can_send()
                self._can_send.clear()
            else:
                while self._send_window <= 0:
                    self._can_send.clear()
                    await self._wait_can_send()
                self._send_window -= len(chunk)
            if self._closed:
                raise StreamClosed(self.service)
            self.transport.send_message(Command.WRTE, self.local_id, self.remote_id, chunk)
            await self.transport.drain()

    async def _wait_can_send(self) -> None:
        if self._closed:
            raise StreamClosed(self.service)
        await self._can_send.wait()
        if self._closed:
            raise StreamClosed(self.service)

    async def flushed(self, timeout: float) -> bool:
        """Wait (bounded) until the host acknowledged our last WRTE (classic mode)."""
        if self._send_window is not None or self._closed:
            return True
        try:
            await asyncio.wait_for(self._can_send.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close from the device side: send CLSE once and forget the stream."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        self.transport.send_message(Command.CLSE, self.local_id, self.remote_id)
        self.transport.forget_stream(self.local_id)

    def on_remote_close(self) -> None:
        """The host sent CLSE (or the connection went away): stop the service."""
        self._eof = True
        self._closed = True
        self._wake()
        if self.task is not None and not self.task.done() and self.task is not asyncio.current_task():
            self.task.cancel()

    def on_input_eof(self) -> None:
        """The host will send no more input (shell v2 close-stdin); the stream stays open."""
        self._eof = True
        self._readable.set()

    def _wake(self) -> None:
        self._readable.set()
        self._can_send.set()
