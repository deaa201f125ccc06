"""FileStore: the virtual device's filesystem (directories and files with bytes, mode, owner, mtime).

The layout follows a stock Android device: ``/data/local/tmp`` (shell-writable, mode 0771),
``/sdcard`` (the same directory as ``/storage/emulated/0``) with the usual media folders,
read-only ``/system`` and ``/vendor``, and ``/dev/null``. The shell user (uid 2000) may write
only under ``/data/local/tmp`` and shared storage; root (uid 0) anywhere that is not mounted
read-only. Modification times come from the model's wall clock (seconds), or from the host for
``adb push`` (which sends the source file's mtime). Files survive a reboot (flash storage).
"""

from __future__ import annotations

import enum
import errno
import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.model.subsystem import Subsystem

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

ROOT_UID = 0
SYSTEM_UID = 1000
SHELL_UID = 2000
EVERYBODY_GID = 9997
SDCARD_RW_GID = 1015

USER_NAMES = {ROOT_UID: "root", SYSTEM_UID: "system", SHELL_UID: "shell", EVERYBODY_GID: "everybody",
              SDCARD_RW_GID: "sdcard_rw"}

READ_ONLY_MOUNTS = ("/system", "/vendor", "/product", "/system_ext", "/apex")
SHELL_WRITABLE = ("/data/local/tmp", "/sdcard", "/storage/emulated/0")
# Directories the shell user cannot list (SELinux / DAC on a real device).
SHELL_UNREADABLE = ("/data", "/data/data", "/data/app", "/data/system", "/data/user")


class NodeKind(enum.Enum):
    FILE = "file"
    DIR = "dir"
    CHAR = "char"  # /dev/null


_KIND_BITS = {NodeKind.FILE: stat.S_IFREG, NodeKind.DIR: stat.S_IFDIR, NodeKind.CHAR: stat.S_IFCHR}


class FsError(Exception):
    """A filesystem call failed the way the kernel would fail it (errno + path)."""

    def __init__(self, code: int, path: str) -> None:
        self.errno = code
        self.path = path
        super().__init__(f"{path}: {self.strerror}")

    @property
    def strerror(self) -> str:
        return os.strerror(self.errno)


@dataclass
class Node:
    kind: NodeKind
    perm: int  # permission bits (0o7777)
    uid: int = ROOT_UID
    gid: int = ROOT_UID
    mtime: int = 0  # seconds since the epoch
    data: bytes = b""
    entries: dict[str, "Node"] = field(default_factory=dict)  # directories only
    ino: int = 0

    @property
    def mode(self) -> int:
        """st_mode: type bits and permission bits."""
        return _KIND_BITS[self.kind] | (self.perm & 0o7777)

    @property
    def size(self) -> int:
        if self.kind == NodeKind.DIR:
            return 3452  # what ext4/f2fs typically report for a small directory
        return len(self.data)

    @property
    def is_dir(self) -> bool:
        return self.kind == NodeKind.DIR


