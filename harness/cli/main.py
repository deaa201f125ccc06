"""The `harness` command. Each subcommand lives in its own module with a ``register`` function.

A subcommand module defines ``register(subparsers) -> None`` which adds its parser(s) and sets
``func`` (``Callable[[argparse.Namespace], int]``) as the parser default. Errors that are
:class:`~harness.errors.HarnessError` print as one line on stderr, with no traceback, and the
process exits with the error's ``exit_status``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from harness.errors import EXIT_USAGE, HarnessError

# Subcommand modules, in the order `harness --help` lists them.
SUBCOMMAND_MODULES = [
    "harness.cli.devices",
    "harness.cli.companion",
    "harness.cli.doctor",
    "harness.cli.sim",
    "harness.cli.validate",
    "harness.cli.run",
]

log = logging.getLogger("harness")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Check that Android background work really runs, on a device, an emulator or the virtual device.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(func(args) or 0)
    except HarnessError as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
