"""Radios and network policy: ``svc wifi|data``, ``cmd connectivity airplane-mode``, ``cmd netpolicy``,
``dumpsys connectivity`` (the "Active default network" and NetworkAgentInfo lines the harness reads)."""

from __future__ import annotations

from harness.virtual.model import power
from harness.virtual.model.state import NetworkType
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

WIFI_NET_ID = 100
CELL_NET_ID = 101


def svc(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if len(args) >= 2 and args[0] in ("wifi", "data") and args[1] in ("enable", "disable"):
        on = args[1] == "enable"
        if args[0] == "wifi":
            power.set_wifi(ctx.model, on)
        else:
            power.set_mobile_data(ctx.model, on)
        return ShellResult()
    if len(args) >= 1 and args[0] in ("wifi", "data"):
        return ShellResult.ok(f"Control the {'Wi-Fi' if args[0] == 'wifi' else 'mobile data'} manager\n\n"
                              f"usage: svc {args[0]} [enable|disable]\n")
    if args[:1] == ["power"]:
        return ShellResult()
    return ShellResult.ok("Available commands:\n    help     Show information about the subcommands\n"
                          "    power    Control the power manager\n    data     Control mobile data connectivity\n"
                          "    wifi     Control the Wi-Fi manager\n")


def cmd_connectivity(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if args[:1] == ["airplane-mode"]:
        if len(args) == 1:
            return ShellResult.ok(("enabled" if ctx.model.state.airplane_mode else "disabled") + "\n")
        if args[1] in ("enable", "disable"):
            power.set_airplane_mode(ctx.model, args[1] == "enable")
            return ShellResult()
        return ShellResult(stderr=f"Unsupported argument: {args[1]}\n".encode(), status=255)
    return ShellResult.error(f"Unknown command: {args[0] if args else ''}", 255)


def cmd_netpolicy(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    p = power.ps(ctx.model)
    if args[:2] == ["get", "restrict-background"]:
        return ShellResult.ok(f"Restrict background status: {'enabled' if p.restrict_background else 'disabled'}\n")
    if args[:2] == ["set", "restrict-background"] and len(args) == 3:
        power.set_restrict_background(ctx.model, args[2].lower() == "true")
        return ShellResult()
    if args[:2] == ["set", "metered-network"] and len(args) == 4:
        if args[2].strip('"') != power.WIFI_SSID:
            return ShellResult(stdout=f"Error: Invalid network ID: {args[2]}\n".encode(), status=255)
        value = args[3].lower()
        if value not in ("true", "false", "undefined"):
            return ShellResult(stdout=f"Error: Invalid boolean: {args[3]}\n".encode(), status=255)
        power.set_wifi_metered(ctx.model, None if value == "undefined" else value == "true")
        return ShellResult()
    if args[:2] == ["list", "wifi-networks"]:
        metered = p.wifi_metered_override
        word = "none" if metered is None else str(metered).lower()
        return ShellResult.ok(f"{power.WIFI_SSID};{word}\n")
    return ShellResult.ok("Error: unknown command\n")


def dumpsys_connectivity(ctx: CommandContext, argv: list[str]) -> ShellResult:
    st = ctx.model.state
    lines = ["NetworkProviders for:", ""]
    if not st.network_connected:
        lines.append("Active default network: none")
        lines += ["", "Current Networks:"]
    else:
        wifi = st.network == NetworkType.WIFI
        nid = WIFI_NET_ID if wifi else CELL_NET_ID
        transport = "WIFI" if wifi else "CELLULAR"
        caps = ["INTERNET", "NOT_RESTRICTED", "TRUSTED", "NOT_VPN", "VALIDATED", "NOT_ROAMING", "FOREGROUND",
                "NOT_CONGESTED", "NOT_SUSPENDED"]
        if not st.network_metered:
            caps.insert(0, "NOT_METERED")
        lines.append(f"Active default network: {nid}")
        lines += ["", "Current Networks:"]
        lines.append(f"  NetworkAgentInfo{{network{{{nid}}}  handle{{{nid * 4294967296 + 56989}}}  ni{{{transport}"
                     f" CONNECTED extra: }}  Score(Policies : IS_VALIDATED&IS_DEFAULT ; KeepConnected : 0)  created"
                     f" everValidated lastValidated  lp{{{{InterfaceName: {'wlan0' if wifi else 'rmnet0'}}}}}"
                     f"  nc{{[ Transports: {transport} Capabilities: {'&'.join(caps)}"
                     f" LinkUpBandwidth>=10000Kbps LinkDnBandwidth>=10000Kbps]}}  factorySerialNumber=1}}")
    lines += ["", f"Restrict background: {str(power.ps(ctx.model).restrict_background).lower()}"]
    return ShellResult.ok("\n".join(lines) + "\n")


def register(registry: CommandRegistry) -> None:
    registry.register("svc", svc)
    registry.register_service("cmd", "connectivity", cmd_connectivity)
    registry.register_service("cmd", "netpolicy", cmd_netpolicy)
    registry.register_service("dumpsys", "connectivity", dumpsys_connectivity)
