"""Device controls: battery and charger, battery saver, screen, radios and network, storage.

Each setter changes :class:`~harness.virtual.model.state.DeviceState`, traces the change and calls
``model.state_changed()`` so Doze, alarms and JobScheduler re-evaluate. The shell commands
(``cmd battery``, ``input keyevent``, ``svc wifi``, ``cmd connectivity``...) call these.

Rules (docs/fidelity.md, section "Device state"):
  * ``cmd battery set/unplug`` override the reported values until ``cmd battery reset``
    (BatteryService "UPDATES STOPPED"); the virtual hardware itself stays at its level, on battery;
  * plugging in turns battery saver off; unplugging turns a manually enabled saver back on
    (BatterySaverStateMachine sticky setting); with ``low_power_trigger_level`` > 0 the saver turns on
    by itself on battery at or below that level (0, the default, disables automatic saver);
  * airplane mode turns the Wi-Fi and cellular radios off; Wi-Fi can be switched back on in it;
  * the active network is Wi-Fi when Wi-Fi is on, else cellular when mobile data is on, else none;
    Wi-Fi is unmetered unless ``cmd netpolicy set metered-network`` marks it metered; cellular is metered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.virtual.model.state import NetworkType, Plugged

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

WIFI_SSID = "VirtualWifi"


class PowerState:
    """Hardware-side state that DeviceState does not hold."""

    def __init__(self) -> None:
        self.hw_level = 80
        self.hw_plugged = Plugged.NONE
        self.updates_stopped = False
        self.saver_sticky = False  # the user's manual battery saver choice
        self.wifi_enabled = True
        self.data_enabled = True
        self.restrict_background = False
        self.wifi_metered_override: bool | None = None
        self.low_power_trigger_level = 0


def ps(model: "DeviceModel") -> PowerState:
    """The PowerState of this device; it lives on the DeviceState, so ``vdev reset`` renews it."""
    st = model.state.__dict__.get("_power")
    if st is None:
        st = PowerState()
        model.state.__dict__["_power"] = st
    return st


def on_reboot(model: "DeviceModel") -> None:
    """BatteryService keeps `cmd battery` overrides in RAM only: a reboot drops them."""
    p = ps(model)
    if p.updates_stopped or model.state.battery_overrides:
        p.updates_stopped = False
        model.state.battery_overrides.clear()
        st = model.state
        st.battery_level, st.plugged = p.hw_level, p.hw_plugged


def _changed(model: "DeviceModel", kind: str, **fields: object) -> None:
    model.trace(kind, **fields)
    _sync_settings(model)
    model.state_changed()
    settle(model)


def settle(model: "DeviceModel") -> None:
    """Fire what became due now (an alarm released by the change goes out at once, as on a device)."""
    model.clock.run_due()


def _sync_settings(model: "DeviceModel") -> None:
    g = model.settings["global"]
    g["low_power"] = "1" if model.state.battery_saver else "0"
    g["airplane_mode_on"] = "1" if model.state.airplane_mode else "0"
    g["wifi_on"] = "1" if ps(model).wifi_enabled else "0"
    g["mobile_data"] = "1" if ps(model).data_enabled else "0"
    g["low_power_trigger_level"] = str(ps(model).low_power_trigger_level)


# ---------------------------------------------------------------- battery
def set_battery_override(model: "DeviceModel", key: str, value: int) -> None:
    """``cmd battery set KEY VALUE``: ac, usb, wireless, dock (0/1), level, status, present, counter, temp."""
    st = model.state
    p = ps(model)
    p.updates_stopped = True
    st.battery_overrides[key] = value
    _apply_battery(model)


def unplug(model: "DeviceModel") -> None:
    """``cmd battery unplug``: report every charger as disconnected."""
    p = ps(model)
    p.updates_stopped = True
    for k in ("ac", "usb", "wireless", "dock"):
        model.state.battery_overrides[k] = 0
    _apply_battery(model)


def reset_battery(model: "DeviceModel") -> None:
    """``cmd battery reset``: back to the hardware values."""
    p = ps(model)
    p.updates_stopped = False
    model.state.battery_overrides.clear()
    _apply_battery(model)


def set_hardware(model: "DeviceModel", level: int | None = None, plugged: Plugged | None = None) -> None:
    """``vdev battery``: the virtual hardware's own level / charger."""
    p = ps(model)
    if level is not None:
        p.hw_level = max(0, min(100, level))
    if plugged is not None:
        p.hw_plugged = plugged
    _apply_battery(model)


