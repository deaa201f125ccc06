"""WorkManager rules of model B (docs/fidelity.md B25-B30), driven through the real adb server.

WorkManager runs inside the companion's process on top of JobScheduler: what it hands to
JobScheduler is read from ``dumpsys jobscheduler``, what the worker did from the journal.
"""

from __future__ import annotations

import json

import pytest

from harness.companion.protocol import PACKAGE, TaskState

from .model_b_support import HOUR, MIN, SYSTEM_JOB_SERVICE, Phone, behave, job, phone, work  # noqa: F401 (fixture)


def test_b25_work_becomes_a_non_periodic_non_persisted_job_for_system_job_service(phone: Phone) -> None:
    phone.schedule("pw", work(kind="periodic", interval_ms=20 * MIN, initial_delay_ms=MIN))
    (registered,) = phone.dump().jobs_of(PACKAGE)
    assert registered.job_id == 0 and registered.service == SYSTEM_JOB_SERVICE  # IdGenerator starts at 0
    assert not registered.periodic and not registered.persisted
    assert "TIMING_DELAY" in registered.required and registered.earliest == "+1m0s0ms"
    phone.schedule("now", work(), behave(duration_ms=MIN))  # undelayed: no TIMING_DELAY, id 1
    now_job = phone.dump().job(PACKAGE, 1)
    assert now_job is not None and "TIMING_DELAY" not in now_job.required
    assert phone.dump().is_running(PACKAGE, 1)


def test_b25_expedited_work_is_an_expedited_job_that_runs_in_doze(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "deviceidle", "force-idle")
    # Each needs a network, which Doze blocks for the app's process: GreedyScheduler cannot run
    # them in-process (B41-B45), so what runs here runs as a job.
    phone.schedule("ex", work(expedited=True, network="connected"))
    phone.schedule("reg", work(network="connected"))
    phone.schedule("late", work(expedited=True, initial_delay_ms=MIN, network="connected"))  # delayed: not expedited
    phone.advance(2 * MIN)
    assert "started" in phone.kinds("ex")
    assert "started" not in phone.kinds("reg") and "started" not in phone.kinds("late")
    phone.sh("cmd", "deviceidle", "step")  # the maintenance window
    assert "started" in phone.kinds("reg") and "started" in phone.kinds("late")


def _use_up_ej_quota(phone: Phone) -> None:
    phone.unplug()
    phone.sh("am", "set-standby-bucket", PACKAGE, "rare")  # EJ quota: 10 min per 24 h
    phone.schedule("hog", job(expedited=True), behave(duration_ms=HOUR, on_stop="drop"))
    phone.advance(11 * MIN)
    assert phone.first("hog", "stopped").stop_reason == "TIMEOUT"


def test_b25_expedited_work_without_quota_runs_as_a_regular_job(phone: Phone) -> None:
    _use_up_ej_quota(phone)
    phone.schedule("fallback", work(expedited=True), behave(duration_ms=0))
    phone.advance("1s")
    assert "started" in phone.kinds("fallback")  # RUN_AS_NON_EXPEDITED_WORK_REQUEST
    assert phone.state("fallback") == TaskState.FINISHED


def test_b25_expedited_work_without_quota_and_drop_policy_gets_no_job(phone: Phone) -> None:
    _use_up_ej_quota(phone)
    # On cellular, an unmetered network is missing, so GreedyScheduler does not run it in-process
    # either (B43): nothing runs it.
    phone.sh("svc", "wifi", "disable")
    phone.schedule("dropped", work(expedited=True, out_of_quota="drop", network="unmetered"), behave(duration_ms=0))
    phone.advance(HOUR)
    assert "started" not in phone.kinds("dropped")
    assert phone.state("dropped") == TaskState.SCHEDULED  # WorkInfo stays ENQUEUED
    assert [j.job_id for j in phone.dump().jobs_of(PACKAGE)] == []  # JobScheduler answered RESULT_FAILURE
    phone.advance(24 * HOUR)  # the EJ quota is back; WorkManager reconciles at the next process start
    phone.sh("am", "kill", PACKAGE)
    phone.sh("svc", "wifi", "enable")  # while no process (and no GreedyScheduler) exists
    phone.client.connect()  # the provider call starts the process
    assert [j.service for j in phone.dump().jobs_of(PACKAGE)] == [SYSTEM_JOB_SERVICE]
    phone.advance("1s")
    assert "started" in phone.kinds("dropped") and phone.state("dropped") == TaskState.FINISHED


