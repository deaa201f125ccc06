"""The device side of the ADB protocol (adbd over TCP, no authentication), on asyncio.

packets (wire format) -> connection (CNXN, message loop) -> stream (flow control) -> router ->
services: shell (shell:/exec:/shell,v2), sync, abb (abb_exec:/abb:, streamed install), reboot.
See docs/virtual-device.md.
"""
