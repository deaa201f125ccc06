"""``cmd deviceidle ...`` and ``dumpsys deviceidle [...]`` (DeviceIdleController shell and dump)."""

from __future__ import annotations

from harness.virtual.commands.common import settled
from harness.virtual.model import doze as dz
from harness.virtual.model.doze import DozeError
from harness.virtual.model.standby import TEMP_ALLOWLIST_DEFAULT_MS
from harness.virtual.model.timeutils import format_duration, format_relative
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

HELP = """Device idle controller (deviceidle) commands:
  help
    Print this help text.
  step [light|deep]
    Immediately step to next state, without waiting for alarm.
  force-idle [light|deep]
    Force directly into idle mode, regardless of other device state.
  force-inactive
    Force to be inactive, ready to freely step idle states.
  unforce
    Resume normal functioning after force-idle or force-inactive.
  get [light|deep|force|screen|charging|network]
    Retrieve the current given state.
  disable [light|deep|all]
    Completely disable device idle mode.
  enable [light|deep|all]
    Re-enable device idle mode after it had previously been disabled.
  enabled [light|deep|all]
    Print 1 if device idle mode is currently enabled, else 0.
  whitelist
    Print currently whitelisted apps.
  whitelist [package ...]
    Add (prefix with +) or remove (prefix with -) packages.
  tempwhitelist
    Print packages that are temporarily whitelisted.
  tempwhitelist [-u USER] [-d DURATION] [-r] [package]
    Temporarily place package in whitelist for DURATION milliseconds.
    If no DURATION is specified, 10 seconds is used
    If [-r] option is used, then the package is removed from temp whitelist and any [-d] is ignored
  motion
    Simulate a motion event to bring the device out of deep doze
"""

CONSTANTS = (
    ("flex_time_short", dz.FLEX_TIME_SHORT_MS), ("light_after_inactive_to", dz.LIGHT_IDLE_AFTER_INACTIVE_TIMEOUT_MS),
    ("light_pre_idle_to", dz.LIGHT_PRE_IDLE_TIMEOUT_MS), ("light_idle_to", dz.LIGHT_IDLE_TIMEOUT_MS),
    ("light_idle_to_initial_flex", dz.LIGHT_IDLE_TIMEOUT_INITIAL_FLEX_MS),
    ("light_max_idle_to_flex", dz.LIGHT_MAX_IDLE_TIMEOUT_FLEX_MS), ("light_max_idle_to", dz.LIGHT_MAX_IDLE_TIMEOUT_MS),
    ("light_idle_maintenance_min_budget", dz.LIGHT_IDLE_MAINTENANCE_MIN_BUDGET_MS),
    ("light_idle_maintenance_max_budget", dz.LIGHT_IDLE_MAINTENANCE_MAX_BUDGET_MS),
    ("min_light_maintenance_time", dz.MIN_LIGHT_MAINTENANCE_TIME_MS),
    ("min_deep_maintenance_time", dz.MIN_DEEP_MAINTENANCE_TIME_MS), ("inactive_to", dz.INACTIVE_TIMEOUT_MS),
    ("sensing_to", dz.SENSING_TIMEOUT_MS), ("locating_to", dz.LOCATING_TIMEOUT_MS),
    ("idle_after_inactive_to", dz.IDLE_AFTER_INACTIVE_TIMEOUT_MS), ("idle_pending_to", dz.IDLE_PENDING_TIMEOUT_MS),
    ("max_idle_pending_to", dz.MAX_IDLE_PENDING_TIMEOUT_MS), ("idle_to", dz.IDLE_TIMEOUT_MS),
    ("max_idle_to", dz.MAX_IDLE_TIMEOUT_MS), ("min_time_to_alarm", dz.MIN_TIME_TO_ALARM_MS),
)


def _b(v: bool) -> str:
    return "true" if v else "false"


