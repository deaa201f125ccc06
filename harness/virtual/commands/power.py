"""Power and display: ``cmd power set-mode``, ``dumpsys power``, ``dumpsys display``,
``cmd devicestoragemonitor``, and the ``settings`` keys that drive the model (low_power,
low_power_trigger_level), layered over the transport's ``settings`` command."""

from __future__ import annotations

from harness.virtual.commands.common import without_user
from harness.virtual.model import power
from harness.virtual.shell.registry import CommandContext, CommandRegistry, Handler, ShellResult


def cmd_power(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if args[:1] == ["set-mode"] and len(args) == 2 and args[1] in ("0", "1"):
        power.set_battery_saver(ctx.model, args[1] == "1", reason="cmd power set-mode")
        return ShellResult()
    if args[:1] == ["set-mode"]:
        return ShellResult(stdout=b"Error: mode must be 0 or 1\n", status=255)
    if args[:1] == ["set-fixed-performance-mode-enabled"]:
        return ShellResult()
    return ShellResult.ok("Power manager (power) commands:\n  help\n    Print this help text.\n\n"
                          "  set-adaptive-power-saver-enabled [true|false]\n  set-mode MODE\n"
                          "    sets the power mode of the device to MODE.\n"
                          "    1 turns low power mode on and 0 turns low power mode off.\n")


def dumpsys_power(ctx: CommandContext, argv: list[str]) -> ShellResult:
    st = ctx.model.state
    m = ctx.model
    lines = ["POWER MANAGER (dumpsys power)", "", "Power Manager State:",
             "  mDirty=0x0",
             f"  mWakefulness={'Awake' if st.screen_on else 'Asleep'}",
             "  mWakefulnessChanging=false",
             f"  mIsPowered={str(st.charging).lower()}",
             f"  mPlugType={int(st.plugged)}",
             f"  mBatteryLevel={st.battery_level}",
             f"  mDeviceIdleMode={str(m.doze.is_deep_idle()).lower()}",
             f"  mLightDeviceIdleMode={str(st.light_idle.value in ('IDLE', 'WAITING_FOR_NETWORK')).lower()}",
             f"  mLowPowerModeEnabled={str(st.battery_saver).lower()}",
             "  mBatterySaverSupported=true",
             "  mIsVrModeEnabled=false",
             "",
             f"  Display Power: state={'ON' if st.screen_on else 'OFF'}",
             "",
             "Battery saver:",
             f"  Battery saver enabled: {str(st.battery_saver).lower()}"]
    return ShellResult.ok("\n".join(lines) + "\n")


def dumpsys_display(ctx: CommandContext, argv: list[str]) -> ShellResult:
    on = ctx.model.state.screen_on
    return ShellResult.ok(f"DISPLAY MANAGER (dumpsys display)\n  mOnlyCore=false\n\n"
                          f"Display Power Controller Locked State:\n  mScreenState={'ON' if on else 'OFF'}\n"
                          f"  Display Power: state={'ON' if on else 'OFF'}\n")


def cmd_storage(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = [a for a in argv[1:] if a != "-f"]
    if args[:1] == ["force-low"]:
        power.set_storage_low(ctx.model, True)
        return ShellResult()
    if args[:1] == ["force-not-low"] or args[:1] == ["reset"]:
        power.set_storage_low(ctx.model, False)
        return ShellResult()
    return ShellResult.ok("Device storage monitor service (devicestoragemonitor) commands:\n  help\n"
                          "  force-low [-f]\n  force-not-low [-f]\n  reset [-f]\n")


def make_settings(previous: Handler | None) -> Handler:
    def settings(ctx: CommandContext, argv: list[str]) -> ShellResult:
        clean = without_user(argv[1:])
        m = ctx.model
        power.init(m)  # the settings mirror the model's state (low_power, airplane_mode_on...)
        if len(clean) >= 4 and clean[0] == "put" and clean[1].lower() == "global":
            key, value = clean[2], clean[3]
            if key == "low_power" and value in ("0", "1"):
                result = previous(ctx, argv) if previous is not None else ShellResult()
                power.set_battery_saver(m, value == "1", reason="settings low_power")
                return result
            if key == "low_power_trigger_level" and value.isdigit():
                result = previous(ctx, argv) if previous is not None else ShellResult()
                power.set_low_power_trigger_level(m, int(value))
                return result
        if previous is None:
            return ShellResult.error("settings: not available", 255)
        return previous(ctx, argv)

    return settings


def register(registry: CommandRegistry) -> None:
    registry.register_service("cmd", "power", cmd_power)
    registry.register_service("dumpsys", "power", dumpsys_power)
    registry.register_service("dumpsys", "display", dumpsys_display)
    registry.register_service("cmd", "devicestoragemonitor", cmd_storage)
    registry.register("settings", make_settings(registry.lookup("settings")))
