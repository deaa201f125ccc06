"""The virtual device's screen and its uiautomator2 server (see docs/virtual-device.md)."""
