"""JobScheduler rules of model B (docs/fidelity.md B1-B24), driven through the real adb server.

Tasks are scheduled through CompanionClient, the device is changed with the shell commands the
harness uses on a phone, time moves with ``vdev advance``; the outcome is read from the
companion's journal, ``dumpsys jobscheduler`` and ``cmd jobscheduler get-job-state``.
"""

from __future__ import annotations

import pytest

from harness.companion.protocol import PACKAGE, TaskState
from harness.controls.jobs import JobStateWord, run_commands, timeout_commands

from .model_b_support import HOUR, JOB_SERVICE, MIN, Phone, behave, job, phone, reset  # noqa: F401 (fixture)


def test_b01_min_latency_holds_the_job_back(phone: Phone) -> None:
    phone.schedule("lat", job(min_latency_ms=90_000))
    job_id = phone.job_id("lat")
    assert "TIMING_DELAY" in phone.dumped_job(job_id).unsatisfied
    phone.advance("89999ms")
    assert phone.job_state(job_id).waiting and "started" not in phone.kinds("lat")
    phone.advance(1)
    assert phone.starts("lat") == [90_000]


def test_b02_override_deadline_runs_a_job_whose_constraint_is_unmet(phone: Phone) -> None:
    phone.unplug()
    phone.schedule("dl", job(requires_charging=True, override_deadline_ms=5 * MIN))
    dumped = phone.dumped_job(phone.job_id("dl"))
    assert {"CHARGING", "DEADLINE"} <= dumped.required and "CHARGING" in dumped.unsatisfied
    phone.advance(5 * MIN - 1)
    assert "started" not in phone.kinds("dl")
    phone.advance(1)
    assert phone.starts("dl") == [5 * MIN]


def test_b03_network_types(phone: Phone) -> None:
    phone.sh("svc", "wifi", "disable")  # mobile data stays on: a metered cellular network
    for net in ("any", "unmetered", "cellular", "not_roaming"):
        phone.schedule(net, job(network=net), behave(duration_ms=10 * MIN))
    phone.advance("1s")
    assert [n for n in ("any", "unmetered", "cellular", "not_roaming") if "started" in phone.kinds(n)] == [
        "any", "cellular", "not_roaming"]
    assert "CONNECTIVITY" in phone.dumped_job(phone.job_id("unmetered")).unsatisfied
    phone.sh("svc", "data", "disable")  # no network at all
    for net in ("any", "cellular", "not_roaming"):
        stopped = phone.first(net, "stopped")
        assert (stopped.stop_reason, stopped.detail["stop_reason_code"]) == ("CONSTRAINT_CONNECTIVITY", 7)
    phone.sh("svc", "wifi", "enable")  # unmetered Wi-Fi
    phone.advance(MIN)  # past the 30 s backoff of the stopped jobs
    assert "started" in phone.kinds("unmetered")
    assert len(phone.starts("any")) == 2 and len(phone.starts("not_roaming")) == 2
    assert len(phone.starts("cellular")) == 1  # Wi-Fi is not a cellular transport


def test_b04_charging_constraint(phone: Phone) -> None:
    phone.unplug()
    phone.schedule("chg", job(requires_charging=True), behave(duration_ms=10 * MIN))
    phone.advance(MIN)
    assert "started" not in phone.kinds("chg")
    assert phone.sh("cmd", "jobscheduler", "get-battery-charging") == "false\n"
    phone.plug()
    assert phone.starts("chg") == [MIN]
    phone.unplug()
    assert phone.first("chg", "stopped").stop_reason == "CONSTRAINT_CHARGING"


def test_b05_battery_not_low_uses_the_warning_level_and_its_close_bump(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "battery", "set", "level", "21")
    assert phone.sh("cmd", "jobscheduler", "get-battery-not-low") == "true\n"
    phone.sh("cmd", "battery", "set", "level", "20")  # config_lowBatteryWarningLevel
    assert phone.sh("cmd", "jobscheduler", "get-battery-not-low") == "false\n"
    phone.schedule("bnl", job(requires_battery_not_low=True))
    phone.sh("cmd", "battery", "set", "level", "24")  # below warning + close bump: still low
    phone.advance(MIN)
    assert "started" not in phone.kinds("bnl")
    assert "BATTERY_NOT_LOW" in phone.dumped_job(phone.job_id("bnl")).unsatisfied
    phone.sh("cmd", "battery", "set", "level", "25")
    assert phone.sh("cmd", "jobscheduler", "get-battery-not-low") == "true\n"
    assert phone.starts("bnl") == [MIN]


