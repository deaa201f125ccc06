"""Requests serialize to the protocol's JSON; answers read into typed records (or a clear error)."""

from __future__ import annotations

import pytest

from harness.companion.protocol import (
    AlarmMethod,
    AlarmParams,
    AlarmType,
    BackoffPolicy,
    Behavior,
    CoroutineParams,
    Event,
    EventMechanism,
    EventPage,
    ForegroundParams,
    ForegroundType,
    HelloInfo,
    JobNetwork,
    JobParams,
    Mechanism,
    OnStop,
    Outcome,
    Task,
    TaskList,
    TaskState,
    UniquePolicy,
    WorkKind,
    WorkNetwork,
    WorkParams,
)

HELLO = {
    "ok": True,
    "protocol": {"major": 1, "minor": 0},
    "app": {"package": "dev.harness.companion", "version_name": "0.1.0", "version_code": 1, "target_sdk": 34},
    "device": {"api": 34, "boot_count": 3, "elapsed_ms": 123456, "wall_ms": 1767225600000},
    "permissions": {"schedule_exact_alarm": False, "use_exact_alarm": False,
                    "can_schedule_exact_alarms": False, "post_notifications": True},
    "battery_optimization": {"ignoring": False},
    "standby_bucket": 10,
    "journal": {"last_seq": 41},
    "config": {"reregister_alarms_on_boot": False},
}


def test_job_task_sends_only_what_was_set() -> None:
    task = Task("sync-1", JobParams(min_latency_ms=60_000, network=JobNetwork.UNMETERED, persisted=True,
                                    backoff_policy=BackoffPolicy.LINEAR),
                Behavior(duration_ms=500, outcomes=[Outcome.RETRY, Outcome.SUCCESS], on_stop=OnStop.DROP))
    assert task.mechanism is Mechanism.JOB
    assert task.to_json() == {
        "id": "sync-1", "mechanism": "job",
        "params": {"min_latency_ms": 60000, "network": "unmetered", "persisted": True, "backoff_policy": "linear"},
        "behavior": {"duration_ms": 500, "outcomes": ["retry", "success"], "on_stop": "drop"},
    }


def test_work_alarm_foreground_coroutine_tasks() -> None:
    work = Task("w", WorkParams(kind=WorkKind.PERIODIC, interval_ms=900_000, network=WorkNetwork.CONNECTED,
                                unique_name="u", unique_policy=UniquePolicy.KEEP, after=("a", "b"), tags=["t"]))
    assert work.to_json()["params"] == {"kind": "periodic", "interval_ms": 900000, "network": "connected",
                                        "unique_name": "u", "unique_policy": "keep", "after": ["a", "b"],
                                        "tags": ["t"]}
    alarm = Task("a", AlarmParams(trigger_in_ms=0, type=AlarmType.RTC_WAKEUP,
                                  method=AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE))
    assert alarm.to_json()["mechanism"] == "alarm"
    assert alarm.to_json()["params"] == {"trigger_in_ms": 0, "type": "rtc_wakeup",
                                         "method": "set_exact_and_allow_while_idle"}
    fg = Task("f", ForegroundParams(ForegroundType.SHORT_SERVICE))
    assert fg.to_json()["params"] == {"type": "shortService"} and fg.to_json()["mechanism"] == "foreground"
    co = Task("c", CoroutineParams())
    assert co.to_json() == {"id": "c", "mechanism": "coroutine", "params": {}, "behavior": {}}


def test_hello_reads_every_field() -> None:
    info = HelloInfo.from_json(HELLO)
    assert info.protocol == (1, 0) and info.protocol_text == "1.0"
    assert info.app.version_name == "0.1.0" and info.app.target_sdk == 34
    assert info.device.api == 34 and info.device.boot_count == 3
    assert info.permissions.post_notifications and not info.permissions.can_schedule_exact_alarms
    assert info.standby_bucket == 10 and info.journal_last_seq == 41
    assert info.config == {"reregister_alarms_on_boot": False}
    assert not info.ignoring_battery_optimizations


@pytest.mark.parametrize("broken", [
    {k: v for k, v in HELLO.items() if k != "protocol"},
    {**HELLO, "protocol": {"major": "1", "minor": 0}},
    {**HELLO, "protocol": {"major": True, "minor": 0}},
    {**HELLO, "device": {}},
])
def test_hello_missing_or_mistyped_fields_are_refused(broken: dict) -> None:
    with pytest.raises(ValueError):
        HelloInfo.from_json(broken)


EVENT = {"seq": 7, "boot": 2, "elapsed_ms": 5000, "wall_ms": 1767225605000, "task_id": "sync-1",
         "mechanism": "job", "kind": "stopped", "thread": "main", "stop_reason": "CONSTRAINT_CONNECTIVITY",
         "detail": {"stop_reason_code": 7, "reschedule": True}}


def test_event_and_page() -> None:
    page = EventPage.from_json({"ok": True, "events": [EVENT, {**EVENT, "seq": 8, "task_id": None,
                                                               "mechanism": "app", "kind": "process_start",
                                                               "stop_reason": None, "detail": {}}],
                                "last_seq": 8, "more": False})
    assert [e.seq for e in page.events] == [7, 8]
    first = page.events[0]
    assert first.mechanism is EventMechanism.JOB and first.stop_reason == "CONSTRAINT_CONNECTIVITY"
    assert first.detail["stop_reason_code"] == 7
    assert page.events[1].task_id is None and page.events[1].mechanism is EventMechanism.APP
    assert page.last_seq == 8 and not page.more


@pytest.mark.parametrize("bad", [{**EVENT, "mechanism": "teleport"}, {**EVENT, "seq": "7"},
                                 {k: v for k, v in EVENT.items() if k != "kind"}])
def test_bad_events_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Event.from_json(bad)


def test_task_list() -> None:
    tl = TaskList.from_json({"ok": True, "tasks": [{"task_id": "a", "mechanism": "job", "state": "scheduled",
                                                    "platform": {"job_id": 1234}, "runs": 0}],
                             "pending_jobs": [1234]})
    assert tl.get("a") is not None and tl.get("a").state is TaskState.SCHEDULED  # type: ignore[union-attr]
    assert tl.pending_jobs == [1234] and tl.get("b") is None
    with pytest.raises(ValueError):
        TaskList.from_json({"ok": True, "tasks": [], "pending_jobs": ["x"]})
