"""Choosing the device to drive.

In order: an explicit serial; ``$ANDROID_SERIAL``; else the only online device. A serial of the
form ``host:port`` that the server does not know yet is connected first (``adb connect``), and a
stale offline ``host:port`` transport is reconnected. The adb server itself may be remote
(``adb_host``/``adb_port``, as device farms provide); a local one is started if needed.
"""

from __future__ import annotations

import logging
import os

from harness.bridge.attached import AdbState, AttachedDevice, describe, is_tcp_serial, list_attached
from harness.bridge.device import Device
from harness.bridge.remote import connect
from harness.bridge.server import AdbServer
from harness.errors import DeviceNotFoundError, DeviceOfflineError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0

_STATE_HINTS = {
    AdbState.UNAUTHORIZED: "accept the 'Allow USB debugging' prompt on the device",
    AdbState.AUTHORIZING: "accept the 'Allow USB debugging' prompt on the device",
    AdbState.OFFLINE: "reconnect the cable or run `adb reconnect`; for host:port run `adb disconnect` then `adb connect`",
    AdbState.NO_PERMISSIONS: "fix the USB udev rules (see `adb devices` for the link)",
}


def _offline_error(dev: AttachedDevice) -> DeviceOfflineError:
    hint = _STATE_HINTS.get(dev.state, "wait until the device has booted, or reconnect it")
    return DeviceOfflineError(f"device is {dev.state.value}, not ready: {hint}", dev.serial)


def _find(devices: list[AttachedDevice], serial: str) -> AttachedDevice | None:
    return next((d for d in devices if d.serial == serial), None)


def select_device(
    serial: str | None = None,
    *,
    adb_host: str | None = None,
    adb_port: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> Device:
    """The :class:`Device` to drive; see the module doc for the order of choices.

    Raises :class:`DeviceNotFoundError` (naming what is attached) when nothing matches or several
    devices are online and none was chosen, :class:`DeviceOfflineError` when the chosen device
    is offline or unauthorized, :class:`AdbServerError` when the server cannot be reached.
    """
    server = AdbServer.from_options(adb_host, adb_port)
    server.ensure_running()
    wanted = serial or os.environ.get("ANDROID_SERIAL") or None
    source = "--device" if serial else "ANDROID_SERIAL"
    attached = list_attached(server)

    if wanted:
        found = _find(attached, wanted)
        if is_tcp_serial(wanted) and (found is None or found.state in (AdbState.OFFLINE, AdbState.ABSENT)):
            log.info("connecting %s through adb server %s", wanted, server.address)
            try:
                connect(server, wanted, connect_timeout, fresh=found is not None)
            except DeviceNotFoundError as e:
                reason = str(e).removeprefix(f"[{wanted}] ")
                raise DeviceNotFoundError(
                    f"{reason}; attached to adb server {server.address}: {describe(attached)}", wanted
                ) from e
            attached = list_attached(server)
            found = _find(attached, wanted)
        if found is None:
            raise DeviceNotFoundError(
                f"device {wanted!r} (from {source}) is not attached to adb server {server.address}; "
                f"attached: {describe(attached)}"
            )
        if not found.state.online:
            raise _offline_error(found)
        return Device(server, found.serial)

    online = [d for d in attached if d.state.online]
    if len(online) == 1:
        return Device(server, online[0].serial)
    if len(online) > 1:
        raise DeviceNotFoundError(
            f"several devices attached to adb server {server.address} ({describe(online)}); "
            "choose one with --device SERIAL or ANDROID_SERIAL"
        )
    if len(attached) == 1:
        raise _offline_error(attached[0])
    if attached:
        raise DeviceOfflineError(
            f"no device ready on adb server {server.address}; attached: {describe(attached)}"
        )
    raise DeviceNotFoundError(
        f"no device attached to adb server {server.address}; plug one in, start an emulator, "
        "`harness sim start` a virtual device, or pass --device HOST:PORT"
    )
