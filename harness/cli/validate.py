"""`harness validate PATH...`: check behavior specs without a device.

Directories are walked for ``*.yaml`` / ``*.yml``. Every error prints as ``file:line:col: message``
followed by the quoted lines; a summary line ends the output. Exit 0 when every spec is valid, 2 when
any is invalid (or no spec was found).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from harness.errors import EXIT_USAGE
from harness.spec.loader import find_spec_files, parse_spec_file


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "validate", help="check YAML behavior specs (no device needed)",
        description="Check behavior specs against the spec schema and rules; prints every error as "
                    "file:line:col: message. Exit 0 if all are valid, 2 otherwise.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="spec files or directories (walked for *.yaml, *.yml)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the first line of each error")
    p.set_defaults(func=run)


def validate_paths(paths: list[str], out: TextIO, *, quiet: bool = False) -> int:
    files = find_spec_files(list(paths))
    if not files:
        out.write(f"no spec files (*.yaml, *.yml) found in: {' '.join(paths)}\n")
        return EXIT_USAGE
    invalid = 0
    errors = 0
    for path in files:
        result = parse_spec_file(path)
        if result.errors:
            invalid += 1
            errors += len(result.errors)
            for err in result.errors:
                out.write((err.headline if quiet else err.render()) + "\n")
    valid = len(files) - invalid
    noun = "spec" if len(files) == 1 else "specs"
    if invalid:
        out.write(f"{len(files)} {noun} checked: {valid} valid, {invalid} invalid "
                  f"({errors} error{'s' if errors != 1 else ''})\n")
        return EXIT_USAGE
    out.write(f"{len(files)} {noun} checked: all valid\n")
    return 0


def run(args: argparse.Namespace) -> int:
    return validate_paths(args.paths, sys.stdout, quiet=args.quiet)
