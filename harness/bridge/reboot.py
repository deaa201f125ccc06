"""Rebooting a device and waiting until it is really usable again.

Ready means: adb sees the device online, ``sys.boot_completed`` is 1, the boot count
(``settings get global boot_count``, API 24+) advanced past the count before the reboot, and
the package manager answers (``pm path android``, or ``pm list packages``). The boot count
guards against the moments right after the reboot request when the old boot still answers.
Devices without a boot count must instead have been seen offline or absent once.

``host:port`` devices are reconnected (``adb disconnect`` + ``adb connect``) in a short loop
rather than left to adb's 10-second retry. Polling waits on an external process; it uses short
intervals and the whole wait is bounded by the timeout (:class:`BootTimeoutError` carries the
last state seen).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.bridge.attached import is_tcp_serial
from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.bridge.remote import reconnect
from harness.bridge.shell import close_quietly
from harness.errors import BootTimeoutError, DeviceError

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 5.0
REBOOT_REQUEST_TIMEOUT_S = 5.0
_SEPARATOR = "@@HARNESS@@"
# One round trip: boot flag, boot count, package manager, separated by a marker line.
# The package manager answers when `pm path android` succeeds (or, where the framework package is
# not listed, `pm list packages` does): the status is echoed as PM=N.
_PROBE = (f"getprop sys.boot_completed ; echo {_SEPARATOR} ; settings get global boot_count ; echo {_SEPARATOR} ; "
          "pm path android >/dev/null 2>&1 || pm list packages >/dev/null 2>&1 ; echo PM=$?")


@dataclass(frozen=True)
class BootState:
    online: bool
    boot_completed: bool = False
    boot_count: int | None = None
    package_manager: bool = False

    def describe(self) -> str:
        if not self.online:
            return "not online"
        return (f"boot_completed={int(self.boot_completed)} boot_count={self.boot_count} "
                f"package_manager={'answers' if self.package_manager else 'not answering'}")


def parse_boot_count(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isdigit() else None


def read_boot_count(device: "Device", timeout: float = PROBE_TIMEOUT_S) -> int | None:
    """``settings get global boot_count`` (None where the setting does not exist, before API 24)."""
    result = device.shell(["settings", "get", "global", "boot_count"], timeout=timeout)
    return parse_boot_count(result.stdout) if result.ok else None


def probe(device: "Device", timeout: float = PROBE_TIMEOUT_S) -> BootState:
    """The boot state of an online device, in one shell round trip."""
    result = device.shell_script(_PROBE, timeout=timeout)
    parts = result.stdout.split(_SEPARATOR)
    while len(parts) < 3:
        parts.append("")
    return BootState(
        online=True,
        boot_completed=parts[0].strip() == "1",
        boot_count=parse_boot_count(parts[1]),
        package_manager="PM=0" in parts[2].split(),
    )


def request_reboot(device: "Device", timeout: float = REBOOT_REQUEST_TIMEOUT_S) -> None:
    """Open adb's ``reboot:`` service (what ``adb reboot`` does) and wait until adbd drops it."""
    try:
        conn = device.adb.open_transport(timeout=timeout)
    except TRANSPORT_ERRORS as e:
        raise translate(device.serial, "reboot", e) from e
    try:
        conn.send_command("reboot:")
        conn.check_okay()
    except TRANSPORT_ERRORS as e:
        close_quietly(conn)
        raise translate(device.serial, "reboot", e) from e
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            conn.conn.settimeout(max(0.01, end - time.monotonic()))
            if not conn.conn.recv(4096):
                break
    except TRANSPORT_ERRORS as e:  # the device dropping the connection is the expected outcome
        log.debug("[%s] reboot stream ended: %s", device.serial, e)
    finally:
        close_quietly(conn)


def wait_until_ready(device: "Device", previous_boot_count: int | None, timeout: float,
                     *, poll_interval: float = POLL_INTERVAL_S) -> BootState:
    """Wait (bounded) until the device is ready after a reboot; returns the state seen."""
    end = time.monotonic() + timeout
    waiter = threading.Event()
    tcp = is_tcp_serial(device.serial)
    saw_down = False
    last = "nothing seen yet"
    while True:
        left = end - time.monotonic()
        try:
            state = device.adb_state()
            if not state.online:
                saw_down = True
                last = f"adb state {state.value}"
                if tcp:
                    reconnect(device.server, device.serial, timeout=max(0.1, left))
                    device.forget_boot_facts()
            if device.adb_state().online:
                boot = probe(device, timeout=max(0.1, min(PROBE_TIMEOUT_S, end - time.monotonic())))
                last = boot.describe()
                if previous_boot_count is not None and boot.boot_count is not None:
                    advanced = boot.boot_count > previous_boot_count
                else:
                    advanced = saw_down
                if not advanced:
                    last += f" (boot count not advanced past {previous_boot_count})"
                if boot.boot_completed and boot.package_manager and advanced:
                    log.info("[%s] ready after reboot: %s", device.serial, last)
                    device.forget_boot_facts()
                    return boot
        except DeviceError as e:
            saw_down = True
            last = str(e)
        if time.monotonic() >= end:
            raise BootTimeoutError(device.serial, timeout, last)
        waiter.wait(min(poll_interval, max(0.0, end - time.monotonic())))


def reboot(device: "Device", timeout: float = 120.0) -> BootState:
    """Reboot and wait until ready (see the module doc); returns the new boot state."""
    end = time.monotonic() + timeout
    before = read_boot_count(device, timeout=min(PROBE_TIMEOUT_S, timeout))
    log.info("[%s] rebooting (boot count %s)", device.serial, before)
    request_reboot(device, timeout=min(REBOOT_REQUEST_TIMEOUT_S, timeout))
    try:
        return wait_until_ready(device, before, timeout=max(0.1, end - time.monotonic()))
    except BootTimeoutError as e:  # name the reboot's whole bound, not what was left of it
        raise BootTimeoutError(device.serial, timeout, e.last_state) from None