def test_b06_storage_not_low_constraint(phone: Phone) -> None:
    phone.sh("cmd", "devicestoragemonitor", "force-low", "-f")
    phone.schedule("sto", job(requires_storage_not_low=True))
    phone.advance(MIN)
    assert "started" not in phone.kinds("sto")
    assert phone.sh("cmd", "jobscheduler", "get-storage-not-low") == "false\n"
    phone.sh("cmd", "devicestoragemonitor", "reset", "-f")
    assert phone.starts("sto") == [MIN]


def test_b07_device_idle_needs_31_minutes_of_screen_off(phone: Phone) -> None:
    phone.plug()  # charging keeps Doze away; idleness still counts
    phone.schedule("idle", job(requires_device_idle=True))
    phone.sh("input", "keyevent", "KEYCODE_POWER")
    off_at = phone.now_ms()
    phone.advance(31 * MIN - 1)
    assert "started" not in phone.kinds("idle")
    assert "IDLE" in phone.dumped_job(phone.job_id("idle")).unsatisfied
    phone.advance(1)
    assert phone.starts("idle") == [off_at + 1_860_000]


def test_b08_periodic_interval_and_flex_are_clamped(phone: Phone) -> None:
    phone.schedule("per", job(periodic_ms=60_000, flex_ms=60_000), behave(duration_ms=0))
    dumped = phone.dumped_job(phone.job_id("per"))
    assert dumped.periodic
    assert "PERIODIC: interval=+15m0s0ms flex=+5m0s0ms" in phone.sh("dumpsys", "jobscheduler", PACKAGE)
    phone.advance(10 * MIN - 1)  # first window [10 min, 15 min]
    assert "started" not in phone.kinds("per")
    phone.advance(1)
    phone.advance(15 * MIN)  # next window one period later
    assert phone.starts("per") == [10 * MIN, 25 * MIN]


@pytest.mark.parametrize("policy, initial, gaps", [
    ("exponential", 30_000, [30_000, 60_000, 120_000]),
    ("linear", 1_000, [10_000, 20_000, 30_000]),  # initial raised to MIN_BACKOFF_MILLIS
])
def test_b09_retry_reschedules_with_backoff(phone: Phone, policy: str, initial: int, gaps: list[int]) -> None:
    phone.schedule("bo", job(backoff_policy=policy, backoff_initial_ms=initial),
                   behave(duration_ms=0, outcomes=["retry", "retry", "retry", "success"]))
    phone.advance(20 * MIN)
    starts = phone.starts("bo")
    assert [b - a for a, b in zip(starts, starts[1:])] == gaps
    assert [e.detail["reschedule"] for e in phone.of_kind("bo", "finished")] == [True, True, True, False]
    assert phone.state("bo") == TaskState.FINISHED


def test_b09_backoff_is_capped_at_five_hours(phone: Phone) -> None:
    phone.schedule("cap", job(backoff_initial_ms=3 * HOUR), behave(duration_ms=0, outcomes=["retry"]))
    phone.advance(8 * HOUR + 1)  # runs at 0, 3 h, then 3 h + min(6 h, 5 h)
    assert phone.starts("cap") == [0, 3 * HOUR, 8 * HOUR]


