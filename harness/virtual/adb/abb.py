"""``abb_exec:`` and ``abb:`` (Android Binder Bridge): ``cmd`` without a shell, argv split by NUL.

``abb_exec:SERVICE\\0ARG...`` answers raw output (like ``exec:``); ``abb:`` frames output in
shell-protocol packets with an exit status. ``package install -S SIZE`` streams the APK; any
other command goes to the registry's ``cmd SERVICE`` (falling back to ``pm`` for ``package``
when no ``cmd package`` service is registered).
"""

from __future__ import annotations

import logging

from harness.virtual.adb.install import parse_streamed_install, streamed_install
from harness.virtual.adb.service import ServiceContext
from harness.virtual.adb.shell import StreamSink
from harness.virtual.adb.stream import AdbStream
from harness.virtual.shell.registry import ShellResult

log = logging.getLogger(__name__)


def _dispatch(ctx: ServiceContext, argv: list[str]) -> ShellResult:
    registry = ctx.registry
    if not argv or not argv[0]:
        return ShellResult.error("abb: no service given", 1)
    if argv[0] == "package" and registry.service("cmd", "package") is None and registry.lookup("pm"):
        full = ["pm", *argv[1:]]
    else:
        full = ["cmd", *argv]
    try:
        return registry.dispatch(ctx.command_context(), full)
    except Exception as e:  # a handler bug must not take the device down
        log.exception("abb %r failed", argv)
        return ShellResult.error(f"{argv[0]}: internal error: {type(e).__name__}: {e}", 1)


async def serve_abb(stream: AdbStream, ctx: ServiceContext, arg: str, *, framed: bool) -> None:
    argv = arg.split("\0")
    while argv and argv[-1] == "":
        argv.pop()
    install = parse_streamed_install(argv)
    if install is not None:
        result = await streamed_install(stream, ctx, install)
    else:
        result = _dispatch(ctx, argv)
    sink = StreamSink(stream, v2=framed)
    await sink.stdout(result.stdout)
    await sink.stderr(result.stderr)
    await sink.exit(result.status)


async def serve_abb_exec(stream: AdbStream, ctx: ServiceContext, arg: str) -> None:
    await serve_abb(stream, ctx, arg, framed=False)


async def serve_abb_framed(stream: AdbStream, ctx: ServiceContext, arg: str) -> None:
    await serve_abb(stream, ctx, arg, framed=True)
