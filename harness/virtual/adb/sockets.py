"""``tcp:PORT`` / ``localabstract:NAME`` services: connect to a socket a device process listens on.

The listeners live in the device model (:class:`harness.virtual.ui.sockets.DeviceSockets`,
``model.sockets``). Nothing listening -> the OPEN is refused, as adbd refuses it.
"""

from __future__ import annotations

from harness.virtual.adb.service import ServiceContext, ServiceHandler
from harness.virtual.adb.stream import AdbStream


def route_socket(name: str, ctx: ServiceContext) -> tuple[ServiceHandler, str] | None:
    """The handler for an OPEN of a socket service, or None (refuse) when nothing listens."""
    if not (name.startswith("tcp:") or name.startswith("localabstract:")):
        return None
    handler = ctx.model.sockets.lookup(name)
    if handler is None:
        return None

    async def serve(stream: AdbStream, _ctx: ServiceContext, _arg: str) -> None:
        await handler(stream)

    return serve, name
