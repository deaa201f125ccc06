"""The client against the virtual device, through the real adb server: ``content call`` end to end.

The virtual device's companion emulation answers ``content call`` like the app; time moves only
with ``vdev advance MS``; ``vdev reset`` gives each test a freshly booted device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.cli.main import main as harness_main
from harness.companion.client import CompanionClient
from harness.companion.journal import JournalFollower
from harness.companion.protocol import (
    PACKAGE,
    AlarmParams,
    Behavior,
    EventMechanism,
    JobParams,
    Mechanism,
    TaskState,
    Task,
)
from harness.errors import CompanionNotInstalledError, CompanionRpcError

from .test_quoting import HOSTILE

if TYPE_CHECKING:
    from harness.bridge.device import Device
    from harness.virtual.sim import SimInfo


def vdev(device: "Device", *args: str) -> str:
    return device.shell(["vdev", *args], check=True).stdout


@pytest.fixture
def client(device: "Device") -> CompanionClient:
    vdev(device, "reset")
    return CompanionClient(device)


def kinds_of(events: list, task_id: str) -> list[str]:
    return [e.kind for e in events if e.task_id == task_id]


def test_hello_handshake(client: CompanionClient, sim: "SimInfo") -> None:
    info = client.connect()
    assert info.protocol[0] == 1
    assert info.app.package == PACKAGE
    assert info.device.api == sim.api
    assert client.hello_info is info


def test_schedule_a_job_and_see_it_run(client: CompanionClient) -> None:
    task = Task("e2e-job", JobParams(min_latency_ms=60_000), Behavior(duration_ms=1_000))
    scheduled = client.schedule(task)
    assert scheduled.task_id == "e2e-job" and isinstance(scheduled.platform.get("job_id"), int)
    listed = client.list()
    info = listed.get("e2e-job")
    assert info is not None and info.mechanism is Mechanism.JOB and info.state is TaskState.SCHEDULED
    assert scheduled.platform["job_id"] in listed.pending_jobs
    before = kinds_of(client.all_events(), "e2e-job")
    assert before == ["scheduled"]  # the latency has not passed: nothing ran
    vdev(client.device, "advance", "120000")
    events = client.all_events()
    kinds = kinds_of(events, "e2e-job")
    assert kinds[:1] == ["scheduled"] and "started" in kinds and "finished" in kinds
    assert kinds.index("started") < kinds.index("finished")
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    started = next(e for e in events if e.task_id == "e2e-job" and e.kind == "started")
    assert started.mechanism is EventMechanism.JOB and started.thread == "main"
    assert started.elapsed_ms >= 60_000


def test_events_page_and_since(client: CompanionClient) -> None:
    for i in range(5):
        client.schedule(Task(f"alarm-{i}", AlarmParams(trigger_in_ms=1_000)))
    all_events = client.all_events()
    assert len(all_events) >= 5
    paged = list(client.iter_events(page_size=2))
    assert [e.seq for e in paged] == [e.seq for e in all_events]
    later = client.all_events(since=all_events[1].seq)
    assert [e.seq for e in later] == [e.seq for e in all_events[2:]]
    cleared = client.clear_events()
    assert cleared == len(all_events)
    assert client.all_events() == []
    client.schedule(Task("after-clear", AlarmParams(trigger_in_ms=1_000)))
    fresh = client.all_events()
    assert fresh and fresh[0].seq > all_events[-1].seq  # sequence numbers are never reused


@pytest.mark.parametrize("task_id", [t for t in HOSTILE if t][:8])
def test_hostile_task_ids_arrive_intact_and_are_refused_by_the_app(client: CompanionClient, task_id: str) -> None:
    with pytest.raises(CompanionRpcError) as info:
        client.schedule(Task(task_id, JobParams()))
    assert info.value.info.code == "bad_value"
    assert info.value.info.field == "task.id"
    assert client.hello().app.package == PACKAGE  # the app kept running


def test_errors_name_the_field(client: CompanionClient) -> None:
    client.schedule(Task("dup", JobParams(min_latency_ms=1_000)))
    with pytest.raises(CompanionRpcError) as dup:
        client.schedule(Task("dup", JobParams(min_latency_ms=1_000)))
    assert dup.value.info.code == "duplicate_task"
    with pytest.raises(CompanionRpcError) as unknown:
        client.cancel("nope")
    assert unknown.value.info.code == "unknown_task"
    with pytest.raises(CompanionRpcError) as typo:
        client.call("schedule", {"task": {"id": "t", "mechanism": "job", "paramz": {}}})
    assert typo.value.info.code == "unknown_field" and typo.value.info.field == "task.paramz"
    with pytest.raises(CompanionRpcError) as bad_range:
        client.schedule(Task("neg", JobParams(min_latency_ms=-1)))
    assert bad_range.value.info.code == "out_of_range"
    assert bad_range.value.info.field == "task.params.min_latency_ms"
    cancelled = client.cancel("dup")
    assert cancelled.task_id == "dup" and cancelled.was is TaskState.SCHEDULED


def test_journal_follower_streams_every_event_once(client: CompanionClient) -> None:
    client.schedule(Task("before-follow", AlarmParams(trigger_in_ms=5_000)))
    seen = []
    with JournalFollower(client) as follower:
        caught_up = follower.next_event(timeout=10)
        assert caught_up is not None
        seen.append(caught_up)
        client.schedule(Task("while-following", JobParams(min_latency_ms=1_000), Behavior(duration_ms=100)))
        vdev(client.device, "advance", "60000")
        while True:
            event = follower.next_event(timeout=3)
            if event is None:
                break
            seen.append(event)
    assert [e.seq for e in seen] == [e.seq for e in client.all_events()]
    assert kinds_of(seen, "before-follow")[:1] == ["scheduled"] and "fired" in kinds_of(seen, "before-follow")
    assert "started" in kinds_of(seen, "while-following")


def test_not_installed_then_status_says_so(client: CompanionClient, capsys: pytest.CaptureFixture[str],
                                           sim: "SimInfo", adb_server: object) -> None:
    device = client.device
    device.shell(["pm", "uninstall", PACKAGE], check=True)
    try:
        with pytest.raises(CompanionNotInstalledError):
            CompanionClient(device).connect()
        status = harness_main(["companion", "status", "-s", sim.serial, "--adb-port", str(device.server.port)])
        assert status == 1
        assert "not installed" in capsys.readouterr().out
    finally:
        vdev(device, "reset")
    assert CompanionClient(device).connect().app.package == PACKAGE


def test_cli_status_and_install_on_the_virtual_device(client: CompanionClient, capsys: pytest.CaptureFixture[str],
                                                      sim: "SimInfo") -> None:
    port = str(client.device.server.port)
    assert harness_main(["companion", "status", "-s", sim.serial, "--adb-port", port]) == 0
    out = capsys.readouterr().out
    assert "installed" in out and "protocol:" in out and "1.0" in out and "exact alarms:" in out
    assert harness_main(["companion", "install", "-s", sim.serial, "--adb-port", port]) == 0
    assert "built in" in capsys.readouterr().out


def test_several_calls_in_one_round_trip(client: CompanionClient) -> None:
    from harness.companion.client import call_argv, parse_call_output, request_arg
    from harness.controls.batch import run_batch

    client.connect()
    tasks = [Task(f"batched-{i}", AlarmParams(trigger_in_ms=60_000)).to_json() for i in range(3)]
    commands = [call_argv("schedule", request_arg({"task": t})) for t in tasks]
    commands.append(call_argv("cancel", request_arg({"task_id": "no-such-task"})))
    commands.append(call_argv("list", request_arg()))
    results = run_batch(client.device, commands)
    answers = []
    for r, method in zip(results, ["schedule"] * 3 + ["cancel", "list"]):
        try:
            answers.append(parse_call_output(r.stdout, r.stderr, r.status, method=method))
        except CompanionRpcError as e:
            answers.append(e.info.code)
    assert [a["task_id"] for a in answers[:3]] == ["batched-0", "batched-1", "batched-2"]
    assert answers[3] == "unknown_task"
    assert sorted(t["task_id"] for t in answers[4]["tasks"]) == ["batched-0", "batched-1", "batched-2"]
