"""The device bridge: one code path to real devices, emulators and the virtual device.

Built on adbutils and the adb server; see docs/architecture.md.

  server.py    where the adb server is; starting a local one if needed
  attached.py  what the server lists (serial, state)
  remote.py    host:port devices: adb connect / disconnect / reconnect
  select.py    choosing the device (serial, ANDROID_SERIAL, the only one, host:port)
  device.py    the Device facade
  shell.py     ShellResult, quoting, shell v2 / v1 with deadlines
  transfer.py  push / pull (adbutils sync) with deadlines
  install.py   install / uninstall with parsed failure reasons
  reboot.py    reboot and wait until ready
  logcat.py    parsed logcat streams
"""

from harness.bridge.attached import AdbState, AttachedDevice, list_attached
from harness.bridge.device import Device
from harness.bridge.logcat import LogcatStream, LogLine, LogPriority
from harness.bridge.reboot import BootState
from harness.bridge.select import select_device
from harness.bridge.server import AdbServer
from harness.bridge.shell import ShellResult, join_commands, quote_argv

__all__ = [
    "AdbServer", "AdbState", "AttachedDevice", "BootState", "Device", "LogLine", "LogPriority",
    "LogcatStream", "ShellResult", "join_commands", "list_attached", "quote_argv", "select_device",
]
