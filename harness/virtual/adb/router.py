"""Service name -> handler. Unknown services are refused (CLSE with local id 0, as adbd does)."""

from __future__ import annotations

from functools import partial

from harness.virtual.adb.abb import serve_abb_exec, serve_abb_framed
from harness.virtual.adb.reboot import serve_reboot
from harness.virtual.adb.service import ServiceHandler
from harness.virtual.adb.shell import serve_shell
from harness.virtual.adb.sync import serve_sync

_PREFIXES: tuple[tuple[str, ServiceHandler], ...] = (
    ("exec:", partial(serve_shell, exec_mode=True)),
    ("sync:", serve_sync),
    ("reboot:", serve_reboot),
    ("abb_exec:", serve_abb_exec),
    ("abb:", serve_abb_framed),
)


def route(name: str) -> tuple[ServiceHandler, str] | None:
    """The handler for an OPENed service and the argument it gets."""
    if name.startswith("shell:") or name.startswith("shell,"):
        return serve_shell, name  # the shell parses its own ``shell,ARGS:`` prefix
    for prefix, handler in _PREFIXES:
        if name.startswith(prefix):
            return handler, name[len(prefix):]
    return None
