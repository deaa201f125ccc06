"""``pm`` and ``cmd package``: list packages, path, install (from a device file), uninstall.

Output formats of PackageManagerShellCommand: ``package:NAME`` lines (``-f`` adds
``APK_PATH=``, ``-U`` appends ``uid:UID``), ``Success`` / ``Failure [CODE: message]`` for
install and uninstall, ``Unknown command: X`` (status 255) for anything else. The model's
Packages subsystem holds the packages; these handlers only translate. Package details come
from the record ``Packages.installed[NAME]`` (a ``PackageInfo``): ``install_path``, ``system``, ``uid``.
"""

from __future__ import annotations

import logging
import posixpath

from harness.virtual.commands.common import without_user
from harness.virtual.model.files import FsError
from harness.virtual.model.packages import InstallFailure, PackageInfo
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

log = logging.getLogger(__name__)


def register(registry: CommandRegistry) -> None:
    registry.register("pm", pm)
    registry.register_service("cmd", "package", pm)


def _info(ctx: CommandContext, package: str) -> PackageInfo | None:
    return ctx.model.packages.installed.get(package)


def apk_path(ctx: CommandContext, package: str) -> str:
    info = _info(ctx, package)
    return (info.install_path if info is not None else "") or f"/data/app/{package}-1/base.apk"


def failure_line(failure: InstallFailure) -> str:
    return f"Failure [{failure.code}: {failure.message}]" if failure.message else f"Failure [{failure.code}]"


def install_result(ctx: CommandContext, apk: bytes) -> ShellResult:
    """Install APK bytes through the model; ``Success`` or ``Failure [...]`` like pm."""
    try:
        package = ctx.model.packages.install_apk(apk)
    except InstallFailure as failure:
        log.info("install refused: %s", failure)
        return ShellResult(stdout=(failure_line(failure) + "\n").encode(), status=1)
    except Exception as e:  # a model bug answers like PackageManager's internal error, not a dead stream
        log.exception("install_apk failed")
        line = failure_line(InstallFailure("INSTALL_FAILED_INTERNAL_ERROR", f"{type(e).__name__}: {e}"))
        return ShellResult(stdout=(line + "\n").encode(), status=1)
    log.info("installed %s (%d bytes)", package, len(apk))
    return ShellResult.ok("Success\n")


def pm(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if not args:
        return ShellResult.error("usage: pm [list|path|install|uninstall] ...", 1)
    verb, rest = args[0], args[1:]
    if verb == "list" and rest[:1] == ["packages"]:
        return _list_packages(ctx, rest[1:])
    if verb == "path" and rest:
        return _path(ctx, rest)
    if verb == "install":
        return _install(ctx, rest)
    if verb == "uninstall":
        return _uninstall(ctx, rest)
    return ShellResult.error(f"Unknown command: {verb}", 255)


def _list_packages(ctx: CommandContext, args: list[str]) -> ShellResult:
    args = without_user(args)
    flags = {a for a in args if a.startswith("-")}
    names = [a for a in args if not a.startswith("-")]
    pattern = names[0] if names else ""
    lines: list[str] = []
    for package in ctx.model.packages.list_packages():
        info = _info(ctx, package)
        system = info is not None and info.system
        if "-3" in flags and system:
            continue
        if "-s" in flags and not system:
            continue
        if pattern and pattern not in package:
            continue
        line = f"package:{apk_path(ctx, package)}={package}" if "-f" in flags else f"package:{package}"
        if "-U" in flags and info is not None:
            line += f" uid:{info.uid}"
        lines.append(line)
    return ShellResult.ok("".join(line + "\n" for line in lines))


def _path(ctx: CommandContext, args: list[str]) -> ShellResult:
    args = without_user(args)
    if not args or args[0] not in ctx.model.packages.installed:
        return ShellResult(status=1)
    return ShellResult.ok(f"package:{apk_path(ctx, args[0])}\n")


def _install(ctx: CommandContext, args: list[str]) -> ShellResult:
    args = without_user(args)
    files = [a for a in args if not a.startswith("-")]
    if not files:
        return ShellResult.error("Error: must either specify a package size or an APK file", 255)
    path = posixpath.normpath(posixpath.join(str(ctx.extra.get("cwd", "/")), files[-1]))
    try:
        apk = ctx.model.files.read(path)
    except FsError:
        return ShellResult.error(f"Error: Can't open file: {path}", 255)
    return install_result(ctx, apk)


def _uninstall(ctx: CommandContext, args: list[str]) -> ShellResult:
    args = [a for a in without_user(args) if a != "-k"]
    if not args:
        return ShellResult.error("Error: package name not specified", 255)
    try:
        ctx.model.packages.uninstall(args[0])
    except InstallFailure as failure:
        return ShellResult(stdout=(failure_line(failure) + "\n").encode(), status=1)
    return ShellResult.ok("Success\n")
