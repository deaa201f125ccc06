"""Helpers the command modules share: ``--user`` handling, and settling the device after a command."""

from __future__ import annotations

from collections.abc import Iterable

from harness.virtual.model.power import settle
from harness.virtual.shell.registry import CommandContext, Handler, ShellResult


def without_user(args: Iterable[str], bare: tuple[str, ...] = ()) -> list[str]:
    """``args`` without ``--user USER_ID`` (the virtual device has one user) and the valueless flags in ``bare``."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a == "--user":
            skip = True
        elif a not in bare:
            out.append(a)
    return out


def settled(handler: Handler) -> Handler:
    """The handler, then fire whatever its change made due now (as a device delivers a released alarm at once)."""
    def run(ctx: CommandContext, argv: list[str]) -> ShellResult:
        res = handler(ctx, argv)
        settle(ctx.model)
        return res
    return run
