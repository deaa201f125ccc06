"""The emulated companion app against docs/companion-protocol.md: RPC shapes, journal, receivers."""

from __future__ import annotations

import json

import pytest

from .helpers import MIN, PKG, URI, Dev


def test_content_call_prints_one_bundle_line(dev: Dev) -> None:
    r = dev.sh("content", "call", "--uri", URI, "--method", "hello")
    text = r.stdout.decode()
    assert r.status == 0 and text.startswith("Result: Bundle[{json={") and text.endswith("}}]\n")
    assert text.count("\n") == 1


def test_other_uids_get_a_security_exception(dev: Dev) -> None:
    r = dev.sh("content", "call", "--uri", URI, "--method", "hello", uid=10001)
    err = r.stderr.decode().splitlines()
    assert r.stdout == b"" and r.status == 0
    assert err[0] == "Error while accessing provider:dev.harness.companion.rpc"
    assert err[1] == "java.lang.SecurityException: caller uid 10001 is not shell or root"
    assert dev.call("hello", uid=0)["ok"]  # root is allowed


def test_not_installed_says_could_not_find_provider(dev: Dev) -> None:
    dev.model.packages.uninstall(PKG)
    r = dev.sh("content", "call", "--uri", URI, "--method", "hello")
    assert b"Could not find provider: dev.harness.companion.rpc" in r.stderr and r.stdout == b""


def test_provider_call_starts_the_process_and_clears_the_stopped_state(dev: Dev) -> None:
    dev.rpc("hello")
    dev.out("am", "force-stop", PKG)
    assert dev.model.packages.is_stopped(PKG) and not dev.model.processes.is_running(PKG)
    dev.rpc("hello")
    assert not dev.model.packages.is_stopped(PKG) and dev.model.processes.is_running(PKG)
    start = [e for e in dev.events() if e["kind"] == "process_start"][-1]
    assert start["detail"]["reason"] == "content_provider"
    assert start["detail"]["previous_exit"]["reason"] == "USER_REQUESTED"


@pytest.mark.parametrize("arg, code, field", [
    ("[1]", "bad_json", None),
    ("{nope", "bad_json", None),
    ('{"task": {"id": "t", "mechanism": "job", "paramz": {}}}', "unknown_field", "task.paramz"),
    ('{"task": {"id": "t"}}', "missing_field", "task.mechanism"),
    ('{"task": {"id": "t", "mechanism": "job", "params": {"min_latency_ms": "5"}}}', "bad_type",
     "task.params.min_latency_ms"),
    ('{"task": {"id": "t", "mechanism": "teleport"}}', "bad_value", "task.mechanism"),
    ('{"task": {"id": "t", "mechanism": "job", "params": {"min_latency_ms": -1}}}', "out_of_range",
     "task.params.min_latency_ms"),
    ('{"task": {"id": "t", "mechanism": "job", "behavior": {"duration_ms": 86400001}}}', "out_of_range",
     "task.behavior.duration_ms"),
    ('{"task": {"id": "t", "mechanism": "work", "params": {"kind": "periodic"}}}', "missing_field",
     "task.params.interval_ms"),
    ('{"task": {"id": "t", "mechanism": "work", "params": {"after": ["ghost"]}}}', "unknown_task",
     "task.params.after[0]"),
    ('{"task": {"id": "t", "mechanism": "alarm", "params": {"method": "set_window", "trigger_in_ms": 1}}}',
     "missing_field", "task.params.window_ms"),
    ('{"task": {"id": "t", "mechanism": "job", "behavior": {"outcomes": ["maybe"]}}}', "bad_value",
     "task.behavior.outcomes[0]"),
    ('{"protocol": {"major": 2, "minor": 0}}', "protocol_mismatch", "protocol.major"),
])
def test_validation_errors_name_the_field(dev: Dev, arg: str, code: str, field: str | None) -> None:
    method = "hello" if "protocol" in arg else "schedule"
    r = dev.sh("content", "call", "--uri", URI, "--method", method, "--arg", arg)
    answer = json.loads(r.stdout.decode()[len("Result: Bundle[{json="):-3])
    assert answer["ok"] is False
    assert answer["error"]["code"] == code and answer["error"]["field"] == field
    assert dev.rpc("hello")["ok"]  # the app keeps running


