"""WorkManager (as the library behaves inside the companion's process) on the virtual JobScheduler."""

from __future__ import annotations

import pytest

from harness.virtual.model.work import SYSTEM_JOB_SERVICE

from .helpers import MIN, PKG, Dev


def work_job(dev: Dev, task_id: str):  # type: ignore[no-untyped-def]
    work_id = dev.rpc("list")["tasks"][[t["task_id"] for t in dev.rpc("list")["tasks"]].index(task_id)]
    spec = dev.model.work.specs[work_id["platform"]["work_id"]]
    return spec, dev.model.jobs.get(PKG, spec.job_id) if spec.job_id is not None else None


def test_one_time_work_runs_on_a_worker_thread(dev: Dev) -> None:
    dev.schedule("w", "work", {}, {"duration_ms": 2_000})
    dev.advance(2_000)
    started, finished = dev.first("w", "started"), dev.first("w", "finished")
    assert started["thread"].startswith("DefaultDispatcher-worker-")
    assert started["detail"] == {"run_attempt": 0, "run": 1}  # run: the app's 1-based run count (protocol)
    assert finished["detail"]["result"] == "success" and finished["elapsed_ms"] == 2_000
    assert dev.state("w") == "finished"


def test_work_becomes_a_non_periodic_non_persisted_job_for_system_job_service(dev: Dev) -> None:
    dev.schedule("pw", "work", {"kind": "periodic", "interval_ms": 20 * MIN, "initial_delay_ms": MIN})
    spec, job = work_job(dev, "pw")
    assert job is not None and job.info.service == SYSTEM_JOB_SERVICE
    assert not job.info.is_periodic and not job.info.persisted
    assert job.info.min_latency_ms == MIN


def test_periodic_work_interval_and_flex_minimums(dev: Dev) -> None:
    # interval 60 s -> 15 min; flex 60 s -> 5 min: first run after 15 - 5 = 10 min, then every 15 min
    dev.schedule("per", "work", {"kind": "periodic", "interval_ms": 60_000, "flex_ms": 60_000},
                 {"duration_ms": 0})
    dev.advance(10 * MIN - 1)
    assert "started" not in dev.kinds("per")
    dev.advance(1)
    dev.advance(15 * MIN)
    starts = [e["elapsed_ms"] for e in dev.of_kind("per", "started")]
    assert starts == [10 * MIN, 25 * MIN]


@pytest.mark.parametrize("policy, delay, expected", [
    ("exponential", 30_000, [30_000, 60_000, 120_000]),
    ("linear", 20_000, [20_000, 40_000, 60_000]),
    ("linear", 1_000, [10_000, 20_000, 30_000]),  # clamped to WorkRequest.MIN_BACKOFF_MILLIS
])
def test_retry_backoff(dev: Dev, policy: str, delay: int, expected: list[int]) -> None:
    dev.schedule("r", "work", {"backoff_policy": policy, "backoff_delay_ms": delay},
                 {"duration_ms": 0, "outcomes": ["retry", "retry", "retry", "success"]})
    dev.advance(30 * MIN)
    starts = [e["elapsed_ms"] for e in dev.of_kind("r", "started")]
    assert [b - a for a, b in zip(starts, starts[1:])] == expected
    assert [e["detail"]["run_attempt"] for e in dev.of_kind("r", "started")] == [0, 1, 2, 3]
    assert dev.state("r") == "finished"


def test_failure_fails_the_chain_and_success_unblocks_it(dev: Dev) -> None:
    dev.schedule("a", "work", {"initial_delay_ms": MIN}, {"duration_ms": 0})
    dev.schedule("b", "work", {"after": ["a"]}, {"duration_ms": 0})
    dev.schedule("x", "work", {"initial_delay_ms": MIN}, {"duration_ms": 0, "outcomes": ["failure"]})
    dev.schedule("y", "work", {"after": ["x"]}, {"duration_ms": 0})
    assert dev.state("b") == "scheduled"
    dev.advance(2 * MIN)
    assert dev.first("b", "started")["elapsed_ms"] >= dev.first("a", "finished")["elapsed_ms"]
    assert "started" not in dev.kinds("y") and dev.state("y") == "failed"


