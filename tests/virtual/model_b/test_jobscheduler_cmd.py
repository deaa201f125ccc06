"""``cmd jobscheduler`` / ``dumpsys jobscheduler`` output and exit codes (JobSchedulerShellCommand)."""

from __future__ import annotations

from harness.controls.jobs_dump import parse_jobscheduler_dump

from .helpers import MIN, PKG, Dev


def test_run_reports_missing_package_and_job_with_their_codes(dev: Dev) -> None:
    r = dev.sh("cmd", "jobscheduler", "run", "com.example.none", "7")
    assert r.status == (-1000 & 0xFF) and r.stderr == b"Package not found: com.example.none / user 0\n"
    r = dev.sh("cmd", "jobscheduler", "run", PKG, "4242")
    assert r.status == (-1001 & 0xFF)
    assert r.stderr == f"Could not find job 4242 in package {PKG} / user 0\n".encode()


def test_run_needs_force_for_functional_constraints(dev: Dev) -> None:
    dev.out("svc", "wifi", "disable")
    dev.out("svc", "data", "disable")
    dev.schedule("nf", "job", {"network": "any", "min_latency_ms": 60 * MIN})
    job_id = dev.job_id("nf")
    r = dev.sh("cmd", "jobscheduler", "run", PKG, str(job_id))
    assert r.status == (-1002 & 0xFF)
    assert r.stderr.decode().endswith("has functional constraints but --force not specified\n")
    assert "started" not in dev.kinds("nf")
    assert dev.out("cmd", "jobscheduler", "run", "-f", PKG, str(job_id)) == "Running job [FORCED]\n"
    assert "started" in dev.kinds("nf")


def test_run_without_force_skips_the_delay_but_not_connectivity(dev: Dev) -> None:
    dev.out("cmd", "battery", "unplug")
    dev.schedule("soft", "job", {"min_latency_ms": 60 * MIN, "requires_charging": True})
    assert dev.out("cmd", "jobscheduler", "run", PKG, str(dev.job_id("soft"))) == "Running job\n"
    assert "started" in dev.kinds("soft")
    r = dev.sh("cmd", "jobscheduler", "run", "-f", "-s", PKG, str(dev.job_id("soft")))
    assert r.stdout == b"Cannot specify both --force and --satisfied\n" and r.status == 255


def test_get_job_state_words(dev: Dev) -> None:
    dev.schedule("st", "job", {"min_latency_ms": MIN}, {"duration_ms": MIN})
    job_id = str(dev.job_id("st"))
    assert dev.out("cmd", "jobscheduler", "get-job-state", PKG, job_id) == "waiting\n"
    dev.advance(MIN)
    assert dev.out("cmd", "jobscheduler", "get-job-state", PKG, job_id) == "active\n\n"
    dev.advance(MIN)
    r = dev.sh("cmd", "jobscheduler", "get-job-state", PKG, job_id)
    uid = dev.model.packages.uid_of(PKG) - 10000
    assert r.stdout.decode() == f"unknown(u0a{uid}/jid{job_id})\n" and r.status == (-1001 & 0xFF)


def test_timeout_stops_running_jobs_with_stop_reason_timeout(dev: Dev) -> None:
    dev.schedule("to", "job", {}, {"duration_ms": 30 * MIN})
    job_id = dev.job_id("to")
    out = dev.out("cmd", "jobscheduler", "timeout", PKG, str(job_id))
    assert out.startswith("Timing out: u0a") and out.rstrip().endswith(f"/{job_id} {PKG}/.jobs.HarnessJobService")
    assert dev.first("to", "stopped")["stop_reason"] == "TIMEOUT"
    assert dev.out("cmd", "jobscheduler", "timeout", PKG) == "No matching executing jobs found.\n"


def test_cancel_uses_stop_reason_user(dev: Dev) -> None:
    dev.schedule("cx", "job", {}, {"duration_ms": 30 * MIN})
    job_id = dev.job_id("cx")
    out = dev.out("cmd", "jobscheduler", "cancel", PKG, str(job_id))
    assert out == f"Canceling job {PKG}/#{job_id} in user 0\n"
    stopped = dev.first("cx", "stopped")
    assert stopped["stop_reason"] == "USER" and stopped["detail"]["stop_reason_code"] == 13
    assert dev.out("cmd", "jobscheduler", "cancel", PKG, str(job_id)).endswith("No matching job found.\n")
    assert dev.out("cmd", "jobscheduler", "cancel", PKG) == (
        f"Canceling all jobs for {PKG} in user 0\nNo matching jobs found.\n")


def test_battery_and_storage_queries(dev: Dev) -> None:
    assert dev.out("cmd", "jobscheduler", "get-battery-seq") == "-1\n"
    assert dev.out("cmd", "jobscheduler", "monitor-battery", "on") == "Battery monitoring enabled\n"
    dev.out("cmd", "battery", "set", "level", "50")
    assert int(dev.out("cmd", "jobscheduler", "get-battery-seq")) >= 0
    dev.out("cmd", "battery", "set", "ac", "1")
    assert dev.out("cmd", "jobscheduler", "get-battery-charging") == "true\n"
    dev.out("cmd", "battery", "unplug")
    assert dev.out("cmd", "jobscheduler", "get-battery-charging") == "false\n"
    assert dev.out("cmd", "jobscheduler", "get-storage-not-low") == "true\n"


def test_other_uids_may_not_force_jobs(dev: Dev) -> None:
    r = dev.sh("cmd", "jobscheduler", "run", "-f", PKG, "1", uid=10001)
    assert r.status == 255
    assert r.stdout == b"Exception: java.lang.SecurityException: Uid 10001 not permitted to force scheduled jobs\n"


def test_dumpsys_parses_with_the_harness_parser(dev: Dev) -> None:
    dev.out("svc", "wifi", "disable")
    dev.out("svc", "data", "disable")
    dev.advance(1_000)
    dev.schedule("d1", "job", {"network": "any", "periodic_ms": 15 * MIN, "persisted": True})
    dev.schedule("d2", "job", {}, {"duration_ms": 5 * MIN})
    text = dev.out("dumpsys", "jobscheduler")
    dump = parse_jobscheduler_dump(text)
    d1 = dump.job(PKG, dev.job_id("d1"))
    assert d1 is not None and d1.periodic and d1.persisted
    assert "CONNECTIVITY" in d1.required and "CONNECTIVITY" in d1.unsatisfied
    assert d1.ready is False and d1.standby_bucket == "ACTIVE"
    assert dump.is_running(PKG, dev.job_id("d2"))
    assert "  JOB #u0a" in text and "Required constraints: TIMING_DELAY DEADLINE CONNECTIVITY [0xd0000000]" in text
    assert parse_jobscheduler_dump(dev.out("dumpsys", "jobscheduler", PKG)).registered_count == 2
