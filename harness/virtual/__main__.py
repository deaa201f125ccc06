"""``python -m harness.virtual``: run one virtual device in the foreground until SIGTERM/SIGINT.

``--ready-fd N`` (used by ``harness sim start``): once listening, write one JSON line
``{"port": P, "pid": PID}`` to fd N and close it, so the starter learns the port without
polling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence

from harness.virtual.model.device import DEFAULT_API
from harness.virtual.server import DEFAULT_BOOT_DELAY, PortError, create_server

log = logging.getLogger("harness.virtual")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness.virtual", description="Run a virtual Android device (adbd over TCP).")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one outside 5555-5585)")
    p.add_argument("--api", type=int, default=DEFAULT_API, help=f"Android API level (default {DEFAULT_API})")
    p.add_argument("--name", default="harness_virtual", help="product/model name")
    p.add_argument("--seed", type=int, default=0, help="seed of the model's random choices")
    p.add_argument("--serial", default=None, help="ro.serialno (default virtual-PORT)")
    p.add_argument("--boot-delay", type=float, default=DEFAULT_BOOT_DELAY,
                   help=f"seconds the device stays unreachable during a reboot (default {DEFAULT_BOOT_DELAY})")
    p.add_argument("--log", default=None, help="log file (default: stderr)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
    return p


async def _serve(args: argparse.Namespace) -> int:
    try:
        server = create_server(port=args.port, api=args.api, name=args.name, seed=args.seed, serial=args.serial,
                               boot_delay=args.boot_delay)
    except PortError as e:
        log.error("%s", e)
        print(f"harness.virtual: {e}", file=sys.stderr)
        return 2
    server.faults.on_death = _die  # `vdev die-after`: the whole process vanishes, as a device losing power
    await server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: loop.create_task(server.stop()))
    if args.ready_fd is not None:
        with os.fdopen(args.ready_fd, "w") as ready:
            ready.write(json.dumps({"port": server.port, "pid": os.getpid(), "serial": server.serial}) + "\n")
    await server.wait_stopped()
    return 0


def _die(argv: list[str]) -> None:
    log.warning("vdev die-after: killing this device process (SIGKILL) at command %r", argv)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: logging.Handler = logging.FileHandler(args.log) if args.log else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(args.log_level)
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
