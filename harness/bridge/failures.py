"""Turning what adbutils and sockets raise into the harness' typed device errors."""

from __future__ import annotations

import adbutils
from adbutils.errors import AdbConnectionError

from harness.errors import (
    AdbServerError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceNotFoundError,
    DeviceOfflineError,
)

# Exceptions that mean "the connection to the adb server or the device broke".
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (adbutils.AdbError, OSError, EOFError)


def translate(serial: str | None, action: str, error: BaseException, *, selected: bool = True) -> DeviceError:
    """The typed error for an adbutils/socket failure while doing ``action`` on ``serial``.

    ``selected``: the device was attached when chosen, so "not found" now means it went away.
    """
    if isinstance(error, DeviceError):
        return error
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if isinstance(error, AdbConnectionError) or "connect to adb server" in lowered:
        return AdbServerError(f"{action}: adb server unreachable: {text}", serial)
    if "unauthorized" in lowered or "authorizing" in lowered:
        return DeviceOfflineError(f"{action}: device unauthorized (accept the USB debugging prompt)", serial)
    if "offline" in lowered:
        return DeviceOfflineError(f"{action}: device offline", serial)
    if "not found" in lowered and "device" in lowered:
        if selected:
            return DeviceDisconnectedError(f"{action}: device is gone: {text}", serial)
        return DeviceNotFoundError(f"{action}: device not attached: {text}", serial)
    return DeviceDisconnectedError(f"{action}: connection to device lost: {text}", serial)