def test_unknown_method_and_not_supported(dev: Dev) -> None:
    assert dev.call("fly")["error"]["code"] == "unknown_method"
    dev.reset(api=30)
    answer = dev.schedule("ej", "job", {"expedited": True})
    assert answer["error"] == {"code": "not_supported", "field": "task.params.expedited",
                               "message": "expedited jobs need API 31, the device has 30"}


def test_duplicate_and_unknown_task(dev: Dev) -> None:
    assert dev.schedule("d", "job", {"min_latency_ms": MIN})["ok"]
    assert dev.schedule("d", "job", {})["error"]["code"] == "duplicate_task"
    assert dev.call("cancel", {"task_id": "nope"})["error"]["code"] == "unknown_task"
    assert dev.rpc("cancel", {"task_id": "d"})["was"] == "scheduled"
    assert dev.first("d", "cancelled")["detail"] == {"cause": "client"}
    assert dev.schedule("d", "job", {"min_latency_ms": MIN})["ok"]  # a cancelled id may be reused


def test_events_paging_and_clear(dev: Dev) -> None:
    for i in range(5):
        dev.schedule(f"t{i}", "job", {"min_latency_ms": 60 * MIN})
    page = dev.rpc("events", {"since": 0, "limit": 2})
    assert [e["seq"] for e in page["events"]] == [1, 2] and page["more"] is True and page["last_seq"] == 2
    total = dev.rpc("events")["last_seq"]
    assert dev.rpc("clear_events")["cleared"] == total
    dev.schedule("after", "job", {"min_latency_ms": MIN})
    assert dev.events()[0]["seq"] == total + 1


def test_journal_goes_to_logcat_under_harness_journal(dev: Dev) -> None:
    dev.schedule("lg", "job", {"min_latency_ms": MIN})
    entries = [e for e in dev.model.logcat.entries() if e.tag == "HarnessJournal"]
    assert entries and all(e.priority.letter == "I" for e in entries)
    docs = [json.loads(e.message) for e in entries]
    assert [d["seq"] for d in docs] == [e["seq"] for e in dev.events()]
    out = dev.out("logcat", "-d", "-s", "HarnessJournal:I")
    assert '"kind":"scheduled"' in out


def test_journal_survives_process_death_force_stop_and_reboot(dev: Dev) -> None:
    dev.schedule("j", "job", {"min_latency_ms": MIN})
    dev.model.processes.kill(PKG, "lmk")
    dev.out("am", "force-stop", PKG)
    dev.reboot()
    evs = dev.events()
    assert evs[0]["kind"] == "process_start" and any(e["task_id"] == "j" for e in evs)
    assert {e["boot"] for e in evs} == {1, 2}


def test_boot_receiver_journals_both_boot_broadcasts(dev: Dev) -> None:
    dev.rpc("hello")
    dev.reboot()
    kinds = [e["kind"] for e in dev.events() if e["mechanism"] == "boot"]
    assert kinds == ["locked_boot_completed", "boot_completed"]


def test_stopped_app_gets_no_boot_broadcast(dev: Dev) -> None:
    dev.out("am", "force-stop", PKG)
    dev.reboot()
    assert [e for e in dev.model.companion.journal.events if e.mechanism == "boot"] == []


def test_job_callbacks_threads_and_outcomes(dev: Dev) -> None:
    dev.schedule("th", "job", {}, {"duration_ms": 1_000, "outcomes": ["failure"]})
    dev.advance(1_000)
    evs = dev.events("th")
    assert [(e["kind"], e["thread"]) for e in evs] == [
        ("scheduled", "main"), ("started", "main"), ("work_started", "DefaultDispatcher-worker-1"),
        ("finished", "DefaultDispatcher-worker-1")]
    assert evs[-1]["detail"] == {"reschedule": False, "outcome": "failure", "run": 1}
    assert dev.state("th") == "failed"


