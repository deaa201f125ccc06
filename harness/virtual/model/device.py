"""DeviceModel: the whole virtual Android device, built from subsystems that share one clock.

Every subsystem is a :class:`~harness.virtual.model.subsystem.Subsystem`; DeviceModel calls
their hooks in the order of ``self.subsystems``. All state changes go through methods here or
on the subsystems, and each notable change is appended to the trace (``vdev trace``), which is
byte-identical for the same scenario and seed.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from typing import Any

from harness.virtual.model.clock import VirtualClock
from harness.virtual.model.logbuffer import LogBuffer
from harness.virtual.model.state import DeviceState
from harness.virtual.model.subsystem import Subsystem

log = logging.getLogger(__name__)

DEFAULT_API = 34


@dataclass(frozen=True)
class TraceRecord:
    boot: int
    elapsed_ms: int
    kind: str
    fields: tuple[tuple[str, Any], ...]

    def to_json(self) -> str:
        d: dict[str, Any] = {"boot": self.boot, "elapsed_ms": self.elapsed_ms, "kind": self.kind}
        d.update(self.fields)
        return json.dumps(d, sort_keys=True, separators=(",", ":"))


def default_props(api: int, name: str, serial: str) -> dict[str, str]:
    release = {26: "8.0.0", 27: "8.1.0", 28: "9", 29: "10", 30: "11", 31: "12", 32: "12L",
               33: "13", 34: "14", 35: "15", 36: "16"}.get(api, str(api))
    return {
        "ro.build.version.sdk": str(api),
        "ro.build.version.release": release,
        "ro.product.model": name,
        "ro.product.name": name,
        "ro.product.device": name,
        "ro.product.manufacturer": "harness",
        "ro.product.brand": "harness",
        "ro.product.cpu.abi": "x86_64",
        "ro.serialno": serial,
        "ro.boot.serialno": serial,
        "ro.build.type": "userdebug",
        "ro.debuggable": "1",
        "ro.kernel.qemu": "0",
        "ro.harness.virtual": "1",
        "sys.boot_completed": "1",
        "dev.bootcomplete": "1",
        "sys.boot.reason": "",
        "persist.sys.boot.reason": "",
    }


class DeviceModel:
    def __init__(self, api: int = DEFAULT_API, name: str = "harness_virtual", serial: str = "virtual",
                 seed: int = 0) -> None:
        self.api = api
        self.name = name
        self.serial = serial
        self.seed = seed
        self.random = random.Random(seed)
        self.clock = VirtualClock()
        self.state = DeviceState()
        self.props: dict[str, str] = default_props(api, name, serial)
        self.props["ro.boot.bootcount"] = str(self.clock.boot_count)
        # settings namespaces: global, secure, system
        self.settings: dict[str, dict[str, str]] = {"global": {}, "secure": {}, "system": {}}
        self.settings["global"]["boot_count"] = str(self.clock.boot_count)
        self._trace: list[TraceRecord] = []
        self.logcat = LogBuffer(lambda: self.clock.wall_ms)  # logcat's ring buffer (model/logbuffer.py)
        self.booting = False
        self.subsystems: list[Subsystem] = []
        self._build_subsystems()

    def reset(self, seed: int | None = None, api: int | None = None) -> None:
        """Back to a freshly booted device (``vdev reset``), keeping name and serial."""
        self.__init__(api if api is not None else self.api, self.name, self.serial,  # type: ignore[misc]
                      seed if seed is not None else self.seed)

    # ---------------------------------------------------------------- subsystems
    def _build_subsystems(self) -> None:
        # Imported here so each module can import DeviceModel for typing without cycles.
        from harness.virtual.model.alarms import Alarms
        from harness.virtual.model.companion import CompanionApp
        from harness.virtual.model.doze import Doze
        from harness.virtual.model.files import FileStore
        from harness.virtual.model.jobs import JobScheduler
        from harness.virtual.model.packages import Packages
        from harness.virtual.model.processes import Processes
        from harness.virtual.model.standby import Standby
        from harness.virtual.model.work import WorkManager
        from harness.virtual.ui.screen import UiSystem
        from harness.virtual.ui.sockets import DeviceSockets

        self.files = FileStore(self)
        self.packages = Packages(self)
        self.processes = Processes(self)
        self.standby = Standby(self)
        self.doze = Doze(self)
        self.alarms = Alarms(self)
        self.jobs = JobScheduler(self)
        self.work = WorkManager(self)
        self.companion = CompanionApp(self)
        self.sockets = DeviceSockets(self)  # listening sockets of device processes (harness/virtual/ui)
        self.ui = UiSystem(self)  # the screen uiautomator sees (harness/virtual/ui)
        self.subsystems = [self.files, self.packages, self.processes, self.standby, self.doze,
                           self.alarms, self.jobs, self.work, self.companion, self.sockets, self.ui]

    # ---------------------------------------------------------------- trace
    def trace(self, kind: str, **fields: Any) -> None:
        rec = TraceRecord(self.clock.boot_count, self.clock.elapsed_ms, kind, tuple(sorted(fields.items())))
        self._trace.append(rec)
        if log.isEnabledFor(logging.DEBUG):  # the trace is on the model's hot path: no JSON unless logged
            log.debug("trace %s", rec.to_json())

    def trace_lines(self) -> list[str]:
        return [r.to_json() for r in self._trace]

    # ---------------------------------------------------------------- notifications
    def state_changed(self) -> None:
        """Call after any change to ``self.state`` or to buckets/allowlists."""
        # The model's CPU sleeps whenever the screen is off (fidelity A36): uptime stops.
        self.clock.suspended = not self.state.screen_on
        for s in self.subsystems:
            s.on_state_changed()

    def force_stop(self, package: str) -> None:
        for s in self.subsystems:
            s.on_force_stop(package)

    def process_died(self, package: str, reason: str) -> None:
        for s in self.subsystems:
            s.on_process_died(package, reason)

    def process_started(self, package: str, reason: str) -> None:
        for s in self.subsystems:
            s.on_process_started(package, reason)

    # ---------------------------------------------------------------- time
    def advance(self, ms: int) -> int:
        return self.clock.advance(ms)

    # ---------------------------------------------------------------- reboot
    BOOT_DURATION_MS = 25_000  # simulated time from shutdown to BOOT_COMPLETED

    def shutdown(self) -> None:
        """First half of a reboot: everything in RAM goes away."""
        self.trace("shutdown")
        for s in self.subsystems:
            s.on_shutdown()
        self.booting = True
        self.props["sys.boot_completed"] = "0"
        self.props["dev.bootcomplete"] = "0"

    def boot_stuck(self) -> None:
        """A second half of a reboot that never completes (``vdev boot-hang``, harness/virtual/faults.py).

        A new boot starts (boot count, clocks) but system_server never reaches BOOT_COMPLETED:
        ``sys.boot_completed`` stays 0, no subsystem comes back, no boot broadcast goes out.
        ``vdev reset`` gives a freshly booted device again.
        """
        self.clock.reboot(self.BOOT_DURATION_MS)
        self.props["ro.boot.bootcount"] = str(self.clock.boot_count)
        self.settings["global"]["boot_count"] = str(self.clock.boot_count)
        self.trace("boot_stuck", boot_count=self.clock.boot_count)

    def boot(self) -> None:
        """Second half of a reboot: new boot count, clocks restart, boot broadcasts go out."""
        self.clock.reboot(self.BOOT_DURATION_MS)
        self.state.deep_idle = type(self.state.deep_idle).ACTIVE
        self.state.light_idle = type(self.state.light_idle).ACTIVE
        self.props["ro.boot.bootcount"] = str(self.clock.boot_count)
        self.settings["global"]["boot_count"] = str(self.clock.boot_count)
        self.props["sys.boot_completed"] = "1"
        self.props["dev.bootcomplete"] = "1"
        self.booting = False
        self.trace("boot", boot_count=self.clock.boot_count)
        for s in self.subsystems:
            s.on_boot()
        # LOCKED_BOOT_COMPLETED / BOOT_COMPLETED go out once every service is up (model A).
        self.packages.send_boot_broadcasts()
