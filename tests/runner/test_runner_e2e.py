"""The runner end to end on virtual devices, through the real adb server.

In-process runs use the module's virtual device (``sim``); the CLI, interrupt and pytest-plugin
tests run ``harness run`` / ``pytest`` as subprocesses against the same private adb server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.bridge.device import Device
from harness.runner.result import StepStatus, Verdict
from harness.runner.runner import SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo

SPECS = Path(__file__).parent / "specs"
ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT_S = 120


def vdev_state(device: Device) -> dict[str, Any]:
    r = device.shell(["vdev", "state"], check=True)
    return json.loads(r.stdout)


def user_visible(state: dict[str, Any]) -> dict[str, Any]:
    """The parts of the device state a spec changes and the harness must put back."""
    return {"screen_on": state["screen_on"], "battery": state["battery"], "doze": state["doze"],
            "network": state["network"]}


def env_for(adb_server: AdbServerInfo) -> dict[str, str]:
    env = dict(os.environ)
    env["ANDROID_ADB_SERVER_PORT"] = str(adb_server.port)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


# ---------------------------------------------------------------- in-process runs

def test_passing_spec_records_steps_events_and_lanes(session: Session) -> None:
    result = SpecRunner(session).run_spec(load_spec(SPECS / "pass" / "job_runs.yaml"))
    assert result.verdict is Verdict.PASSED, result.failure_text()
    kinds = [(e["task_id"], e["kind"]) for e in result.events]
    assert ("sync", "scheduled") in kinds and ("sync", "finished") in kinds
    assert [s.status for s in result.steps] == [StepStatus.OK] * 3
    schedule, wait_until, wait = result.steps
    assert schedule.round_trips == 1  # the schedule call, vdev state and the journal dump in one trip
    assert wait.round_trips == 1
    # the wait-until stopped at the event, not at its 5-minute bound
    finished = next(e for e in result.events if e["kind"] == "finished")
    assert wait_until.end is not None and wait_until.end.elapsed_ms == finished["elapsed_ms"]
    assert wait.end is not None and wait.end.elapsed_ms == finished["elapsed_ms"] + 60_000
    assert result.samples and all(s.network == "wifi" for s in result.samples)


def test_failing_spec_says_expected_actual_and_events_around(session: Session) -> None:
    result = SpecRunner(session).run_spec(load_spec(SPECS / "fail" / "offline_job.yaml"))
    assert result.verdict is Verdict.FAILED
    text = result.failure_text()
    assert "offline_job.yaml:16" in text
    assert "expected: an event (task upload, kind started) within 5m after spec start" in text
    assert "actual:   none in the window; no matching event at all in the journal" in text
    assert "job/upload scheduled" in text  # the events around it


def test_state_restored_after_failing_spec(session: Session) -> None:
    device = session.device
    # a non-default starting point, so "restored" cannot be confused with "reset"
    device.shell(["cmd", "battery", "set", "level", "55"], check=True)
    before = user_visible(vdev_state(device))
    try:
        result = SpecRunner(session).run_spec(load_spec(SPECS / "fail" / "offline_job.yaml"))
        assert result.verdict is Verdict.FAILED
        assert result.restore_problems == []
        # the spec really changed the device while it ran
        assert any(s.network == "none" for s in result.samples)
        assert any(s.doze == "IDLE" for s in result.samples)
        assert any(s.battery_level == 40 for s in result.samples)
        assert user_visible(vdev_state(device)) == before
    finally:
        device.shell(["cmd", "battery", "reset"])


def test_requirements_skip_with_reason_and_touch_nothing(session: Session) -> None:
    runner = SpecRunner(session)
    api = runner.run_spec(load_spec(SPECS / "skip" / "needs_api_35.yaml"))
    real = runner.run_spec(load_spec(SPECS / "skip" / "real_only.yaml"))
    assert api.verdict is Verdict.SKIPPED and "needs API 35 or newer" in api.reason and "API 34" in api.reason
    assert real.verdict is Verdict.SKIPPED and "needs a real device" in real.reason
    assert api.round_trips == 0 and real.round_trips == 0


def test_imperative_steps_share_the_spec_step_api(session: Session) -> None:
    from harness.runner.imperative import Steps

    steps = Steps(session, name="imperative")
    try:
        rec = steps.schedule("sync", "job", params={"min_latency": "30s"})
        assert rec.round_trips == 1
        steps.wait(until="sync:finished", timeout="5m")
        steps.expect({"happens": "sync:started", "within": "1m"})
        with pytest.raises(AssertionError, match="expected: exactly 2 events"):
            steps.expect({"count": "sync:started", "exactly": 2})
    finally:
        assert steps.close() == []


# ---------------------------------------------------------------- the CLI

def harness_run(adb_server: AdbServerInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli.main", "run", *args], capture_output=True,
                          text=True, env=env_for(adb_server), timeout=SUBPROCESS_TIMEOUT_S, cwd=ROOT)


def test_cli_runs_specs_prints_verdicts_and_exits_1_on_failure(adb_server: AdbServerInfo, sim: SimInfo,
                                                                tmp_path: Path) -> None:
    report = tmp_path / "report"
    p = harness_run(adb_server, str(SPECS / "pass"), str(SPECS / "fail"), "--device", sim.serial,
                    "--report", str(report))
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert any(line.startswith("PASSED  job-runs") for line in lines)
    assert any(line.startswith("FAILED  offline-job-runs-anyway") for line in lines)
    assert "step 1/3: schedule sync (job)" in p.stderr  # progress
    data = json.loads((report / "results.json").read_text())
    assert data["counts"]["PASSED"] == 2 and data["counts"]["FAILED"] == 1


def test_cli_refuses_invalid_spec_before_any_device_command(adb_server: AdbServerInfo, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec: bad\nsteps:\n  - home\n  - rebot:\nexpect:\n  - happens: {mechanism: app}\n")
    p = harness_run(adb_server, str(bad), "--report", str(tmp_path / "r"))
    assert p.returncode == 2
    assert f"{bad}:4:5: unknown step type 'rebot'" in p.stderr
    assert "virtual device" not in p.stderr  # nothing was started, nothing was sent
    assert not (tmp_path / "r").exists()


def test_cli_starts_a_virtual_device_when_none_is_attached(tmp_path: Path) -> None:
    from harness.virtual.testing import private_adb_server

    with private_adb_server() as empty:  # a server with no device at all
        p = harness_run(empty, str(SPECS / "pass" / "job_runs.yaml"), "--report", str(tmp_path / "r"))
        devices = subprocess.run([empty.adb_path, "-P", str(empty.port), "devices"], capture_output=True,
                                 text=True, timeout=30).stdout
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no device attached: started virtual device 127.0.0.1:" in p.stderr
    assert "127.0.0.1:" not in devices  # stopped and disconnected at the end


def test_interrupt_restores_state_and_writes_partial_report(adb_server: AdbServerInfo, sim: SimInfo,
                                                            session: Session, tmp_path: Path) -> None:
    before = user_visible(vdev_state(session.device))
    report = tmp_path / "report"
    # --clock real: the last step blocks on the journal stream for up to 2 minutes (the virtual device
    # never produces the event), so SIGINT sent once its progress line appears lands inside it.
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli.main", "run", str(SPECS / "interrupt"),
                             "--device", sim.serial, "--clock", "real", "--report", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(adb_server),
                            cwd=ROOT)
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "step 4/4: wait until" in line:
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 130, "".join(seen) + err
    assert "interrupted" in err
    data = json.loads((report / "results.json").read_text())
    assert data["interrupted"] is True
    spec = data["specs"][0]
    assert spec["verdict"] == "ERROR" and "interrupted" in spec["reason"]
    assert [s["status"] for s in spec["steps"]] == ["ok", "ok", "ok", "error"]
    assert any(s["doze"] == "IDLE" for s in spec["samples"])  # Doze really was forced meanwhile
    assert user_visible(vdev_state(session.device)) == before


# ---------------------------------------------------------------- the pytest plugin

def run_pytest(adb_server: AdbServerInfo, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], capture_output=True,
                          text=True, env=env_for(adb_server), timeout=SUBPROCESS_TIMEOUT_S, cwd=cwd)


def processes_with(*needles: str) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes whose command line holds every needle."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode(errors="replace") for a in argv)
        if argv != [b""] and all(n in line for n in needles):
            found.append((int(proc.name), line))
    return found


def test_pytest_xdist_two_virtual_devices(adb_server: AdbServerInfo, tmp_path: Path) -> None:
    sims = tmp_path / "sims"  # the workers' virtual devices log under here (their command lines name it)
    env = dict(env_for(adb_server), HARNESS_SIM_DIR=str(sims))
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--virtual", "-rs",
                        str(SPECS / "pass"), str(SPECS / "fail"), str(SPECS / "skip"),
                        "--junitxml", str(tmp_path / "junit.xml"), "--harness-report", str(tmp_path / "report")],
                       capture_output=True, text=True, env=env, timeout=SUBPROCESS_TIMEOUT_S, cwd=ROOT)
    assert p.returncode == 1, p.stdout
    assert "1 failed, 2 passed, 2 skipped" in p.stdout
    assert "needs API 35 or newer" in p.stdout
    assert "expected: an event (task upload, kind started)" in p.stdout
    serials = set()
    for worker in ("gw0", "gw1"):
        data = json.loads((tmp_path / "report" / worker / "results.json").read_text())
        serials |= {s["device"] for s in data["specs"]}
    assert len(serials) == 2  # one virtual device per worker
    junit = (tmp_path / "junit.xml").read_text()
    assert 'tests="5"' in junit and 'failures="1"' in junit and 'skipped="2"' in junit
    # Each worker drove its virtual device through an adb server of its own, not the caller's ...
    import xml.etree.ElementTree as ET

    pairs = {(case.find("properties/property[@name='harness_device']").get("value"),  # type: ignore[union-attr]
              case.find("properties/property[@name='harness_adb_server']").get("value"))  # type: ignore[union-attr]
             for case in ET.parse(tmp_path / "junit.xml").iter("testcase")
             if case.find("properties/property[@name='harness_adb_server']") is not None}
    assert {serial for serial, _ in pairs} == serials
    servers = {server for _, server in pairs}
    assert len(servers) == 2 and len(pairs) == 2, pairs
    ports = {int(server.rsplit(":", 1)[1]) for server in servers}
    assert adb_server.port not in ports
    # ... and the caller's adb server never saw those devices
    listed = subprocess.run([adb_server.adb_path, "-P", str(adb_server.port), "devices"], capture_output=True,
                            text=True, timeout=30).stdout
    assert not any(serial in listed for serial in serials), listed
    # Nothing left behind: no private adb server, no virtual device process.
    for port in ports:
        assert processes_with("fork-server", f"tcp:{port}") == []
    assert processes_with("harness.virtual", str(sims)) == []


def test_pytest_invalid_spec_is_a_collection_error(adb_server: AdbServerInfo, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("spec: bad\nsteps:\n  - home\n  - rebot:\nexpect:\n  - happens: {mechanism: app}\n")
    (tmp_path / "notes.yaml").write_text("just: data\n")  # not a spec: ignored
    p = run_pytest(adb_server, "--virtual", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 2, p.stdout
    assert "ERROR collecting bad.yaml" in p.stdout
    assert "bad.yaml:4:5: unknown step type 'rebot'" in p.stdout
    assert "1 error" in p.stdout and "failed" not in p.stdout


def test_pytest_steps_fixture(adb_server: AdbServerInfo, tmp_path: Path) -> None:
    (tmp_path / "test_imperative.py").write_text(
        "def test_job(steps, device, companion):\n"
        "    assert device.is_virtual and companion.hello_info is not None\n"
        "    steps.schedule('sync', 'job', params={'min_latency': '1m'})\n"
        "    steps.wait(until='sync:finished', timeout='10m')\n"
        "    steps.expect({'never': 'sync:started', 'within': '59s'})\n"
        "    steps.expect({'happens': 'sync:started', 'within': '2m'})\n"
    )
    p = run_pytest(adb_server, "--virtual", "-q", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 0 and "1 passed" in p.stdout, p.stdout + p.stderr


# ---------------------------------------------------------------- the report in a browser

def chromium_binary() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(session: Session, tmp_path: Path) -> None:
    browser = chromium_binary()
    if browser is None:
        pytest.skip("chromium is not installed (.ci/install installs it: apt-get install chromium)")
    from harness.report.writer import write_report
    from harness.runner.runner import new_run

    run = new_run(session)
    SpecRunner(session).run(
        [load_spec(SPECS / "pass" / "job_runs.yaml"), load_spec(SPECS / "fail" / "offline_job.yaml")], run)
    files = write_report(run, tmp_path / "report")
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                        "--dump-dom", files.html.as_uri()], capture_output=True, text=True, timeout=90)
    dom = p.stdout
    assert p.returncode == 0 and "<body" in dom, p.stderr[-500:]
    assert dom.count('<svg class="timeline"') == 2  # one timeline per spec, parsed as SVG by the browser
    for lane in ("screen", "doze", "network", "charging", "process"):
        assert f'data-lane="{lane}"' in dom
    assert 'data-verdict="PASSED"' in dom and 'data-verdict="FAILED"' in dom
    assert ">PASSED</span>job-runs" in dom and ">FAILED</span>offline-job-runs-anyway" in dom
    assert "none in the window; no matching event at all in the journal" in dom  # expected vs actual
    assert 'data-task="upload"' in dom and 'data-task="sync"' in dom  # event rows
    assert "IDLE" in dom  # the Doze lane of the failing spec
    data = json.loads(files.json.read_text())
    assert [s["verdict"] for s in data["specs"]] == ["PASSED", "FAILED"]