def test_unique_keep_drops_the_new_request_and_replace_cancels_the_old(dev: Dev) -> None:
    dev.schedule("k1", "work", {"unique_name": "u", "initial_delay_ms": MIN})
    dev.schedule("k2", "work", {"unique_name": "u", "unique_policy": "keep", "initial_delay_ms": MIN})
    assert dev.state("k2") == "cancelled" and dev.state("k1") == "scheduled"
    dev.schedule("k3", "work", {"unique_name": "u", "unique_policy": "replace"}, {"duration_ms": 0})
    assert dev.state("k1") == "cancelled"
    dev.advance(2 * MIN)
    assert "started" in dev.kinds("k3") and "started" not in dev.kinds("k1")


def test_unique_append_runs_after_the_existing_work(dev: Dev) -> None:
    dev.schedule("p1", "work", {"unique_name": "q", "initial_delay_ms": MIN}, {"duration_ms": 1_000})
    dev.schedule("p2", "work", {"unique_name": "q", "unique_policy": "append"}, {"duration_ms": 0})
    dev.advance(30_000)
    assert "started" not in dev.kinds("p2")
    dev.advance(2 * MIN)
    assert dev.first("p2", "started")["elapsed_ms"] >= MIN + 1_000


def test_stopped_work_reports_the_job_stop_reason_and_reruns(dev: Dev) -> None:
    dev.schedule("net", "work", {"network": "connected"}, {"duration_ms": 5 * MIN})
    dev.advance(1_000)
    dev.out("cmd", "connectivity", "airplane-mode", "enable")
    stopped = dev.first("net", "stopped")
    assert stopped["stop_reason"] == "CONSTRAINT_CONNECTIVITY" and stopped["detail"]["stop_reason_code"] == 7
    dev.out("cmd", "connectivity", "airplane-mode", "disable")
    dev.advance(MIN)
    assert dev.kinds("net").count("started") == 2


def test_work_is_rescheduled_after_reboot_by_the_boot_receiver(dev: Dev) -> None:
    dev.schedule("rb", "work", {"initial_delay_ms": 30 * MIN})
    dev.reboot()  # WorkManager's jobs are not persisted: gone until the app reschedules them
    dev.advance(31 * MIN)
    assert "started" in dev.kinds("rb")
    starts = [e for e in dev.events() if e["kind"] == "process_start" and e["boot"] == 2]
    assert starts, "BOOT_COMPLETED started the app"


def test_work_after_force_stop_waits_for_the_next_process_start(dev: Dev) -> None:
    dev.schedule("fsw", "work", {"initial_delay_ms": MIN})
    dev.out("am", "force-stop", PKG)
    dev.advance(10 * MIN)
    # read the journal without a provider call: calling the provider would start the app
    assert [e.kind for e in dev.model.companion.journal.of_task("fsw")] == ["scheduled"]
    assert not dev.model.processes.is_running(PKG)
    dev.rpc("hello")  # any provider call starts the process: ForceStopRunnable reschedules
    dev.advance(MIN)
    assert "started" in dev.kinds("fsw")


def test_foreground_work_outlives_the_ten_minute_job_limit(dev: Dev) -> None:
    dev.out("am", "start", "-n", f"{PKG}/.ui.CompanionActivity")  # setForeground is allowed from the top app
    dev.schedule("fg", "work", {"foreground": True}, {"duration_ms": 20 * MIN})
    dev.advance(21 * MIN)
    kinds = dev.kinds("fg")
    assert "foreground" in kinds and "stopped" not in kinds
    assert dev.first("fg", "finished")["elapsed_ms"] == 20 * MIN


def test_foreground_work_from_the_background_is_refused_on_api_31(dev: Dev) -> None:
    dev.schedule("bgfg", "work", {"foreground": True}, {"duration_ms": MIN})
    finished = dev.first("bgfg", "finished")
    assert finished["detail"]["result"] == "failure"
    assert finished["detail"]["exception"] == "android.app.ForegroundServiceStartNotAllowedException"


def test_expedited_work_runs_during_doze(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("cmd", "deviceidle", "force-idle")
    # Both need a network, which Doze blocks for the app's own process, so GreedyScheduler cannot
    # start them in-process (B41-B45): only the expedited job runs.
    dev.schedule("ex", "work", {"expedited": True, "network": "connected"})
    dev.schedule("reg", "work", {"network": "connected"})
    assert "started" in dev.kinds("ex") and "started" not in dev.kinds("reg")
