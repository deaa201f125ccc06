"""``input keyevent`` (POWER, WAKEUP, SLEEP, HOME, BACK, APP_SWITCH); taps and swipes are accepted no-ops."""

from __future__ import annotations

from harness.virtual.model import power
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

KEYCODES = {"KEYCODE_HOME": 3, "KEYCODE_BACK": 4, "KEYCODE_POWER": 26, "KEYCODE_MENU": 82,
            "KEYCODE_APP_SWITCH": 187, "KEYCODE_SLEEP": 223, "KEYCODE_WAKEUP": 224}


def keyevent(ctx: CommandContext, code: int) -> None:
    m = ctx.model
    if code == 26:
        power.set_screen(m, not m.state.screen_on, reason="power_key")
    elif code == 224:
        power.set_screen(m, True, reason="wakeup_key")
    elif code == 223:
        power.set_screen(m, False, reason="sleep_key")
    elif code == 3:
        m.processes.go_home()
    elif code == 4:
        # BACK on the root activity finishes it (API 31+ moves the task back instead): the app leaves the top.
        m.processes.go_home()


def input_(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if args and args[0] in ("keyboard", "touchscreen", "touchpad", "dpad", "mouse", "gamepad"):
        args = args[1:]
    if not args:
        return ShellResult.error("Usage: input [<source>] <command> [<arg>...]", 1)
    if args[0] == "keyevent":
        codes = [a for a in args[1:] if a not in ("--longpress", "--doubletap")]
        if not codes:
            return ShellResult.error("Error: keyevent requires a key code", 1)
        for c in codes:
            if c.isdigit():
                code = int(c)
            elif c.upper() in KEYCODES or ("KEYCODE_" + c.upper()) in KEYCODES:
                code = KEYCODES.get(c.upper(), KEYCODES.get("KEYCODE_" + c.upper(), 0))
            else:
                return ShellResult.error(f"Error: Unknown keycode: {c}", 1)
            keyevent(ctx, code)
        return ShellResult()
    if args[0] in ("tap", "swipe", "text", "draganddrop", "roll", "press", "motionevent"):
        return ShellResult()
    return ShellResult.error(f"Error: Unknown command: {args[0]}", 1)


def register(registry: CommandRegistry) -> None:
    registry.register("input", input_)
