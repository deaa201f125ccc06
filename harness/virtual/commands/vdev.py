"""``vdev``: the virtual device's own command (a real device answers 127 for it).

  vdev now                         boot_count, elapsed_ms, uptime_ms, wall_ms (key=value lines)
  vdev advance DURATION            move virtual time (90s, 15m, 24h, 1500ms, 2d; a bare number is ms),
                                   firing everything due in order; prints fired=N and the clocks
  vdev advance --next              move to the next scheduled event
  vdev reset [--seed N] [--api N]  a freshly booted device
  vdev trace [--since N]           the deterministic trace, one JSON object per line (records N..)
  vdev state                       a JSON document of the device state (report lanes)
  vdev battery [--level N] [--plugged none|ac|usb|wireless]   the hardware battery and charger
  vdev swipe PKG                   remove PKG's task from Recents (the user's swipe)
  vdev lmk PKG                     the low-memory killer kills PKG's process (REASON_LOW_MEMORY)
  vdev oem swipe-force-stop on|off an OEM that force-stops on swipe (dontkillmyapp.com); default off
  vdev crash PKG                   PKG's process crashes now (ApplicationExitInfo REASON_CRASH)
  vdev crash-loop PKG on|off       test hook: every provider call finds PKG crashing (it crashes again in
                                   Application.onCreate: no provider); survives vdev reset
  vdev die-after N [WORD...]       test hook: the device vanishes as the N-th later command (starting
                                   with WORD...) starts; survives vdev reset
  vdev boot-hang [on|off]          test hook: the next reboot never completes (sys.boot_completed stays 0)
  vdev faults                      the test hooks armed
"""

from __future__ import annotations

import json
import re

from harness.virtual.faults import DeviceFaults
from harness.virtual.model import power
from harness.virtual.model.state import Plugged
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}

USAGE = __doc__.split("\n\n", 1)[1] if __doc__ else ""


def parse_duration(text: str) -> int:
    """'90s' -> 90000; several parts may follow each other: '1h30m'."""
    total = 0
    rest = text.strip()
    if not rest:
        raise ValueError("empty duration")
    for m in re.finditer(r"(\d+)(ms|s|m|h|d)?", rest):
        total += int(m.group(1)) * _UNITS[m.group(2) or "ms"]
    if re.sub(r"(\d+)(ms|s|m|h|d)?", "", rest):
        raise ValueError(f"bad duration: {text!r} (use e.g. 1500ms, 90s, 15m, 24h, 2d)")
    return total


def _clocks(ctx: CommandContext) -> str:
    c = ctx.model.clock
    return (f"boot_count={c.boot_count}\nelapsed_ms={c.elapsed_ms}\nuptime_ms={c.uptime_ms}\n"
            f"wall_ms={c.wall_ms}\n")


def device_state(ctx: CommandContext) -> dict[str, object]:
    m = ctx.model
    st = m.state
    p = power.ps(m)
    return {
        "boot_count": m.clock.boot_count,
        "elapsed_ms": m.clock.elapsed_ms,
        "uptime_ms": m.clock.uptime_ms,
        "wall_ms": m.clock.wall_ms,
        "next_timer_ms": m.clock.next_timer_at(),  # elapsed time of the next pending timer (runner's wait-until)
        "api": m.api,
        "screen_on": st.screen_on,
        "battery": {"level": st.battery_level, "plugged": Plugged(st.plugged).name.lower(),
                    "charging": st.charging, "saver": st.battery_saver,
                    "overridden": bool(st.battery_overrides)},
        "network": {"type": st.network.value if st.network_connected else "none",
                    "connected": st.network_connected, "metered": st.network_metered if st.network_connected
                    else False, "airplane_mode": st.airplane_mode, "wifi_enabled": p.wifi_enabled,
                    "data_enabled": p.data_enabled, "restrict_background": p.restrict_background},
        "storage_low": st.storage_low,
        "doze": {"deep": st.deep_idle.value, "light": st.light_idle.value, "forced": m.doze.forced,
                 "deep_enabled": m.doze.deep_enabled, "light_enabled": m.doze.light_enabled},
        "top": m.processes.top,
        "processes": [{"package": r.package, "pid": r.pid, "procstate": r.state.name,
                       "start_reason": r.start_reason} for r in m.processes.running()],
        "packages": [{"package": pkg, "stopped": m.packages.is_stopped(pkg),
                      "standby_bucket": int(m.standby.bucket(pkg)),
                      "alarms": len(m.alarms.pending(pkg))} for pkg in m.packages.list_packages()],
        "power_save_allowlist": sorted(m.standby.power_save_allowlist),
        "temp_allowlist": [pkg for pkg, _end, _r in m.standby.temp_allowlist_entries()],
    }


