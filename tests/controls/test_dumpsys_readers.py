"""The dumpsys readers on output in the formats AOSP prints (JobStatus.dump, Alarm.dump, BatteryService...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.controls.alarms_dump import parse_alarm_dump
from harness.controls.appops import OpMode, parse_mode, parse_permission
from harness.controls.battery import parse_dumpsys_battery
from harness.controls.jobs import JobStateWord, parse_job_state
from harness.controls.jobs_dump import parse_jobscheduler_dump
from harness.controls.power import Wakefulness, parse_low_power, parse_wakefulness

DATA = Path(__file__).parent / "data"
PKG = "dev.harness.companion"


def text(name: str) -> str:
    return (DATA / name).read_text()


def test_jobscheduler_api34_registered_jobs() -> None:
    dump = parse_jobscheduler_dump(text("jobscheduler_api34.txt"))
    assert dump.registered_count == 3
    assert [(j.uid, j.job_id, j.namespace) for j in dump.registered] == [
        ("u0a190", 1001, None), ("u0a190", 7, "sync"), ("u0a77", 42, None)]
    mine = dump.jobs_of(PKG)
    assert [j.job_id for j in mine] == [1001, 7]
    j = dump.job(PKG, 1001)
    assert j is not None
    assert j.service == "dev.harness.companion/.jobs.HarnessJobService"
    assert j.persisted and not j.periodic
    assert j.required == {"TIMING_DELAY", "CONNECTIVITY", "UID_NOT_RESTRICTED"}
    assert j.unsatisfied == {"TIMING_DELAY"}
    assert "CONNECTIVITY" in j.satisfied and "[0x1b500000]" not in j.satisfied
    assert j.ready is False and j.standby_bucket == "ACTIVE"
    assert (j.earliest, j.latest) == ("+13m57s997ms", "none")
    periodic = dump.job(PKG, 7, "sync")
    assert periodic is not None and periodic.periodic and periodic.standby_bucket == "WORKING_SET"
    assert periodic.unsatisfied == {"CHARGING", "TIMING_DELAY", "DEADLINE"}
    assert dump.job(PKG, 7) is None  # the namespace is part of the identity
    other = dump.job("com.other.app", 42)
    assert other is not None and other.ready is True and other.required == frozenset()


def test_jobscheduler_api34_queues() -> None:
    dump = parse_jobscheduler_dump(text("jobscheduler_api34.txt"))
    assert dump.is_registered(PKG, 1001) and not dump.is_registered(PKG, 1002)
    assert dump.is_queued("com.other.app", 42) and not dump.is_queued(PKG, 1001)
    assert dump.is_running(PKG, 1003) and [q.job_id for q in dump.active] == [1003]
    # "Recently completed jobs" and "Job history" mention 1002 and 1001: they are neither.
    assert not dump.is_running(PKG, 1002) and not dump.is_queued(PKG, 1002)


def test_jobscheduler_api26_format() -> None:
    dump = parse_jobscheduler_dump(text("jobscheduler_api26.txt"))
    job = dump.job("com.example.aven.jobdemo", 1001)
    assert job is not None and job.periodic
    assert job.required == {"TIMING_DELAY", "DEADLINE", "UNMETERED"}
    assert job.unsatisfied == {"TIMING_DELAY", "DEADLINE"}
    assert job.ready is False and job.earliest is None
    assert dump.is_queued("com.example.aven.jobdemo", 1001)
    assert dump.active == []


def test_jobscheduler_empty_and_garbage() -> None:
    empty = parse_jobscheduler_dump("Started users: [0]\nRegistered 0 jobs:\n  None.\n\nPending queue:\n  None\n")
    assert empty.registered == [] and empty.registered_count == 0 and empty.pending == []
    assert parse_jobscheduler_dump("Can't find service: jobscheduler\n").registered_count is None


def test_alarm_api34() -> None:
    dump = parse_alarm_dump(text("alarm_api34.txt"))
    mine = dump.alarms_of(PKG)
    assert [a.label for a in mine] == ["RTC_WAKEUP", "ELAPSED_WAKEUP"]  # "Next wake from idle" not counted twice
    rtc, elapsed = mine
    assert rtc.type == 0 and rtc.wakeup and rtc.when == 1767229200000 and rtc.when_elapsed == 7200000
    assert rtc.tag == "*walarm*:dev.harness.companion.action.ALARM.alarm-rtc"
    assert rtc.intent_tag == "dev.harness.companion.action.ALARM.alarm-rtc"
    assert elapsed.intent_tag == "dev.harness.companion/.alarms.AlarmReceiver"  # no action: the component
    assert rtc.flags == 1 and rtc.window == "0" and not rtc.repeating
    assert rtc.section == "3 pending alarms:"
    assert elapsed.repeat_interval == 900000 and elapsed.repeating and elapsed.window == "+45s0ms"
    assert elapsed.operation is not None and "PendingIntentRecord" in elapsed.operation
    assert dump.is_registered(PKG) and dump.is_registered(PKG, "dev.harness.companion.action.ALARM.alarm-rtc")
    # the whole action, never a part of it
    assert not dump.is_registered(PKG, "alarm-rtc")
    assert not dump.is_registered(PKG, "dev.harness.companion.action.ALARM.alarm")
    assert not dump.is_registered(PKG, "dev.harness.companion.action.ALARM.alarm-missing")
    assert not dump.is_registered("com.nobody")
    system = dump.alarms_of("android")
    assert len(system) == 1 and system[0].listener is not None and not system[0].wakeup


def test_alarm_api28_batches() -> None:
    dump = parse_alarm_dump(text("alarm_api28.txt"))
    mine = dump.alarms_of(PKG)
    assert [(a.label, a.when, a.when_elapsed) for a in mine] == [("ELAPSED_WAKEUP", 3660000, None),
                                                                 ("ELAPSED", 3960000, None)]
    assert all(a.section.startswith("Pending alarm batches") for a in mine)
    assert mine[0].tag == "*walarm*:dev.harness.companion.action.ALARM.alarm-1"
    assert [a.intent_tag for a in mine] == ["dev.harness.companion.action.ALARM.alarm-1",
                                            "dev.harness.companion.action.ALARM.alarm-2"]  # *alarm*: non-wakeup
    other = dump.alarms_of("com.other.app")[0]
    assert other.repeat_interval == 60000 and other.window == "+1m0s0ms"


def test_battery() -> None:
    s = parse_dumpsys_battery(text("battery_api34.txt"))
    assert s.updates_stopped and s.usb and not s.ac and s.plugged and s.level == 35 and s.status == 2
    s2 = parse_dumpsys_battery(text("battery_api26.txt"))
    assert not s2.updates_stopped and not s2.plugged and s2.level == 80 and s2.percent == 80.0
    with pytest.raises(ValueError):
        parse_dumpsys_battery("Can't find service: battery\n")


def test_power() -> None:
    assert parse_wakefulness(text("power_api34.txt")) is Wakefulness.ASLEEP
    assert not Wakefulness.ASLEEP.screen_on and Wakefulness.AWAKE.screen_on
    with pytest.raises(ValueError):
        parse_wakefulness("mWakefulness=Sideways")
    assert parse_low_power("1\n") and not parse_low_power("0\n") and not parse_low_power("null\n")
    with pytest.raises(ValueError):
        parse_low_power("maybe")


@pytest.mark.parametrize("out, mode", [
    ("SCHEDULE_EXACT_ALARM: allow; time=+1h2m3s ago\n", OpMode.ALLOW),
    ("SCHEDULE_EXACT_ALARM: deny\n", OpMode.DENY),
    ("Uid mode: SCHEDULE_EXACT_ALARM: ignore\n", OpMode.IGNORE),
    ("Uid mode: SCHEDULE_EXACT_ALARM: deny\nSCHEDULE_EXACT_ALARM: allow; time=+5s ago\n", OpMode.ALLOW),
    ("SCHEDULE_EXACT_ALARM: default\n", OpMode.DEFAULT),
    ("No operations.\n", OpMode.DEFAULT),
])
def test_appops_modes(out: str, mode: OpMode) -> None:
    assert parse_mode(out, "SCHEDULE_EXACT_ALARM") is mode


def test_appops_other_op_only_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_mode("RUN_IN_BACKGROUND: allow\n", "SCHEDULE_EXACT_ALARM")


def test_permissions_from_package_dump() -> None:
    dump = text("package_dump.txt")
    assert parse_permission(dump, "android.permission.POST_NOTIFICATIONS") is False
    assert parse_permission(dump, "android.permission.ACCESS_FINE_LOCATION") is True
    assert parse_permission(dump, "android.permission.SCHEDULE_EXACT_ALARM") is True  # install-time
    assert parse_permission(dump, "android.permission.CAMERA") is None


@pytest.mark.parametrize("out, words, known", [
    ("waiting\n", {JobStateWord.WAITING}, True),
    ("pending\n", {JobStateWord.PENDING}, True),
    ("pending active\n\n", {JobStateWord.PENDING, JobStateWord.ACTIVE}, True),
    (" ready\n\n", {JobStateWord.READY}, True),
    ("unknown(u0a190/jid1001)\n", set(), False),
])
def test_job_state(out: str, words: set, known: bool) -> None:
    state = parse_job_state(out)
    assert state.known is known and state.words == words
