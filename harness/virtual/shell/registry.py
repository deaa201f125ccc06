"""The registry of device shell commands.

A handler gets the command context and argv (argv[0] is the command name, already unquoted
and with ``$?`` expanded by the interpreter) and returns a :class:`ShellResult`. Handlers are
synchronous and run on the device's event loop thread, so the model needs no locks. A handler
that must stream (``logcat`` without ``-d``) returns a result whose ``stream`` is an async
iterator of output chunks; the transport drains it until the client closes the stream.

Unknown commands are answered the way Android's shell does: status 127 and
``/system/bin/sh: NAME: inaccessible or not found`` on stderr.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel


class Effect(enum.Enum):
    """Something the transport must do after the command's output is sent."""

    REBOOT = "reboot"


@dataclass
class ShellResult:
    stdout: bytes = b""
    stderr: bytes = b""
    status: int = 0
    effect: Effect | None = None
    stream: AsyncIterator[bytes] | None = None

    @classmethod
    def ok(cls, text: str = "") -> "ShellResult":
        return cls(stdout=text.encode())

    @classmethod
    def error(cls, text: str, status: int = 1) -> "ShellResult":
        if text and not text.endswith("\n"):
            text += "\n"
        return cls(stderr=text.encode(), status=status)


@dataclass
class CommandContext:
    """What a handler may use: the device model and who is calling."""

    model: "DeviceModel"
    uid: int = 2000  # the adb shell user; root is 0
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CommandContext, list[str]], ShellResult]


def not_found(name: str) -> ShellResult:
    return ShellResult.error(f"/system/bin/sh: {name}: inaccessible or not found", 127)


class CommandRegistry:
    """Command name -> handler. Later registrations of the same name replace earlier ones."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._services: dict[str, dict[str, Handler]] = {}

    def register(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for n in names:
                self.register(n, fn)
            return fn

        return deco

    def lookup(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def names(self) -> list[str]:
        return sorted(self._handlers)

    # ``cmd SERVICE ...`` and ``dumpsys SERVICE ...`` dispatch on the service name.
    def register_service(self, kind: str, service: str, handler: Handler) -> None:
        """Register ``handler`` for ``cmd SERVICE`` (kind "cmd") or ``dumpsys SERVICE`` (kind "dumpsys").

        The handler receives the argv that follows the service name, with argv[0] = SERVICE.
        """
        self._services.setdefault(kind, {})[service] = handler

    def service(self, kind: str, service: str) -> Handler | None:
        return self._services.get(kind, {}).get(service)

    def services(self, kind: str) -> list[str]:
        return sorted(self._services.get(kind, {}))

    def dispatch(self, ctx: CommandContext, argv: list[str]) -> ShellResult:
        if argv[0] in ("cmd", "dumpsys") and argv[0] not in self._handlers:
            return self._dispatch_service(ctx, argv)
        handler = self._handlers.get(argv[0])
        if handler is None:
            return not_found(argv[0])
        return handler(ctx, argv)

    def _dispatch_service(self, ctx: CommandContext, argv: list[str]) -> ShellResult:
        kind = argv[0]
        if len(argv) < 2:
            names = "\n".join(self.services(kind))
            return ShellResult.ok(names + "\n" if names else "")
        handler = self.service(kind, argv[1])
        if handler is None:
            # What Android prints for a service that is not running.
            if kind == "cmd":
                return ShellResult.error(f"cmd: Can't find service: {argv[1]}", 20)
            return ShellResult.error(f"Can't find service: {argv[1]}", 0)
        return handler(ctx, argv[1:])
