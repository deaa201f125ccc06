"""``dumpsys alarm`` and ``cmd alarm set-time|set-timezone|get-config-version`` (AlarmManagerService)."""

from __future__ import annotations

from harness.virtual.commands.common import settled
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

HELP = """Alarm manager service (alarm) commands:
  help
    Print this help text.
  set-time TIME
    Set the system clock time to TIME where TIME is milliseconds
    since the Epoch.
  set-timezone TZ
    Set the system timezone to TZ where TZ is an Olson id.
  get-config-version
    Returns an integer denoting the version of device_config keys the service is sync'ed to. As long as this returns the same version, the values of the config are guaranteed to remain the same.
"""


def cmd_alarm(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if not args or args[0] in ("help", "-h"):
        return ShellResult.ok(HELP)
    verb, rest = args[0], args[1:]
    if verb == "set-time":
        if not rest:
            return ShellResult(stdout=b"java.lang.IllegalArgumentException: Argument expected after \"set-time\"\n",
                               status=255)
        try:
            ms = int(rest[0])
        except ValueError:
            return ShellResult(stdout=f"java.lang.NumberFormatException: For input string: \"{rest[0]}\"\n".encode(),
                               status=255)
        ctx.model.alarms.set_wall_time(ms)
        return ShellResult()
    if verb == "set-timezone":
        if not rest:
            return ShellResult(stdout=b"java.lang.IllegalArgumentException: Argument expected after \"set-timezone\"\n",
                               status=255)
        ctx.model.props["persist.sys.timezone"] = rest[0]
        ctx.model.trace("timezone", tz=rest[0])
        return ShellResult()
    if verb == "get-config-version":
        return ShellResult.ok("1\n")
    return ShellResult.error(f"Unknown command: {verb}", 255)


def dumpsys_alarm(ctx: CommandContext, argv: list[str]) -> ShellResult:
    return ShellResult.ok(ctx.model.alarms.dump())


def register(registry: CommandRegistry) -> None:
    registry.register_service("cmd", "alarm", settled(cmd_alarm))
    registry.register_service("dumpsys", "alarm", dumpsys_alarm)