def test_b26_periodic_work_interval_and_flex_minimums(phone: Phone) -> None:
    # interval 60 s -> 15 min; flex 60 s -> 5 min: first run 15 - 5 = 10 min after enqueue, then every 15 min
    phone.schedule("per", work(kind="periodic", interval_ms=60_000, flex_ms=60_000), behave(duration_ms=0))
    phone.advance(10 * MIN - 1)
    assert "started" not in phone.kinds("per")
    phone.advance(1)
    phone.advance(15 * MIN)
    assert phone.starts("per") == [10 * MIN, 25 * MIN]
    assert phone.state("per") == TaskState.SCHEDULED


@pytest.mark.parametrize("policy, delay, gaps", [
    ("exponential", 30_000, [30_000, 60_000, 120_000]),
    ("linear", 1_000, [10_000, 20_000, 30_000]),  # clamped to WorkRequest.MIN_BACKOFF_MILLIS
])
def test_b27_retry_backoff(phone: Phone, policy: str, delay: int, gaps: list[int]) -> None:
    phone.schedule("r", work(backoff_policy=policy, backoff_delay_ms=delay),
                   behave(duration_ms=0, outcomes=["retry", "retry", "retry", "success"]))
    phone.advance(30 * MIN)
    starts = phone.of_kind("r", "started")
    assert [b.elapsed_ms - a.elapsed_ms for a, b in zip(starts, starts[1:])] == gaps
    assert [e.detail["run_attempt"] for e in starts] == [0, 1, 2, 3]
    assert [e.detail["result"] for e in phone.of_kind("r", "finished")] == ["retry", "retry", "retry", "success"]
    assert phone.state("r") == TaskState.FINISHED