@pytest.mark.parametrize("charging, limit", [(False, 10 * MIN), (True, 30 * MIN)])
def test_b10_regular_jobs_stop_after_their_runtime_limit(phone: Phone, charging: bool, limit: int) -> None:
    phone.plug() if charging else phone.unplug()
    phone.schedule("long", job(), behave(duration_ms=2 * HOUR))
    phone.advance(limit - 1)
    assert "stopped" not in phone.kinds("long")
    phone.advance(1)
    stopped = phone.first("long", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"], stopped.elapsed_ms) == ("TIMEOUT", 3, limit)


def test_b10_expedited_job_gets_at_least_three_minutes(phone: Phone) -> None:
    phone.unplug()
    phone.sh("am", "set-standby-bucket", PACKAGE, "rare")  # EJ quota: 10 min per 24 h
    phone.schedule("ej1", job(expedited=True), behave(duration_ms=8 * MIN))
    phone.advance(8 * MIN)
    assert phone.first("ej1", "finished").elapsed_ms == 8 * MIN
    phone.schedule("ej2", job(expedited=True), behave(duration_ms=HOUR))  # 2 min of quota left
    phone.advance(4 * MIN)
    stopped = phone.first("ej2", "stopped")
    assert stopped.stop_reason == "TIMEOUT" and stopped.elapsed_ms == 8 * MIN + 3 * MIN


STOP_SCENARIOS = [
    # (params, setup commands, stopping commands, stop reason, code)
    ({"requires_charging": True}, [["cmd", "battery", "set", "ac", "1"]], [["cmd", "battery", "unplug"]],
     "CONSTRAINT_CHARGING", 6),
    ({"requires_battery_not_low": True}, [["cmd", "battery", "unplug"]], [["cmd", "battery", "set", "level", "5"]],
     "CONSTRAINT_BATTERY_NOT_LOW", 5),
    ({"requires_storage_not_low": True}, [], [["cmd", "devicestoragemonitor", "force-low", "-f"]],
     "CONSTRAINT_STORAGE_NOT_LOW", 9),
    ({"network": "any"}, [], [["svc", "wifi", "disable"], ["svc", "data", "disable"]], "CONSTRAINT_CONNECTIVITY", 7),
    ({}, [["cmd", "battery", "unplug"]], [["cmd", "deviceidle", "force-idle"]], "DEVICE_STATE", 4),
    ({}, [["cmd", "battery", "unplug"]], [["cmd", "power", "set-mode", "1"]], "BACKGROUND_RESTRICTION", 11),
    ({}, [["cmd", "battery", "unplug"]], [["am", "set-standby-bucket", PACKAGE, "restricted"]], "APP_STANDBY", 12),
    ({}, [], [["cmd", "jobscheduler", "timeout", PACKAGE]], "TIMEOUT", 3),
    ({}, [], [["cmd", "jobscheduler", "cancel", PACKAGE]], "USER", 13),
]


@pytest.mark.parametrize("params, setup, stop, reason, code", STOP_SCENARIOS,
                         ids=[s[3].lower() for s in STOP_SCENARIOS])
def test_b11_stop_reasons_and_codes(phone: Phone, params: dict, setup: list[list[str]], stop: list[list[str]],
                                    reason: str, code: int) -> None:
    for argv in setup:
        phone.sh(*argv)
    phone.schedule("s", job(**params), behave(duration_ms=5 * MIN))
    assert "started" in phone.kinds("s")
    for argv in stop:
        phone.sh(*argv)
    stopped = phone.first("s", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"], stopped.thread) == (reason, code, "main")


def test_b11_device_idle_stop_reason_when_the_screen_turns_on(phone: Phone) -> None:
    phone.plug()
    phone.sh("input", "keyevent", "KEYCODE_POWER")
    phone.schedule("i", job(requires_device_idle=True), behave(duration_ms=HOUR))
    phone.advance(32 * MIN)
    assert "started" in phone.kinds("i")
    phone.sh("input", "keyevent", "KEYCODE_WAKEUP")
    stopped = phone.first("i", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"]) == ("CONSTRAINT_DEVICE_IDLE", 8)


def test_b11_stop_reason_is_zero_below_api_31(phone: Phone) -> None:
    reset(phone, api=30)
    phone.schedule("old", job(), behave(duration_ms=HOUR))
    phone.sh("cmd", "jobscheduler", "timeout", PACKAGE)
    stopped = phone.first("old", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"]) == ("UNDEFINED", 0)


def test_b12_on_stop_drop_is_not_rescheduled(phone: Phone) -> None:
    phone.unplug()
    phone.schedule("drop", job(), behave(duration_ms=HOUR, on_stop="drop"))
    job_id = phone.job_id("drop")
    phone.advance(2 * HOUR)
    assert len(phone.starts("drop")) == 1 and phone.first("drop", "stopped").detail["reschedule"] is False
    assert phone.state("drop") == TaskState.FAILED
    assert job_id not in phone.pending_jobs() and not phone.job_state(job_id).known


def test_b13_persisted_job_survives_reboot_and_plain_job_does_not(phone: Phone) -> None:
    phone.schedule("keep", job(min_latency_ms=30 * MIN, persisted=True))
    phone.schedule("lose", job(min_latency_ms=30 * MIN))
    keep, lose = phone.job_id("keep"), phone.job_id("lose")
    assert phone.dumped_job(keep).persisted and not phone.dumped_job(lose).persisted
    phone.advance(10 * MIN)
    phone.reboot()
    dump = phone.dump()
    assert dump.is_registered(PACKAGE, keep) and not dump.is_registered(PACKAGE, lose)
    # The delay was kept in wall time (JobStore) and rebased at boot: due 30 min of wall time after
    # it was scheduled, i.e. at elapsed 20 min of the new boot whatever the boot itself took.
    phone.advance(20 * MIN - 1 - phone.now_ms())
    assert "started" not in phone.kinds("keep")
    phone.advance(1)
    assert phone.starts("keep") == [20 * MIN] and "started" not in phone.kinds("lose")
    assert phone.first("keep", "started").boot == 2


def test_b14_doze_defers_jobs_and_stops_running_ones_but_not_exempt_ones(phone: Phone) -> None:
    phone.unplug()
    phone.schedule("run", job(), behave(duration_ms=HOUR))
    phone.sh("cmd", "deviceidle", "force-idle")
    assert phone.first("run", "stopped").stop_reason == "DEVICE_STATE"
    phone.schedule("dz", job())
    phone.schedule("ej", job(expedited=True))
    phone.advance(MIN)
    assert "started" not in phone.kinds("dz") and "started" in phone.kinds("ej")
    assert "DEVICE_NOT_DOZING" not in phone.dumped_job(phone.job_id("dz")).satisfied
    assert phone.sh("cmd", "deviceidle", "step").strip() == "Stepped to deep: IDLE_MAINTENANCE"
    assert "started" in phone.kinds("dz")


def test_b14_power_save_allowlisted_app_runs_jobs_in_doze(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "deviceidle", "force-idle")
    phone.sh("cmd", "deviceidle", "whitelist", f"+{PACKAGE}")
    phone.schedule("al", job())
    phone.advance("1s")
    assert "started" in phone.kinds("al")


def test_b15_battery_saver_restricts_background_jobs(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "power", "set-mode", "1")
    phone.schedule("bs", job())
    phone.schedule("ej", job(expedited=True))
    phone.advance(MIN)
    assert "started" not in phone.kinds("bs") and "started" in phone.kinds("ej")
    assert "BACKGROUND_NOT_RESTRICTED" not in phone.dumped_job(phone.job_id("bs")).satisfied
    phone.start_activity()  # TOP: no longer restricted
    assert "started" in phone.kinds("bs")


def test_b15_foreground_exemption_when_scheduled_while_top(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "power", "set-mode", "1")
    phone.start_activity()
    phone.schedule("top", job(), behave(duration_ms=5 * MIN))
    phone.sh("input", "keyevent", "KEYCODE_HOME")
    phone.advance(2 * MIN)  # left the top more than 60 s ago: the app is idle, the job keeps running
    assert "started" in phone.kinds("top") and "stopped" not in phone.kinds("top")
    phone.schedule("late", job())
    phone.advance(MIN)
    assert "started" not in phone.kinds("late")


def test_b16_rare_bucket_quota_defers_the_next_job_for_the_window(phone: Phone) -> None:
    phone.unplug()
    phone.sh("am", "set-standby-bucket", PACKAGE, "rare")
    phone.schedule("q1", job(), behave(duration_ms=10 * MIN))  # the whole 10-minute allowance
    phone.advance(11 * MIN)
    phone.schedule("q2", job())
    phone.advance(HOUR)
    q2 = phone.job_id("q2")
    assert "started" not in phone.kinds("q2") and phone.job_state(q2).waiting
    assert phone.dumped_job(q2).standby_bucket == "RARE"
    phone.advance(24 * HOUR)  # RARE window: the first session leaves it after 24 h
    assert "started" in phone.kinds("q2")
    assert 24 * HOUR <= phone.starts("q2")[0] <= 24 * HOUR + 10 * MIN


def test_b16_quota_does_not_hold_active_or_charging_apps(phone: Phone) -> None:
    phone.unplug()
    phone.schedule("a1", job(), behave(duration_ms=9 * MIN))
    phone.advance(9 * MIN + 1)
    phone.schedule("a2", job())
    phone.advance(11 * MIN)  # ACTIVE window is 10 minutes
    assert "started" in phone.kinds("a2")
    phone.sh("am", "set-standby-bucket", PACKAGE, "rare")
    phone.plug()  # charging: no quota (except RESTRICTED)
    phone.schedule("c1", job(), behave(duration_ms=20 * MIN))
    phone.advance(21 * MIN)
    phone.schedule("c2", job())
    phone.advance("1s")
    assert "started" in phone.kinds("c2")


def test_b16_never_bucket_runs_nothing(phone: Phone) -> None:
    phone.plug()
    phone.sh("am", "set-standby-bucket", PACKAGE, "50")
    phone.schedule("nv", job())
    phone.advance(HOUR)
    assert "started" not in phone.kinds("nv")


def test_b17_restricted_bucket_jobs_need_charging_battery_and_idle(phone: Phone) -> None:
    phone.sh("am", "set-standby-bucket", PACKAGE, "restricted")
    phone.unplug()
    phone.schedule("rs", job())
    phone.advance(MIN)
    assert "started" not in phone.kinds("rs")
    phone.plug()
    phone.sh("input", "keyevent", "KEYCODE_POWER")  # idle after 31 minutes of screen off
    phone.advance(30 * MIN)
    assert "started" not in phone.kinds("rs")
    phone.advance(2 * MIN)
    assert "started" in phone.kinds("rs")


def test_b18_expedited_job_validity(phone: Phone) -> None:
    for task_id, params in [("d", job(expedited=True, min_latency_ms=MIN)),
                            ("p", job(expedited=True, periodic_ms=15 * MIN)),
                            ("c", job(expedited=True, requires_charging=True))]:
        err = phone.refused(task_id, params)
        assert err.info.code == "platform_error"
        assert err.info.extra["exception"] == "java.lang.IllegalArgumentException"
        assert phone.kinds(task_id) == ["schedule_failed"]


def test_b18_expedited_job_out_of_quota_is_refused_at_schedule(phone: Phone) -> None:
    phone.unplug()
    phone.sh("am", "set-standby-bucket", PACKAGE, "rare")
    phone.schedule("ej1", job(expedited=True), behave(duration_ms=30 * MIN, on_stop="drop"))
    phone.advance(11 * MIN)
    assert phone.first("ej1", "stopped").elapsed_ms == 10 * MIN  # its whole EJ quota
    err = phone.refused("ej2", job(expedited=True))  # JobScheduler.schedule: RESULT_FAILURE
    assert err.info.code == "platform_error" and err.info.extra["exception"] == "java.lang.IllegalStateException"
    assert phone.kinds("ej2") == ["schedule_failed"] and phone.state("ej2") == TaskState.FAILED
    phone.start_activity()  # a foreground app is within its EJ quota
    phone.schedule("ej3", job(expedited=True))
    assert "started" in phone.kinds("ej3")


def test_b19_backoff_on_an_idle_job_is_refused(phone: Phone) -> None:
    err = phone.refused("ib", job(requires_device_idle=True, backoff_policy="linear"))
    assert err.info.code == "platform_error" and err.info.extra["exception"] == "java.lang.IllegalArgumentException"
    assert phone.kinds("ib") == ["schedule_failed"] and phone.state("ib") == TaskState.FAILED
    phone.schedule("ok", job(requires_device_idle=True))  # without backoff criteria it is accepted
    assert phone.dump().is_registered(PACKAGE, phone.job_id("ok"))


def test_b20_force_stop_cancels_jobs_including_persisted_ones(phone: Phone) -> None:
    phone.schedule("fs", job(min_latency_ms=MIN, persisted=True))
    phone.schedule("run", job(), behave(duration_ms=HOUR))
    fs = phone.job_id("fs")
    phone.sh("am", "force-stop", PACKAGE)
    assert phone.pid() is None
    dump = phone.dump()
    assert dump.jobs_of(PACKAGE) == [] and dump.active == []
    phone.reboot()
    phone.advance(10 * MIN)
    assert "started" not in phone.kinds("fs") and fs not in phone.pending_jobs()
    assert "stopped" not in phone.kinds("run")  # the process died first: no onStopJob


def test_b21_process_is_started_to_run_a_job(phone: Phone) -> None:
    phone.schedule("proc", job(min_latency_ms=MIN))
    phone.sh("am", "kill", PACKAGE)  # a cached process: killed, the package is not stopped
    assert phone.pid() is None
    phone.advance(MIN)
    starts = [e for e in phone.events() if e.kind == "process_start"]
    assert starts[-1].detail["reason"] == "job" and phone.starts("proc") == [MIN]
    assert starts[-1].elapsed_ms == MIN


def test_b21_process_death_mid_run_reschedules_with_backoff(phone: Phone) -> None:
    phone.schedule("die", job(), behave(duration_ms=5 * MIN))
    phone.advance("1s")
    phone.sh("vdev", "lmk", PACKAGE)
    assert phone.pid() is None  # (reading the journal below starts the app again)
    phone.advance("29s")
    assert len(phone.starts("die")) == 1
    phone.advance("1s")  # default backoff: 30 s exponential after the death
    assert phone.starts("die") == [0, 31_000]
    assert "stopped" not in phone.kinds("die")  # no onStopJob for a dead process


def test_b22_cmd_jobscheduler_run(phone: Phone) -> None:
    r = phone.run("cmd", "jobscheduler", "run", "com.example.none", "7")
    assert r.status == 24 and r.stderr == "Package not found: com.example.none / user 0\n"
    r = phone.run("cmd", "jobscheduler", "run", PACKAGE, "4242")
    assert r.status == 23 and r.stderr == f"Could not find job 4242 in package {PACKAGE} / user 0\n"
    phone.sh("svc", "wifi", "disable")
    phone.sh("svc", "data", "disable")
    phone.unplug()
    phone.schedule("nf", job(network="any", min_latency_ms=HOUR))
    phone.schedule("soft", job(requires_charging=True, min_latency_ms=HOUR))
    nf, soft = phone.job_id("nf"), phone.job_id("soft")
    r = phone.run(*run_commands(nf, force=False)[0])
    assert r.status == 22 and r.stderr.endswith("has functional constraints but --force not specified\n")
    assert "started" not in phone.kinds("nf")
    assert phone.sh(*run_commands(soft, force=False)[0]) == "Running job\n"  # delay and charging bypassed
    assert "started" in phone.kinds("soft")
    assert phone.sh(*run_commands(nf)[0]) == "Running job [FORCED]\n"
    assert "started" in phone.kinds("nf")


def test_b23_get_job_state_timeout_cancel_and_battery_queries(phone: Phone) -> None:
    phone.schedule("st", job(min_latency_ms=MIN), behave(duration_ms=HOUR))
    job_id = phone.job_id("st")
    assert phone.sh("cmd", "jobscheduler", "get-job-state", PACKAGE, str(job_id)) == "waiting\n"
    phone.advance(MIN)
    assert phone.job_state(job_id).words == frozenset({JobStateWord.ACTIVE})
    out = phone.sh(*timeout_commands(job_id)[0])
    assert out.startswith("Timing out: u0a") and out.rstrip().endswith(f"/{job_id} {JOB_SERVICE}")
    assert phone.first("st", "stopped").stop_reason == "TIMEOUT"
    assert phone.sh("cmd", "jobscheduler", "timeout", PACKAGE) == "No matching executing jobs found.\n"
    assert phone.sh("cmd", "jobscheduler", "cancel", PACKAGE, str(job_id)) == (
        f"Canceling job {PACKAGE}/#{job_id} in user 0\n")
    r = phone.run("cmd", "jobscheduler", "get-job-state", PACKAGE, str(job_id))
    assert r.status == 23 and r.stdout.startswith("unknown(u0a") and r.stdout.endswith(f"/jid{job_id})\n")
    assert not phone.job_state(job_id).known
    assert phone.sh("cmd", "jobscheduler", "monitor-battery", "on") == "Battery monitoring enabled\n"
    phone.sh("cmd", "battery", "set", "level", "50")
    assert int(phone.sh("cmd", "jobscheduler", "get-battery-seq")) >= 0
    phone.plug()
    assert phone.sh("cmd", "jobscheduler", "get-battery-charging") == "true\n"


def test_b24_dumpsys_jobscheduler_parses_with_the_harness_parser(phone: Phone) -> None:
    phone.sh("svc", "wifi", "disable")
    phone.sh("svc", "data", "disable")
    phone.advance("1s")
    phone.schedule("d1", job(network="any", periodic_ms=15 * MIN, persisted=True))
    phone.schedule("d2", job(), behave(duration_ms=5 * MIN))
    text = phone.sh("dumpsys", "jobscheduler")
    assert "Required constraints: TIMING_DELAY DEADLINE CONNECTIVITY [0xd0000000]" in text
    dump = phone.dump()
    d1, d2 = phone.job_id("d1"), phone.job_id("d2")
    assert dump.registered_count == 2 and dump.is_running(PACKAGE, d2) and not dump.is_running(PACKAGE, d1)
    job1 = dump.job(PACKAGE, d1)
    assert job1 is not None and job1.periodic and job1.persisted and job1.ready is False
    assert "CONNECTIVITY" in job1.required and "CONNECTIVITY" in job1.unsatisfied
    assert job1.standby_bucket == "ACTIVE" and job1.service == JOB_SERVICE
