"""The virtual device: a Python process that speaks the device side of the ADB protocol.

  adb/       the ADB transport (CNXN, streams, shell v1/v2, sync, abb_exec, reboot)
  shell/     the device shell: a small sh interpreter and the command registry
  commands/  shell command handlers (getprop, settings, am, cmd, dumpsys, content, vdev, ...)
  model/     Android's scheduling rules: clock, device state, Doze, processes, jobs, alarms, work
"""
