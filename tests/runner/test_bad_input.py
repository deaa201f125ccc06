"""Bad devices and bad apps, end to end through ``harness run`` and the runner, on the real adb server.

* a device that vanishes mid-step (``vdev die-after``: the virtual device process SIGKILLs itself
  as a chosen command starts): one clear error, exit 3, every result kept, the rest recorded as not run;
* a reboot that never finishes (``vdev boot-hang``): BootTimeoutError within ``--reboot-timeout``,
  exit 3, the restore still runs and is reported, the next spec runs on a fresh device;
* an app that crashes (behavior outcome ``crash``; ``vdev crash``): the spec asserts the crash and
  the restart's ``previous_exit``; JobScheduler reschedules the job whose process died; a crash-looping
  app (``vdev crash-loop``) is reported as unreachable, not as "not installed".

Each fault is triggered at a command or a reboot the test chose: no sleeps, no timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.bridge.device import Device
from harness.bridge.select import select_device
from harness.runner.result import StepStatus, Verdict
from harness.runner.runner import SpecRunner
from harness.runner.session import Session
from harness.runner.trouble import unreachable_companion
from harness.spec.loader import load_spec
from harness.virtual.sim import SimInfo, sim_process_alive
from harness.virtual.testing import AdbServerInfo, running_sim

ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT_S = 120
PKG = "dev.harness.companion"

PASSES = """\
spec: {name}
steps:
  - schedule: {{id: sync, mechanism: job, params: {{min_latency: 30s}}}}
  - wait: {{until: "sync:finished", timeout: 5m}}
expect:
  - happens: sync:started
"""

DIES_AT_DOZE = """\
spec: b-dies-at-doze
steps:
  - schedule: {id: sync, mechanism: job, params: {min_latency: 30s}}
  - network: none
  - doze: deep
  - wait: 1m
expect:
  - never: sync:started
"""

REBOOT_HANGS = """\
spec: a-reboot-hangs
steps:
  - airplane: on
  - reboot:
  - wait: 1m
expect:
  - happens: {mechanism: boot, kind: boot_completed}
"""

CRASH_THEN_RECOVER = """\
spec: job-crash-is-rescheduled
steps:
  - schedule:
      id: sync
      mechanism: job
      params: {min_latency: 30s}
      behavior: {duration: 2s, outcomes: [crash, success]}
  - wait: {until: "sync:finished", timeout: 30m}
expect:
  - order: [sync:started, sync:crashed, sync:started, sync:finished]
  - happens: {mechanism: app, kind: process_start, detail: {previous_exit: {reason: CRASH}}}
    after: {event: sync:crashed}
  - count: sync:started
    exactly: 2
  - never: sync:stopped
"""

ALWAYS_CRASHES = """\
spec: job-always-crashes
steps:
  - schedule:
      id: sync
      mechanism: job
      params: {min_latency: 30s}
      behavior: {outcomes: [crash]}
  - wait: 10m
expect:
  - happens: sync:finished
