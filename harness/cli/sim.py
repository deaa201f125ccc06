"""``harness sim start|list|stop``: virtual devices running in the background."""

from __future__ import annotations

import argparse

from harness.errors import UsageError
from harness.virtual.model.device import DEFAULT_API
from harness.virtual.server import DEFAULT_BOOT_DELAY
from harness.virtual.sim import find_sim, list_sims, start_sim, stop_all, stop_sim


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser("sim", help="run virtual devices (adbd over TCP) in the background",
                              description="Start, list and stop virtual Android devices.")
    sub = p.add_subparsers(dest="sim_command", metavar="ACTION")
    p.set_defaults(func=lambda args: _usage(p))

    start = sub.add_parser("start", help="start a virtual device, adb connect it, print its serial")
    start.add_argument("--port", type=int, default=None, help="TCP port (default: a free port outside 5555-5585)")
    start.add_argument("--api", type=int, default=DEFAULT_API, help=f"API level (default {DEFAULT_API})")
    start.add_argument("--name", default="harness_virtual", help="device/model name")
    start.add_argument("--seed", type=int, default=0, help="model seed (default 0)")
    start.add_argument("--boot-delay", type=float, default=DEFAULT_BOOT_DELAY,
                       help="seconds the device is unreachable during a reboot")
    start.add_argument("--no-connect", action="store_true", help="do not `adb connect` it")
    start.set_defaults(func=_start)

    lst = sub.add_parser("list", help="list running virtual devices")
    lst.set_defaults(func=_list)

    stop = sub.add_parser("stop", help="stop a virtual device (or all)")
    stop.add_argument("serial", nargs="?", help="serial (127.0.0.1:PORT) or port")
    stop.add_argument("--all", action="store_true", help="stop every running virtual device")
    stop.set_defaults(func=_stop)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _start(args: argparse.Namespace) -> int:
    info = start_sim(port=args.port, api=args.api, name=args.name, seed=args.seed, boot_delay=args.boot_delay,
                     connect=not args.no_connect)
    print(info.serial)
    return 0


def _list(args: argparse.Namespace) -> int:
    sims = list_sims()
    if not sims:
        print("no virtual devices running")
        return 0
    print(f"{'SERIAL':<22} {'PID':>7} {'API':>4} {'NAME':<20} LOG")
    for s in sims:
        print(f"{s.serial:<22} {s.pid:>7} {s.api:>4} {s.name:<20} {s.log_path}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    if args.all == bool(args.serial):
        raise UsageError("give a SERIAL or --all")
    if args.all:
        stopped = stop_all()
        for s in stopped:
            print(f"stopped {s.serial}")
        return 0
    info = find_sim(args.serial)
    stop_sim(info)
    print(f"stopped {info.serial}")
    return 0
