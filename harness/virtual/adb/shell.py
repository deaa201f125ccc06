"""The ``shell:``, ``exec:`` and ``shell,v2,...:`` services.

* ``shell:CMD`` / ``exec:CMD`` (no shell protocol): stdout and stderr go to the stream as raw
  bytes, there is no exit status (the client exits 0), as adbd without the shell protocol.
* ``shell,v2[,TERM=..][,raw|,pty]:CMD``: the shell protocol. Every packet is ``id:u8 len:u32le``
  then data; ids: 0 stdin, 1 stdout, 2 stderr, 3 exit (1 byte status), 4 close-stdin,
  5 window-size change (AOSP packages/modules/adb shell_protocol.h). We parse the client's
  packets: stdin feeds an interactive session, close-stdin ends its input, window-size is
  accepted and ignored.
* An empty CMD starts an interactive session (prompt, echo, one line at a time, ``exit`` ends).

``exec:cmd package install -S SIZE`` (the streamed install older clients send) reads the APK
from the stream, like ``abb_exec:package\\0install``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import struct

from harness.virtual.adb.install import parse_streamed_install, streamed_install
from harness.virtual.adb.service import ServiceContext
from harness.virtual.adb.stream import AdbStream, StreamClosed
from harness.virtual.shell.interpreter import Interpreter, ScriptOutcome
from harness.virtual.shell.parser import literal_argv
from harness.virtual.shell.registry import Effect

log = logging.getLogger(__name__)

PACKET_HEADER = struct.Struct("<BI")
FLUSH_THRESHOLD = 256 * 1024
REBOOT_FLUSH_TIMEOUT = 0.5


class PacketId(enum.IntEnum):
    STDIN = 0
    STDOUT = 1
    STDERR = 2
    EXIT = 3
    CLOSE_STDIN = 4
    WINDOW_SIZE_CHANGE = 5
    INVALID = 255


def packet(packet_id: PacketId, data: bytes) -> bytes:
    return PACKET_HEADER.pack(packet_id, len(data)) + data


class StreamSink:
    """Script output to an ADB stream, raw or framed in shell-protocol packets.

    Output is buffered and sent in as few WRTEs as possible: a short command's output and its
    exit packet travel in one message (one round trip).
    """

    def __init__(self, stream: AdbStream, v2: bool, pty: bool = False) -> None:
        self.stream = stream
        self.v2 = v2
        self.pty = pty  # a terminal turns \n into \r\n (onlcr)
        self._buffer = bytearray()

    def _add(self, packet_id: PacketId, data: bytes) -> None:
        if self.pty:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self.v2:
            self._buffer += packet(packet_id, data)
        else:
            self._buffer += data

    async def stdout(self, data: bytes) -> None:
        if data:
            self._add(PacketId.STDOUT, data)
            if len(self._buffer) >= FLUSH_THRESHOLD:
                await self.flush()

    async def stderr(self, data: bytes) -> None:
        if data:
            # a pty has one output channel
            self._add(PacketId.STDOUT if self.pty else PacketId.STDERR, data)
            if len(self._buffer) >= FLUSH_THRESHOLD:
                await self.flush()

    async def exit(self, status: int) -> None:
        if self.v2:
            self._buffer += PACKET_HEADER.pack(PacketId.EXIT, 1) + bytes([status & 0xFF])
        await self.flush()

    async def flush(self) -> None:
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            await self.stream.write(data)


def parse_shell_service(name: str) -> tuple[list[str], str]:
    """``shell,v2,TERM=xterm,raw:ls`` -> (["v2", "TERM=xterm", "raw"], "ls")."""
    head, _, command = name.partition(":")
    args = head.split(",")[1:]
    return args, command


_QUOTING = str.maketrans("", "", "'\"\\")


def _may_be_streamed_install(command: str) -> bool:
    """Cheap test before lexing the command a second time: a streamed install names ``install``
    and ``-S`` (words whose text, with quoting characters removed, appears in the command)."""
    bare = command.translate(_QUOTING)
    return "install" in bare and "-S" in bare


async def _read_v2_packets(stream: AdbStream, stdin: "asyncio.Queue[bytes | None]") -> None:
    """Consume the client's shell-protocol packets until the stream ends."""
    try:
        while True:
            header = await stream.read_exact(PACKET_HEADER.size)
            packet_id, length = PACKET_HEADER.unpack(header)
            data = await stream.read_exact(length) if length else b""
            if packet_id == PacketId.STDIN:
                stdin.put_nowait(data)
            elif packet_id == PacketId.CLOSE_STDIN:
                stdin.put_nowait(None)
            elif packet_id == PacketId.WINDOW_SIZE_CHANGE:
                log.debug("window size change %r ignored", data)
            else:
                log.debug("ignoring shell packet id %d", packet_id)
    except StreamClosed:
        stdin.put_nowait(None)


