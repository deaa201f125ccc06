"""The emulated companion app (docs/fidelity.md B31-B40, docs/companion-protocol.md), through the real
adb server: ``content call`` output, the provider's caller and process rules, validation errors,
the journal, threads, receivers, foreground services, lifecycle coroutines and alarms.
"""

from __future__ import annotations

import json

import pytest

from harness.companion.client import call_argv
from harness.companion.protocol import (
    PACKAGE,
    URI,
    AlarmMethod,
    AlarmParams,
    AlarmType,
    CoroutineParams,
    ForegroundParams,
    ForegroundType,
    TaskState,
)
from harness.errors import CompanionNotInstalledError, ProtocolMismatchError

from .model_b_support import MIN, Phone, behave, job, phone, reset, work  # noqa: F401 (fixture)


def test_b31_content_call_prints_one_bundle_line(phone: Phone) -> None:
    r = phone.run("content", "call", "--uri", URI, "--method", "hello")
    assert r.status == 0 and r.stderr == ""
    assert r.stdout.startswith("Result: Bundle[{json={") and r.stdout.endswith("}}]\n") and r.stdout.count("\n") == 1
    doc = json.loads(r.stdout[len("Result: Bundle[{json="):-len("}]\n")])
    assert doc["ok"] is True and doc["app"]["package"] == PACKAGE


def test_b31_not_installed_says_could_not_find_provider(phone: Phone) -> None:
    assert phone.sh("pm", "uninstall", PACKAGE).strip() == "Success"
    r = phone.run(*call_argv("hello"))
    assert r.stdout == "" and r.status == 0
    err = r.stderr.splitlines()
    assert err[0] == f"Error while accessing provider:{PACKAGE}.rpc"  # then the exception's stack trace
    assert err[1] == f"java.lang.IllegalStateException: Could not find provider: {PACKAGE}.rpc"
    with pytest.raises(CompanionNotInstalledError):
        phone.client.connect()


def test_b32_the_shell_may_call_the_provider(phone: Phone) -> None:
    # adb's shell runs as uid 2000, which the provider serves; other uids (no way to be one through
    # adb) are refused in tests/virtual/model_b/test_companion_rules.py.
    assert phone.sh("id").startswith("uid=2000(shell)")
    assert phone.client.connect().app.package == PACKAGE


def test_b33_provider_call_starts_the_process_and_clears_the_stopped_state(phone: Phone) -> None:
    phone.client.connect()
    phone.sh("am", "force-stop", PACKAGE)
    assert phone.pid() is None and " stopped=true" in phone.sh("dumpsys", "package", PACKAGE)
    phone.client.connect()
    assert phone.pid() is not None and " stopped=false" in phone.sh("dumpsys", "package", PACKAGE)
    start = [e for e in phone.events() if e.kind == "process_start"][-1]
    assert start.detail["reason"] == "content_provider"
    assert start.detail["previous_exit"]["reason"] == "USER_REQUESTED"


@pytest.mark.parametrize("arg, code, field", [
    ("{nope", "bad_json", None),
    ('{"task": {"id": "t", "mechanism": "job", "paramz": {}}}', "unknown_field", "task.paramz"),
    ('{"task": {"id": "t"}}', "missing_field", "task.mechanism"),
    ('{"task": {"id": "t", "mechanism": "job", "params": {"min_latency_ms": "5"}}}', "bad_type",
     "task.params.min_latency_ms"),
    ('{"task": {"id": "t", "mechanism": "teleport"}}', "bad_value", "task.mechanism"),
    ('{"task": {"id": "t", "mechanism": "job", "behavior": {"duration_ms": 86400001}}}', "out_of_range",
     "task.behavior.duration_ms"),
    ('{"task": {"id": "t", "mechanism": "work", "params": {"after": ["ghost"]}}}', "unknown_task",
     "task.params.after[0]"),
    ('{"task": {"id": "t", "mechanism": "job", "behavior": {"outcomes": ["maybe"]}}}', "bad_value",
     "task.behavior.outcomes[0]"),
])
def test_b34_validation_errors_name_the_field(phone: Phone, arg: str, code: str, field: str | None) -> None:
    answer = phone.raw_call("schedule", arg)
    assert answer["ok"] is False and (answer["error"]["code"], answer["error"]["field"]) == (code, field)
    assert phone.client.connect().app.package == PACKAGE  # the app keeps running