def deviceidle(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    m = ctx.model
    d = m.doze
    if not args or args[0] in ("help", "-h"):
        return ShellResult.ok(HELP)
    cmd, rest = args[0], args[1:]
    arg = rest[0] if rest else None
    try:
        if cmd == "step":
            if arg not in (None, "deep", "light"):
                return ShellResult.ok(f"Unknown idle mode: {arg}\n")
            return ShellResult.ok(d.step(arg or "deep") + "\n")
        if cmd == "force-idle":
            if arg not in (None, "deep", "light"):
                return ShellResult.ok(f"Unknown idle mode: {arg}\n")
            return ShellResult.ok(d.force_idle(arg or "deep") + "\n")
    except DozeError as e:
        return ShellResult(stdout=(str(e) + "\n").encode(), status=255)
    if cmd in ("force-inactive", "unforce", "motion"):
        if cmd == "force-inactive":
            d.force_inactive()
        elif cmd == "unforce":
            d.unforce()
        else:
            d.motion()
        return ShellResult.ok(f"Light state: {d.light_state.value}, deep state: {d.state.value}\n")
    if cmd == "get":
        if arg is None:
            return ShellResult.ok("Argument required\n")
        val = {"light": d.light_state.value, "deep": d.state.value, "force": _b(d.forced), "quick": "false",
               "screen": _b(d.screen_on), "charging": _b(d.charging), "network": _b(d.network_connected)}.get(arg)
        return ShellResult.ok((val if val is not None else f"Unknown get option: {arg}") + "\n")
    if cmd in ("disable", "enable"):
        which = arg or "all"
        if which not in ("deep", "light", "all"):
            return ShellResult.ok(f"Unknown idle mode: {arg}\n")
        lines = d.set_enabled(which, cmd == "enable")
        return ShellResult.ok("".join(line + "\n" for line in lines))
    if cmd == "enabled":
        which = arg or "all"
        val = {"all": d.deep_enabled and d.light_enabled, "deep": d.deep_enabled, "light": d.light_enabled}.get(which)
        return ShellResult.ok(("1" if val else "0") + "\n" if val is not None else f"Unknown idle mode: {arg}\n")
    if cmd == "whitelist":
        if not rest:
            out = "".join(f"user,{p},{m.packages.uid_of(p)}\n" for p in sorted(m.standby.power_save_allowlist))
            return ShellResult.ok(out)
        out = ""
        for a in rest:
            if not a or a[0] not in "+-=":
                return ShellResult(stdout=(out + f"Package must be prefixed with +, -, or =: {a}\n").encode(),
                                   status=255)
            pkg = a[1:]
            if a[0] == "+":
                out += f"Added: {pkg}\n" if m.standby.add_power_save_allowlist(pkg) else f"Unknown package: {pkg}\n"
            elif a[0] == "-":
                if m.standby.remove_power_save_allowlist(pkg):
                    out += f"Removed: {pkg}\n"
            else:
                out += _b(m.standby.is_power_save_allowlisted(pkg)) + "\n"
        return ShellResult.ok(out)
    if cmd == "tempwhitelist":
        duration = TEMP_ALLOWLIST_DEFAULT_MS
        remove = False
        pkg: str | None = None
        i = 0
        while i < len(rest):
            if rest[i] == "-u":
                i += 2
            elif rest[i] == "-d":
                if i + 1 >= len(rest):
                    return ShellResult(stdout=b"-d requires a duration\n", status=255)
                try:
                    duration = int(rest[i + 1])
                except ValueError:
                    return ShellResult(stdout=f"Failed: java.lang.NumberFormatException: For input string: "
                                              f"\"{rest[i + 1]}\"\n".encode(), status=255)
                i += 2
            elif rest[i] == "-r":
                remove = True
                i += 1
            else:
                pkg = rest[i]
                i += 1
        if pkg is None:
            if remove:
                return ShellResult(stdout=b"[-r] requires a package name\n", status=255)
            now = m.clock.elapsed_ms
            out = "".join(f"UID={m.packages.uid_of(p)}: {format_relative(end, now)} - {reason}\n"
                          for p, end, reason in m.standby.temp_allowlist_entries())
            return ShellResult.ok(out)
        if not m.packages.is_installed(pkg):
            return ShellResult(stdout=f"Failed: java.lang.IllegalArgumentException: Unknown package: {pkg}\n"
                               .encode(), status=255)
        if remove:
            m.standby.remove_temp_allowlist(pkg)
        else:
            m.standby.temp_allowlist(pkg, duration, reason="shell")
        return ShellResult()
    return ShellResult.error(f"Unknown command: {cmd}", 255)


def dump(ctx: CommandContext) -> str:
    m = ctx.model
    d = m.doze
    now = m.clock.elapsed_ms
    lines = ["  Settings:"]
    lines += [f"    {k}={format_duration(v)}" for k, v in CONSTANTS]
    lines += ["    light_idle_factor=2.0", "    idle_pending_factor=2.0", "    idle_factor=2.0",
              "    wait_for_unlock=true", "    use_window_alarms=true"]
    if d.events:
        lines.append("  Idling history:")
        for label, at, reason in d.events:
            lines.append(f"    {label:>11}: {format_relative(at, now)}" + (f" ({reason})" if reason else ""))
    if m.standby.power_save_allowlist:
        lines.append("  Whitelist user apps:")
        lines += [f"    {p}" for p in sorted(m.standby.power_save_allowlist)]
        lines.append("  Whitelist user app ids:")
        lines += [f"    {m.packages.uid_of(p)}" for p in sorted(m.standby.power_save_allowlist)]
    temp = m.standby.temp_allowlist_entries()
    if temp:
        lines.append("  Temp whitelist schedule:")
        lines += [f"    UID={m.packages.uid_of(p)}: {format_relative(end, now)} - {reason}" for p, end, reason in temp]
        lines.append("  Temp whitelist app ids:")
        lines += [f"    {m.packages.uid_of(p)}" for p, _e, _r in temp]
    lines.append(f"  mLightEnabled={_b(d.light_enabled)}  mDeepEnabled={_b(d.deep_enabled)}")
    lines.append(f"  mForceIdle={_b(d.forced)}")
    lines.append("  mUseMotionSensor=true mMotionSensor={Sensor name=\"Significant Motion\", vendor=\"harness\","
                 " version=1, type=17, maxRange=1.0, resolution=1.0, power=0.1, minDelay=-1}")
    lines.append(f"  mScreenOn={_b(d.screen_on)}")
    lines.append("  mScreenLocked=false")
    lines.append(f"  mNetworkConnected={_b(d.network_connected)}")
    lines.append(f"  mCharging={_b(d.charging)}")
    lines.append("  mMotionActive=false")
    lines.append("  mNotMoving=true")
    lines.append("  mLocating=false mHasGps=false mHasNetwork=false mLocated=false")
    lines.append(f"  mState={d.state.value} mLightState={d.light_state.value}")
    lines.append(f"  mInactiveTimeout={format_duration(d.inactive_timeout)}")
    if d.active_idle_op_count:
        lines.append(f"  mActiveIdleOpCount={d.active_idle_op_count}")
    if d.next_alarm_time:
        lines.append(f"  mNextAlarmTime={format_relative(d.next_alarm_time, now)}")
    if d.next_idle_pending_delay:
        lines.append(f"  mNextIdlePendingDelay={format_duration(d.next_idle_pending_delay)}")
    if d.next_idle_delay:
        lines.append(f"  mNextIdleDelay={format_duration(d.next_idle_delay)}")
    if d.next_light_idle_delay:
        lines.append(f"  mNextIdleDelay={format_duration(d.next_light_idle_delay)}"
                     f" (flex={format_duration(d.next_light_idle_delay_flex)})")
    if d.next_light_alarm_time:
        lines.append(f"  mNextLightAlarmTime={format_relative(d.next_light_alarm_time, now)}")
    if d.cur_light_idle_budget:
        lines.append(f"  mCurLightIdleBudget={format_duration(d.cur_light_idle_budget)}")
    if d.maintenance_start:
        lines.append(f"  mMaintenanceStartTime={format_relative(d.maintenance_start, now)}")
    if d.jobs_active:
        lines.append("  mJobsActive=true")
    if d.alarms_active:
        lines.append("  mAlarmsActive=true")
    return "\n".join(lines) + "\n"


def dumpsys_deviceidle(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = [a for a in argv[1:] if a != "-a"]
    if args:
        if args[0] == "-h":
            return ShellResult.ok(HELP)
        return deviceidle(ctx, argv[:1] + args)
    return ShellResult.ok(dump(ctx))


def register(registry: CommandRegistry) -> None:
    registry.register_service("cmd", "deviceidle", settled(deviceidle))
    registry.register_service("dumpsys", "deviceidle", dumpsys_deviceidle)