async def _read_raw(stream: AdbStream, stdin: "asyncio.Queue[bytes | None]") -> None:
    while True:
        data = await stream.read_some()
        if not data:
            stdin.put_nowait(None)
            return
        stdin.put_nowait(data)


async def serve_shell(stream: AdbStream, ctx: ServiceContext, name: str, *, exec_mode: bool = False) -> None:
    if exec_mode:
        args, command = [], name
    else:
        args, command = parse_shell_service(name)
    v2 = "v2" in args
    pty = ("pty" in args) or (not exec_mode and not command and "raw" not in args)
    sink = StreamSink(stream, v2=v2, pty=pty)
    stdin: asyncio.Queue[bytes | None] = asyncio.Queue()

    argv = literal_argv(command) if _may_be_streamed_install(command) else None
    install = parse_streamed_install(argv) if argv else None
    if install is not None:
        result = await streamed_install(stream, ctx, install)
        await sink.stdout(result.stdout)
        await sink.stderr(result.stderr)
        await sink.exit(result.status)
        return

    if command:
        # A command does not read the client's input (the stream acknowledges what arrives), so
        # no reader task is started: the command runs, answers and closes in one turn of the loop.
        outcome = await ctx.interpreter().run(command, sink)
        await _finish(stream, ctx, sink, outcome)
        return
    reader = asyncio.get_running_loop().create_task(
        _read_v2_packets(stream, stdin) if v2 else _read_raw(stream, stdin), name=f"shell-in-{stream.local_id}")
    try:
        outcome = await _interactive(ctx.interpreter(), sink, stdin, ctx)
        await _finish(stream, ctx, sink, outcome)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, StreamClosed):
            await reader


async def _finish(stream: AdbStream, ctx: ServiceContext, sink: StreamSink, outcome: ScriptOutcome) -> None:
    """The exit status (shell v2), then the reboot the script asked for, if any."""
    await sink.exit(outcome.status)
    if outcome.effect == Effect.REBOOT:
        await stream.flushed(REBOOT_FLUSH_TIMEOUT)
        stream.close()
        ctx.request_reboot()


async def _interactive(interpreter: Interpreter, sink: StreamSink, stdin: "asyncio.Queue[bytes | None]",
                       ctx: ServiceContext) -> ScriptOutcome:
    """A shell reading commands from stdin, one line at a time, until ``exit`` or end of input.

    With a pty (``adb shell`` from a terminal) it prompts and echoes like a terminal; without one
    (stdin from a pipe: ``shell,v2,raw:``) it only runs the lines, as ``sh`` reading a pipe does.
    """
    name = ctx.model.props.get("ro.product.device", "device")
    pending = bytearray()
    outcome = ScriptOutcome(0)
    eof = False
    while True:
        if eof and not pending:
            return outcome
        if sink.pty:
            prompt = f"{name}:{interpreter.cwd} {'#' if ctx.uid == 0 else '$'} "
            await sink.stdout(prompt.encode())
            await sink.flush()
        while b"\n" not in pending and b"\r" not in pending:
            data = await stdin.get() if not eof else None
            if data is None:
                eof = True
                if pending.strip():
                    pending += b"\n"  # run a last line without newline
                    break
                return outcome
            if sink.pty:
                await sink.stdout(data.replace(b"\r", b"\n"))  # terminal echo
                await sink.flush()
            pending += data
        cut = min(i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0)
        line = pending[:cut].decode("utf-8", errors="replace")
        del pending[:cut + 1]
        outcome = await interpreter.run(line, sink)
        await sink.flush()
        if outcome.exited or outcome.effect is not None:
            return outcome