def test_b34_method_task_and_platform_errors(phone: Phone) -> None:
    assert phone.raw_call("fly")["error"]["code"] == "unknown_method"
    with pytest.raises(ProtocolMismatchError, match="protocol 1.0"):
        phone.raw_call("hello", '{"protocol":{"major":2,"minor":0}}')
    phone.schedule("d", job(min_latency_ms=MIN))
    assert phone.refused("d", job()).info.code == "duplicate_task"
    assert phone.raw_call("cancel", '{"task_id":"nope"}')["error"]["code"] == "unknown_task"
    assert phone.client.cancel("d").was == TaskState.SCHEDULED
    assert phone.first("d", "cancelled").detail == {"cause": "client"}
    phone.schedule("d", job(min_latency_ms=MIN))  # a cancelled id may be scheduled again
    reset(phone, api=30)
    err = phone.refused("ej", job(expedited=True))
    assert (err.info.code, err.info.field) == ("not_supported", "task.params.expedited")


def test_b35_journal_survives_process_death_force_stop_and_reboot(phone: Phone) -> None:
    phone.schedule("j", job(min_latency_ms=MIN))
    phone.sh("vdev", "lmk", PACKAGE)
    phone.sh("am", "force-stop", PACKAGE)
    phone.reboot()
    evs = phone.events()
    assert [e.kind for e in evs if e.task_id == "j"] == ["scheduled"]
    assert {e.boot for e in evs} == {1, 2}
    seqs = [e.seq for e in evs]
    assert seqs == sorted(set(seqs))
    cleared = phone.client.clear_events()
    assert cleared == len(evs)
    phone.schedule("after", job(min_latency_ms=MIN))
    assert phone.events()[0].seq > seqs[-1]  # sequence numbers are never reused


def test_b35_every_event_is_a_logcat_line_under_harness_journal(phone: Phone) -> None:
    phone.schedule("lg", job(), behave(duration_ms=1_000))
    phone.advance("1s")
    lines = phone.sh("logcat", "-d", "-v", "brief", "HarnessJournal:I", "*:S").splitlines()
    docs = [json.loads(line.split(": ", 1)[1]) for line in lines if line.startswith("I/HarnessJournal")]
    assert [d["seq"] for d in docs] == [e.seq for e in phone.events()]
    assert [d["kind"] for d in docs if d["task_id"] == "lg"] == ["scheduled", "started", "work_started", "finished"]


def test_b36_job_callbacks_and_workers_threads(phone: Phone) -> None:
    phone.schedule("th", job(), behave(duration_ms=1_000, outcomes=["failure"]))
    phone.schedule("th2", job(), behave(duration_ms=2_000))
    phone.schedule("w", work(), behave(duration_ms=500))
    phone.advance("2s")
    assert [(e.kind, e.thread) for e in phone.events("th")] == [
        ("scheduled", "main"), ("started", "main"), ("work_started", "DefaultDispatcher-worker-1"),
        ("finished", "DefaultDispatcher-worker-1")]
    assert phone.first("th2", "work_started").thread == "DefaultDispatcher-worker-2"  # lowest free N
    assert phone.first("w", "started").thread == "DefaultDispatcher-worker-3"
    assert phone.first("th", "finished").detail == {"reschedule": False, "outcome": "failure", "run": 1}
    assert phone.state("th") == TaskState.FAILED


def test_b37_boot_receiver_journals_both_boot_broadcasts(phone: Phone) -> None:
    phone.client.connect()
    phone.reboot()
    boots = [e for e in phone.events() if e.mechanism.value == "boot"]
    assert [(e.kind, e.thread, e.boot) for e in boots] == [("locked_boot_completed", "main", 2),
                                                           ("boot_completed", "main", 2)]


def test_b37_stopped_app_gets_no_boot_broadcast(phone: Phone) -> None:
    phone.sh("am", "force-stop", PACKAGE)
    phone.reboot()
    assert phone.pid() is None  # nothing started the app at boot
    assert [e for e in phone.events() if e.mechanism.value == "boot"] == []


def test_b37_alarms_reregistered_on_boot_when_configured(phone: Phone) -> None:
    assert phone.client.configure(reregister_alarms_on_boot=True) == {"reregister_alarms_on_boot": True}
    phone.schedule("ra", AlarmParams(trigger_in_ms=60 * MIN, type=AlarmType.RTC_WAKEUP))
    phone.reboot()
    boot = [e for e in phone.events() if e.kind == "boot_completed"][-1]
    assert boot.detail["reregistered_alarms"] == ["ra"]
    assert phone.client.connect().config["reregister_alarms_on_boot"] is True
    phone.advance(2 * 60 * MIN)  # an inexact set(): up to 75 % of the delay later
    assert "fired" in phone.kinds("ra")


