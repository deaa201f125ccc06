"""What every ADB service handler gets, and the handler signature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.virtual.faults import DeviceFaults
from harness.virtual.shell.interpreter import Interpreter
from harness.virtual.shell.registry import CommandContext, CommandRegistry

if TYPE_CHECKING:
    from harness.virtual.adb.stream import AdbStream
    from harness.virtual.model.device import DeviceModel


@dataclass
class ServiceContext:
    """The device a stream talks to, and how a service asks the server for a reboot."""

    model: "DeviceModel"
    registry: CommandRegistry
    request_reboot: Callable[[], None]
    uid: int = 2000  # adbd runs shell commands as the shell user
    faults: DeviceFaults | None = None  # test hooks armed with `vdev die-after` / `vdev boot-hang`

    def command_context(self) -> CommandContext:
        extra = {"faults": self.faults} if self.faults is not None else {}
        return CommandContext(self.model, uid=self.uid, extra=extra)

    def interpreter(self) -> Interpreter:
        return Interpreter(self.registry, self.command_context())


# A service handler runs for the life of one stream. ``arg`` is what follows the service
# prefix (e.g. the command of ``shell:CMD``). It must return when the stream closes.
ServiceHandler = Callable[["AdbStream", ServiceContext, str], Awaitable[None]]
