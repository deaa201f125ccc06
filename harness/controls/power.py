"""Battery saver and the screen.

Battery saver: ``cmd power set-mode 1|0`` (PowerManagerShellCommand, API 28+), else the
``low_power`` global setting; its state is ``settings get global low_power`` (which the
service writes when saver is turned on by hand).

Screen: ``input keyevent KEYCODE_WAKEUP`` / ``KEYCODE_SLEEP`` (idempotent, unlike POWER); the
state is ``mWakefulness=`` in ``dumpsys power`` (Awake, Asleep, Dreaming, Dozing).
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING

from harness.controls.base import Commands, first_line, read, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

SET_MODE_MIN_API = 28
LOW_POWER_SETTING = "low_power"


class Wakefulness(str, enum.Enum):
    AWAKE = "Awake"
    ASLEEP = "Asleep"
    DREAMING = "Dreaming"
    DOZING = "Dozing"

    @property
    def screen_on(self) -> bool:
        return self in (Wakefulness.AWAKE, Wakefulness.DREAMING)


# ------------------------------------------------------------------ commands
def battery_saver_commands(enabled: bool, api: int = SET_MODE_MIN_API) -> Commands:
    if api >= SET_MODE_MIN_API:
        return [["cmd", "power", "set-mode", "1" if enabled else "0"]]
    return [["settings", "put", "global", LOW_POWER_SETTING, "1" if enabled else "0"]]


def battery_saver_state_commands() -> Commands:
    return [["settings", "get", "global", LOW_POWER_SETTING]]


def screen_commands(on: bool) -> Commands:
    return [["input", "keyevent", "KEYCODE_WAKEUP" if on else "KEYCODE_SLEEP"]]


def wakefulness_commands() -> Commands:
    return [["dumpsys", "power"]]


# ------------------------------------------------------------------ parsing
def parse_low_power(text: str) -> bool:
    """``settings get global low_power``: ``1`` on; ``0`` or ``null`` (never set) off."""
    value = text.strip()
    if value in ("1",):
        return True
    if value in ("0", "null", ""):
        return False
    raise ValueError(f"unexpected low_power value {value!r}")


_WAKEFULNESS = re.compile(r"mWakefulness=(\w+)")


def parse_wakefulness(text: str) -> Wakefulness:
    m = _WAKEFULNESS.search(text)
    if not m:
        raise ValueError("no mWakefulness= in dumpsys power")
    try:
        return Wakefulness(m.group(1))
    except ValueError as e:
        raise ValueError(f"unknown wakefulness {m.group(1)!r}") from e


# ------------------------------------------------------------------ execute
def battery_saver_enabled(device: "Device") -> bool:
    result = read(device, battery_saver_state_commands())[0]
    try:
        return parse_low_power(first_line(result))
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def set_battery_saver(device: "Device", enabled: bool) -> None:
    run(device, battery_saver_commands(enabled, device.api_level))


def wakefulness(device: "Device") -> Wakefulness:
    result = read(device, wakefulness_commands())[0]
    try:
        return parse_wakefulness(result.stdout)
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def screen_on(device: "Device") -> bool:
    return wakefulness(device).screen_on


def set_screen(device: "Device", on: bool) -> None:
    run(device, screen_commands(on))