def _apply_battery(model: "DeviceModel") -> None:
    st = model.state
    p = ps(model)
    ov = st.battery_overrides
    level = ov.get("level", p.hw_level)
    if any(k in ov for k in ("ac", "usb", "wireless", "dock")):
        plugged = Plugged.NONE
        if ov.get("ac", 1 if p.hw_plugged == Plugged.AC else 0):
            plugged = Plugged.AC
        elif ov.get("usb", 1 if p.hw_plugged == Plugged.USB else 0):
            plugged = Plugged.USB
        elif ov.get("wireless", 1 if p.hw_plugged == Plugged.WIRELESS else 0):
            plugged = Plugged.WIRELESS
    else:
        plugged = p.hw_plugged
    was_plugged = st.plugged != Plugged.NONE
    changed = level != st.battery_level or plugged != st.plugged
    st.battery_level = level
    st.plugged = plugged
    now_plugged = plugged != Plugged.NONE
    if was_plugged != now_plugged:
        if now_plugged and st.battery_saver:
            st.battery_saver = False  # BatterySaverStateMachine: REASON_PLUGGED_IN
            model.trace("battery_saver", on=False, reason="plugged_in")
        elif not now_plugged and p.saver_sticky and not st.battery_saver:
            st.battery_saver = True
            model.trace("battery_saver", on=True, reason="sticky")
    _auto_saver(model)
    if changed:
        _changed(model, "battery", level=level, plugged=int(plugged))
    else:
        _sync_settings(model)


def _auto_saver(model: "DeviceModel") -> None:
    st = model.state
    p = ps(model)
    if p.low_power_trigger_level > 0 and not st.charging and st.battery_level <= p.low_power_trigger_level \
            and not st.battery_saver:
        st.battery_saver = True
        model.trace("battery_saver", on=True, reason="percentage_auto_on")


def set_battery_saver(model: "DeviceModel", on: bool, reason: str = "shell") -> bool:
    """``cmd power set-mode 0|1`` / ``settings put global low_power``. Returns False if refused.

    PowerManager.setPowerSaveModeEnabled is refused while plugged in (BatterySaverStateMachine
    ignores manual requests while the device is powered).
    """
    st = model.state
    p = ps(model)
    if on and st.charging:
        _sync_settings(model)
        return False
    p.saver_sticky = on
    if st.battery_saver != on:
        st.battery_saver = on
        _changed(model, "battery_saver", on=on, reason=reason)
    else:
        _sync_settings(model)
    return True


def set_low_power_trigger_level(model: "DeviceModel", level: int) -> None:
    ps(model).low_power_trigger_level = max(0, min(100, level))
    before = model.state.battery_saver
    _auto_saver(model)
    if model.state.battery_saver != before:
        _changed(model, "battery_saver", on=True, reason="percentage_auto_on")


# ---------------------------------------------------------------- screen
def set_screen(model: "DeviceModel", on: bool, reason: str = "shell") -> None:
    if model.state.screen_on != on:
        model.state.screen_on = on
        _changed(model, "screen", on=on, reason=reason)


# ---------------------------------------------------------------- network
def _apply_network(model: "DeviceModel", kind: str, **fields: object) -> None:
    st = model.state
    p = ps(model)
    if p.wifi_enabled:
        net = NetworkType.WIFI
    elif p.data_enabled and not st.airplane_mode:
        net = NetworkType.CELLULAR
    else:
        net = NetworkType.NONE
    st.network = net
    st.metered = bool(p.wifi_metered_override)
    _changed(model, kind, network=net.value, **fields)


def set_wifi(model: "DeviceModel", on: bool) -> None:
    ps(model).wifi_enabled = on
    _apply_network(model, "wifi", on=on)


def set_mobile_data(model: "DeviceModel", on: bool) -> None:
    ps(model).data_enabled = on
    _apply_network(model, "mobile_data", on=on)


def set_airplane_mode(model: "DeviceModel", on: bool) -> None:
    st = model.state
    if st.airplane_mode == on:
        return
    st.airplane_mode = on
    p = ps(model)
    if on:
        p.wifi_enabled = False
    else:
        p.wifi_enabled = True
    _apply_network(model, "airplane_mode", on=on)


def set_wifi_metered(model: "DeviceModel", metered: bool | None) -> None:
    ps(model).wifi_metered_override = metered
    _apply_network(model, "wifi_metered", metered=metered)


def set_restrict_background(model: "DeviceModel", on: bool) -> None:
    ps(model).restrict_background = on
    _changed(model, "restrict_background", on=on)


def set_storage_low(model: "DeviceModel", low: bool) -> None:
    if model.state.storage_low != low:
        model.state.storage_low = low
        _changed(model, "storage_low", low=low)


def init(model: "DeviceModel") -> None:
    """Make sure the settings mirror the state (called when commands register on a fresh model)."""
    ps(model)
    _sync_settings(model)
