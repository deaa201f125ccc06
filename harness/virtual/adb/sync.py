"""The ``sync:`` service (file transfer), versions 1 and 2.

Requests are ``id:4 bytes, length:u32le`` then ``length`` bytes (a path), parsed from the
stream as bytes arrive: one WRTE may hold several requests and one request may span WRTEs.
Supported: STAT, STA2, LST2, LIST, LIS2, SEND, SND2 (no compression; dry-run honoured),
RECV, RCV2, QUIT. Wire formats follow AOSP packages/modules/adb file_sync_protocol.h.
"""

from __future__ import annotations

import errno
import logging
import posixpath
import stat
import struct

from harness.virtual.adb.service import ServiceContext
from harness.virtual.adb.stream import AdbStream
from harness.virtual.model.files import FileStore, FsError, Node

log = logging.getLogger(__name__)

SYNC_DATA_MAX = 64 * 1024
MAX_PATH = 1024
REQUEST = struct.Struct("<4sI")
STAT_V1 = struct.Struct("<4sIII")  # id, mode, size, mtime
STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")  # id, error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime
DENT_V1 = struct.Struct("<4sIIII")  # id, mode, size, mtime, namelen
DENT_V2 = struct.Struct("<4sIQQIIIIQqqqI")  # STAT_V2 fields + namelen
SEND_V2 = struct.Struct("<4sII")  # id, mode, flags
RECV_V2 = struct.Struct("<4sI")  # id, flags

FLAG_DRY_RUN = 0x80000000
DEVICE_ID = 0xFD00  # a plausible st_dev for /data


