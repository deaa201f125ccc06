"""``harness companion install|status``: put the companion app on a device, and report on it."""

from __future__ import annotations

import argparse
import logging
import pathlib

from harness.cli.common import add_device_options, open_device
from harness.companion.client import CompanionClient
from harness.companion.protocol import PACKAGE, PROTOCOL_MAJOR, PROTOCOL_MINOR, HelloInfo
from harness.controls.standby import Bucket
from harness.errors import CompanionNotInstalledError, ProtocolMismatchError, UsageError

log = logging.getLogger(__name__)

DEFAULT_APK = pathlib.Path("android-app/app/build/outputs/apk/debug/app-debug.apk")
BUILD_HINT = "build it with `cd android-app && ./gradlew :app:assembleDebug`, or pass --apk PATH"
EXIT_NOT_INSTALLED = 1


def _repo_root() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parents[2]


def find_apk(given: str | None) -> pathlib.Path:
    """The APK to install: ``--apk``, else the debug build under the current directory or the checkout."""
    if given:
        path = pathlib.Path(given)
        if not path.is_file():
            raise UsageError(f"no such APK: {path}; {BUILD_HINT}")
        return path
    candidates = [DEFAULT_APK, _repo_root() / DEFAULT_APK]
    for path in candidates:
        if path.is_file():
            return path
    raise UsageError(f"no companion APK at {DEFAULT_APK} (nor {candidates[1]}); {BUILD_HINT}")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def describe(info: HelloInfo) -> list[tuple[str, str]]:
    same_major = info.protocol[0] == PROTOCOL_MAJOR
    compat = "compatible" if same_major else "INCOMPATIBLE: run `harness companion install`"
    bucket: str = str(info.standby_bucket) if info.standby_bucket is not None else "-"
    if info.standby_bucket is not None:
        try:
            bucket = f"{info.standby_bucket} ({Bucket(info.standby_bucket).name})"
        except ValueError:
            pass
    p = info.permissions
    return [
        ("companion", f"installed, {info.app.package} {info.app.version_name or '?'} "
                      f"(version code {info.app.version_code}, target SDK {info.app.target_sdk})"),
        ("protocol", f"{info.protocol_text} (this harness: {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}, {compat})"),
        ("API", str(info.device.api)),
        ("exact alarms", f"SCHEDULE_EXACT_ALARM {_yes(p.schedule_exact_alarm)}, USE_EXACT_ALARM "
                         f"{_yes(p.use_exact_alarm)}, canScheduleExactAlarms {_yes(p.can_schedule_exact_alarms)}"),
        ("battery optimization", "ignored (exempt)" if info.ignoring_battery_optimizations else "optimized"),
        ("standby bucket", bucket),
        ("notifications", "allowed" if p.post_notifications else "not allowed"),
        ("journal", f"last seq {info.journal_last_seq}"),
    ]


def _print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        print(f"{(key + ':').ljust(width)} {value}")


def run_status(args: argparse.Namespace) -> int:
    device = open_device(args)
    kind = "virtual" if device.is_virtual else "real"
    client = CompanionClient(device)
    try:
        info = client.hello()
    except CompanionNotInstalledError:
        _print_rows([("device", f"{device.serial} ({kind}, API {device.api_level})"),
                     ("companion", f"not installed ({PACKAGE}); install it with `harness companion install`")])
        return EXIT_NOT_INSTALLED
    _print_rows([("device", f"{device.serial} ({kind})")] + describe(info))
    if info.protocol[0] != PROTOCOL_MAJOR:
        raise ProtocolMismatchError(
            f"[{device.serial}] companion protocol {info.protocol_text} differs from this harness' "
            f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR}: run `harness companion install`")
    return 0


def run_install(args: argparse.Namespace) -> int:
    device = open_device(args)
    if device.is_virtual:
        client = CompanionClient(device)
        info = client.connect()
        print(f"{device.serial}: the virtual device has the companion app built in "
              f"({info.app.version_name or '?'}, protocol {info.protocol_text}); nothing to install")
        return 0
    apk = find_apk(args.apk)
    print(f"{device.serial}: installing {apk} ...")
    device.install(apk, replace=True)
    info = CompanionClient(device).connect()
    print(f"{device.serial}: installed {info.app.package} {info.app.version_name or '?'} "
          f"(protocol {info.protocol_text})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("companion", help="install the companion app, or show its status")
    sub = parser.add_subparsers(dest="companion_command", metavar="ACTION")
    sub.required = True
    install = sub.add_parser("install", help="install (or update) the companion app on a device")
    install.add_argument("--apk", metavar="PATH", default=None,
                         help=f"the APK to install (default: {DEFAULT_APK})")
    add_device_options(install)
    install.set_defaults(func=run_install)
    status = sub.add_parser("status", help="is the companion installed; its version, protocol and permissions")
    add_device_options(status)
    status.set_defaults(func=run_status)
