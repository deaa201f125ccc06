"""Reading device state for the runner: ``state`` expectations and the report's lanes.

Everything here is pure: functions build argv commands (so the runner can put them in the same
adb round trip as a step) and parse their results. Two readings:

* :class:`PlatformState`: what ``state`` expectations check (job pending, alarm registered,
  process running, app stopped, standby bucket), read with dumpsys/cmd/am as on any device.
* lanes (:class:`~harness.runner.result.StateSample`): on the virtual device from ``vdev state``
  (one command, which also gives the device time); on a real device from the controls' readings.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.bridge.shell import ShellResult
from harness.companion.protocol import PACKAGE, alarm_task_of_action
from harness.controls import battery as battery_ctl
from harness.controls import doze as doze_ctl
from harness.controls import network as network_ctl
from harness.controls import power as power_ctl
from harness.controls import standby as standby_ctl
from harness.controls.alarms_dump import AlarmRecord, parse_alarm_dump
from harness.controls.jobs_dump import parse_jobscheduler_dump
from harness.runner.result import DevicePoint, StateSample
from harness.runner.timeline import Moment
from harness.spec.model import Bucket, StateCheck

log = logging.getLogger(__name__)

Commands = list[list[str]]

BUCKET_BY_NUMBER = {int(standby_ctl.Bucket.ACTIVE): Bucket.ACTIVE,
                    int(standby_ctl.Bucket.WORKING_SET): Bucket.WORKING_SET,
                    int(standby_ctl.Bucket.FREQUENT): Bucket.FREQUENT,
                    int(standby_ctl.Bucket.RARE): Bucket.RARE,
                    int(standby_ctl.Bucket.RESTRICTED): Bucket.RESTRICTED}

_STOPPED = re.compile(r"\bstopped=(true|false)\b")


# ---------------------------------------------------------------- platform state (expectations)

@dataclass
class PlatformState:
    """State read at one moment; ``None`` values were not read or not readable (see ``problems``)."""

    at: Moment
    job_pending: dict[str, bool] = field(default_factory=dict)  # task id -> registered with JobScheduler
    alarm_registered: dict[str, bool] = field(default_factory=dict)
    process_running: bool | None = None
    app_stopped: bool | None = None
    standby_bucket: Bucket | int | None = None
    problems: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def value_of(self, check: StateCheck, task: str | None) -> bool | Bucket | int | None:
        if check is StateCheck.JOB_PENDING:
            return self.job_pending.get(task or "")
        if check is StateCheck.ALARM_REGISTERED:
            return self.alarm_registered.get(task or "")
        if check is StateCheck.PROCESS_RUNNING:
            return self.process_running
        if check is StateCheck.APP_STOPPED:
            return self.app_stopped
        return self.standby_bucket

    def problem(self, check: StateCheck, task: str | None) -> str:
        return self.problems.get(check.value, f"{check.value} was not read")

    def source(self, check: StateCheck) -> str:
        return self.sources.get(check.value, "")


@dataclass(frozen=True)
class StateQuery:
    """Which checks to read, and the platform ids of the tasks they name."""

    checks: frozenset[StateCheck]
    job_ids: Mapping[str, int]  # task id -> JobInfo id (from the schedule answer)
    alarm_tasks: Sequence[str]

    def commands(self, package: str = PACKAGE) -> tuple[Commands, list[str]]:
        """(commands, what each one reads)."""
        cmds: Commands = []
        what: list[str] = []
        if StateCheck.JOB_PENDING in self.checks:
            cmds.append(["dumpsys", "jobscheduler", package])
            what.append("jobs")
        if StateCheck.ALARM_REGISTERED in self.checks:
            cmds.append(["dumpsys", "alarm"])
            what.append("alarms")
        if StateCheck.PROCESS_RUNNING in self.checks:
            cmds.append(["pidof", package])
            what.append("pid")
        if StateCheck.APP_STOPPED in self.checks:
            cmds.append(["dumpsys", "package", package])
            what.append("package")
        if StateCheck.STANDBY_BUCKET in self.checks:
            cmds.extend(standby_ctl.get_bucket_commands(package))
            what.append("bucket")
        return cmds, what

    def parse(self, at: Moment, what: Sequence[str], results: Sequence[ShellResult],
              package: str = PACKAGE) -> PlatformState:
        state = PlatformState(at=at)
        for kind, r in zip(what, results):
            try:
                _parse_one(state, self, kind, r, package)
            except ValueError as e:
                key = {"jobs": StateCheck.JOB_PENDING, "alarms": StateCheck.ALARM_REGISTERED,
                       "pid": StateCheck.PROCESS_RUNNING, "package": StateCheck.APP_STOPPED,
                       "bucket": StateCheck.STANDBY_BUCKET}[kind].value
                state.problems[key] = f"{r.command!r} exited {r.status}: {e}"
        return state


def _parse_one(state: PlatformState, q: StateQuery, kind: str, r: ShellResult, package: str) -> None:
    if kind == "jobs":
        if r.status != 0:
            raise ValueError((r.stderr or r.stdout).strip()[-200:])
        dump = parse_jobscheduler_dump(r.stdout)
        for task, job_id in q.job_ids.items():
            state.job_pending[task] = dump.is_registered(package, job_id)
        state.sources[StateCheck.JOB_PENDING.value] = "dumpsys jobscheduler"
    elif kind == "alarms":
        if r.status != 0:
            raise ValueError((r.stderr or r.stdout).strip()[-200:])
        dump = parse_alarm_dump(r.stdout)
        registered = alarm_tasks_registered(dump.alarms_of(package))
        for task in q.alarm_tasks:
            state.alarm_registered[task] = task in registered
        state.sources[StateCheck.ALARM_REGISTERED.value] = "dumpsys alarm"
    elif kind == "pid":
        # pidof exits 1 with no output when no process has the name
        pids = r.stdout.split()
        if r.status not in (0, 1) or (r.status == 0 and not pids):
            raise ValueError((r.stderr or r.stdout).strip()[-200:] or "no output")
        state.process_running = r.status == 0 and bool(pids)
        state.sources[StateCheck.PROCESS_RUNNING.value] = "pidof " + (" ".join(pids) or "(none)")
    elif kind == "package":
        m = _STOPPED.search(r.stdout)
        if r.status != 0 or m is None:
            raise ValueError("no 'stopped=' in dumpsys package")
        state.app_stopped = m.group(1) == "true"
        state.sources[StateCheck.APP_STOPPED.value] = "dumpsys package"
    elif kind == "bucket":
        if r.status != 0:
            raise ValueError((r.stderr or r.stdout).strip()[-200:])
        number = int(standby_ctl.parse_bucket(r.stdout))
        state.standby_bucket = BUCKET_BY_NUMBER.get(number, number)
        state.sources[StateCheck.STANDBY_BUCKET.value] = f"am get-standby-bucket: {number}"


def alarm_tasks_registered(alarms: Sequence[AlarmRecord]) -> set[str]:
    """The companion task ids with a pending alarm among ``alarms``.

    An alarm's tag is ``*walarm*:``/``*alarm*:`` + its PendingIntent's action, and the companion's
    action is ``dev.harness.companion.action.ALARM.<task id>``; the task id is the whole suffix, so
    task ``exact`` never matches the alarm of task ``inexact``. Alarms with another action are not
    any task's.
    """
    found: set[str] = set()
    for a in alarms:
        task = alarm_task_of_action(a.intent_tag)
        if task is not None:
            found.add(task)
    return found


# ---------------------------------------------------------------- virtual device: vdev state

VDEV_STATE: Commands = [["vdev", "state"]]


@dataclass(frozen=True)
class VirtualState:
    """What ``vdev state`` says: the device time, the lanes, and when the next timer is due."""

    moment: Moment
    sample: StateSample
    next_timer_ms: int | None
    raw: dict[str, Any]


def parse_vdev_state(text: str, last_seq: int, package: str = PACKAGE) -> VirtualState:
    """Parse ``vdev state`` (one JSON object, see harness/virtual/commands/vdev.py); ValueError if it is not."""
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"vdev state did not print JSON ({e.msg}): {text.strip()[:200]!r}") from e
    if not isinstance(d, dict):
        raise ValueError("vdev state did not print a JSON object")
    boot, elapsed, wall = d.get("boot_count"), d.get("elapsed_ms"), d.get("wall_ms")
    if not isinstance(boot, int) or not isinstance(elapsed, int):
        raise ValueError(f"vdev state lacks boot_count/elapsed_ms: {text.strip()[:200]!r}")
    moment = Moment(boot, elapsed, wall if isinstance(wall, int) else None, last_seq)
    battery = d.get("battery") if isinstance(d.get("battery"), dict) else {}
    network = d.get("network") if isinstance(d.get("network"), dict) else {}
    doze = d.get("doze") if isinstance(d.get("doze"), dict) else {}
    procs = d.get("processes") if isinstance(d.get("processes"), list) else None
    pkgs = d.get("packages") if isinstance(d.get("packages"), list) else []
    mine = next((p for p in pkgs if isinstance(p, dict) and p.get("package") == package), None)
    plugged = battery.get("plugged")
    sample = StateSample(
        at=DevicePoint(boot, elapsed),
        screen_on=d.get("screen_on") if isinstance(d.get("screen_on"), bool) else None,
        doze=doze.get("deep"),
        light_doze=doze.get("light"),
        network=str(network["type"]) if "type" in network else None,
        charging=(plugged != "none") if isinstance(plugged, str) else None,
        battery_saver=battery.get("saver") if isinstance(battery.get("saver"), bool) else None,
        battery_level=battery.get("level") if isinstance(battery.get("level"), int) else None,
        process_alive=(any(isinstance(p, dict) and p.get("package") == package for p in procs)
                       if procs is not None else None),
        standby_bucket=str(mine["standby_bucket"]) if mine and "standby_bucket" in mine else None,
        source="vdev state",
    )
    nxt = d.get("next_timer_ms")
    return VirtualState(moment, sample, nxt if isinstance(nxt, int) else None, d)


# ---------------------------------------------------------------- real device: the controls' readings

def lane_commands(package: str = PACKAGE) -> tuple[Commands, list[str]]:
    """Commands reading every lane on a real device, and what each reads."""
    cmds: Commands = []
    what: list[str] = []
    for c in doze_ctl.state_commands()[:2]:  # deep, light
        cmds.append(c)
    what += ["deep", "light"]
    cmds += battery_ctl.state_commands()
    what.append("battery")
    cmds += power_ctl.battery_saver_state_commands()
    what.append("saver")
    cmds += power_ctl.wakefulness_commands()
    what.append("wakefulness")
    cmds += network_ctl.state_commands()
    what += ["wifi", "data", "airplane"]
    cmds.append(["pidof", package])
    what.append("pid")
    return cmds, what


def parse_lanes(at: DevicePoint, what: Sequence[str], results: Sequence[ShellResult]) -> StateSample:
    """A lane sample from :func:`lane_commands`' results; unreadable lanes stay None."""
    by = {k: r for k, r in zip(what, results)}
    s = StateSample(at=at, source="controls")

    def text(k: str) -> str | None:
        r = by.get(k)
        return r.stdout.strip() if r is not None and r.status == 0 else None

    s.doze = (text("deep") or None)
    s.light_doze = (text("light") or None)
    try:
        b = by.get("battery")
        if b is not None and b.status == 0:
            st = battery_ctl.parse_dumpsys_battery(b.stdout)
            s.charging, s.battery_level = st.plugged, st.level
    except ValueError as e:
        log.debug("battery lane unreadable: %s", e)
    saver = text("saver")
    if saver is not None:
        s.battery_saver = power_ctl.parse_low_power(saver)
    w = by.get("wakefulness")
    if w is not None and w.status == 0:
        try:
            s.screen_on = power_ctl.parse_wakefulness(w.stdout).screen_on
        except ValueError as e:
            log.debug("screen lane unreadable: %s", e)
    wifi, data, airplane = text("wifi"), text("data"), text("airplane")
    if wifi is not None and data is not None and airplane is not None:
        try:
            net = network_ctl.parse_state(wifi, data, airplane)
            s.network = "none" if net.airplane else "wifi" if net.wifi else "cellular" if net.data else "none"
        except ValueError as e:
            log.debug("network lane unreadable: %s", e)
    pid = by.get("pid")
    if pid is not None:
        s.process_alive = pid.status == 0 and bool(pid.stdout.split())
    return s
