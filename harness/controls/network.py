"""Wi-Fi, mobile data, airplane mode and metered Wi-Fi.

* Wi-Fi / data: ``svc wifi enable|disable``, ``svc data enable|disable``; the state is the
  ``wifi_on`` (WifiSettingsStore: 0 off, 1 on, 2 on despite airplane mode, 3 off for airplane
  mode) and ``mobile_data`` (1/0) global settings.
* Airplane mode: ``cmd connectivity airplane-mode enable|disable`` (API 30+); older devices have no
  shell way (see :func:`airplane_commands`). State: ``airplane_mode_on``.
* Metered Wi-Fi: ``cmd netpolicy set metered-network ID true|false|undefined`` on a saved
  network's id (``"SSID"``, quotes included), listed with ``cmd netpolicy list wifi-networks``
  as ``ID;true|false|none``. AOSP's ``set metered-network`` exits with -1 (255) even when it
  worked, so only its printed ``Error:`` texts count as failure.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.controls.base import Commands, first_line, read, run, unexpected
from harness.errors import UnsupportedOnDeviceError

if TYPE_CHECKING:
    from harness.bridge.device import Device

AIRPLANE_CMD_MIN_API = 30
NETPOLICY_FAILURES = ("Error", "Exception")


class MeteredOverride(str, enum.Enum):
    """WifiConfiguration.meteredOverride as netpolicy prints it (``none`` = the system decides)."""

    METERED = "true"
    NOT_METERED = "false"
    NONE = "none"

    @property
    def set_word(self) -> str:
        return "undefined" if self is MeteredOverride.NONE else self.value


@dataclass(frozen=True)
class NetworkState:
    wifi: bool
    data: bool
    airplane: bool


# ------------------------------------------------------------------ commands
def wifi_commands(enabled: bool) -> Commands:
    return [["svc", "wifi", "enable" if enabled else "disable"]]


def data_commands(enabled: bool) -> Commands:
    return [["svc", "data", "enable" if enabled else "disable"]]


def airplane_commands(enabled: bool, api: int = AIRPLANE_CMD_MIN_API) -> Commands:
    """``cmd connectivity airplane-mode`` (ConnectivityService shell command, API 30+).

    Before API 30 the shell has no way: writing ``airplane_mode_on`` alone does not switch the radios,
    and ``android.intent.action.AIRPLANE_MODE`` is a protected broadcast that uid 2000 may not send.
    """
    if api < AIRPLANE_CMD_MIN_API:
        raise UnsupportedOnDeviceError(None, "airplane mode",
                                       f"`cmd connectivity airplane-mode` needs API {AIRPLANE_CMD_MIN_API} "
                                       f"(the device has {api}); use `network: none` instead")
    return [["cmd", "connectivity", "airplane-mode", "enable" if enabled else "disable"]]


def state_commands() -> Commands:
    return [["settings", "get", "global", "wifi_on"], ["settings", "get", "global", "mobile_data"],
            ["settings", "get", "global", "airplane_mode_on"]]


def list_metered_commands() -> Commands:
    return [["cmd", "netpolicy", "list", "wifi-networks"]]


def set_metered_commands(network_id: str, override: MeteredOverride) -> Commands:
    if not network_id:
        raise ValueError("network id is empty")
    return [["cmd", "netpolicy", "set", "metered-network", network_id, MeteredOverride(override).set_word]]


# ------------------------------------------------------------------ parsing
def _setting_int(text: str, default: int) -> int:
    value = text.strip()
    if value in ("", "null"):
        return default
    if not value.lstrip("-").isdigit():
        raise ValueError(f"not a number: {value!r}")
    return int(value)


def parse_state(wifi_on: str, mobile_data: str, airplane_mode_on: str) -> NetworkState:
    return NetworkState(
        wifi=_setting_int(wifi_on, 0) in (1, 2),
        data=_setting_int(mobile_data, 1) == 1,
        airplane=_setting_int(airplane_mode_on, 0) == 1,
    )


def parse_wifi_networks(text: str) -> dict[str, MeteredOverride]:
    """``ID;true|false|none`` lines -> {network id: override}."""
    out: dict[str, MeteredOverride] = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        if ";" not in line:
            continue
        network_id, _, value = line.rpartition(";")
        try:
            out[network_id] = MeteredOverride(value.strip())
        except ValueError:
            continue
    return out


# ------------------------------------------------------------------ execute
def get_state(device: "Device") -> NetworkState:
    results = read(device, state_commands())
    try:
        return parse_state(*(first_line(r) for r in results))
    except ValueError as e:
        raise unexpected(results[0], str(e)) from e


def set_wifi(device: "Device", enabled: bool) -> None:
    run(device, wifi_commands(enabled))


def set_data(device: "Device", enabled: bool) -> None:
    run(device, data_commands(enabled))


def set_airplane(device: "Device", enabled: bool) -> None:
    run(device, airplane_commands(enabled, device.api_level))


def wifi_networks(device: "Device") -> dict[str, MeteredOverride]:
    return parse_wifi_networks(read(device, list_metered_commands())[0].stdout)


def set_metered(device: "Device", override: MeteredOverride, network_id: str | None = None) -> list[str]:
    """Set the override on one saved network, or on every saved network; returns the ids changed."""
    ids = [network_id] if network_id else sorted(wifi_networks(device))
    if not ids:
        raise unexpected(read(device, list_metered_commands())[0], "no saved Wi-Fi network to mark metered")
    commands = [c for i in ids for c in set_metered_commands(i, override)]
    run(device, commands, failure_texts=NETPOLICY_FAILURES, ignore_status=True)
    return ids