"""


def env_for(adb_server: AdbServerInfo) -> dict[str, str]:
    env = dict(os.environ)
    env["ANDROID_ADB_SERVER_PORT"] = str(adb_server.port)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def harness_run(adb_server: AdbServerInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli.main", "run", *args], capture_output=True,
                          text=True, env=env_for(adb_server), timeout=SUBPROCESS_TIMEOUT_S, cwd=ROOT)


def write_specs(folder: Path, specs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in specs.items():
        (folder / name).write_text(text)
    return folder


def vdev_state(device: Device) -> dict[str, Any]:
    return json.loads(device.shell(["vdev", "state"], check=True).stdout)


@pytest.fixture(scope="module")
def session(sim: SimInfo, adb_server: AdbServerInfo) -> Session:
    s = Session(select_device(sim.serial, adb_port=adb_server.port))
    s.companion.connect()
    return s


# ---------------------------------------------------------------- a device that vanishes mid-step

@pytest.fixture
def doomed_sim(adb_server: AdbServerInfo) -> Iterator[SimInfo]:
    """A virtual device of its own: this test kills it."""
    with running_sim(adb_server, name="doomed") as info:
        yield info


def test_device_vanishing_mid_step_is_one_clear_error_and_keeps_every_result(
        adb_server: AdbServerInfo, doomed_sim: SimInfo, tmp_path: Path) -> None:
    device = select_device(doomed_sim.serial, adb_port=adb_server.port)
    armed = device.shell(["vdev", "die-after", "1", "cmd", "deviceidle", "force-idle"], check=True).stdout
    assert "dies at the 1st command starting with 'cmd deviceidle force-idle'" in armed
    specs = write_specs(tmp_path / "specs", {"a.yaml": PASSES.format(name="a-passes-first"),
                                             "b.yaml": DIES_AT_DOZE,
                                             "c.yaml": PASSES.format(name="c-after-the-death")})
    report = tmp_path / "report"
    p = harness_run(adb_server, str(specs), "--device", doomed_sim.serial, "--report", str(report))
    assert p.returncode == 3, p.stdout + p.stderr
    assert not sim_process_alive(doomed_sim.pid)  # the device process really is gone
    lines = p.stdout.splitlines()
    assert any(line.startswith("PASSED  a-passes-first") for line in lines), p.stdout
    error = next(line for line in lines if line.startswith("ERROR   b-dies-at-doze"))
    # one line: where (file:line, step), which device, which command, what happened
    assert f"{specs / 'b.yaml'}:5: step 3 (doze deep): [{doomed_sim.serial}]" in error
    assert "device went away during \"cmd deviceidle force-idle deep ; vdev state" in error
    assert "without an exit status" in error
    assert any(line.startswith("ERROR   c-after-the-death") and "not run: device" in line for line in lines)
    assert f"harness: error: device {doomed_sim.serial} went away (adb lists it as" in p.stderr
    assert "1 spec not run" in p.stderr
    data = json.loads((report / "results.json").read_text())
    assert data["counts"] == {"PASSED": 1, "FAILED": 0, "SKIPPED": 0, "ERROR": 2}
    first, dying, after = data["specs"]
    assert first["verdict"] == "PASSED" and first["restored"] is True
    assert [s["status"] for s in dying["steps"]] == ["ok", "ok", "error", "not_run"]
    assert any(e["kind"] == "scheduled" for e in dying["events"])  # what it saw before the death is kept
    assert dying["restored"] is False
    assert dying["restore_problems"] and "nothing was restored" in dying["restore_problems"][0]
    assert "doze" in dying["restore_problems"][0] and "wifi" in dying["restore_problems"][0]
    assert after["verdict"] == "ERROR" and after["reason"].startswith("not run: device ")
    assert [s["status"] for s in after["steps"]] == ["not_run", "not_run"]
    html = (report / "report.html").read_text()
    assert "b-dies-at-doze" in html and "c-after-the-death" in html


# ---------------------------------------------------------------- a reboot that never finishes

def test_reboot_that_never_finishes_times_out_restores_and_the_run_goes_on(
        adb_server: AdbServerInfo, sim: SimInfo, session: Session, tmp_path: Path) -> None:
    device = session.device
    device.shell(["vdev", "reset"], check=True)
    device.shell(["vdev", "boot-hang"], check=True)
    assert "boot_hang=on" in device.shell(["vdev", "faults"], check=True).stdout
    specs = write_specs(tmp_path / "specs", {"a.yaml": REBOOT_HANGS})
    report = tmp_path / "report"
    p = harness_run(adb_server, str(specs), "--device", sim.serial, "--report", str(report),
                    "--reboot-timeout", "2s")
    assert p.returncode == 3, p.stdout + p.stderr
    error = next(line for line in p.stdout.splitlines() if line.startswith("ERROR   a-reboot-hangs"))
    assert f"step 2 (reboot): [{sim.serial}] device not ready 2s after reboot" in error
    assert "last seen: boot_completed=0" in error and "package_manager=answers" in error
    assert "device state restored" in p.stdout
    data = json.loads((report / "results.json").read_text())
    spec = data["specs"][0]
    assert [s["status"] for s in spec["steps"]] == ["ok", "error", "not_run"]
    assert spec["restored"] is True and spec["restore_problems"] == []
    # the reboot really hung, and the restore really ran on the half-booted device: airplane off again
    assert device.getprop("sys.boot_completed") == "0"
    state = vdev_state(device)
    assert state["boot_count"] == 2 and state["network"]["airplane_mode"] is False
    # one-shot: the next run resets the device and reboots normally
    specs2 = write_specs(tmp_path / "specs2", {"a.yaml": REBOOT_HANGS.replace("a-reboot-hangs", "reboots")})
    p2 = harness_run(adb_server, str(specs2), "--device", sim.serial, "--report", str(tmp_path / "r2"),
                     "--reboot-timeout", "30s")
    assert p2.returncode == 0, p2.stdout + p2.stderr


def test_reboot_timeout_option_is_checked(adb_server: AdbServerInfo, tmp_path: Path) -> None:
    p = harness_run(adb_server, str(tmp_path), "--reboot-timeout", "10")
    assert p.returncode == 2
    assert "--reboot-timeout: duration '10' has no unit" in p.stderr


# ---------------------------------------------------------------- an app that crashes

def test_a_job_that_crashes_is_asserted_and_rescheduled(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "crash.yaml"
    path.write_text(CRASH_THEN_RECOVER)
    result = SpecRunner(session).run_spec(load_spec(path))
    assert result.verdict is Verdict.PASSED, result.failure_text()
    crashed = next(e for e in result.events if e["kind"] == "crashed")
    assert crashed["mechanism"] == "job" and crashed["thread"] != "main"
    assert crashed["detail"]["run"] == 1 and crashed["detail"]["exception"] == "java.lang.RuntimeException"
    restart = next(e for e in result.events if e["kind"] == "process_start" and e["seq"] > crashed["seq"])
    assert restart["detail"]["previous_exit"]["reason"] == "CRASH"
    started = [e for e in result.events if e["kind"] == "started"]
    # JobScheduler rescheduled the job whose process died, after the default backoff (30 s), no onStopJob
    assert started[1]["elapsed_ms"] - crashed["elapsed_ms"] >= 30_000
    trace = [json.loads(line) for line in session.device.shell(["vdev", "trace"], check=True).stdout.splitlines()]
    died = [r for r in trace if r["kind"] == "process_died" and r.get("exit_reason") == "CRASH"]
    assert len(died) == 1
    assert any(r["kind"] == "job_rescheduled" and r["failures"] == 1 for r in trace)


def test_a_job_that_always_crashes_fails_the_spec_not_the_harness(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "always.yaml"
    path.write_text(ALWAYS_CRASHES)
    result = SpecRunner(session).run_spec(load_spec(path))
    assert result.verdict is Verdict.FAILED, result.reason
    assert [s.status for s in result.steps] == [StepStatus.OK, StepStatus.OK]
    assert sum(1 for e in result.events if e["kind"] == "crashed") >= 2  # crashed, rescheduled, crashed again
    assert result.restored is True


def test_vdev_crash_kills_the_process_with_reason_crash(session: Session) -> None:
    device = session.device
    device.shell(["vdev", "reset"], check=True)
    device.shell(["am", "start", "-W", "-n", f"{PKG}/.ui.CompanionActivity"], check=True)
    assert device.shell(["pidof", PKG]).status == 0
    device.shell(["vdev", "crash", PKG], check=True)
    assert device.shell(["pidof", PKG]).status == 1
    info = device.shell(["dumpsys", "activity", "exit-info", PKG], check=True).stdout
    assert "reason=4 (CRASH)" in info
    assert device.shell(["vdev", "crash", PKG]).status == 1  # no process left to crash


@pytest.fixture
def crash_loop(session: Session) -> Iterator[Device]:
    device = session.device
    device.shell(["vdev", "crash-loop", PKG, "on"], check=True)
    try:
        yield device
    finally:
        device.shell(["vdev", "crash-loop", PKG, "off"], check=True)


def test_a_crash_looping_app_is_reported_as_unreachable(session: Session, crash_loop: Device,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "any.yaml"
    path.write_text(PASSES.format(name="needs-the-app"))
    result = SpecRunner(session).run_spec(load_spec(path))
    assert result.verdict is Verdict.ERROR
    assert f"[{session.device.serial}] companion unreachable: 'content call" in result.reason
    assert "Could not find provider" in result.reason
    assert "although the app is installed" in result.reason and "latest exit: CRASH" in result.reason
    assert "not installed" not in result.reason
    assert "Error while accessing provider:dev.harness.companion.rpc / java.lang.IllegalStateException: " \
           "Could not find provider" in result.reason  # what content said, without the stack trace
    assert result.restore_problems and "companion unreachable" in result.restore_problems[-1]


def test_cli_names_a_crash_looping_app_and_records_every_spec(adb_server: AdbServerInfo, sim: SimInfo,
                                                              crash_loop: Device, tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a.yaml": PASSES.format(name="one"),
                                             "b.yaml": PASSES.format(name="two")})
    report = tmp_path / "report"
    p = harness_run(adb_server, str(specs), "--device", sim.serial, "--report", str(report))
    assert p.returncode == 3, p.stdout + p.stderr
    assert "harness: error: " in p.stderr and "companion unreachable" in p.stderr
    assert "latest exit: CRASH" in p.stderr
    data = json.loads((report / "results.json").read_text())
    assert [(s["name"], s["verdict"]) for s in data["specs"]] == [("one", "ERROR"), ("two", "ERROR")]
    assert all(s["reason"].startswith("not run: ") for s in data["specs"])


def test_missing_app_stays_not_installed(session: Session) -> None:
    """The diagnosis only changes the error when the app is installed."""
    from harness.errors import CompanionNotInstalledError

    error = CompanionNotInstalledError("companion app is not installed", command="content call", status=0)
    session.device.shell(["vdev", "reset"], check=True)
    session.device.shell(["pm", "uninstall", PKG], check=True)
    try:
        assert unreachable_companion(session, error) is error
    finally:
        session.device.shell(["vdev", "reset"], check=True)


# ---------------------------------------------------------------- the pytest plugin

def test_pytest_plugin_records_the_specs_after_a_vanished_device(adb_server: AdbServerInfo, doomed_sim: SimInfo,
                                                                  tmp_path: Path) -> None:
    device = select_device(doomed_sim.serial, adb_port=adb_server.port)
    device.shell(["vdev", "die-after", "1", "cmd", "deviceidle", "force-idle"], check=True)
    specs = write_specs(tmp_path / "specs", {"a.yaml": PASSES.format(name="a-passes-first"),
                                             "b.yaml": DIES_AT_DOZE,
                                             "c.yaml": PASSES.format(name="c-after-the-death")})
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(specs),
                        "--device", doomed_sim.serial, "--harness-report", str(tmp_path / "report"),
                        "--harness-reboot-timeout", "20s"],
                       capture_output=True, text=True, env=env_for(adb_server), timeout=SUBPROCESS_TIMEOUT_S,
                       cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "2 failed, 1 passed" in p.stdout
    assert "spec b-dies-at-doze could not run: " in p.stdout and "device went away during" in p.stdout
    assert "spec c-after-the-death could not run: not run: device " in p.stdout
    data = json.loads((tmp_path / "report" / "results.json").read_text())
    assert [s["verdict"] for s in data["specs"]] == ["PASSED", "ERROR", "ERROR"]
