"""``pm grant|revoke`` and ``dumpsys package PKG`` on top of the transport's ``pm`` (list/path/install).

Registered after ``base``: the ``pm`` / ``cmd package`` handlers installed there keep serving every
other verb; this module only adds the permission verbs and the package dump.
"""

from __future__ import annotations

import datetime as _dt

from harness.virtual.commands.common import without_user
from harness.virtual.model.packages import PermissionError_
from harness.virtual.shell.registry import CommandContext, CommandRegistry, Handler, ShellResult


def _exc(verb: str, text: str) -> ShellResult:
    return ShellResult(stderr=(f"Exception occurred while executing '{verb}':\n{text}\n").encode(), status=255)


def make_pm(previous: Handler | None) -> Handler:
    def pm(ctx: CommandContext, argv: list[str]) -> ShellResult:
        clean = without_user(argv[1:])
        if clean and clean[0] in ("grant", "revoke"):
            verb = clean[0]
            if len(clean) != 3:
                return _exc(verb, "java.lang.IllegalArgumentException: Expected package name and permission")
            pkg, perm = clean[1], clean[2]
            pk = ctx.model.packages
            if not pk.is_installed(pkg):
                return _exc(verb, f"java.lang.IllegalArgumentException: Unknown package: {pkg}")
            try:
                if verb == "grant":
                    pk.grant(pkg, perm)
                else:
                    pk.revoke(pkg, perm)
            except PermissionError_ as e:
                return _exc(verb, f"java.lang.SecurityException: {e}")
            return ShellResult()
        if previous is None:
            return ShellResult.error(f"Unknown command: {clean[0] if clean else ''}", 255)
        return previous(ctx, argv)

    return pm


def _ts(wall_ms: int) -> str:
    return _dt.datetime.fromtimestamp(wall_ms / 1000, tz=_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def dumpsys_package(ctx: CommandContext, argv: list[str]) -> ShellResult:
    names = [a for a in argv[1:] if not a.startswith("-")]
    pk = ctx.model.packages
    if not names:
        return ShellResult.ok("".join(f"Package [{p}]\n" for p in pk.list_packages()))
    pkg = names[0]
    if not pk.is_installed(pkg):
        return ShellResult.ok(f"Unable to find package: {pkg}\n")
    info = pk.info(pkg)
    lines = ["Packages:", f"  Package [{pkg}] ({info.uid:x}):", f"    userId={info.uid}",
             f"    pkg=Package{{{info.uid:x} {pkg}}}", f"    codePath={info.install_path.rsplit('/', 1)[0]}",
             f"    versionCode={info.version_code} minSdk={info.min_sdk} targetSdk={info.target_sdk}",
             f"    versionName={info.version_name}", f"    firstInstallTime={_ts(info.first_install_wall_ms)}",
             f"    lastUpdateTime={_ts(info.last_update_wall_ms)}",
             "    requested permissions:"]
    lines += [f"      {p}" for p in info.requested_permissions]
    lines.append("    install permissions:")
    lines += [f"      {p}: granted=true" for p in sorted(info.granted)
              if p not in ("android.permission.POST_NOTIFICATIONS",)]
    lines.append(f"    User 0: ceDataInode=0 installed=true hidden=false suspended=false distractionFlags=0"
                 f" stopped={str(info.stopped).lower()} notLaunched={str(info.stopped).lower()} enabled=0"
                 f" instant=false virtual=false")
    runtime = [p for p in info.requested_permissions if p == "android.permission.POST_NOTIFICATIONS"]
    if runtime:
        lines.append("      runtime permissions:")
        lines += [f"        {p}: granted={str(p in info.granted).lower()}" for p in runtime]
    return ShellResult.ok("\n".join(lines) + "\n")


def register(registry: CommandRegistry) -> None:
    registry.register("pm", make_pm(registry.lookup("pm")))
    registry.register_service("cmd", "package", make_pm(registry.service("cmd", "package")))
    registry.register_service("dumpsys", "package", dumpsys_package)
