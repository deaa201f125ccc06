"""What the adb server says is attached: serials and connection states."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.bridge.server import AdbServer


class AdbState(str, enum.Enum):
    """A connection state as ``adb devices`` prints it (adb's ``connection_state_name``)."""

    DEVICE = "device"
    OFFLINE = "offline"
    UNAUTHORIZED = "unauthorized"
    AUTHORIZING = "authorizing"
    CONNECTING = "connecting"
    BOOTLOADER = "bootloader"
    RECOVERY = "recovery"
    RESCUE = "rescue"
    SIDELOAD = "sideload"
    HOST = "host"
    NO_PERMISSIONS = "no permissions"
    ABSENT = "absent"  # not in the server's list at all
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> "AdbState":
        if isinstance(value, str) and value.startswith("no"):
            return cls.NO_PERMISSIONS  # "no permissions (...)": adbutils splits it at the space
        return cls.UNKNOWN

    @property
    def online(self) -> bool:
        return self is AdbState.DEVICE


@dataclass(frozen=True)
class AttachedDevice:
    serial: str
    state: AdbState

    def __str__(self) -> str:
        return f"{self.serial} ({self.state.value})"


_TCP_SERIAL = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):\d{1,5}$")


def is_tcp_serial(serial: str) -> bool:
    """True for ``host:port`` serials (devices reached with ``adb connect``)."""
    return bool(_TCP_SERIAL.match(serial))


def list_attached(server: AdbServer) -> list[AttachedDevice]:
    """Every device the server knows, online or not, in the server's order."""
    try:
        infos = server.client.list()
    except TRANSPORT_ERRORS as e:
        raise translate(None, f"list devices of adb server {server.address}", e, selected=False) from e
    return [AttachedDevice(info.serial, AdbState(info.state)) for info in infos]


def describe(devices: list[AttachedDevice]) -> str:
    return ", ".join(str(d) for d in devices) if devices else "none"