def test_foreground_service_refused_from_background_allowed_from_top(dev: Dev) -> None:
    answer = dev.schedule("fg", "foreground", {"type": "dataSync"})
    assert answer["error"]["code"] == "platform_error"
    assert answer["error"]["exception"] == "android.app.ForegroundServiceStartNotAllowedException"
    assert dev.kinds("fg") == ["schedule_failed"]
    dev.out("am", "start", "-n", f"{PKG}/.ui.CompanionActivity")
    assert dev.schedule("fg2", "foreground", {}, {"duration_ms": MIN})["ok"]
    assert dev.model.processes.is_foreground(PKG)
    dev.advance(MIN)
    assert dev.kinds("fg2") == ["scheduled", "started", "finished"]


def test_foreground_service_allowed_in_the_background_below_api_31(dev: Dev) -> None:
    dev.reset(api=30)
    assert dev.schedule("old", "foreground", {}, {"duration_ms": 1_000})["ok"]


def test_short_service_times_out_after_three_minutes(dev: Dev) -> None:
    dev.out("am", "start", "-n", f"{PKG}/.ui.CompanionActivity")
    dev.schedule("short", "foreground", {"type": "shortService"}, {"duration_ms": 10 * MIN})
    dev.advance(10 * MIN)
    stopped = dev.first("short", "stopped")
    assert stopped["elapsed_ms"] - dev.first("short", "started")["elapsed_ms"] == 3 * MIN


def test_coroutine_runs_while_the_activity_is_started(dev: Dev) -> None:
    dev.schedule("co", "coroutine", {}, {"duration_ms": 5 * MIN})
    dev.advance(MIN)
    assert dev.kinds("co") == ["scheduled"]  # the activity is not started: the task waits
    dev.out("am", "start", "-n", f"{PKG}/.ui.CompanionActivity")
    dev.advance(MIN)
    dev.out("input", "keyevent", "KEYCODE_HOME")
    cancelled = dev.first("co", "cancelled")
    assert cancelled["detail"] == {"cause": "lifecycle"} and cancelled["thread"] == "main"
    assert [e["detail"]["state"] for e in dev.events() if e["kind"] == "activity"] == ["resumed", "stopped"]


def test_alarm_fires_on_the_main_thread(dev: Dev) -> None:
    dev.schedule("al2", "alarm", {"type": "elapsed_wakeup", "method": "set", "trigger_in_ms": MIN})
    dev.advance(20 * MIN)
    fired = dev.first("al2", "fired")
    assert fired["thread"] == "main" and fired["detail"]["method"] == "set"
    assert fired["detail"]["scheduled_ms"] == MIN and fired["detail"]["delay_ms"] >= 0


def test_exact_alarm_without_permission_journals_schedule_failed(dev: Dev) -> None:
    assert not dev.rpc("hello")["permissions"]["can_schedule_exact_alarms"]  # API 34, target 36: denied
    answer = dev.schedule("ex", "alarm", {"method": "set_exact", "trigger_in_ms": MIN})
    assert answer["error"]["code"] == "platform_error"
    assert answer["error"]["exception"] == "java.lang.SecurityException"
    assert dev.kinds("ex") == ["schedule_failed"]


def test_alarms_reregistered_on_boot_when_configured(dev: Dev) -> None:
    assert dev.rpc("configure", {"reregister_alarms_on_boot": True})["config"] == {
        "reregister_alarms_on_boot": True}
    dev.schedule("ra", "alarm", {"type": "rtc_wakeup", "trigger_in_ms": 60 * MIN})
    dev.reboot()
    boot = [e for e in dev.events() if e["kind"] == "boot_completed"][-1]
    assert boot["detail"]["reregistered_alarms"] == ["ra"]
    assert dev.rpc("hello")["config"]["reregister_alarms_on_boot"] is True
    dev.advance(2 * 60 * MIN)  # an inexact set(): up to 75 % of the delay later
    assert "fired" in dev.kinds("ra")
