"""``harness doctor``: is this machine and device ready to run behavior specs?

Checks, in order: the adb binary, the adb server, the device (chosen as everywhere else), its
boot state and API level, the companion app (installed, protocol version), the exact-alarm
app-op (API 31+) and whether the companion is exempt from battery optimization. Each failed
check prints a fix. Exit status 0 when every essential check passes, 3 otherwise.
"""

from __future__ import annotations

import argparse
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from harness.bridge.device import Device
from harness.bridge.server import AdbServer, adb_binary_version, find_adb_binary
from harness.cli.common import add_device_options, open_device, server_from_args
from harness.companion.client import CompanionClient
from harness.companion.protocol import PACKAGE, PROTOCOL_MAJOR, PROTOCOL_MINOR
from harness.errors import EXIT_DEVICE, CompanionError, HarnessError, ProtocolMismatchError

log = logging.getLogger(__name__)

COMPANION_PACKAGE = PACKAGE
EXACT_ALARM_API = 31  # SCHEDULE_EXACT_ALARM became a permission in Android 12
DOZE_API = 23  # Doze and app standby exist from Android 6.0
CHECK_TIMEOUT_S = 15.0
INSTALL_HINT = "harness companion install"


class CheckStatus(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: CheckStatus
    detail: str
    hint: str = ""
    essential: bool = True

    @property
    def blocking(self) -> bool:
        return self.essential and self.status is CheckStatus.FAIL


def _ok(name: str, detail: str, essential: bool = True) -> CheckResult:
    return CheckResult(name, CheckStatus.OK, detail, essential=essential)


def _fail(name: str, detail: str, hint: str, essential: bool = True) -> CheckResult:
    return CheckResult(name, CheckStatus.FAIL, detail, hint, essential)


# ---------------------------------------------------------------- host checks

def check_adb_binary(server: AdbServer) -> CheckResult:
    name = "adb binary"
    try:
        path = find_adb_binary()
        return _ok(name, f"{path}, version {adb_binary_version(path)}")
    except HarnessError as e:
        needed = server.is_local and not server.is_running()
        return _fail(name, str(e), "install platform-tools (or Debian's `adb`), or set ADBUTILS_ADB_PATH",
                     essential=needed)


def check_server(server: AdbServer) -> CheckResult:
    name = "adb server"
    try:
        server.ensure_running()
        return _ok(name, f"{server.address} answers, protocol {server.version()}")
    except HarnessError as e:
        hint = ("check --adb-host/--adb-port and that the server listens there (adb -a server nodaemon)"
                if not server.is_local else "run `adb start-server`, or check ANDROID_ADB_SERVER_PORT")
        return _fail(name, str(e), hint)


# ---------------------------------------------------------------- device checks

def check_boot(device: Device) -> CheckResult:
    name = "device ready"
    value = device.getprop("sys.boot_completed", timeout=CHECK_TIMEOUT_S)
    if value == "1":
        return _ok(name, f"{device.serial} booted (sys.boot_completed=1)")
    return _fail(name, f"{device.serial} still booting (sys.boot_completed={value or 'unset'})",
                 "wait for the boot to finish, then run harness doctor again")


def check_api(device: Device) -> CheckResult:
    api = device.api_level
    kind = "virtual" if device.is_virtual else "real"
    if api < DOZE_API:
        return CheckResult("API level", CheckStatus.WARN, f"API {api} ({kind} device, {device.model})",
                           f"Doze and app standby need API {DOZE_API}+; scenarios using them cannot run here",
                           essential=False)
    return _ok("API level", f"API {api} ({kind} device, {device.model})", essential=False)


def check_companion_installed(device: Device) -> CheckResult:
    name = "companion installed"
    if device.is_installed(COMPANION_PACKAGE, timeout=CHECK_TIMEOUT_S):
        return _ok(name, f"{COMPANION_PACKAGE} is installed")
    return _fail(name, f"{COMPANION_PACKAGE} is not installed", INSTALL_HINT)


def check_protocol(device: Device) -> CheckResult:
    """The companion client's handshake: ``hello``, and the same major protocol version."""
    name = "companion protocol"
    try:
        info = CompanionClient(device, timeout=CHECK_TIMEOUT_S).connect()
    except ProtocolMismatchError as e:
        return _fail(name, str(e), f"install the matching companion ({INSTALL_HINT})")
    except CompanionError as e:
        return _fail(name, f"hello failed: {e}", f"reinstall the companion ({INSTALL_HINT})")
    return _ok(name, f"protocol {info.protocol_text} (harness {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}), "
                     f"app {info.app.version_name or '?'}")


def check_exact_alarm(device: Device) -> CheckResult:
    name = "exact alarms"
    api = device.api_level
    if api < EXACT_ALARM_API:
        return CheckResult(name, CheckStatus.SKIP, f"no permission needed below API {EXACT_ALARM_API}", essential=False)
    result = device.shell(["appops", "get", COMPANION_PACKAGE, "SCHEDULE_EXACT_ALARM"], timeout=CHECK_TIMEOUT_S)
    if not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return _fail(name, f"appops get failed (exit {result.status}): {detail[0]}",
                     "check the device's appops command", essential=False)
    text = result.stdout.strip()
    mode = text.split(":", 1)[1].strip().split(";")[0].strip() if ":" in text else text
    if mode.startswith("allow"):
        return _ok(name, "SCHEDULE_EXACT_ALARM: allow", essential=False)
    return _fail(name, f"SCHEDULE_EXACT_ALARM: {mode or 'unknown'}",
                 f"adb shell appops set {COMPANION_PACKAGE} SCHEDULE_EXACT_ALARM allow", essential=False)


def check_battery_optimization(device: Device) -> CheckResult:
    name = "battery optimization"
    result = device.shell(["dumpsys", "deviceidle", "whitelist"], timeout=CHECK_TIMEOUT_S, check=True)
    if "Can't find service" in result.stdout + result.stderr:
        return _fail(name, "the deviceidle service does not answer (dumpsys: Can't find service)",
                     "a device without deviceidle cannot run Doze scenarios", essential=False)
    exempt = any(COMPANION_PACKAGE in line.split(",") for line in result.stdout.splitlines())
    if exempt:
        return CheckResult(name, CheckStatus.WARN,
                           f"{COMPANION_PACKAGE} is exempt (deviceidle whitelist): Doze and standby will not restrict it",
                           f"adb shell cmd deviceidle whitelist -{COMPANION_PACKAGE}", essential=False)
    return _ok(name, f"{COMPANION_PACKAGE} is not exempt (restricted like any app)", essential=False)


DEVICE_CHECKS: list[tuple[str, Callable[[Device], CheckResult], bool]] = [
    ("device ready", check_boot, True),
    ("API level", check_api, False),
    ("companion installed", check_companion_installed, True),
    ("companion protocol", check_protocol, True),
    ("exact alarms", check_exact_alarm, False),
    ("battery optimization", check_battery_optimization, False),
]


def run_checks(args: argparse.Namespace) -> list[CheckResult]:
    server = server_from_args(args)
    results = [check_adb_binary(server), check_server(server)]
    if results[-1].blocking:
        return results
    try:
        device = open_device(args)
    except HarnessError as e:
        results.append(_fail("device", str(e), "attach a device, or choose one with --device SERIAL / ANDROID_SERIAL"))
        return results
    results.append(_ok("device", f"{device.serial}"))
    installed = True
    for name, check, essential in DEVICE_CHECKS:
        if name == "companion protocol" and not installed:
            results.append(CheckResult(name, CheckStatus.SKIP, "companion not installed", essential=False))
            continue
        try:
            result = check(device)
        except HarnessError as e:
            result = _fail(name, str(e), "the device could not answer this check; see the error above", essential)
        if name == "companion installed":
            installed = result.status is CheckStatus.OK
        results.append(result)
    return results


def render(result: CheckResult) -> str:
    label = result.status.value.upper() if result.status is not CheckStatus.FAIL else "FAIL"
    line = f"[{label:>4}] {result.name}: {result.detail}"
    if result.hint and result.status in (CheckStatus.FAIL, CheckStatus.WARN):
        line += f"\n       fix: {result.hint}"
    return line


def run(args: argparse.Namespace) -> int:
    results = run_checks(args)
    for result in results:
        print(render(result))
    blocking = [r for r in results if r.blocking]
    if blocking:
        print(f"{len(blocking)} essential check(s) failed: {', '.join(r.name for r in blocking)}")
        return EXIT_DEVICE
    print("all essential checks passed")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check adb, the device and the companion app; print fixes")
    add_device_options(parser)
    parser.set_defaults(func=run)