def test_b28_stopped_work_reports_the_job_stop_reason_and_reruns(phone: Phone) -> None:
    phone.schedule("net", work(network="connected"), behave(duration_ms=5 * MIN))
    phone.advance("1s")
    phone.sh("cmd", "connectivity", "airplane-mode", "enable")
    stopped = phone.first("net", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"]) == ("CONSTRAINT_CONNECTIVITY", 7)
    assert stopped.thread.startswith("DefaultDispatcher-worker-")
    phone.sh("cmd", "connectivity", "airplane-mode", "disable")
    phone.advance(MIN)
    assert [e.detail["run_attempt"] for e in phone.of_kind("net", "started")] == [0, 1]


def test_b28_foreground_work_outlives_the_ten_minute_job_limit(phone: Phone) -> None:
    phone.unplug()
    phone.start_activity()  # setForeground is allowed from the top app
    phone.schedule("fg", work(foreground=True), behave(duration_ms=20 * MIN))
    phone.sh("input", "keyevent", "KEYCODE_HOME")
    phone.advance(21 * MIN)
    kinds = phone.kinds("fg")
    assert "foreground" in kinds and "stopped" not in kinds
    assert phone.first("fg", "finished").elapsed_ms == 20 * MIN


def test_b29_work_is_rescheduled_after_reboot_by_the_boot_receiver(phone: Phone) -> None:
    phone.schedule("rb", work(initial_delay_ms=30 * MIN), behave(duration_ms=0))
    phone.reboot()
    dump = phone.dump()  # the job was not persisted; the BOOT_COMPLETED receiver started the app
    assert [j.service for j in dump.jobs_of(PACKAGE)] == [SYSTEM_JOB_SERVICE]
    phone.advance(31 * MIN)
    assert "started" in phone.kinds("rb")
    starts = [e for e in phone.events() if e.kind == "process_start" and e.boot == 2]
    assert starts and starts[0].detail["reason"] == "broadcast"


def test_b29_work_after_force_stop_waits_for_the_next_process_start(phone: Phone) -> None:
    phone.schedule("fsw", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.sh("am", "force-stop", PACKAGE)
    phone.advance(10 * MIN)
    # Look without calling the provider (a call would start the app): no job, no process, and the
    # journal's logcat copy shows nothing after `scheduled`.
    assert phone.dump().jobs_of(PACKAGE) == [] and phone.pid() is None
    lines = phone.sh("logcat", "-d", "-v", "brief", "HarnessJournal:I", "*:S").splitlines()
    docs = [json.loads(line.split(": ", 1)[1]) for line in lines if line.startswith("I/HarnessJournal")]
    assert [d["kind"] for d in docs if d["task_id"] == "fsw"] == ["scheduled"]
    phone.client.connect()  # the next process start: ForceStopRunnable reschedules the work
    assert [j.service for j in phone.dump().jobs_of(PACKAGE)] == [SYSTEM_JOB_SERVICE]
    phone.advance("1s")
    assert "started" in phone.kinds("fsw")


def test_b30_unique_keep_drops_the_new_request_and_replace_cancels_the_old(phone: Phone) -> None:
    phone.schedule("k1", work(unique_name="u", initial_delay_ms=MIN))
    phone.schedule("k2", work(unique_name="u", unique_policy="keep", initial_delay_ms=MIN))
    assert phone.state("k2") == TaskState.CANCELLED and phone.state("k1") == TaskState.SCHEDULED
    assert phone.first("k2", "scheduled").detail["unique"] == {"name": "u", "policy": "keep", "kept_existing": True}
    phone.schedule("k3", work(unique_name="u", unique_policy="replace"), behave(duration_ms=0))
    assert phone.state("k1") == TaskState.CANCELLED
    phone.advance(2 * MIN)
    assert "started" in phone.kinds("k3") and "started" not in phone.kinds("k1")
    assert "started" not in phone.kinds("k2")


def test_b30_unique_append_runs_after_the_existing_work(phone: Phone) -> None:
    phone.schedule("p1", work(unique_name="q", initial_delay_ms=MIN), behave(duration_ms=1_000))
    phone.schedule("p2", work(unique_name="q", unique_policy="append"), behave(duration_ms=0))
    phone.advance("30s")
    assert "started" not in phone.kinds("p2")
    phone.advance(2 * MIN)
    assert phone.first("p2", "started").elapsed_ms >= phone.first("p1", "finished").elapsed_ms == MIN + 1_000


def test_b30_a_failed_prerequisite_fails_the_chain(phone: Phone) -> None:
    phone.schedule("a", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.schedule("b", work(after=["a"]), behave(duration_ms=0))
    phone.schedule("x", work(initial_delay_ms=MIN), behave(duration_ms=0, outcomes=["failure"]))
    phone.schedule("y", work(after=["x"]), behave(duration_ms=0))
    assert phone.state("b") == TaskState.SCHEDULED and phone.state("y") == TaskState.SCHEDULED
    phone.advance(2 * MIN)
    assert phone.first("b", "started").elapsed_ms >= phone.first("a", "finished").elapsed_ms
    assert "started" not in phone.kinds("y") and phone.state("y") == TaskState.FAILED


def test_b30_periodic_update_keeps_the_work_and_cancel_and_reenqueue_replaces_it(phone: Phone) -> None:
    phone.schedule("v1", work(kind="periodic", interval_ms=HOUR, initial_delay_ms=MIN, unique_name="p"), behave(duration_ms=0))
    phone.schedule("v2", work(kind="periodic", interval_ms=15 * MIN, initial_delay_ms=MIN, unique_name="p",
                                   unique_policy="update"),
                   behave(duration_ms=0))
    assert phone.task("v2").platform["work_id"] == phone.task("v1").platform["work_id"]  # updated in place
    assert phone.state("v1") == TaskState.CANCELLED and phone.state("v2") == TaskState.SCHEDULED
    phone.schedule("v3", work(kind="periodic", interval_ms=15 * MIN, initial_delay_ms=MIN, unique_name="p",
                              unique_policy="cancel_and_reenqueue"), behave(duration_ms=0))
    assert phone.task("v3").platform["work_id"] != phone.task("v2").platform["work_id"]
    assert phone.state("v2") == TaskState.CANCELLED
    phone.advance(16 * MIN)
    assert "started" in phone.kinds("v3") and "started" not in phone.kinds("v2")


# ---------------------------------------------------------------- work chains (docs/companion-protocol.md, "Work chains")
def test_b30_a_chain_of_three_runs_in_order(phone: Phone) -> None:
    # c after b after a: c is appended to a's chain (where b is), so it waits for b, not only for a.
    phone.schedule("a", work(initial_delay_ms=MIN), behave(duration_ms=1_000))
    phone.schedule("b", work(after=["a"]), behave(duration_ms=30_000))
    phone.schedule("c", work(after=["b"]), behave(duration_ms=0))
    # after names one task of the chain, but the new work is a child of the chain's last task (c).
    phone.schedule("d", work(after=["a"]), behave(duration_ms=0))
    phone.advance(MIN + 10_000)
    assert "started" in phone.kinds("b") and "started" not in phone.kinds("c")
    phone.advance(MIN)
    a_done, b_done = phone.first("a", "finished").elapsed_ms, phone.first("b", "finished").elapsed_ms
    assert phone.first("b", "started").elapsed_ms >= a_done
    assert phone.first("c", "started").elapsed_ms >= b_done == a_done + 30_000
    assert phone.first("d", "started").elapsed_ms >= phone.first("c", "finished").elapsed_ms
    assert [phone.state(t) for t in "abcd"] == [TaskState.FINISHED] * 4


def test_b30_after_naming_two_chains_or_with_a_unique_name_is_refused(phone: Phone) -> None:
    phone.schedule("a", work(initial_delay_ms=MIN))
    phone.schedule("x", work(initial_delay_ms=MIN))
    phone.schedule("b", work(after=["a"]))
    err = phone.refused("c", work(after=["b", "x"]))
    assert (err.info.code, err.info.field) == ("bad_value", "task.params.after")
    err = phone.refused("c", work(after=["a"], unique_name="u"))
    assert (err.info.code, err.info.field) == ("bad_value", "task.params.unique_name")
    assert phone.client.list().get("c") is None
    phone.schedule("c", work(after=["a", "b"]))  # one chain: accepted


def test_b30_a_failed_or_cancelled_task_ends_the_rest_of_its_chain(phone: Phone) -> None:
    phone.schedule("x", work(initial_delay_ms=MIN), behave(duration_ms=0, outcomes=["failure"]))
    phone.schedule("y", work(after=["x"]), behave(duration_ms=0))
    phone.schedule("z", work(after=["y"]), behave(duration_ms=0))
    phone.schedule("k", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.schedule("l", work(after=["k"]), behave(duration_ms=0))
    phone.schedule("m", work(after=["l"]), behave(duration_ms=0))
    phone.client.cancel("k")
    assert [phone.state(t) for t in "klm"] == [TaskState.CANCELLED] * 3
    assert "cancelled" not in phone.kinds("l") + phone.kinds("m")  # no event: their workers never ran
    phone.advance(2 * MIN)
    assert [phone.state(t) for t in "xyz"] == [TaskState.FAILED] * 3
    assert phone.kinds("z") == ["scheduled"]
    # Appended after a failed last task, new work fails at once; append_or_replace starts afresh.
    phone.schedule("w", work(after=["z"]), behave(duration_ms=0))
    phone.schedule("fresh", work(unique_name="harness.task.x", unique_policy="append_or_replace"), behave(duration_ms=0))
    assert phone.state("w") == TaskState.FAILED
    phone.advance("1s")
    assert "started" not in phone.kinds("w") and phone.state("fresh") == TaskState.FINISHED
