"""ADB transport messages: the 24-byte header, command constants and protocol limits.

A message is ``command, arg0, arg1, data_length, data_crc32, magic`` (six little-endian
uint32) followed by ``data_length`` bytes of payload. ``magic`` is ``command ^ 0xffffffff``.
Since protocol version 0x01000001 the checksum is not checked; we still fill it in (the byte
sum), which older hosts need and newer ones ignore. Source: AOSP packages/modules/adb
(adb.h, protocol.txt).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass


class Command(enum.IntEnum):
    SYNC = 0x434E5953
    CNXN = 0x4E584E43
    OPEN = 0x4E45504F
    OKAY = 0x59414B4F
    CLSE = 0x45534C43
    WRTE = 0x45545257
    AUTH = 0x48545541
    STLS = 0x534C5453


A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001
A_VERSION = 0x01000001
MAX_PAYLOAD = 1024 * 1024  # what adbd offers; the connection uses min(host, ours)
MAX_PAYLOAD_V1 = 4 * 1024  # before CNXN is negotiated
INITIAL_DELAYED_ACK_BYTES = 32 * 1024 * 1024  # our receive window when delayed_ack is on

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size  # 24
MAX_DATA_ACCEPTED = 16 * 1024 * 1024  # anything larger is a corrupt stream

# The features this device advertises in its CNXN banner. They decide the host's code paths:
# shell_v2 (exit codes, separate stderr), cmd/abb_exec (streamed install), stat_v2/ls_v2
# (STA2/LIS2), sendrecv_v2 (SND2/RCV2, without compression), delayed_ack (only used when the
# host advertises it too).
DEVICE_FEATURES: tuple[str, ...] = (
    "shell_v2",
    "cmd",
    "stat_v2",
    "ls_v2",
    "fixed_push_mkdir",
    "apex",
    "abb",
    "fixed_push_symlink_timestamp",
    "abb_exec",
    "remount_shell",
    "track_app",
    "sendrecv_v2",
    "delayed_ack",
)


class ProtocolError(Exception):
    """The peer sent something that is not a valid ADB message."""


def checksum(data: bytes | bytearray | memoryview) -> int:
    return sum(data) & 0xFFFFFFFF


@dataclass(frozen=True)
class Header:
    command: int
    arg0: int
    arg1: int
    length: int
    check: int
    magic: int

    @classmethod
    def parse(cls, raw: bytes) -> "Header":
        cmd, a0, a1, length, check, magic = HEADER.unpack(raw)
        if magic != (cmd ^ 0xFFFFFFFF):
            raise ProtocolError(f"bad magic {magic:#x} for command {cmd:#x}")
        if length > MAX_DATA_ACCEPTED:
            raise ProtocolError(f"payload of {length} bytes is too large")
        return cls(cmd, a0, a1, length, check, magic)

    @property
    def name(self) -> str:
        try:
            return Command(self.command).name
        except ValueError:
            return f"{self.command:#010x}"


def encode(command: int, arg0: int, arg1: int, data: bytes | memoryview = b"", *,
           with_checksum: bool = True) -> bytes:
    """Header bytes for a message (the caller writes ``data`` after it)."""
    check = checksum(data) if with_checksum else 0
    return HEADER.pack(command, arg0 & 0xFFFFFFFF, arg1 & 0xFFFFFFFF, len(data), check,
                       command ^ 0xFFFFFFFF)


def parse_banner_features(banner: bytes) -> set[str]:
    """Features from a CNXN banner like ``host::features=shell_v2,cmd,...``."""
    text = banner.rstrip(b"\0").decode("utf-8", errors="replace")
    _, _, props = text.partition("::")
    for item in props.split(";"):
        key, _, value = item.partition("=")
        if key == "features":
            return {f for f in value.split(",") if f}
    return set()


def device_banner(props: dict[str, str], features: tuple[str, ...] | list[str]) -> bytes:
    """The CNXN banner adbd sends: ``device::ro.product.name=..;..;features=...``."""
    keys = ("ro.product.name", "ro.product.model", "ro.product.device")
    parts = [f"{k}={props.get(k, '')}" for k in keys]
    parts.append("features=" + ",".join(features))
    return ("device::" + ";".join(parts)).encode()
