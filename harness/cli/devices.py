"""``harness devices``: the devices an adb server knows, with model, API level and kind."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from harness.bridge.attached import AttachedDevice, list_attached
from harness.bridge.device import VIRTUAL_PROP, Device
from harness.cli.common import add_server_options, server_from_args
from harness.errors import DeviceError

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 10.0
UNKNOWN = "-"


@dataclass(frozen=True)
class DeviceRow:
    serial: str
    state: str
    model: str = UNKNOWN
    api: str = UNKNOWN
    kind: str = UNKNOWN

    def cells(self) -> tuple[str, ...]:
        return (self.serial, self.state, self.model, self.api, self.kind)


HEADER = ("SERIAL", "STATE", "MODEL", "API", "KIND")


def describe_device(device: Device, attached: AttachedDevice) -> DeviceRow:
    if not attached.state.online:
        return DeviceRow(attached.serial, attached.state.value)
    try:
        props = device.getprops(["ro.product.model", "ro.build.version.sdk", VIRTUAL_PROP], timeout=PROBE_TIMEOUT_S)
    except DeviceError as e:
        log.warning("%s", e)
        return DeviceRow(attached.serial, attached.state.value, "?", "?", "?")
    return DeviceRow(
        attached.serial,
        attached.state.value,
        props["ro.product.model"] or UNKNOWN,
        props["ro.build.version.sdk"] or UNKNOWN,
        "virtual" if props[VIRTUAL_PROP] == "1" else "real",
    )


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def run(args: argparse.Namespace) -> int:
    server = server_from_args(args)
    server.ensure_running()
    attached = list_attached(server)
    rows = [describe_device(Device(server, a.serial), a) for a in attached]
    print(format_table([HEADER] + [r.cells() for r in rows]))
    if not rows:
        print(f"(no devices attached to adb server {server.address})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("devices", help="list devices: serial, state, model, API level, real or virtual")
    add_server_options(parser)
    parser.set_defaults(func=run)