def vdev(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if not args or args[0] in ("help", "-h", "--help"):
        return ShellResult.ok(USAGE)
    verb, rest = args[0], args[1:]
    m = ctx.model
    if verb == "now":
        return ShellResult.ok(_clocks(ctx))
    if verb == "advance":
        if rest == ["--next"]:
            at = m.clock.next_timer_at()
            if at is None:
                return ShellResult.ok("fired=0\n" + _clocks(ctx))
            fired = m.advance(at - m.clock.elapsed_ms)
            return ShellResult.ok(f"fired={fired}\n" + _clocks(ctx))
        if len(rest) != 1:
            return ShellResult.error("usage: vdev advance DURATION|--next", 2)
        try:
            ms = parse_duration(rest[0])
        except ValueError as e:
            return ShellResult.error(f"vdev advance: {e}", 2)
        fired = m.advance(ms)
        return ShellResult.ok(f"fired={fired}\n" + _clocks(ctx))
    if verb == "reset":
        seed: int | None = None
        api: int | None = None
        i = 0
        try:
            while i < len(rest):
                if rest[i] == "--seed":
                    seed = int(rest[i + 1])
                    i += 2
                elif rest[i] == "--api":
                    api = int(rest[i + 1])
                    i += 2
                else:
                    return ShellResult.error(f"vdev reset: unknown option {rest[i]}", 2)
        except (IndexError, ValueError):
            return ShellResult.error("usage: vdev reset [--seed N] [--api N]", 2)
        if api is not None and not 26 <= api <= 36:
            return ShellResult.error(f"vdev reset: api {api} outside 26..36", 2)
        m.reset(seed=seed, api=api)
        power.init(m)
        return ShellResult.ok(_clocks(ctx))
    if verb == "trace":
        since = 0
        if rest[:1] == ["--since"] and len(rest) == 2 and rest[1].isdigit():
            since = int(rest[1])
        elif rest:
            return ShellResult.error("usage: vdev trace [--since N]", 2)
        lines = m.trace_lines()[since:]
        return ShellResult.ok("".join(line + "\n" for line in lines))
    if verb == "state":
        return ShellResult.ok(json.dumps(device_state(ctx), sort_keys=True) + "\n")
    if verb == "battery":
        level: int | None = None
        plugged: Plugged | None = None
        try:
            i = 0
            while i < len(rest):
                if rest[i] == "--level":
                    level = int(rest[i + 1])
                elif rest[i] == "--plugged":
                    plugged = {"none": Plugged.NONE, "ac": Plugged.AC, "usb": Plugged.USB,
                               "wireless": Plugged.WIRELESS}[rest[i + 1]]
                else:
                    raise ValueError(rest[i])
                i += 2
        except (IndexError, ValueError, KeyError):
            return ShellResult.error("usage: vdev battery [--level N] [--plugged none|ac|usb|wireless]", 2)
        power.set_hardware(m, level, plugged)
        return ShellResult()
    if verb in ("swipe", "lmk") and len(rest) == 1:
        pkg = rest[0]
        if not m.packages.is_installed(pkg):
            return ShellResult.error(f"vdev {verb}: unknown package {pkg}", 1)
        if verb == "swipe":
            m.processes.remove_task(pkg)
        else:
            m.processes.kill(pkg, "lmk")
        return ShellResult()
    if verb == "crash" and len(rest) == 1:
        if not m.packages.is_installed(rest[0]):
            return ShellResult.error(f"vdev crash: unknown package {rest[0]}", 1)
        if not m.processes.kill(rest[0], "crash"):
            return ShellResult.error(f"vdev crash: {rest[0]} has no process", 1)
        return ShellResult()
    if verb in ("die-after", "boot-hang", "crash-loop", "faults"):
        return _fault(ctx, verb, rest)
    if verb == "oem" and len(rest) == 2 and rest[0] == "swipe-force-stop" and rest[1] in ("on", "off"):
        m.processes.options.swipe_force_stops = rest[1] == "on"
        m.trace("oem_option", name="swipe-force-stop", on=rest[1] == "on")
        return ShellResult()
    return ShellResult.error(f"vdev: unknown command: {' '.join(args)}\n{USAGE}", 2)


def _fault(ctx: CommandContext, verb: str, rest: list[str]) -> ShellResult:
    """The device process' test hooks (harness/virtual/faults.py); only a device served over adb has them."""
    faults = ctx.extra.get("faults")
    if not isinstance(faults, DeviceFaults):
        return ShellResult.error(f"vdev {verb}: not available here (only on a device served over adb)", 1)
    if verb == "faults":
        return ShellResult.ok(faults.describe())
    if verb == "crash-loop":
        if len(rest) != 2 or rest[1] not in ("on", "off"):
            return ShellResult.error("usage: vdev crash-loop PKG on|off", 2)
        if not ctx.model.packages.is_installed(rest[0]):
            return ShellResult.error(f"vdev crash-loop: unknown package {rest[0]}", 1)
        faults.set_crash_loop(rest[0], rest[1] == "on")
        return ShellResult()
    if verb == "boot-hang":
        if rest not in ([], ["on"], ["off"]):
            return ShellResult.error("usage: vdev boot-hang [on|off]", 2)
        faults.arm_boot_hang(rest != ["off"])
        return ShellResult()
    if not rest or not rest[0].isdigit() or int(rest[0]) < 1:
        return ShellResult.error("usage: vdev die-after N [WORD...]  (N >= 1)", 2)
    return ShellResult.ok(faults.arm_death(int(rest[0]), rest[1:]) + "\n")


def register(registry: CommandRegistry) -> None:
    registry.register("vdev", vdev)
