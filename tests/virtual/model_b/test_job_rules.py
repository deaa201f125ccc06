"""JobScheduler rules of the virtual device (docs/fidelity.md, "JobScheduler, WorkManager, companion").

Each test drives the companion's RPC and the platform's shell commands in-process and checks the
journal: the times jobs start and stop, and the stop reasons JobParameters reports.
"""

from __future__ import annotations

import pytest

from .helpers import MIN, PKG, Dev


def test_min_latency_holds_the_job_back(dev: Dev) -> None:
    dev.schedule("lat", "job", {"min_latency_ms": 90_000})
    dev.advance(89_999)
    assert "started" not in dev.kinds("lat")
    dev.advance(1)
    assert dev.first("lat", "started")["elapsed_ms"] == 90_000


def test_override_deadline_runs_a_job_whose_constraint_is_unmet(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("dl", "job", {"requires_charging": True, "override_deadline_ms": 5 * MIN})
    dev.advance(5 * MIN - 1)
    assert "started" not in dev.kinds("dl")
    dev.advance(1)
    assert dev.first("dl", "started")["elapsed_ms"] == 5 * MIN


def test_charging_constraint(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("chg", "job", {"requires_charging": True})
    dev.advance(MIN)
    assert "started" not in dev.kinds("chg")
    dev.out("cmd", "battery", "set", "ac", "1")
    assert "started" in dev.kinds("chg")


def test_network_any_waits_for_a_network_and_stops_when_it_drops(dev: Dev) -> None:
    dev.out("svc", "wifi", "disable")
    dev.out("svc", "data", "disable")
    dev.schedule("net", "job", {"network": "any"}, {"duration_ms": 10 * MIN})
    dev.advance(MIN)
    assert "started" not in dev.kinds("net")
    dev.out("svc", "wifi", "enable")
    assert dev.kinds("net")[-2:] == ["started", "work_started"]
    dev.advance(30_000)
    dev.out("svc", "wifi", "disable")
    stopped = dev.first("net", "stopped")
    assert stopped["stop_reason"] == "CONSTRAINT_CONNECTIVITY"
    assert stopped["detail"]["stop_reason_code"] == 7
    assert stopped["thread"] == "main"


def test_unmetered_and_cellular_network_types(dev: Dev) -> None:
    dev.out("svc", "wifi", "disable")  # cellular data stays on: a metered, cellular network
    dev.schedule("unm", "job", {"network": "unmetered"})
    dev.schedule("cell", "job", {"network": "cellular"})
    dev.advance(MIN)
    assert "started" not in dev.kinds("unm")
    assert "started" in dev.kinds("cell")
    dev.out("svc", "wifi", "enable")
    assert "started" in dev.kinds("unm")


def test_battery_not_low_uses_the_warning_level_and_its_close_bump(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("cmd", "battery", "set", "level", "21")
    assert dev.out("cmd", "jobscheduler", "get-battery-not-low") == "true\n"
    dev.out("cmd", "battery", "set", "level", "20")  # config_lowBatteryWarningLevel
    assert dev.out("cmd", "jobscheduler", "get-battery-not-low") == "false\n"
    dev.schedule("bnl", "job", {"requires_battery_not_low": True})
    dev.out("cmd", "battery", "set", "level", "24")  # below warning + close bump (25): still low
    dev.advance(MIN)
    assert "started" not in dev.kinds("bnl")
    dev.out("cmd", "battery", "set", "level", "25")
    assert dev.out("cmd", "jobscheduler", "get-battery-not-low") == "true\n"
    assert "started" in dev.kinds("bnl")


def test_storage_not_low_constraint(dev: Dev) -> None:
    dev.out("cmd", "devicestoragemonitor", "force-low")
    dev.schedule("sto", "job", {"requires_storage_not_low": True})
    dev.advance(MIN)
    assert "started" not in dev.kinds("sto")
    assert dev.out("cmd", "jobscheduler", "get-storage-not-low") == "false\n"
    dev.out("cmd", "devicestoragemonitor", "reset")
    assert "started" in dev.kinds("sto")


def test_device_idle_constraint_needs_31_minutes_of_screen_off(dev: Dev) -> None:
    dev.out("cmd", "battery", "set", "ac", "1")  # charging keeps Doze away; idleness still counts
    dev.schedule("idle", "job", {"requires_device_idle": True})
    dev.out("input", "keyevent", "KEYCODE_POWER")  # screen off
    off_at = dev.now
    dev.advance(31 * MIN - 1)
    assert "started" not in dev.kinds("idle")
    dev.advance(1)
    assert dev.first("idle", "started")["elapsed_ms"] == off_at + 1_860_000


def test_periodic_interval_and_flex_are_clamped_to_the_platform_minimums(dev: Dev) -> None:
    # 60 s period -> 15 min; 60 s flex -> 5 min: the first window is [10 min, 15 min]
    dev.schedule("per", "job", {"periodic_ms": 60_000, "flex_ms": 60_000})
    dev.advance(10 * MIN - 1)
    assert "started" not in dev.kinds("per")
    dev.advance(1)
    assert dev.first("per", "started")["elapsed_ms"] == 10 * MIN
    dev.advance(15 * MIN - 1)  # the next window is one period later: [25 min, 30 min]
    assert len(dev.of_kind("per", "started")) == 1
    dev.advance(1)
    starts = [e["elapsed_ms"] for e in dev.of_kind("per", "started")]
    assert starts == [10 * MIN, 25 * MIN]


@pytest.mark.parametrize("policy, initial, expected", [
    ("exponential", 30_000, [30_000, 60_000, 120_000]),
    ("linear", 30_000, [30_000, 60_000, 90_000]),
    ("exponential", 1_000, [10_000, 20_000, 40_000]),  # raised to MIN_BACKOFF_MILLIS (10 s)
])
def test_retry_reschedules_with_backoff(dev: Dev, policy: str, initial: int, expected: list[int]) -> None:
    dev.schedule("bo", "job", {"backoff_policy": policy, "backoff_initial_ms": initial},
                 {"duration_ms": 0, "outcomes": ["retry", "retry", "retry", "success"]})
    dev.advance(20 * MIN)
    finished = [e["elapsed_ms"] for e in dev.of_kind("bo", "finished")]
    started = [e["elapsed_ms"] for e in dev.of_kind("bo", "started")]
    assert len(started) == 4
    gaps = [started[i + 1] - finished[i] for i in range(3)]
    assert gaps == expected
    assert [e["detail"]["reschedule"] for e in dev.of_kind("bo", "finished")] == [True, True, True, False]
    assert dev.state("bo") == "finished"


def test_backoff_is_capped_at_five_hours(dev: Dev) -> None:
    dev.schedule("cap", "job", {"backoff_initial_ms": 3 * 3_600_000},
                 {"duration_ms": 0, "outcomes": ["retry"]})
    dev.advance(1)  # first run: 3 h backoff; second run: 6 h -> capped at 5 h
    dev.advance(3 * 3_600_000)
    second = dev.of_kind("cap", "started")[1]["elapsed_ms"]
    dev.advance(5 * 3_600_000)
    third = dev.of_kind("cap", "started")[2]["elapsed_ms"]
    assert third - second == 5 * 3_600_000


def test_regular_job_times_out_after_ten_minutes(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("long", "job", {}, {"duration_ms": 3_600_000})
    dev.advance(10 * MIN)
    stopped = dev.first("long", "stopped")
    assert stopped["stop_reason"] == "TIMEOUT" and stopped["detail"]["stop_reason_code"] == 3
    assert stopped["elapsed_ms"] == 10 * MIN
    assert stopped["detail"]["reschedule"] is True


def test_on_stop_drop_is_not_rescheduled(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("drop", "job", {}, {"duration_ms": 3_600_000, "on_stop": "drop"})
    dev.advance(2 * 3_600_000)
    assert dev.kinds("drop").count("started") == 1
    assert dev.state("drop") == "failed"
    assert dev.job_id("drop") not in dev.rpc("list")["pending_jobs"]


def test_persisted_job_survives_reboot_and_plain_job_does_not(dev: Dev) -> None:
    dev.schedule("keep", "job", {"min_latency_ms": 30 * MIN, "persisted": True})
    dev.schedule("lose", "job", {"min_latency_ms": 30 * MIN})
    dev.reboot()
    pending = dev.rpc("list")["pending_jobs"]
    assert dev.job_id("keep") in pending and dev.job_id("lose") not in pending
    dev.advance(31 * MIN)
    assert "started" in dev.kinds("keep") and "started" not in dev.kinds("lose")


def test_doze_defers_jobs_until_a_maintenance_window(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("cmd", "deviceidle", "force-idle")
    dev.schedule("dz", "job", {})
    dev.advance(MIN)
    assert "started" not in dev.kinds("dz")
    dev.out("cmd", "deviceidle", "step")  # -> IDLE_MAINTENANCE
    assert "started" in dev.kinds("dz")


def test_doze_stops_a_running_job_with_device_state(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("run", "job", {}, {"duration_ms": 5 * MIN})
    dev.advance(1_000)
    dev.out("cmd", "deviceidle", "force-idle")
    stopped = dev.first("run", "stopped")
    assert stopped["stop_reason"] == "DEVICE_STATE" and stopped["detail"]["stop_reason_code"] == 4


def test_expedited_job_runs_in_doze(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("cmd", "deviceidle", "force-idle")
    dev.schedule("ej", "job", {"expedited": True})
    assert "started" in dev.kinds("ej")


def test_battery_saver_restricts_background_jobs_but_not_the_top_app(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("cmd", "power", "set-mode", "1")
    dev.schedule("bs", "job", {})
    dev.advance(MIN)
    assert "started" not in dev.kinds("bs")
    dev.out("am", "start", "-n", f"{PKG}/.ui.CompanionActivity")
    assert "started" in dev.kinds("bs")


def test_rare_bucket_quota_defers_the_next_job_for_the_window(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("am", "set-standby-bucket", PKG, "rare")
    dev.schedule("q1", "job", {}, {"duration_ms": 10 * MIN})  # uses the whole 10-minute allowance
    dev.advance(11 * MIN)
    dev.schedule("q2", "job", {})
    dev.advance(60 * MIN)
    assert "started" not in dev.kinds("q2")
    # RARE: 24 h window; the allowance frees up when the first session leaves the window
    dev.advance(24 * 60 * MIN)
    assert "started" in dev.kinds("q2")
    assert dev.first("q2", "started")["elapsed_ms"] <= 24 * 60 * MIN + 10 * MIN


def test_active_bucket_is_not_held_by_quota(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("a1", "job", {}, {"duration_ms": 9 * MIN})
    dev.advance(9 * MIN + 1)
    dev.schedule("a2", "job", {})
    dev.advance(11 * MIN)  # ACTIVE window is 10 minutes
    assert "started" in dev.kinds("a2")


def test_force_stop_cancels_jobs_including_persisted_ones(dev: Dev) -> None:
    dev.schedule("fs", "job", {"min_latency_ms": MIN, "persisted": True})
    job_id = dev.job_id("fs")
    dev.out("am", "force-stop", PKG)
    assert dev.model.jobs.get(PKG, job_id) is None
    dev.reboot()
    dev.advance(10 * MIN)
    assert "started" not in dev.kinds("fs")
    assert job_id not in dev.rpc("list")["pending_jobs"]


def test_process_is_started_to_run_a_job(dev: Dev) -> None:
    dev.schedule("proc", "job", {"min_latency_ms": MIN})
    dev.out("am", "force-stop", PKG)  # kills the process (and the job)
    dev.schedule("proc2", "job", {"min_latency_ms": MIN})  # the provider call restarts the app
    dev.model.processes.kill(PKG, "am_kill")
    assert not dev.model.processes.is_running(PKG)
    dev.advance(MIN)
    starts = [e for e in dev.events() if e["kind"] == "process_start"]
    assert starts[-1]["detail"]["reason"] == "job"
    assert "started" in dev.kinds("proc2")


def test_process_death_mid_run_reschedules_the_job_with_backoff(dev: Dev) -> None:
    dev.schedule("die", "job", {}, {"duration_ms": 5 * MIN})
    dev.advance(1_000)
    dev.model.processes.kill(PKG, "lmk")
    dev.advance(31_000)  # default backoff: 30 s exponential
    assert dev.kinds("die").count("started") == 2
    assert "stopped" not in dev.kinds("die")  # no onStopJob for a dead process


def test_restricted_bucket_jobs_need_charging_battery_and_idle(dev: Dev) -> None:
    dev.out("am", "set-standby-bucket", PKG, "restricted")
    dev.out("cmd", "battery", "unplug")
    dev.schedule("rs", "job", {})
    dev.advance(MIN)
    assert "started" not in dev.kinds("rs")
    dev.out("cmd", "battery", "set", "ac", "1")
    dev.out("input", "keyevent", "KEYCODE_POWER")  # screen off: idle after 31 minutes
    dev.advance(30 * MIN)
    assert "started" not in dev.kinds("rs")
    dev.advance(2 * MIN)
    assert "started" in dev.kinds("rs")


def test_setting_backoff_on_an_idle_job_is_refused(dev: Dev) -> None:
    answer = dev.schedule("ib", "job", {"requires_device_idle": True, "backoff_policy": "linear"})
    assert answer["error"]["code"] == "platform_error"
    assert answer["error"]["exception"] == "java.lang.IllegalArgumentException"
    assert dev.kinds("ib") == ["schedule_failed"] and dev.state("ib") == "failed"


def test_expedited_job_runs_for_its_remaining_quota_then_is_a_regular_job(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.out("am", "set-standby-bucket", PKG, "rare")  # EJ quota: 10 minutes per 24 h
    dev.schedule("ej1", "job", {"expedited": True}, {"duration_ms": 30 * MIN, "on_stop": "drop"})
    dev.advance(11 * MIN)
    stopped = dev.first("ej1", "stopped")
    assert stopped["stop_reason"] == "TIMEOUT" and stopped["elapsed_ms"] == 10 * MIN
    # quota used up: JobScheduler.schedule answers RESULT_FAILURE, the app's JobBackend throws
    answer = dev.schedule("ej2", "job", {"expedited": True})
    assert answer["error"]["code"] == "platform_error"
    assert answer["error"]["exception"] == "java.lang.IllegalStateException"
    assert dev.kinds("ej2") == ["schedule_failed"]
