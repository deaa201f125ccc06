"""The ``reboot:`` service (``adb reboot [TARGET]``): close the stream, then the server reboots."""

from __future__ import annotations

import logging

from harness.virtual.adb.service import ServiceContext
from harness.virtual.adb.stream import AdbStream

log = logging.getLogger(__name__)

FLUSH_TIMEOUT = 0.5


async def serve_reboot(stream: AdbStream, ctx: ServiceContext, target: str) -> None:
    log.info("reboot requested (target %r)", target or "system")
    await stream.flushed(FLUSH_TIMEOUT)
    stream.close()
    ctx.request_reboot()
