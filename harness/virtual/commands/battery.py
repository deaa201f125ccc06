"""``cmd battery ...``, ``dumpsys battery [set|unplug|reset]`` (BatteryService)."""

from __future__ import annotations

from harness.virtual.model import power
from harness.virtual.model.state import Plugged
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

SET_KEYS = ("ac", "usb", "wireless", "dock", "status", "level", "temp", "present", "counter", "invalid")
HELP = """Battery service (battery) commands:
  help
    Print this help text.
  get [-f] [ac|usb|wireless|dock|status|level|temp|present|counter|invalid]
  set [-f] [ac|usb|wireless|dock|status|level|temp|present|counter|invalid] <value>
    Force a battery property value, freezing battery state.
    -f: force a battery change broadcast be sent, prints new sequence.
  unplug [-f]
    Force battery unplugged, freezing battery state.
    -f: force a battery change broadcast be sent, prints new sequence.
  reset [-f]
    Unfreeze battery state, returning to current hardware values.
    -f: force a battery change broadcast be sent, prints new sequence.
"""

BATTERY_STATUS_CHARGING = 2
BATTERY_STATUS_DISCHARGING = 3
BATTERY_STATUS_FULL = 5


def status_code(ctx: CommandContext) -> int:
    st = ctx.model.state
    if "status" in st.battery_overrides:
        return st.battery_overrides["status"]
    if st.charging:
        return BATTERY_STATUS_FULL if st.battery_level >= 100 else BATTERY_STATUS_CHARGING
    return BATTERY_STATUS_DISCHARGING


def dump(ctx: CommandContext) -> str:
    st = ctx.model.state
    p = power.ps(ctx.model)
    lines = ["Current Battery Service state:"]
    if p.updates_stopped:
        lines.append("  (UPDATES STOPPED -- use 'reset' to restart)")
    lines += [f"  AC powered: {str(st.plugged == Plugged.AC).lower()}",
              f"  USB powered: {str(st.plugged == Plugged.USB).lower()}",
              f"  Wireless powered: {str(st.plugged == Plugged.WIRELESS).lower()}",
              "  Dock powered: false",
              f"  Max charging current: {500000 if st.charging else 0}",
              f"  Max charging voltage: {5000000 if st.charging else 0}",
              f"  Charge counter: {st.battery_level * 40000}",
              f"  status: {status_code(ctx)}",
              "  health: 2",
              f"  present: {'false' if st.battery_overrides.get('present', 1) == 0 else 'true'}",
              f"  level: {st.battery_level}",
              "  scale: 100",
              "  voltage: 3900",
              f"  temperature: {st.battery_overrides.get('temp', 250)}",
              "  technology: Li-ion"]
    return "\n".join(lines) + "\n"


def battery(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = [a for a in argv[1:] if a != "-f"]
    m = ctx.model
    if not args or args[0] in ("help", "-h"):
        return ShellResult.ok(HELP)
    verb, rest = args[0], args[1:]
    if verb == "set":
        if len(rest) != 2:
            return ShellResult.ok("No property specified\n" if not rest else "No value specified\n")
        key, value = rest
        if key not in SET_KEYS:
            return ShellResult(stdout=f"Unknown set option: {key}\n".encode(), status=255)
        try:
            v = int(value)
        except ValueError:
            return ShellResult(stdout=f"Bad value: {value}\n".encode(), status=255)
        if key == "level" and not 0 <= v <= 100:
            return ShellResult(stdout=f"Bad value: {value}\n".encode(), status=255)
        power.set_battery_override(m, key, v)
        return ShellResult()
    if verb == "unplug":
        power.unplug(m)
        return ShellResult()
    if verb == "reset":
        power.reset_battery(m)
        return ShellResult()
    if verb == "get" and len(rest) == 1:
        st = m.state
        val = {"ac": st.plugged == Plugged.AC, "usb": st.plugged == Plugged.USB,
               "wireless": st.plugged == Plugged.WIRELESS, "dock": False, "status": status_code(ctx),
               "level": st.battery_level, "temp": st.battery_overrides.get("temp", 250), "present": True,
               "counter": st.battery_level * 40000, "invalid": 0}.get(rest[0])
        if val is None:
            return ShellResult(stdout=f"Unknown get option: {rest[0]}\n".encode(), status=255)
        return ShellResult.ok((str(val).lower() if isinstance(val, bool) else str(val)) + "\n")
    return ShellResult.error(f"Unknown command: {verb}", 255)


def dumpsys_battery(ctx: CommandContext, argv: list[str]) -> ShellResult:
    if len(argv) > 1:
        return battery(ctx, argv)
    return ShellResult.ok(dump(ctx))


def register(registry: CommandRegistry) -> None:
    registry.register_service("cmd", "battery", battery)
    registry.register_service("dumpsys", "battery", dumpsys_battery)
