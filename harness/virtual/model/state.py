"""Device-wide state the scheduling rules read: battery, power, screen, network, storage, Doze."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Plugged(enum.IntEnum):
    """BatteryManager.BATTERY_PLUGGED_* values (0 = on battery)."""

    NONE = 0
    AC = 1
    USB = 2
    WIRELESS = 4


class NetworkType(enum.Enum):
    NONE = "none"
    WIFI = "wifi"
    CELLULAR = "cellular"


class DeepIdleState(enum.Enum):
    """DeviceIdleController deep states (dumpsys deviceidle: mState)."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    IDLE_PENDING = "IDLE_PENDING"
    SENSING = "SENSING"
    LOCATING = "LOCATING"
    IDLE = "IDLE"
    IDLE_MAINTENANCE = "IDLE_MAINTENANCE"
    QUICK_DOZE_DELAY = "QUICK_DOZE_DELAY"


class LightIdleState(enum.Enum):
    """DeviceIdleController light states (dumpsys deviceidle: mLightState)."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PRE_IDLE = "PRE_IDLE"
    IDLE = "IDLE"
    WAITING_FOR_NETWORK = "WAITING_FOR_NETWORK"
    IDLE_MAINTENANCE = "IDLE_MAINTENANCE"
    OVERRIDE = "OVERRIDE"


class StandbyBucket(enum.IntEnum):
    """UsageStatsManager.STANDBY_BUCKET_* values."""

    EXEMPTED = 5
    ACTIVE = 10
    WORKING_SET = 20
    FREQUENT = 30
    RARE = 40
    RESTRICTED = 45
    NEVER = 50


@dataclass
class DeviceState:
    battery_level: int = 80
    plugged: Plugged = Plugged.NONE
    battery_saver: bool = False
    screen_on: bool = True
    network: NetworkType = NetworkType.WIFI
    metered: bool = False  # applies to wifi; cellular is always metered
    airplane_mode: bool = False
    storage_low: bool = False
    deep_idle: DeepIdleState = DeepIdleState.ACTIVE
    light_idle: LightIdleState = LightIdleState.ACTIVE
    # overrides set with `cmd battery set ...` / `dumpsys battery set ...`; cleared by `reset`
    battery_overrides: dict[str, int] = field(default_factory=dict)

    @property
    def charging(self) -> bool:
        return self.plugged != Plugged.NONE

    @property
    def network_connected(self) -> bool:
        return self.network != NetworkType.NONE and not self.airplane_mode

    @property
    def network_metered(self) -> bool:
        return self.network == NetworkType.CELLULAR or (self.network == NetworkType.WIFI and self.metered)

    @property
    def device_idle(self) -> bool:
        """Deep or light Doze idle (not in a maintenance window)."""
        return self.deep_idle == DeepIdleState.IDLE or self.light_idle in (
            LightIdleState.IDLE,
            LightIdleState.WAITING_FOR_NETWORK,
        )
