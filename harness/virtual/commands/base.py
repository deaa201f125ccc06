"""Basic device commands: echo, true, false, getprop, setprop, settings, id, whoami, sleep, date, log, reboot.

File utilities (ls, cat, rm, mkdir, touch, stat), ``pm``/``cmd package`` and ``logcat`` live in
their own modules and are registered from here. ``exit``, ``cd``, ``export``, ``unset`` and
``pwd`` are shell builtins (harness/virtual/shell/interpreter.py).

Output formats follow Android: ``getprop`` lists ``[key]: [value]``; ``settings get`` answers
``null`` for an unset key; ``settings delete`` answers ``Deleted N rows``; toybox ``id``.
"""

from __future__ import annotations

import datetime as dt

from harness.virtual.commands import fileutils, logcat, pm
from harness.virtual.shell.registry import CommandContext, CommandRegistry, Effect, ShellResult

SETTINGS_NAMESPACES = ("global", "secure", "system")
SHELL_GROUPS = ("2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),"
                "1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),"
                "3011(uhid),3012(readtracefs)")


def register(registry: CommandRegistry) -> None:
    registry.register("echo", echo)
    registry.register("true", lambda ctx, argv: ShellResult())
    registry.register("false", lambda ctx, argv: ShellResult(status=1))
    registry.register("getprop", getprop)
    registry.register("setprop", setprop)
    registry.register("settings", settings)
    registry.register("id", id_)
    registry.register("whoami", whoami)
    registry.register("sleep", sleep)
    registry.register("date", date)
    registry.register("reboot", reboot)
    registry.register("log", log_)
    fileutils.register(registry)
    pm.register(registry)
    logcat.register(registry)


def echo(ctx: CommandContext, argv: list[str]) -> ShellResult:
    """toybox echo: -n (no newline), -e (backslash escapes), -E."""
    args = argv[1:]
    newline, escapes = True, False
    while args and len(args[0]) > 1 and args[0][0] == "-" and set(args[0][1:]) <= set("neE"):
        for flag in args[0][1:]:
            if flag == "n":
                newline = False
            elif flag == "e":
                escapes = True
            else:
                escapes = False
        args = args[1:]
    text = " ".join(args)
    if escapes:
        if "\\c" in text:
            text, newline = text.split("\\c", 1)[0], False
        text = text.encode("latin-1", errors="backslashreplace").decode("unicode_escape")
    return ShellResult(stdout=(text + ("\n" if newline else "")).encode())


def getprop(ctx: CommandContext, argv: list[str]) -> ShellResult:
    props = ctx.model.props
    if len(argv) == 1:
        return ShellResult.ok("".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())))
    default = argv[2] if len(argv) > 2 else ""
    return ShellResult.ok(props.get(argv[1], default) + "\n")


def setprop(ctx: CommandContext, argv: list[str]) -> ShellResult:
    if len(argv) != 3:
        return ShellResult.error("usage: setprop NAME VALUE\n\nSets an Android system property.", 1)
    name, value = argv[1], argv[2]
    props = ctx.model.props
    if name.startswith("ro.") and name in props:
        # read-only properties can be set once (init does it at boot)
        return ShellResult.error(f"Failed to set property '{name}' to '{value}'.\nSee dmesg for error reason.", 1)
    if ctx.uid != 0 and name.startswith(("sys.", "ro.", "ctl.")):
        return ShellResult.error(f"Failed to set property '{name}' to '{value}'.\nSee dmesg for error reason.", 1)
    props[name] = value
    ctx.model.trace("setprop", name=name, value=value)
    return ShellResult()


SETTINGS_USAGE = """Settings provider (settings) commands:
  help
      Print this help text.
  get [--user <USER_ID> | current] NAMESPACE KEY
      Retrieve the current value of KEY.
  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]
      Change the contents of KEY to VALUE.
  delete [--user <USER_ID> | current] NAMESPACE KEY
      Delete the entry for KEY.
  reset [--user <USER_ID> | current] NAMESPACE {PACKAGE_NAME | RESET_MODE}
      Reset the global/secure table for a package with mode.
  list [--user <USER_ID> | current] NAMESPACE
      Print all defined keys.
      NAMESPACE is one of {system, secure, global}, case-insensitive
"""


