"""Streamed package install: ``abb_exec:package\\0install\\0-S\\0SIZE`` and ``exec:cmd package install -S SIZE``.

The client sends exactly SIZE bytes of APK after opening the stream; the device answers like
``pm``: ``Success`` or ``Failure [CODE: message]`` (status 1). Source: AOSP
PackageManagerShellCommand (runInstall, doWriteSplit with ``-S``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from harness.virtual.adb.service import ServiceContext
from harness.virtual.adb.stream import AdbStream
from harness.virtual.commands.pm import install_result
from harness.virtual.shell.registry import ShellResult

log = logging.getLogger(__name__)

MAX_APK_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class InstallRequest:
    size: int
    options: tuple[str, ...]


def parse_streamed_install(argv: list[str]) -> InstallRequest | None:
    """Recognise ``[cmd] package install ... -S SIZE`` (also ``pm install -S SIZE``)."""
    if argv[:2] == ["cmd", "package"]:
        rest = argv[2:]
    elif argv[:1] in (["package"], ["pm"]):
        rest = argv[1:]
    else:
        return None
    if not rest or rest[0] != "install" or "-S" not in rest:
        return None
    idx = rest.index("-S")
    try:
        size = int(rest[idx + 1])
    except (IndexError, ValueError):
        return None
    if size < 0 or size > MAX_APK_BYTES:
        return None
    options = tuple(a for i, a in enumerate(rest[1:], start=1) if i not in (idx, idx + 1))
    return InstallRequest(size, options)


def install_bytes(ctx: ServiceContext, apk: bytes, options: tuple[str, ...] = ()) -> ShellResult:
    return install_result(ctx.command_context(), apk)


async def streamed_install(stream: AdbStream, ctx: ServiceContext, request: InstallRequest) -> ShellResult:
    apk = await stream.read_exact(request.size) if request.size else b""
    return install_bytes(ctx, apk, request.options)
