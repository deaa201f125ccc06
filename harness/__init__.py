"""Android background-work test harness.

Layers (see docs/architecture.md):
  bridge/     the device bridge over adbutils and the real adb server
  controls/   device controls (Doze, battery, network, buckets, ...) with snapshot/restore
  companion/  the client of the companion app's RPC protocol
  spec/       YAML spec loader and schema
  runner/     runs specs against a device
  report/     HTML and JSON reports
  virtual/    the virtual device: ADB transport, shell, and the Android scheduling model
"""

__version__ = "0.1.0"