def test_b38_foreground_service_refused_from_background_allowed_from_top(phone: Phone) -> None:
    err = phone.refused("fg", ForegroundParams(type=ForegroundType.DATA_SYNC))
    assert err.info.code == "platform_error"
    assert err.info.extra["exception"] == "android.app.ForegroundServiceStartNotAllowedException"
    assert phone.kinds("fg") == ["schedule_failed"]
    phone.start_activity()
    phone.schedule("fg2", ForegroundParams(), behave(duration_ms=5 * MIN))
    phone.sh("input", "keyevent", "KEYCODE_HOME")
    phone.advance(2 * MIN)  # past the 60 s a previous app stays active: the service keeps it foreground
    lru = [line for line in phone.sh("dumpsys", "activity", "lru").splitlines() if f":{PACKAGE}/" in line]
    assert len(lru) == 1 and " FGS " in lru[0], lru
    phone.advance(3 * MIN)
    assert phone.kinds("fg2") == ["scheduled", "started", "finished"]


def test_b38_foreground_service_allowed_in_the_background_below_api_31(phone: Phone) -> None:
    reset(phone, api=30)
    phone.schedule("old", ForegroundParams(), behave(duration_ms=1_000))
    assert phone.kinds("old") == ["scheduled", "started"]


def test_b38_short_service_times_out_after_three_minutes(phone: Phone) -> None:
    phone.start_activity()
    phone.schedule("short", ForegroundParams(type=ForegroundType.SHORT_SERVICE), behave(duration_ms=10 * MIN))
    phone.advance(10 * MIN)
    stopped = phone.first("short", "stopped")
    assert stopped.elapsed_ms - phone.first("short", "started").elapsed_ms == 3 * MIN
    assert "finished" not in phone.kinds("short")


def test_b38_foreground_work_from_the_background_is_refused(phone: Phone) -> None:
    phone.schedule("bgfg", work(foreground=True), behave(duration_ms=MIN))
    phone.advance("1s")
    # docs/companion-protocol.md: the worker catches the refusal of setForeground, journals
    # `finished` with the exception and returns Result.failure(); no `foreground` event.
    assert phone.kinds("bgfg") == ["scheduled", "started", "finished"]
    finished = phone.first("bgfg", "finished")
    assert set(finished.detail) == {"result", "run", "exception", "message"}
    assert finished.detail["result"] == "failure" and finished.detail["run"] == 1
    assert finished.detail["exception"] == "android.app.ForegroundServiceStartNotAllowedException"
    assert finished.detail["message"].startswith("startForegroundService() not allowed")
    assert finished.thread == phone.first("bgfg", "started").thread
    assert phone.state("bgfg") == TaskState.FAILED


def test_b39_coroutine_runs_while_the_activity_is_started(phone: Phone) -> None:
    phone.schedule("co", CoroutineParams(), behave(duration_ms=5 * MIN))
    phone.advance(MIN)
    assert phone.kinds("co") == ["scheduled"]  # the activity is not started: the task waits
    phone.start_activity()
    phone.advance(MIN)
    phone.sh("input", "keyevent", "KEYCODE_HOME")
    cancelled = phone.first("co", "cancelled")
    assert cancelled.detail == {"cause": "lifecycle"} and cancelled.thread == "main"
    assert phone.state("co") == TaskState.CANCELLED


def test_b39_a_lifecycle_cancel_is_terminal_the_task_does_not_run_again(phone: Phone) -> None:
    """docs/companion-protocol.md: the work is lost; the activity starting again does not restart it."""
    phone.start_activity()
    phone.schedule("lost", CoroutineParams(), behave(duration_ms=5 * MIN))
    phone.advance(MIN)
    phone.sh("input", "keyevent", "KEYCODE_HOME")
    phone.start_activity()
    phone.advance(10 * MIN)
    assert phone.kinds("lost") == ["scheduled", "started", "cancelled"]
    assert phone.state("lost") == TaskState.CANCELLED and phone.task("lost").runs == 1
    assert [e.detail["state"] for e in phone.events() if e.kind == "activity"] == ["resumed", "stopped", "resumed"]
    phone.schedule("lost", CoroutineParams(), behave(duration_ms=MIN))  # the id may be scheduled again
    phone.advance(2 * MIN)
    assert phone.kinds("lost")[3:] == ["scheduled", "started", "finished"]
    assert phone.state("lost") == TaskState.FINISHED


def test_b39_a_task_waiting_for_the_screen_starts_when_the_activity_does(phone: Phone) -> None:
    phone.schedule("wait", CoroutineParams(), behave(duration_ms=MIN))
    phone.sh("input", "keyevent", "KEYCODE_HOME")  # not started: nothing to cancel
    phone.start_activity()
    phone.advance(2 * MIN)
    assert phone.kinds("wait") == ["scheduled", "started", "finished"]