def settings(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if not args or args[0] in ("help", "-h"):
        return ShellResult.ok(SETTINGS_USAGE)
    verb, rest = args[0], args[1:]
    while rest and rest[0] in ("--user", "--lineage"):
        rest = rest[2:] if rest[0] == "--user" else rest[1:]
    if not rest:
        return ShellResult(stderr=SETTINGS_USAGE.encode(), status=255)
    namespace = rest[0].lower()
    if namespace not in SETTINGS_NAMESPACES:
        return ShellResult(stderr=(f"Invalid namespace '{rest[0]}'\n" + SETTINGS_USAGE).encode(), status=255)
    table = ctx.model.settings.setdefault(namespace, {})
    keys = rest[1:]
    if verb == "get" and len(keys) == 1:
        return ShellResult.ok(table.get(keys[0], "null") + "\n")
    if verb == "put" and len(keys) >= 2:
        key, value = keys[0], keys[1]
        table[key] = value
        ctx.model.trace("settings_put", namespace=namespace, key=key, value=value)
        ctx.model.state_changed()
        return ShellResult()
    if verb == "delete" and len(keys) == 1:
        existed = table.pop(keys[0], None) is not None
        if existed:
            ctx.model.trace("settings_delete", namespace=namespace, key=keys[0])
            ctx.model.state_changed()
        return ShellResult.ok(f"Deleted {1 if existed else 0} rows\n")
    if verb == "list" and not keys:
        return ShellResult.ok("".join(f"{k}={v}\n" for k, v in sorted(table.items())))
    return ShellResult(stderr=SETTINGS_USAGE.encode(), status=255)


def id_(ctx: CommandContext, argv: list[str]) -> ShellResult:
    if ctx.uid == 0:
        return ShellResult.ok("uid=0(root) gid=0(root) groups=0(root),1004(input),1007(log),1011(adb),1015(sdcard_rw),"
                              "1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),"
                              "3009(readproc),3011(uhid) context=u:r:su:s0\n")
    if "-u" in argv[1:]:
        return ShellResult.ok("2000\n")
    return ShellResult.ok(f"uid=2000(shell) gid=2000(shell) groups={SHELL_GROUPS} context=u:r:shell:s0\n")


def whoami(ctx: CommandContext, argv: list[str]) -> ShellResult:
    return ShellResult.ok("root\n" if ctx.uid == 0 else "shell\n")


def sleep(ctx: CommandContext, argv: list[str]) -> ShellResult:
    """Validates its argument and returns at once: device time only moves with ``vdev advance``,
    and a blocking sleep would stall the device's event loop."""
    if len(argv) < 2:
        return ShellResult.error("sleep: Needs 1 argument", 1)
    for arg in argv[1:]:
        text = arg[:-1] if arg and arg[-1] in "smhd" else arg
        try:
            float(text)
        except ValueError:
            return ShellResult.error(f"sleep: bad '{arg}'", 1)
    return ShellResult()


def date(ctx: CommandContext, argv: list[str]) -> ShellResult:
    """``date`` (toybox default format, UTC) and ``date +FORMAT`` (strftime, with %s)."""
    now = dt.datetime.fromtimestamp(ctx.model.clock.wall_ms / 1000, tz=dt.timezone.utc)
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), None)
    if fmt is None:
        return ShellResult.ok(now.strftime("%a %b %e %H:%M:%S UTC %Y") + "\n")
    fmt = fmt.replace("%s", str(ctx.model.clock.wall_ms // 1000)).replace("%N", f"{(ctx.model.clock.wall_ms % 1000) * 1_000_000:09d}")
    return ShellResult.ok(now.strftime(fmt) + "\n")


def reboot(ctx: CommandContext, argv: list[str]) -> ShellResult:
    """The transport sends the output, closes the stream, then reboots the device.

    The shell user may reboot (adbd's shell is in the group that may), as on a real device."""
    return ShellResult(effect=Effect.REBOOT)


SHELL_LOG_PID = 4242  # the pid logcat shows for lines written by `log` from adb shell


def log_(ctx: CommandContext, argv: list[str]) -> ShellResult:
    """toybox ``log [-p PRIORITY] [-t TAG] MESSAGE...``: append one line to logcat (default I/log)."""
    args = argv[1:]
    priority, tag = "I", "log"
    while len(args) >= 2 and args[0] in ("-p", "-t"):
        if args[0] == "-p":
            priority = args[1]
        else:
            tag = args[1]
        args = args[2:]
    try:
        ctx.model.logcat.append(priority.upper()[:1], tag, " ".join(args), pid=SHELL_LOG_PID)
    except ValueError:
        return ShellResult.error(f"log: bad -p '{priority}'", 1)
    return ShellResult()
