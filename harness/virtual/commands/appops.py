"""``appops`` / ``cmd appops``: get, set and reset app-op modes (SCHEDULE_EXACT_ALARM, RUN_ANY_IN_BACKGROUND...)."""

from __future__ import annotations

from harness.virtual.commands.common import settled, without_user
from harness.virtual.model.packages import AppOpMode
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

KNOWN_OPS = ("SCHEDULE_EXACT_ALARM", "RUN_ANY_IN_BACKGROUND", "RUN_IN_BACKGROUND", "WAKE_LOCK",
             "POST_NOTIFICATION", "START_FOREGROUND", "SYSTEM_EXEMPT_FROM_POWER_RESTRICTIONS")
MODES = {"allow": AppOpMode.ALLOW, "ignore": AppOpMode.IGNORE, "deny": AppOpMode.ERRORED,
         "default": AppOpMode.DEFAULT, "foreground": AppOpMode.FOREGROUND,
         "0": AppOpMode.ALLOW, "1": AppOpMode.IGNORE, "2": AppOpMode.ERRORED, "3": AppOpMode.DEFAULT,
         "4": AppOpMode.FOREGROUND}


def _op(name: str) -> str | None:
    up = name.upper()
    if up.startswith("ANDROID:"):
        up = up[8:]
    return up if up in KNOWN_OPS else None


def appops(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = without_user(argv[1:], bare=("--uid",))
    pk = ctx.model.packages
    if not args:
        return ShellResult.ok("AppOps service (appops) commands:\n  help\n  start\n  stop\n  set\n  get\n"
                              "  query-op\n  reset\n  write-settings\n  read-settings\n")
    verb, rest = args[0], args[1:]
    if verb in ("set", "get", "reset") and rest and not pk.is_installed(rest[0]):
        return ShellResult(stderr=f"Error: Unknown package: {rest[0]}\n".encode(), status=255)
    if verb == "set":
        if len(rest) != 3:
            return ShellResult(stderr=b"Error: Mode not specified.\n", status=255)
        pkg, opname, modename = rest
        op = _op(opname)
        if op is None:
            return ShellResult(stderr=f"Error: Unknown operation string: {opname}\n".encode(), status=255)
        mode = MODES.get(modename.lower())
        if mode is None:
            return ShellResult(stderr=f"Error: Mode {modename} is not valid\n".encode(), status=255)
        pk.set_appop(pkg, op, mode)
        return ShellResult()
    if verb == "get":
        if not rest:
            return ShellResult(stderr=b"Error: No package specified.\n", status=255)
        pkg = rest[0]
        ops = [_op(rest[1])] if len(rest) > 1 else list(KNOWN_OPS)
        if ops == [None]:
            return ShellResult(stderr=f"Error: Unknown operation string: {rest[1]}\n".encode(), status=255)
        info = pk.info(pkg)
        lines = []
        for op in ops:
            assert op is not None
            mode = pk.appop(pkg, op)
            if op == "SCHEDULE_EXACT_ALARM" and "android.permission.SCHEDULE_EXACT_ALARM" not in \
                    info.requested_permissions and mode == AppOpMode.DEFAULT:
                continue
            if op != "SCHEDULE_EXACT_ALARM" and mode == AppOpMode.DEFAULT and len(ops) > 1:
                continue
            shown = mode.value
            if op == "SCHEDULE_EXACT_ALARM" and mode == AppOpMode.DEFAULT:
                shown = "default"
            elif mode == AppOpMode.DEFAULT:
                shown = "allow"
            lines.append(f"{op}: {shown}")
        if not lines:
            return ShellResult.ok("No operations.\n")
        return ShellResult.ok("\n".join(lines) + "\n")
    if verb == "reset":
        pkg = rest[0] if rest else None
        for name in ([pkg] if pkg else pk.list_packages()):
            for op in list(pk.info(name).appops):
                pk.set_appop(name, op, AppOpMode.DEFAULT)
        return ShellResult()
    return ShellResult(stderr=f"Error: Unknown command: {verb}\n".encode(), status=255)


def register(registry: CommandRegistry) -> None:
    registry.register("appops", settled(appops))
    registry.register_service("cmd", "appops", settled(appops))