def test_work_started_and_finished_carry_the_run_count(phone: Phone) -> None:
    """docs/companion-protocol.md: `run` is the app's 1-based run count of the task, `run_attempt` WorkManager's."""
    phone.schedule("runs", work(), behave(duration_ms=0, outcomes=["retry", "failure", "success"]))
    phone.advance(30 * MIN)
    started, finished = phone.of_kind("runs", "started"), phone.of_kind("runs", "finished")
    assert [e.detail for e in started] == [{"run_attempt": 0, "run": 1}, {"run_attempt": 1, "run": 2}]
    assert [e.detail for e in finished] == [{"result": "retry", "run": 1}, {"result": "failure", "run": 2}]
    assert phone.task("runs").runs == 2 and phone.state("runs") == TaskState.FAILED
    phone.schedule("runs", work(), behave(duration_ms=0))  # scheduled again: the count starts afresh
    phone.advance(MIN)
    assert phone.of_kind("runs", "started")[-1].detail == {"run_attempt": 0, "run": 1}


# ------------------------------------------------------------------ REQUEST_PERMISSION (the activity)

P_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
EXTRA_REQUEST_PERMISSION = "dev.harness.companion.REQUEST_PERMISSION"


def _request(phone: Phone, permission: str = P_NOTIFICATIONS) -> None:
    phone.sh("am", "start", "-W", "-n", f"{PACKAGE}/.ui.CompanionActivity", "--es", EXTRA_REQUEST_PERMISSION,
             permission)


def _results(phone: Phone) -> list[dict[str, object]]:
    evs = [e for e in phone.events() if e.kind == "permission_result"]
    assert all(e.mechanism == "app" and e.task_id is None and e.thread == "main" for e in evs)
    return [e.detail for e in evs]


def test_permission_request_journals_the_answer_to_the_dialog(phone: Phone) -> None:
    phone.sh("pm", "revoke", PACKAGE, P_NOTIFICATIONS)
    _request(phone)
    assert _results(phone) == []  # the dialog shows; no answer yet
    phone.sh("input", "keyevent", "KEYCODE_BACK")  # dismissing the prompt answers "denied"
    assert _results(phone) == [{"permission": P_NOTIFICATIONS, "granted": False}]
    assert "POST_NOTIFICATIONS: granted=false" in phone.sh("dumpsys", "package", PACKAGE)
    _request(phone)  # asked again: the dialog shows again and is answered once more
    assert len(_results(phone)) == 1
    phone.sh("input", "keyevent", "KEYCODE_BACK")
    assert _results(phone) == [{"permission": P_NOTIFICATIONS, "granted": False}] * 2


def test_permission_request_already_granted_is_answered_at_once(phone: Phone) -> None:
    phone.sh("pm", "grant", PACKAGE, P_NOTIFICATIONS)
    _request(phone)
    assert _results(phone) == [{"permission": P_NOTIFICATIONS, "granted": True}]


def test_permission_request_below_api_33_is_denied_without_a_dialog(phone: Phone) -> None:
    reset(phone, api=32)
    _request(phone)
    assert _results(phone) == [{"permission": P_NOTIFICATIONS, "granted": False}]


def test_b40_alarm_fires_on_the_main_thread(phone: Phone) -> None:
    phone.schedule("al", AlarmParams(trigger_in_ms=MIN, type=AlarmType.ELAPSED_WAKEUP, method=AlarmMethod.SET))
    phone.advance(20 * MIN)
    fired = phone.first("al", "fired")
    assert fired.thread == "main" and fired.detail["method"] == "set" and fired.detail["scheduled_ms"] == MIN
    assert fired.detail["delay_ms"] == fired.elapsed_ms - MIN >= 0
    assert phone.state("al") == TaskState.FINISHED


def test_b40_exact_alarm_without_permission_journals_schedule_failed(phone: Phone) -> None:
    assert not phone.client.connect().permissions.can_schedule_exact_alarms  # API 34, target 34+: denied
    err = phone.refused("ex", AlarmParams(trigger_in_ms=MIN, method=AlarmMethod.SET_EXACT))
    assert err.info.code == "platform_error" and err.info.extra["exception"] == "java.lang.SecurityException"
    assert phone.kinds("ex") == ["schedule_failed"]
    phone.sh("appops", "set", PACKAGE, "SCHEDULE_EXACT_ALARM", "allow")
    phone.schedule("ex2", AlarmParams(trigger_in_ms=MIN, method=AlarmMethod.SET_EXACT))
    phone.advance(MIN)
    assert phone.first("ex2", "fired").detail["delay_ms"] == 0
