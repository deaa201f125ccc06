"""Battery overrides through BatteryService's shell (``cmd battery``, API 26+; ``dumpsys battery`` before).

``set level N`` / ``set ac|usb|wireless 0|1`` / ``set status N`` / ``unplug`` override what the
service reports (it then stops taking updates from the hardware: ``dumpsys battery`` shows
``(UPDATES STOPPED -- use 'reset' to restart)``); ``reset`` drops every override (the restore).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.controls.base import Commands, parse_bool, read, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

CMD_BATTERY_MIN_API = 26
UPDATES_STOPPED = "UPDATES STOPPED"


class PowerSource(str, enum.Enum):
    AC = "ac"
    USB = "usb"
    WIRELESS = "wireless"


class BatteryStatus(enum.IntEnum):
    """BatteryManager.BATTERY_STATUS_* values."""

    UNKNOWN = 1
    CHARGING = 2
    DISCHARGING = 3
    NOT_CHARGING = 4
    FULL = 5


@dataclass(frozen=True)
class BatteryState:
    level: int
    scale: int
    status: int
    ac: bool
    usb: bool
    wireless: bool
    present: bool
    updates_stopped: bool  # overrides are in place

    @property
    def plugged(self) -> bool:
        return self.ac or self.usb or self.wireless

    @property
    def percent(self) -> float:
        return 100.0 * self.level / self.scale if self.scale else float(self.level)


def _base(api: int) -> list[str]:
    return ["cmd", "battery"] if api >= CMD_BATTERY_MIN_API else ["dumpsys", "battery"]


# ------------------------------------------------------------------ commands
def set_level_commands(level: int, api: int = CMD_BATTERY_MIN_API) -> Commands:
    if not 0 <= level <= 100:
        raise ValueError(f"battery level must be 0-100, not {level}")
    return [_base(api) + ["set", "level", str(level)]]


def plug_commands(source: PowerSource = PowerSource.AC, api: int = CMD_BATTERY_MIN_API) -> Commands:
    """Plugged into ``source`` and charging (as CTS's battery tests set it)."""
    return [_base(api) + ["set", PowerSource(source).value, "1"],
            _base(api) + ["set", "status", str(int(BatteryStatus.CHARGING))]]


def unplug_commands(api: int = CMD_BATTERY_MIN_API) -> Commands:
    return [_base(api) + ["unplug"], _base(api) + ["set", "status", str(int(BatteryStatus.DISCHARGING))]]


def reset_commands(api: int = CMD_BATTERY_MIN_API) -> Commands:
    return [_base(api) + ["reset"]]


def state_commands() -> Commands:
    return [["dumpsys", "battery"]]


def restore_commands(state: BatteryState, api: int = CMD_BATTERY_MIN_API) -> Commands:
    """Back to ``state``: ``reset`` if nothing was overridden then, else the values it had."""
    if not state.updates_stopped:
        return reset_commands(api)
    b = _base(api)
    return [b + ["set", "ac", "1" if state.ac else "0"], b + ["set", "usb", "1" if state.usb else "0"],
            b + ["set", "wireless", "1" if state.wireless else "0"], b + ["set", "level", str(state.level)],
            b + ["set", "status", str(state.status)]]


# ------------------------------------------------------------------ parsing
_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?):\s*(.*?)\s*$")


def parse_dumpsys_battery(text: str) -> BatteryState:
    """The state ``dumpsys battery`` prints (``Current Battery Service state:`` then ``key: value``)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            values.setdefault(m.group(1).strip().lower(), m.group(2))

    def num(key: str, default: int | None = None) -> int:
        raw = values.get(key)
        if raw is None or not re.fullmatch(r"-?\d+", raw):
            if default is not None:
                return default
            raise ValueError(f"no numeric {key!r} in dumpsys battery")
        return int(raw)

    def flag(key: str) -> bool:
        return bool(parse_bool(values.get(key, "false")))

    if "level" not in values:
        raise ValueError("no 'level' in dumpsys battery")
    return BatteryState(
        level=num("level"), scale=num("scale", 100), status=num("status", int(BatteryStatus.UNKNOWN)),
        ac=flag("ac powered"), usb=flag("usb powered"), wireless=flag("wireless powered"),
        present=flag("present") if "present" in values else True,
        updates_stopped=UPDATES_STOPPED in text,
    )


# ------------------------------------------------------------------ execute
def get_state(device: "Device") -> BatteryState:
    result = read(device, state_commands())[0]
    try:
        return parse_dumpsys_battery(result.stdout)
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def set_level(device: "Device", level: int) -> None:
    run(device, set_level_commands(level, device.api_level))


def plug(device: "Device", source: PowerSource = PowerSource.AC) -> None:
    run(device, plug_commands(source, device.api_level))


def unplug(device: "Device") -> None:
    run(device, unplug_commands(device.api_level))


def reset(device: "Device") -> None:
    run(device, reset_commands(device.api_level))
