"""Device-side listening sockets: what ``tcp:PORT`` and ``localabstract:NAME`` services reach.

adbd answers an OPEN of ``tcp:PORT`` by connecting to 127.0.0.1:PORT on the device (and
``localabstract:NAME`` to the abstract unix socket NAME); the OPEN fails (CLSE) when nothing
listens there (AOSP packages/modules/adb, services.cpp ``create_local_service_socket`` ->
``socket_spec_connect``). On the virtual device a process "listens" by registering a handler
here for as long as it runs; each accepted connection runs the handler on the ADB stream.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.virtual.model.subsystem import Subsystem

if TYPE_CHECKING:
    from harness.virtual.adb.stream import AdbStream
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

# Runs for the life of one accepted connection; must return when the stream closes.
SocketHandler = Callable[["AdbStream"], Awaitable[None]]


def socket_key(spec: str) -> str | None:
    """The canonical name of a socket spec: ``tcp:9008``, ``tcp:localhost:9008`` -> ``tcp:9008``."""
    if spec.startswith("tcp:"):
        rest = spec[4:]
        host, _, port = rest.rpartition(":")
        if host not in ("", "localhost", "127.0.0.1") or not port.isdigit():
            return None
        return f"tcp:{int(port)}"
    if spec.startswith("localabstract:") and len(spec) > len("localabstract:"):
        return spec
    return None


class DeviceSockets(Subsystem):
    """The device's listening sockets, by canonical spec."""

    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self._listeners: dict[str, tuple[object, SocketHandler]] = {}

    def listen(self, spec: str, owner: object, handler: SocketHandler) -> bool:
        """Bind ``spec`` for ``owner``; False if it is taken (EADDRINUSE)."""
        key = socket_key(spec)
        if key is None:
            raise ValueError(f"not a socket spec: {spec!r}")
        if key in self._listeners:
            return False
        self._listeners[key] = (owner, handler)
        self.model.trace("socket_listen", socket=key)
        return True

    def close(self, spec: str, owner: object) -> None:
        key = socket_key(spec)
        if key is not None and key in self._listeners and self._listeners[key][0] is owner:
            del self._listeners[key]
            self.model.trace("socket_close", socket=key)

    def lookup(self, spec: str) -> SocketHandler | None:
        key = socket_key(spec)
        entry = self._listeners.get(key) if key is not None else None
        return entry[1] if entry is not None else None

    def is_listening(self, spec: str) -> bool:
        return self.lookup(spec) is not None

    def on_shutdown(self) -> None:
        # every process dies; its sockets close
        self._listeners.clear()
