"""Shell command handlers of the virtual device.

Each module here defines ``register(registry: CommandRegistry) -> None``. ``build_registry``
assembles them; a later module may replace an earlier module's handler for the same name.
"""

from __future__ import annotations

import importlib

from harness.virtual.shell.registry import CommandRegistry

COMMAND_MODULES = [
    "harness.virtual.commands.base",
    "harness.virtual.commands.vdev",
    "harness.virtual.commands.am",
    "harness.virtual.commands.deviceidle",
    "harness.virtual.commands.battery",
    "harness.virtual.commands.alarm",
    "harness.virtual.commands.connectivity",
    "harness.virtual.commands.input",
    "harness.virtual.commands.appops",
    "harness.virtual.commands.pm_perms",
    "harness.virtual.commands.power",
    "harness.virtual.commands.jobscheduler",
    "harness.virtual.commands.content",
    "harness.virtual.ui.commands",  # app_process (uiautomator2 server), md5sum; wraps am/input for screens
]


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(registry)
    return registry
