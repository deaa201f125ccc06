"""One TCP connection from the adb server: CNXN negotiation, message loop, stream table."""

from __future__ import annotations

import asyncio
import logging
import socket

from harness.virtual.adb.packets import (
    A_VERSION,
    A_VERSION_SKIP_CHECKSUM,
    HEADER_SIZE,
    MAX_PAYLOAD,
    MAX_PAYLOAD_V1,
    Command,
    Header,
    ProtocolError,
    checksum,
    device_banner,
    encode,
    parse_banner_features,
)
from harness.virtual.adb.router import route
from harness.virtual.adb.service import ServiceContext, ServiceHandler
from harness.virtual.adb.sockets import route_socket
from harness.virtual.adb.stream import AdbStream, StreamClosed

log = logging.getLogger(__name__)


class AdbConnection:
    """The device end of one adb transport (one TCP connection)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 context: ServiceContext, features: tuple[str, ...]) -> None:
        self._reader = reader
        self._writer = writer
        self._context = context
        self._features = features
        self._version = A_VERSION
        self._max_payload = MAX_PAYLOAD_V1
        self._delayed_ack = False
        self._online = False
        self._streams: dict[int, AdbStream] = {}
        self._next_id = 1
        self._closing = False
        self.peer = str(writer.get_extra_info("peername"))
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # Without TCP_NODELAY each small WRTE waits for the peer's delayed ACK (40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ------------------------------------------------------------------ StreamTransport
    @property
    def max_payload(self) -> int:
        return self._max_payload

    @property
    def delayed_ack(self) -> bool:
        return self._delayed_ack

    def send_message(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if self._closing or self._writer.is_closing():
            return
        header = encode(command, arg0, arg1, data, with_checksum=self._version < A_VERSION_SKIP_CHECKSUM)
        self._writer.write(header + data if data else header)

    async def drain(self) -> None:
        if self._closing:
            raise StreamClosed("connection closed")
        try:
            await self._writer.drain()
        except ConnectionError as e:
            raise StreamClosed(str(e)) from e

    def forget_stream(self, local_id: int) -> None:
        self._streams.pop(local_id, None)

    # ------------------------------------------------------------------ main loop
    async def run(self) -> None:
        try:
            while True:
                raw = await self._reader.readexactly(HEADER_SIZE)
                header = Header.parse(raw)
                data = await self._reader.readexactly(header.length) if header.length else b""
                if (self._version < A_VERSION_SKIP_CHECKSUM and header.command != Command.CNXN
                        and header.check != checksum(data)):
                    raise ProtocolError(f"bad checksum on {header.name}")
                self._dispatch(header, data)
        except (asyncio.IncompleteReadError, ConnectionError):
            log.info("connection from %s ended", self.peer)
        except ProtocolError as e:
            log.warning("dropping connection from %s: %s", self.peer, e)
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the connection and stop every stream's service."""
        if self._closing:
            return
        self._closing = True
        for stream in list(self._streams.values()):
            stream.on_remote_close()
        self._streams.clear()
        try:
            self._writer.close()
        except (OSError, RuntimeError) as e:  # the transport or its loop is already gone
            log.debug("closing the connection: %s", e)

    async def wait_closed(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._writer.wait_closed(), timeout)
        except (OSError, asyncio.TimeoutError) as e:  # reset by the peer, or still flushing at the deadline
            log.debug("waiting for the connection to close: %s", e)

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, header: Header, data: bytes) -> None:
        cmd = header.command
        if cmd == Command.CNXN:
            self._on_connect(header, data)
        elif not self._online:
            log.debug("ignoring %s before CNXN", header.name)
        elif cmd == Command.OPEN:
            self._on_open(header, data)
        elif cmd == Command.WRTE:
            stream = self._streams.get(header.arg1)
            if stream is None:
                # A WRTE can cross our CLSE; adbd ignores it.
                log.debug("WRTE for unknown stream %d", header.arg1)
                return
            stream.on_write(data)
        elif cmd == Command.OKAY:
            stream = self._streams.get(header.arg1)
            if stream is not None:
                stream.on_okay(data)
        elif cmd == Command.CLSE:
            stream = self._streams.pop(header.arg1, None)
            if stream is not None:
                stream.on_remote_close()
        else:
            log.debug("ignoring %s", header.name)

    def _on_connect(self, header: Header, data: bytes) -> None:
        if self._online:
            # A second CNXN restarts the transport: existing streams are gone.
            for stream in list(self._streams.values()):
                stream.on_remote_close()
            self._streams.clear()
        host_features = parse_banner_features(data)
        self._version = min(header.arg0, A_VERSION)
        self._max_payload = max(MAX_PAYLOAD_V1, min(header.arg1, MAX_PAYLOAD))
        self._delayed_ack = "delayed_ack" in host_features and "delayed_ack" in self._features
        log.info("CNXN from %s: version %#x, max payload %d, delayed_ack %s", self.peer, header.arg0,
                 self._max_payload, self._delayed_ack)
        banner = device_banner(self._context.model.props, self._features)
        self.send_message(Command.CNXN, A_VERSION, self._max_payload, banner)
        self._online = True

    def _on_open(self, header: Header, data: bytes) -> None:
        name = data.rstrip(b"\0").decode("utf-8", errors="replace")
        remote_id = header.arg0
        if self._delayed_ack != (header.arg1 != 0):
            log.warning("OPEN %r with window %d does not match delayed_ack=%s", name, header.arg1,
                        self._delayed_ack)
            self.send_message(Command.CLSE, 0, remote_id)
            return
        found = route(name) or route_socket(name, self._context)
        if found is None:
            log.info("refusing unknown service %r", name)
            self.send_message(Command.CLSE, 0, remote_id)
            return
        handler, arg = found
        local_id = self._next_id
        self._next_id = (self._next_id % 0x7FFFFFFF) + 1
        stream = AdbStream(self, local_id, remote_id, name,
                           send_window=header.arg1 if self._delayed_ack else None)
        self._streams[local_id] = stream
        stream.accept()
        log.debug("OPEN %r -> stream %d", name, local_id)
        stream.task = asyncio.get_running_loop().create_task(self._serve(stream, handler, arg),
                                                             name=f"adb-stream-{local_id}")

    async def _serve(self, stream: AdbStream, handler: ServiceHandler, arg: str) -> None:
        try:
            await handler(stream, self._context, arg)
        except StreamClosed:
            log.debug("stream %d (%s) closed by the host", stream.local_id, stream.service)
        except asyncio.CancelledError:
            log.debug("stream %d (%s) cancelled", stream.local_id, stream.service)
        except Exception:
            log.exception("service %r failed", stream.service)
        finally:
            stream.close()
