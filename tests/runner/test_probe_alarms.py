"""The ``alarm_registered`` probe: an alarm is a task's when its PendingIntent action names that whole task id.

The unit tests parse ``dumpsys alarm`` text in the format AlarmManagerService prints; the last test
runs the probe's own commands through the real adb server against the virtual device, with the
companion's alarms scheduled over RPC.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bridge.select import select_device
from harness.bridge.shell import ShellResult
from harness.companion.client import CompanionClient
from harness.companion.protocol import ALARM_ACTION_PREFIX, PACKAGE, AlarmMethod, AlarmParams, AlarmType, Task
from harness.controls.alarms_dump import parse_alarm_dump
from harness.runner.probes import StateQuery, alarm_tasks_registered
from harness.runner.timeline import Moment
from harness.spec.model import StateCheck
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo

AT = Moment(1, 60_000)


def _alarm(index: int, package: str, tag: str, type_: int = 2) -> str:
    label = {0: "RTC_WAKEUP", 1: "RTC", 2: "ELAPSED_WAKEUP", 3: "ELAPSED"}[type_]
    return (f"    {label} #{index}: Alarm{{{index:07x} type {type_} origWhen 3660000  whenElapsed 3660000 {package}}}\n"
            f"      tag={tag}\n"
            f"      type={label} origWhen=+1m0s0ms window=0 repeatInterval=0 count=0 flags=0x1\n"
            f"      operation=PendingIntent{{{index:07x}: PendingIntentRecord{{{index + 1:07x} {package} "
            f"broadcastIntent}}}}\n")


def _dump(*alarms: str) -> str:
    return ("Current Alarm Manager state:\n  nowRTC=1767225600000=2026-01-01 00:00:00.000 nowELAPSED=60000\n\n"
            f"  {len(alarms)} pending alarms: \n" + "".join(alarms) + "\n")


def _read(text: str, tasks: list[str], status: int = 0) -> dict[str, bool | None]:
    q = StateQuery(checks=frozenset({StateCheck.ALARM_REGISTERED}), job_ids={}, alarm_tasks=tasks)
    cmds, what = q.commands()
    assert cmds == [["dumpsys", "alarm"]] and what == ["alarms"]
    state = q.parse(AT, what, [ShellResult("emulator-5554", "dumpsys alarm", status, text, "")])
    return {t: state.value_of(StateCheck.ALARM_REGISTERED, t) for t in tasks}


def test_a_task_id_that_is_part_of_another_does_not_match_it() -> None:
    # Only `inexact` is pending: `exact` (a substring of it) is not registered (finding F2).
    text = _dump(_alarm(1, PACKAGE, f"*walarm*:{ALARM_ACTION_PREFIX}inexact"))
    assert _read(text, ["exact", "inexact"]) == {"exact": False, "inexact": True}
    # Nor is a task whose id is a prefix or suffix of the pending one's.
    assert _read(text, ["in", "exac", "inexact.x"]) == {"in": False, "exac": False, "inexact.x": False}


def test_wakeup_and_non_wakeup_tags_and_dotted_ids() -> None:
    text = _dump(_alarm(1, PACKAGE, f"*walarm*:{ALARM_ACTION_PREFIX}a.b-c_1", 0),
                 _alarm(2, PACKAGE, f"*alarm*:{ALARM_ACTION_PREFIX}quiet", 3))
    assert _read(text, ["a.b-c_1", "quiet", "a.b", "b-c_1"]) == {"a.b-c_1": True, "quiet": True, "a.b": False,
                                                                 "b-c_1": False}


def test_alarms_of_other_packages_or_actions_are_no_tasks() -> None:
    text = _dump(
        _alarm(1, "com.other.app", f"*walarm*:{ALARM_ACTION_PREFIX}sync"),  # another app using the same action
        _alarm(2, PACKAGE, "*walarm*:dev.harness.companion/.alarms.AlarmReceiver"),  # no action: the component
        _alarm(3, PACKAGE, "*walarm*:dev.harness.companion.action.ALARM"),  # the bare prefix, no task
        _alarm(4, PACKAGE, "*walarm*:dev.harness.companion.action.ALARM."),  # empty task id
    )
    # A single alarm task is no longer credited with any alarm of the package.
    assert _read(text, ["sync"]) == {"sync": False}
    assert alarm_tasks_registered(parse_alarm_dump(text).alarms_of(PACKAGE)) == set()


def test_an_unreadable_dump_is_a_problem_not_false() -> None:
    q = StateQuery(checks=frozenset({StateCheck.ALARM_REGISTERED}), job_ids={}, alarm_tasks=["x"])
    state = q.parse(AT, ["alarms"], [ShellResult("s", "dumpsys alarm", 255, "", "Can't find service: alarm")])
    assert state.value_of(StateCheck.ALARM_REGISTERED, "x") is None
    assert "Can't find service: alarm" in state.problem(StateCheck.ALARM_REGISTERED, "x")


# ---------------------------------------------------------------- through adb, on the virtual device

@pytest.fixture(scope="module")
def companion(sim: SimInfo, adb_server: AdbServerInfo) -> Iterator[CompanionClient]:
    device = select_device(sim.serial, adb_port=adb_server.port)
    client = CompanionClient(device)
    client.connect()
    yield client


def _probe(companion: CompanionClient, tasks: list[str]) -> dict[str, bool | None]:
    q = StateQuery(checks=frozenset({StateCheck.ALARM_REGISTERED}), job_ids={}, alarm_tasks=tasks)
    cmds, what = q.commands()
    state = q.parse(AT, what, [companion.device.shell(c) for c in cmds])
    return {t: state.value_of(StateCheck.ALARM_REGISTERED, t) for t in tasks}


def test_exact_and_inexact_through_adb(companion: CompanionClient) -> None:
    companion.device.shell(["appops", "set", PACKAGE, "SCHEDULE_EXACT_ALARM", "allow"], check=True)
    companion.schedule(Task("exact", AlarmParams(trigger_in_ms=3_600_000, method=AlarmMethod.SET_EXACT)))
    companion.schedule(Task("inexact", AlarmParams(trigger_in_ms=3_600_000, method=AlarmMethod.SET,
                                                   type=AlarmType.ELAPSED)))
    dump = parse_alarm_dump(companion.device.shell(["dumpsys", "alarm"], check=True).stdout)
    # The tags a real device prints for these PendingIntents: prefix by wakeup-ness + the intent's action.
    assert sorted(a.tag or "" for a in dump.alarms_of(PACKAGE)) == [
        f"*alarm*:{ALARM_ACTION_PREFIX}inexact", f"*walarm*:{ALARM_ACTION_PREFIX}exact"]
    assert _probe(companion, ["exact", "inexact", "exac"]) == {"exact": True, "inexact": True, "exac": False}

    companion.cancel("exact")
    assert _probe(companion, ["exact", "inexact"]) == {"exact": False, "inexact": True}
    companion.cancel("inexact")
    assert _probe(companion, ["exact", "inexact"]) == {"exact": False, "inexact": False}
    companion.device.shell(["appops", "set", PACKAGE, "SCHEDULE_EXACT_ALARM", "default"], check=True)
