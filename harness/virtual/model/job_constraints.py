"""Which of a job's constraints the device satisfies now (JobScheduler's StateControllers).

Sources (docs/fidelity.md):
  * ConnectivityController: ANY = a validated network; UNMETERED = not metered; NOT_ROAMING = not
    roaming (the virtual device never roams); CELLULAR = cellular transport;
  * BatteryController + BatteryService: CHARGING = plugged and charging; BATTERY_NOT_LOW is false
    from the moment the unplugged level falls to config_lowBatteryWarningLevel (20 % in AOSP
    config.xml since Android 12; 15 % before) until it is plugged in or rises to the warning level
    plus config_lowBatteryCloseWarningBump (5);
  * StorageController: STORAGE_NOT_LOW = DeviceStorageMonitor has not sent DEVICE_STORAGE_LOW;
  * IdleController / DeviceIdlenessTracker: the device is "idle" once the screen has been off
    for config_jobSchedulerInactivityIdleThreshold (1 860 000 ms = 31 min); screen on ends it;
  * DeviceIdleJobsController: jobs do not run while the device is in Doze (deep IDLE or light
    IDLE), only in maintenance windows, unless the app is on the power-save allowlist or the job
    is expedited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.model.job_info import Constraint, JobInfo, NetworkType
from harness.virtual.model.state import NetworkType as DeviceNetwork

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

LOW_BATTERY_WARNING_LEVEL = 20  # config_lowBatteryWarningLevel (AOSP, API 31+)
LOW_BATTERY_WARNING_LEVEL_LEGACY = 15  # the same resource before Android 12
LOW_BATTERY_CLOSE_WARNING_BUMP = 5  # config_lowBatteryCloseWarningBump
INACTIVITY_IDLE_THRESHOLD_MS = 1_860_000  # config_jobSchedulerInactivityIdleThreshold


class DeviceConditions:
    """Tracks the device-wide inputs whose value depends on history (battery low, idleness)."""

    def __init__(self, model: "DeviceModel") -> None:
        self.model = model
        self.battery_low = False
        self.screen_off_since: int | None = None if model.state.screen_on else model.clock.elapsed_ms
        self.monitor_battery = False
        self.battery_seq = -1
        self.storage_seq = -1
        self._last_battery: tuple[int, bool] | None = None
        self._last_storage: bool | None = None
        self.refresh()

    @property
    def warning_level(self) -> int:
        return LOW_BATTERY_WARNING_LEVEL if self.model.api >= 31 else LOW_BATTERY_WARNING_LEVEL_LEGACY

    def refresh(self) -> None:
        """Read the device state after a change (BatteryService.processValuesLocked and friends)."""
        st = self.model.state
        level, plugged = st.battery_level, st.charging
        if (level, plugged) != self._last_battery:
            self._last_battery = (level, plugged)
            if self.monitor_battery:
                self.battery_seq += 1
            if not self.battery_low:
                if not plugged and level <= self.warning_level:
                    self.battery_low = True
            elif plugged or level >= self.warning_level + LOW_BATTERY_CLOSE_WARNING_BUMP:
                self.battery_low = False
        if st.storage_low != self._last_storage:
            if self._last_storage is not None:
                self.storage_seq += 1
            self._last_storage = st.storage_low
        now = self.model.clock.elapsed_ms
        if st.screen_on:
            self.screen_off_since = None
        elif self.screen_off_since is None:
            self.screen_off_since = now

    def reset_after_boot(self) -> None:
        self.battery_seq = -1
        self.storage_seq = -1
        self.monitor_battery = False
        self._last_battery = None
        self.screen_off_since = None if self.model.state.screen_on else self.model.clock.elapsed_ms
        self.refresh()

    # ------------------------------------------------------------------ single inputs
    @property
    def charging(self) -> bool:
        return self.model.state.charging

    @property
    def battery_not_low(self) -> bool:
        return not self.battery_low

    @property
    def storage_not_low(self) -> bool:
        return not self.model.state.storage_low

    def device_idle_for_jobs(self) -> bool:
        """IdleController: screen off for the inactivity threshold (or the device is in deep Doze)."""
        if self.model.state.screen_on:
            return False
        if self.model.state.device_idle:
            return True
        since = self.screen_off_since
        return since is not None and self.model.clock.elapsed_ms - since >= INACTIVITY_IDLE_THRESHOLD_MS

    def idle_due_at(self) -> int | None:
        """When the idle constraint will become satisfied if nothing changes (for timers)."""
        if self.model.state.screen_on or self.screen_off_since is None:
            return None
        at = self.screen_off_since + INACTIVITY_IDLE_THRESHOLD_MS
        return at if at > self.model.clock.elapsed_ms else None

    def network_ok(self, kind: NetworkType) -> bool:
        st = self.model.state
        if kind == NetworkType.NONE:
            return True
        if not st.network_connected:
            return False
        if kind == NetworkType.UNMETERED:
            return not st.network_metered
        if kind == NetworkType.CELLULAR:
            return st.network == DeviceNetwork.CELLULAR
        return True  # ANY, NOT_ROAMING (the virtual device never roams)

    def dozing(self) -> bool:
        return self.model.state.device_idle

    # ------------------------------------------------------------------ a job's bits
    def satisfied_bits(self, info: JobInfo) -> int:
        """The explicit constraints (not time) the device satisfies for ``info``."""
        bits = 0
        if self.charging:
            bits |= Constraint.CHARGING
        if self.battery_not_low:
            bits |= Constraint.BATTERY_NOT_LOW
        if self.storage_not_low:
            bits |= Constraint.STORAGE_NOT_LOW
        if self.device_idle_for_jobs():
            bits |= Constraint.IDLE
        if info.network != NetworkType.NONE and self.network_ok(info.network):
            bits |= Constraint.CONNECTIVITY
        return bits
