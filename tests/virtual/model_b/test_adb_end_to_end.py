"""Model-B rules through the real adb server and the virtual device process (no in-process shortcuts).

Every command here travels adb client -> adb server -> virtual device over TCP, as on a phone.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

import pytest

from harness.controls.jobs_dump import parse_jobscheduler_dump

from .helpers import MIN, PKG, URI

if TYPE_CHECKING:
    from harness.bridge.device import Device


def sh(device: "Device", *argv: str, check: bool = True) -> Any:
    return device.shell(list(argv), check=check)


def rpc(device: "Device", method: str, arg: dict[str, Any] | None = None) -> dict[str, Any]:
    argv = ["content", "call", "--uri", URI, "--method", method]
    if arg is not None:
        argv += ["--arg", json.dumps(arg)]
    out = sh(device, *argv).stdout
    assert out.startswith("Result: Bundle[{json="), out
    return json.loads(out.strip()[len("Result: Bundle[{json="):-2])


def events(device: "Device", task_id: str) -> list[dict[str, Any]]:
    return [e for e in rpc(device, "events", {"limit": 1000})["events"] if e["task_id"] == task_id]


@pytest.fixture
def dev(device: "Device") -> "Device":
    sh(device, "vdev", "reset")
    return device


def test_job_with_network_constraint_stops_when_the_network_drops(dev: "Device") -> None:
    answer = rpc(dev, "schedule", {"task": {"id": "net", "mechanism": "job", "params": {"network": "any"},
                                            "behavior": {"duration_ms": 5 * MIN}}})
    assert answer["ok"] and isinstance(answer["platform"]["job_id"], int)
    sh(dev, "vdev", "advance", "30s")
    sh(dev, "cmd", "connectivity", "airplane-mode", "enable")
    kinds = [(e["kind"], e["thread"], e["stop_reason"]) for e in events(dev, "net")]
    assert kinds == [("scheduled", "main", None), ("started", "main", None),
                     ("work_started", "DefaultDispatcher-worker-1", None),
                     ("stopped", "main", "CONSTRAINT_CONNECTIVITY")]


def test_cmd_jobscheduler_run_and_state_exit_codes_over_adb(dev: "Device") -> None:
    sh(dev, "cmd", "battery", "unplug")
    rpc(dev, "schedule", {"task": {"id": "c", "mechanism": "job",
                                   "params": {"requires_charging": True, "job_id": 4711}}})
    assert sh(dev, "cmd", "jobscheduler", "get-job-state", PKG, "4711").stdout == "waiting\n"
    r = sh(dev, "cmd", "jobscheduler", "run", PKG, "999", check=False)
    assert r.status == 23 and "Could not find job 999 in package" in r.stderr
    assert sh(dev, "cmd", "jobscheduler", "run", "-f", PKG, "4711").stdout == "Running job [FORCED]\n"
    assert sh(dev, "cmd", "jobscheduler", "get-job-state", PKG, "4711").stdout == "active\n\n"
    dump = parse_jobscheduler_dump(sh(dev, "dumpsys", "jobscheduler", PKG).stdout)
    assert dump.is_running(PKG, 4711) and "CHARGING" in dump.job(PKG, 4711).required


def test_doze_defers_and_the_maintenance_window_runs_over_adb(dev: "Device") -> None:
    sh(dev, "cmd", "battery", "unplug")
    sh(dev, "cmd", "deviceidle", "force-idle")
    rpc(dev, "schedule", {"task": {"id": "dz", "mechanism": "job"}})
    rpc(dev, "schedule", {"task": {"id": "ej", "mechanism": "job", "params": {"expedited": True}}})
    assert "started" not in [e["kind"] for e in events(dev, "dz")]
    assert "started" in [e["kind"] for e in events(dev, "ej")]
    sh(dev, "cmd", "deviceidle", "step")
    assert "started" in [e["kind"] for e in events(dev, "dz")]


def test_persisted_job_and_work_after_reboot(dev: "Device") -> None:
    rpc(dev, "schedule", {"task": {"id": "p", "mechanism": "job",
                                   "params": {"persisted": True, "min_latency_ms": 30 * MIN}}})
    rpc(dev, "schedule", {"task": {"id": "w", "mechanism": "work", "params": {"initial_delay_ms": 30 * MIN}}})
    before = dev.boot_count()
    dev.reboot(timeout=60)
    assert dev.boot_count() == before + 1
    sh(dev, "vdev", "advance", "31m")
    assert "started" in [e["kind"] for e in events(dev, "p")]
    assert "started" in [e["kind"] for e in events(dev, "w")]
    boots = [e["kind"] for e in rpc(dev, "events", {"limit": 1000})["events"] if e["mechanism"] == "boot"]
    assert boots == ["locked_boot_completed", "boot_completed"]


def test_journal_streams_to_logcat_over_adb(dev: "Device") -> None:
    rpc(dev, "schedule", {"task": {"id": "lg", "mechanism": "job", "params": {"min_latency_ms": MIN}}})
    out = sh(dev, "logcat", "-d", "-v", "brief", "HarnessJournal:I", "*:S").stdout
    lines = [line for line in out.splitlines() if "HarnessJournal" in line]
    assert lines and lines[-1].startswith("I/HarnessJournal")
    doc = json.loads(lines[-1].split(": ", 1)[1])
    assert doc["task_id"] == "lg" and doc["kind"] == "scheduled"


def test_quoted_argument_arrives_intact(dev: "Device") -> None:
    arg = json.dumps({"task": {"id": "q", "mechanism": "job", "params": {"min_latency_ms": MIN},
                               "behavior": {"outcomes": ["success"]}}})
    out = dev.shell_script(f"content call --uri {URI} --method schedule --arg {shlex.quote(arg)}", check=True)
    assert '"task_id":"q"' in out.stdout
