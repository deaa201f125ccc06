"""Fidelity tests of the virtual device, driven through the real adb server.

Every command travels adb client -> adb server (``adb_server``: Debian adb 29, or adb 36 with
``HARNESS_TEST_ADB=bundled``) -> the virtual device process (``sim``, one per module) over TCP,
through the bridge's :class:`~harness.bridge.device.Device` and the companion's RPC
(:class:`~harness.companion.client.CompanionClient`, i.e. ``content call``). Outcomes are read the
way the harness reads a real phone: the companion journal, ``dumpsys``/``cmd`` output, and the
virtual-only ``vdev state`` / ``vdev trace``. Each test starts from ``vdev reset``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from harness.bridge.shell import ShellResult
from harness.companion.client import CompanionClient, call_argv, request_arg
from harness.companion.protocol import PACKAGE, AlarmMethod, AlarmParams, AlarmType, Event, ScheduleResult, Task
from harness.controls.alarms_dump import AlarmDump, AlarmRecord, parse_alarm_dump
from harness.virtual.sim import SimInfo

if TYPE_CHECKING:
    from harness.bridge.device import Device

MIN = 60_000
HOUR = 3_600_000
COMPANION = PACKAGE
ACTIVITY = f"{PACKAGE}/.ui.CompanionActivity"


@dataclass
class Phone:
    """One virtual device as the harness sees it: shell commands and the companion's RPC."""

    device: "Device"
    companion: CompanionClient = field(init=False)

    def __post_init__(self) -> None:
        self.companion = CompanionClient(self.device)

    # ---------------------------------------------------------------- shell
    def sh(self, *argv: str) -> ShellResult:
        return self.device.shell(list(argv))

    def out(self, *argv: str) -> str:
        r = self.device.shell(list(argv))
        assert r.status == 0, (argv, r.status, r.stdout, r.stderr)
        return r.stdout

    def script(self, text: str) -> ShellResult:
        return self.device.shell_script(text, timeout=60)

    def advance(self, duration: str) -> int:
        """``vdev advance``; the number of timers that fired."""
        first = self.out("vdev", "advance", duration).splitlines()[0]
        assert first.startswith("fired="), first
        return int(first.split("=", 1)[1])

    def state(self) -> dict[str, Any]:
        return json.loads(self.out("vdev", "state"))

    def elapsed(self) -> int:
        return int(self.state()["elapsed_ms"])

    def wall(self) -> int:
        return int(self.state()["wall_ms"])

    def trace(self, kind: str | None = None) -> list[dict[str, Any]]:
        recs = [json.loads(line) for line in self.out("vdev", "trace").splitlines()]
        return [r for r in recs if kind is None or r["kind"] == kind]

    def deep(self) -> str:
        return self.out("cmd", "deviceidle", "get", "deep").strip()

    def light(self) -> str:
        return self.out("cmd", "deviceidle", "get", "light").strip()

    def bucket(self, package: str = COMPANION) -> int:
        return int(self.out("am", "get-standby-bucket", package).strip())

    def pid(self, package: str = COMPANION) -> int | None:
        r = self.sh("pidof", package)
        return int(r.stdout.strip()) if r.status == 0 else None

    def stopped(self, package: str = COMPANION) -> bool:
        dump = self.out("dumpsys", "package", package)
        assert " stopped=" in dump, dump
        return " stopped=true" in dump

    def exit_info(self, package: str = COMPANION) -> str:
        return self.out("dumpsys", "activity", "exit-info", package)

    def screen_off(self) -> None:
        self.out("input", "keyevent", "KEYCODE_SLEEP")

    def screen_on(self) -> None:
        self.out("input", "keyevent", "KEYCODE_WAKEUP")

    def unplug_and_sleep(self) -> None:
        self.out("cmd", "battery", "unplug")
        self.screen_off()

    def allow_exact(self) -> None:
        self.out("appops", "set", COMPANION, "SCHEDULE_EXACT_ALARM", "allow")

    # ---------------------------------------------------------------- alarms
    def alarm(self, task_id: str, method: AlarmMethod, trigger_in_ms: int, *, type: AlarmType | None = None,
              window_ms: int | None = None, interval_ms: int | None = None) -> ScheduleResult:
        params = AlarmParams(trigger_in_ms=trigger_in_ms, type=type, method=method, window_ms=window_ms,
                             interval_ms=interval_ms)
        return self.companion.schedule(Task(task_id, params))

    def alarm_argv(self, task_id: str, method: AlarmMethod, trigger_in_ms: int) -> list[str]:
        """The ``content call`` of one alarm task, for scripts that schedule many in one round trip."""
        task = Task(task_id, AlarmParams(trigger_in_ms=trigger_in_ms, method=method))
        return call_argv("schedule", request_arg({"task": task.to_json()}))

    def events(self, task_id: str | None = None, kind: str | None = None) -> list[Event]:
        return [e for e in self.companion.all_events()
                if (task_id is None or e.task_id == task_id) and (kind is None or e.kind == kind)]

    def fired(self, task_id: str | None = None) -> list[Event]:
        return [e for e in self.events(task_id, "fired") if e.mechanism.value == "alarm"]

    def alarm_dump(self) -> AlarmDump:
        return parse_alarm_dump(self.out("dumpsys", "alarm"))

    def app_alarms(self, package: str = COMPANION) -> list[AlarmRecord]:
        return [a for a in self.alarm_dump().alarms if a.package == package]


@pytest.fixture
def phone(device: "Device", sim: SimInfo) -> Phone:
    """The module's virtual device, freshly reset (boot count 1, clocks at 0, companion installed) at the
    API level it started with (a test may have reset it to another)."""
    r = device.shell(["vdev", "reset", "--api", str(sim.api)], timeout=30)
    assert r.status == 0, r.stderr
    return Phone(device)
