"""The hooks every part of the device model may implement. DeviceModel calls them in a fixed order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel


class Subsystem:
    """Base class: every hook is a no-op unless overridden."""

    def __init__(self, model: "DeviceModel") -> None:
        self.model = model

    def on_state_changed(self) -> None:
        """Battery, network, screen, Doze, bucket... changed: re-evaluate constraints."""

    def on_shutdown(self) -> None:
        """The device is going down (before the clock reboots): processes die, RAM state is lost."""

    def on_boot(self) -> None:
        """The device finished booting (the clock already restarted)."""

    def on_force_stop(self, package: str) -> None:
        """`am force-stop`: the package enters the stopped state."""

    def on_process_died(self, package: str, reason: str) -> None:
        """The app's process died (kill, force-stop, swipe, reboot, crash)."""

    def on_process_started(self, package: str, reason: str) -> None:
        """A process for the app started."""