def _within(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


class FileStore(Subsystem):
    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self._next_ino = 1
        self.root = self._node(NodeKind.DIR, 0o755)
        self._build_layout()

    # ------------------------------------------------------------------ layout
    def _now(self) -> int:
        return self.model.clock.wall_ms // 1000

    def _node(self, kind: NodeKind, perm: int, uid: int = ROOT_UID, gid: int = ROOT_UID,
              data: bytes = b"", mtime: int | None = None) -> Node:
        ino = self._next_ino
        self._next_ino += 1
        return Node(kind, perm, uid, gid, self._now() if mtime is None else mtime, data, ino=ino)

    def _build_layout(self) -> None:
        dirs: list[tuple[str, int, int, int]] = [
            ("/system", 0o755, ROOT_UID, ROOT_UID),
            ("/system/bin", 0o755, ROOT_UID, 2000),
            ("/system/etc", 0o755, ROOT_UID, ROOT_UID),
            ("/system/app", 0o755, ROOT_UID, ROOT_UID),
            ("/system/priv-app", 0o755, ROOT_UID, ROOT_UID),
            ("/system/framework", 0o755, ROOT_UID, ROOT_UID),
            ("/vendor", 0o755, ROOT_UID, 2000),
            ("/product", 0o755, ROOT_UID, ROOT_UID),
            ("/apex", 0o755, ROOT_UID, ROOT_UID),
            ("/proc", 0o555, ROOT_UID, ROOT_UID),
            ("/dev", 0o755, ROOT_UID, ROOT_UID),
            ("/data", 0o771, SYSTEM_UID, SYSTEM_UID),
            ("/data/local", 0o751, ROOT_UID, ROOT_UID),
            ("/data/local/tmp", 0o771, SHELL_UID, SHELL_UID),
            ("/data/app", 0o771, SYSTEM_UID, SYSTEM_UID),
            ("/data/data", 0o771, SYSTEM_UID, SYSTEM_UID),
            ("/data/system", 0o775, SYSTEM_UID, SYSTEM_UID),
            ("/data/user", 0o711, SYSTEM_UID, SYSTEM_UID),
            ("/storage", 0o755, ROOT_UID, ROOT_UID),
            ("/storage/emulated", 0o711, ROOT_UID, ROOT_UID),
            ("/storage/emulated/0", 0o770, ROOT_UID, EVERYBODY_GID),
        ]
        for path, perm, uid, gid in dirs:
            parent, name = self._parent_and_name(path)
            parent.entries[name] = self._node(NodeKind.DIR, perm, uid, gid)
        # /sdcard is the same directory as /storage/emulated/0 (a symlink on a real device).
        self.root.entries["sdcard"] = self._lookup("/storage/emulated/0")
        for name in ("Alarms", "Android", "DCIM", "Documents", "Download", "Movies", "Music",
                     "Notifications", "Pictures", "Podcasts", "Ringtones"):
            self._lookup("/sdcard").entries[name] = self._node(NodeKind.DIR, 0o770, ROOT_UID, EVERYBODY_GID)
        self._lookup("/dev").entries["null"] = self._node(NodeKind.CHAR, 0o666)
        self._lookup("/system/bin").entries["sh"] = self._node(NodeKind.FILE, 0o755, ROOT_UID, 2000)

    # ------------------------------------------------------------------ paths
    @staticmethod
    def normalize(path: str, cwd: str = "/") -> str:
        if not path:
            raise FsError(errno.ENOENT, path)
        full = posixpath.normpath(posixpath.join(cwd, path))
        # posixpath keeps a leading '//' as-is
        return "/" + full.lstrip("/")

    def _parent_and_name(self, path: str) -> tuple[Node, str]:
        parent_path, name = posixpath.split(path)
        parent = self._lookup(parent_path)
        if not parent.is_dir:
            raise FsError(errno.ENOTDIR, path)
        return parent, name

    def _lookup(self, path: str) -> Node:
        node = self.root
        for part in path.split("/"):
            if not part:
                continue
            if not node.is_dir:
                raise FsError(errno.ENOTDIR, path)
            nxt = node.entries.get(part)
            if nxt is None:
                raise FsError(errno.ENOENT, path)
            node = nxt
        return node

    # ------------------------------------------------------------------ permissions
    def check_write(self, path: str, uid: int) -> None:
        if _within(path, READ_ONLY_MOUNTS) or path == "/":
            raise FsError(errno.EROFS, path)
        if uid != ROOT_UID and not _within(path, SHELL_WRITABLE):
            raise FsError(errno.EACCES, path)
        if uid != ROOT_UID and path in SHELL_WRITABLE:
            # the shell may write inside these directories, not replace them
            raise FsError(errno.EACCES, path)

    def check_list(self, path: str, uid: int) -> None:
        if uid != ROOT_UID and path in SHELL_UNREADABLE:
            raise FsError(errno.EACCES, path)

    # ------------------------------------------------------------------ queries
    def stat(self, path: str) -> Node:
        """The node at ``path`` (absolute) or FsError(ENOENT/ENOTDIR)."""
        return self._lookup(self.normalize(path))

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except FsError:
            return False
        return True

    def read(self, path: str) -> bytes:
        node = self.stat(path)
        if node.is_dir:
            raise FsError(errno.EISDIR, path)
        return node.data

    def listdir(self, path: str, uid: int = ROOT_UID) -> list[tuple[str, Node]]:
        full = self.normalize(path)
        node = self._lookup(full)
        if not node.is_dir:
            raise FsError(errno.ENOTDIR, path)
        self.check_list(full, uid)
        return sorted(node.entries.items())

    def walk(self, path: str) -> Iterator[tuple[str, Node]]:
        """Every node under ``path`` (depth first, including ``path``)."""
        full = self.normalize(path)
        node = self._lookup(full)
        yield full, node
        if node.is_dir:
            for name, child in sorted(node.entries.items()):
                yield from self.walk(posixpath.join(full, name))

    # ------------------------------------------------------------------ changes
    def write(self, path: str, data: bytes, *, uid: int = ROOT_UID, perm: int | None = None,
              mtime: int | None = None, append: bool = False, make_parents: bool = False) -> Node:
        """Create or replace (or append to) a regular file."""
        full = self.normalize(path)
        if make_parents:
            self.mkdir(posixpath.dirname(full), uid=uid, parents=True)
        parent, name = self._parent_and_name(full)
        existing = parent.entries.get(name)
        if existing is not None and existing.kind == NodeKind.CHAR:
            return existing  # /dev/null swallows everything
        if existing is not None and existing.is_dir:
            raise FsError(errno.EISDIR, path)
        self.check_write(full, uid)
        when = self._now() if mtime is None else mtime
        if existing is not None:
            existing.data = existing.data + data if append else data
            existing.mtime = when
            if perm is not None:
                existing.perm = perm & 0o7777
            return existing
        gid = EVERYBODY_GID if _within(full, ("/storage/emulated/0", "/sdcard")) else uid
        node = self._node(NodeKind.FILE, 0o666 if perm is None else perm & 0o7777, uid, gid, data, when)
        parent.entries[name] = node
        parent.mtime = when
        return node

    def _lookup_or_none(self, full: str) -> Node | None:
        """The node at a normalized path, or None where nothing is (other errors, e.g. ENOTDIR, raise)."""
        try:
            return self._lookup(full)
        except FsError as e:
            if e.errno != errno.ENOENT:
                raise
            return None

    def touch(self, path: str, *, uid: int = ROOT_UID, mtime: int | None = None) -> Node:
        full = self.normalize(path)
        node = self._lookup_or_none(full)
        if node is None:
            return self.write(full, b"", uid=uid, mtime=mtime)
        if node.kind == NodeKind.FILE or node.is_dir:
            self.check_write(full, uid)
        node.mtime = self._now() if mtime is None else mtime
        return node

    def mkdir(self, path: str, *, uid: int = ROOT_UID, perm: int = 0o771, parents: bool = False) -> Node:
        full = self.normalize(path)
        existing = self._lookup_or_none(full)
        if existing is not None:
            if parents and existing.is_dir:
                return existing
            raise FsError(errno.EEXIST, path)
        parent_path, name = posixpath.split(full)
        if parents and not self.exists(parent_path):
            self.mkdir(parent_path, uid=uid, perm=perm, parents=True)
        parent, name = self._parent_and_name(full)
        self.check_write(full, uid)
        gid = EVERYBODY_GID if _within(full, ("/storage/emulated/0", "/sdcard")) else uid
        node = self._node(NodeKind.DIR, perm, uid, gid)
        parent.entries[name] = node
        parent.mtime = node.mtime
        return node

    def remove(self, path: str, *, uid: int = ROOT_UID, recursive: bool = False) -> None:
        full = self.normalize(path)
        parent, name = self._parent_and_name(full)
        node = parent.entries.get(name)
        if node is None:
            raise FsError(errno.ENOENT, path)
        self.check_write(full, uid)
        if node.is_dir and not recursive:
            raise FsError(errno.EISDIR, path)
        del parent.entries[name]
        parent.mtime = self._now()