class SyncFail(Exception):
    """Answer FAIL with this message (the session continues unless ``fatal``)."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        self.fatal = fatal
        super().__init__(message)


def _fail(message: str) -> bytes:
    data = message.encode()
    return REQUEST.pack(b"FAIL", len(data)) + data


def _stat_v2(node: Node | None, error: int = 0, ident: bytes = b"STA2") -> bytes:
    if node is None:
        return STAT_V2.pack(ident, error, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return STAT_V2.pack(ident, 0, DEVICE_ID, node.ino, node.mode, 2 if node.is_dir else 1, node.uid, node.gid,
                        node.size, node.mtime, node.mtime, node.mtime)


class SyncSession:
    def __init__(self, stream: AdbStream, ctx: ServiceContext) -> None:
        self.stream = stream
        self.files: FileStore = ctx.model.files
        self.uid = ctx.uid

    async def run(self) -> None:
        while True:
            ident, length = REQUEST.unpack(await self.stream.read_exact(REQUEST.size))
            if ident in (b"SEND", b"SND2", b"RECV", b"RCV2", b"STAT", b"STA2", b"LST2", b"LIST", b"LIS2") \
                    and length > MAX_PATH:
                await self.stream.write(_fail(f"path too long: {length}"))
                return
            if ident == b"QUIT":
                return
            arg = (await self.stream.read_exact(length)).decode("utf-8", errors="surrogateescape") if length else ""
            log.debug("sync %s %r", ident, arg)
            try:
                if ident == b"STAT":
                    await self._stat_v1(arg)
                elif ident in (b"STA2", b"LST2"):
                    await self._stat2(arg, ident)
                elif ident in (b"LIST", b"LIS2"):
                    await self._list(arg, v2=ident == b"LIS2")
                elif ident in (b"SEND", b"SND2"):
                    await self._send(arg, v2=ident == b"SND2")
                elif ident in (b"RECV", b"RCV2"):
                    await self._recv(arg, v2=ident == b"RCV2")
                else:
                    raise SyncFail(f"unknown sync request {ident!r}", fatal=True)
            except SyncFail as e:
                await self.stream.write(_fail(str(e)))
                if e.fatal:
                    return

    def _lookup(self, path: str) -> Node | None:
        try:
            return self.files.stat(path)
        except FsError:
            return None

    async def _stat_v1(self, path: str) -> None:
        node = self._lookup(path)
        if node is None:
            await self.stream.write(STAT_V1.pack(b"STAT", 0, 0, 0))
        else:
            await self.stream.write(STAT_V1.pack(b"STAT", node.mode, node.size & 0xFFFFFFFF, node.mtime))

    async def _stat2(self, path: str, ident: bytes) -> None:
        try:
            node = self.files.stat(path)
        except FsError as e:
            await self.stream.write(_stat_v2(None, e.errno, ident))
            return
        await self.stream.write(_stat_v2(node, 0, ident))

    async def _list(self, path: str, v2: bool) -> None:
        out = bytearray()
        try:
            node = self.files.stat(path)
            entries = [(".", node)]
            if node.is_dir:
                parent = self._lookup(posixpath.dirname(self.files.normalize(path))) or node
                entries.append(("..", parent))
                entries += self.files.listdir(path, uid=self.uid)
            else:
                entries = []
        except FsError:
            entries = []
        for name, child in entries:
            raw = name.encode()
            if v2:
                out += DENT_V2.pack(b"DNT2", 0, DEVICE_ID, child.ino, child.mode, 2 if child.is_dir else 1,
                                    child.uid, child.gid, child.size, child.mtime, child.mtime, child.mtime,
                                    len(raw)) + raw
            else:
                out += DENT_V1.pack(b"DENT", child.mode, child.size & 0xFFFFFFFF, child.mtime, len(raw)) + raw
        out += (DENT_V2.pack(b"DONE", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) if v2
                else DENT_V1.pack(b"DONE", 0, 0, 0, 0))
        await self.stream.write(out)

    async def _send(self, arg: str, v2: bool) -> None:
        if v2:
            ident, mode, flags = SEND_V2.unpack(await self.stream.read_exact(SEND_V2.size))
            if ident != b"SND2":
                raise SyncFail("bad SND2 header", fatal=True)
            path = arg
        else:
            path, comma, mode_text = arg.rpartition(",")
            if not comma:
                path, mode_text = arg, "33188"
            try:
                mode = int(mode_text)
            except ValueError:
                raise SyncFail(f"bad mode {mode_text!r}", fatal=True) from None
            flags = 0
        chunks: list[bytes] = []
        mtime = 0
        while True:
            ident, length = REQUEST.unpack(await self.stream.read_exact(REQUEST.size))
            if ident == b"DATA":
                if length > SYNC_DATA_MAX:
                    raise SyncFail(f"DATA block of {length} bytes is too large", fatal=True)
                chunks.append(await self.stream.read_exact(length))
            elif ident == b"DONE":
                mtime = length
                break
            else:
                raise SyncFail(f"unexpected {ident!r} during send", fatal=True)
        # Errors are only reported once the client sent everything (it is not reading before).
        if flags & ~FLAG_DRY_RUN:
            raise SyncFail(f"unsupported compression flags {flags:#x}")
        if flags & FLAG_DRY_RUN:
            await self.stream.write(REQUEST.pack(b"OKAY", 0))
            return
        if stat.S_ISLNK(mode):
            mode = stat.S_IFREG | 0o644
        try:
            self.files.write(path, b"".join(chunks), uid=self.uid, perm=stat.S_IMODE(mode) or 0o644,
                             mtime=mtime or None, make_parents=True)
        except FsError as e:
            raise SyncFail(f"couldn't create file: {e.strerror}") from None
        await self.stream.write(REQUEST.pack(b"OKAY", 0))

    async def _recv(self, path: str, v2: bool) -> None:
        if v2:
            ident, flags = RECV_V2.unpack(await self.stream.read_exact(RECV_V2.size))
            if flags:
                raise SyncFail(f"unsupported compression flags {flags:#x}")
        try:
            node = self.files.stat(path)
            if node.is_dir:
                raise FsError(errno.EISDIR, path)
            data = node.data
        except FsError as e:
            raise SyncFail(f"open failed: {e.strerror}") from None
        out = bytearray()
        view = memoryview(data)
        for start in range(0, len(view), SYNC_DATA_MAX):
            block = view[start:start + SYNC_DATA_MAX]
            out += REQUEST.pack(b"DATA", len(block))
            out += block
        out += REQUEST.pack(b"DONE", 0)
        await self.stream.write(out)


async def serve_sync(stream: AdbStream, ctx: ServiceContext, arg: str) -> None:
    await SyncSession(stream, ctx).run()
