"""Devices reached over TCP (``host:port`` serials): ``adb connect`` / ``adb disconnect`` via adbutils.

After a device reboots, adb keeps a TCP transport ``offline`` and retries only every 10 s (adb
29); ``adb connect`` meanwhile answers "already connected" and changes nothing. Dropping the
transport (``adb disconnect``) and connecting again brings the device back as soon as it
listens, so :func:`reconnect` does that, in a short bounded loop.
"""

from __future__ import annotations

import logging
import threading
import time

from harness.bridge.attached import AdbState, list_attached
from harness.bridge.failures import TRANSPORT_ERRORS
from harness.bridge.server import AdbServer
from harness.errors import DeviceNotFoundError, DeviceOfflineError

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.05
CONNECT_ATTEMPT_TIMEOUT_S = 3.0


def _state_of(server: AdbServer, serial: str) -> AdbState:
    for dev in list_attached(server):
        if dev.serial == serial:
            return dev.state
    return AdbState.ABSENT


def connect_once(server: AdbServer, address: str, timeout: float = CONNECT_ATTEMPT_TIMEOUT_S) -> str:
    """One ``adb connect``; returns the server's answer (raises nothing for a refused connect)."""
    try:
        return str(server.client.connect(address, timeout=timeout)).strip()
    except TRANSPORT_ERRORS as e:
        return f"adb connect failed: {e}"


def disconnect_once(server: AdbServer, address: str) -> None:
    try:
        server.client.disconnect(address)
    except TRANSPORT_ERRORS as e:  # "no such device": nothing to drop
        log.debug("adb disconnect %s: %s", address, e)


def connect(server: AdbServer, address: str, timeout: float, *, fresh: bool = False,
            stop: threading.Event | None = None) -> None:
    """Make ``address`` an online device of ``server`` within ``timeout`` seconds.

    ``fresh`` drops an existing (stale) transport first. Raises :class:`DeviceNotFoundError` if
    nothing answers at the address, :class:`DeviceOfflineError` if it answers but stays offline.
    """
    end = time.monotonic() + timeout
    waiter = stop or threading.Event()
    answer = ""
    state = _state_of(server, address) if fresh else AdbState.ABSENT
    while True:
        if state is AdbState.OFFLINE:
            disconnect_once(server, address)  # stale transport: adb would retry it only every 10 s
        if state is not AdbState.CONNECTING and state is not AdbState.AUTHORIZING:
            left = end - time.monotonic()
            answer = connect_once(server, address, timeout=max(0.1, min(CONNECT_ATTEMPT_TIMEOUT_S, left)))
        state = _state_of(server, address)
        if state.online:
            log.info("connected %s (%s)", address, answer)
            return
        if time.monotonic() >= end or waiter.wait(POLL_INTERVAL_S) or time.monotonic() >= end:
            break
    if state is AdbState.ABSENT:
        raise DeviceNotFoundError(f"adb connect {address} failed within {timeout:g}s: {answer}", address)
    raise DeviceOfflineError(f"{address} stays {state.value} after adb connect ({answer})", address)


def reconnect(server: AdbServer, address: str, timeout: float) -> None:
    """Drop a stale transport and connect again, in a short loop (the fast path after reboot)."""
    connect(server, address, timeout, fresh=True)
