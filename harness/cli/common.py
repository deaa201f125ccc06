"""Options and helpers shared by the subcommands that talk to a device.

``add_device_options(parser)`` adds ``--device/-s``, ``--adb-host`` and ``--adb-port``;
``open_device(args)`` turns them into a :class:`~harness.bridge.device.Device` (see
:func:`harness.bridge.select.select_device` for how a device is chosen).
"""

from __future__ import annotations

import argparse

from harness.bridge.device import Device
from harness.bridge.select import select_device
from harness.bridge.server import AdbServer
from harness.errors import UsageError


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from e
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {value}")
    return value


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """``--adb-host`` / ``--adb-port``: a (possibly remote) adb server, as device farms provide."""
    group = parser.add_argument_group("adb server")
    group.add_argument("--adb-host", metavar="HOST", default=None,
                       help="adb server host (default: $ANDROID_ADB_SERVER_HOST or 127.0.0.1)")
    group.add_argument("--adb-port", metavar="PORT", type=_port, default=None,
                       help="adb server port (default: $ANDROID_ADB_SERVER_PORT or 5037)")


def add_device_options(parser: argparse.ArgumentParser, *, multiple: bool = False) -> None:
    """``--device/-s SERIAL`` (repeatable when ``multiple``) plus the adb server options."""
    parser.add_argument(
        "-s", "--device", metavar="SERIAL", dest="device",
        action="append" if multiple else "store", default=None,
        help="device serial, or HOST:PORT to adb-connect (default: $ANDROID_SERIAL, else the only device)"
             + ("; repeat for several devices" if multiple else ""),
    )
    add_server_options(parser)


def server_from_args(args: argparse.Namespace) -> AdbServer:
    return AdbServer.from_options(getattr(args, "adb_host", None), getattr(args, "adb_port", None))


def open_device(args: argparse.Namespace) -> Device:
    """The device the options choose."""
    chosen = getattr(args, "device", None)
    if isinstance(chosen, list):
        if len(chosen) > 1:
            raise UsageError(f"this command drives one device; got --device {' '.join(chosen)}")
        chosen = chosen[0] if chosen else None
    return select_device(chosen, adb_host=getattr(args, "adb_host", None), adb_port=getattr(args, "adb_port", None))
