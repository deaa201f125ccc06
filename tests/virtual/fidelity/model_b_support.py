"""Support for the model-B fidelity tests (docs/fidelity.md B1-B40) driven through the real adb server.

Every call goes adb client library -> private adb server -> virtual device process over TCP, the
way the harness drives a phone: tasks are scheduled with :class:`CompanionClient` (``content
call``), the device is changed with the platform's shell commands (``svc``, ``cmd battery``,
``cmd deviceidle``, ``am``...), rebooted with ``Device.reboot`` (which waits until the device is
ready again), and time moves with ``vdev advance`` (the only virtual-only command). Outcomes are
read from the companion's journal (``events``), ``dumpsys jobscheduler`` (parsed by
harness/controls/jobs_dump.py) and ``cmd jobscheduler get-job-state`` (harness/controls/jobs.py).

The ``phone`` fixture resets the module's device (``vdev reset --api 34``) before each test; the test
modules import it, so it takes precedence over the ``phone`` fixture of this folder's conftest.py
(model A's, a different helper class).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from harness.bridge.shell import ShellResult
from harness.companion.client import CompanionClient, call_argv, parse_call_output
from harness.companion.protocol import (
    PACKAGE,
    Behavior,
    Event,
    JobParams,
    Task,
    TaskInfo,
    TaskState,
    WorkParams,
)
from harness.controls.jobs import JobRunState, get_state_commands, parse_job_state
from harness.controls.jobs_dump import JobSchedulerDump, RegisteredJob, parse_jobscheduler_dump
from harness.errors import CompanionRpcError

if TYPE_CHECKING:
    from harness.bridge.device import Device

MIN = 60_000
HOUR = 60 * MIN
ACTIVITY = f"{PACKAGE}/.ui.CompanionActivity"  # the manifest's only activity
SYSTEM_JOB_SERVICE = f"{PACKAGE}/androidx.work.impl.background.systemjob.SystemJobService"
JOB_SERVICE = f"{PACKAGE}/.jobs.HarnessJobService"


class Phone:
    """One virtual device seen only through adb, as the harness sees a phone."""

    def __init__(self, device: "Device") -> None:
        self.device = device
        self.client = CompanionClient(device)

    # -------------------------------------------------------------- shell
    def sh(self, *argv: str) -> str:
        """Run a command that must succeed; its stdout."""
        return self.device.shell(list(argv), check=True).stdout

    def run(self, *argv: str) -> ShellResult:
        """Run a command whatever its exit status."""
        return self.device.shell(list(argv))

    def advance(self, duration: str | int) -> None:
        """``vdev advance``: bare numbers are milliseconds."""
        out = self.sh("vdev", "advance", str(duration))
        assert out.startswith("fired="), out

    def now_ms(self) -> int:
        for line in self.sh("vdev", "now").splitlines():
            key, _, value = line.partition("=")
            if key == "elapsed_ms":
                return int(value)
        raise AssertionError("vdev now printed no elapsed_ms")

    def boot_count(self) -> int:
        count = self.device.boot_count()
        assert count is not None
        return count

    def reboot(self) -> None:
        before = self.boot_count()
        state = self.device.reboot(timeout=60)
        assert state.boot_completed and state.boot_count == before + 1, state

    def unplug(self) -> None:
        self.sh("cmd", "battery", "unplug")

    def plug(self) -> None:
        self.sh("cmd", "battery", "set", "ac", "1")

    def start_activity(self) -> None:
        self.sh("am", "start", "-n", ACTIVITY)

    def pid(self) -> int | None:
        r = self.run("pidof", PACKAGE)
        return int(r.stdout.split()[0]) if r.status == 0 and r.stdout.strip() else None

    # -------------------------------------------------------------- companion
    def schedule(self, task_id: str, params: JobParams | WorkParams | Any, behavior: Behavior | None = None) -> dict[str, Any]:
        result = self.client.schedule(Task(task_id, params, behavior or Behavior()))
        assert result.task_id == task_id
        return result.platform

    def refused(self, task_id: str, params: Any, behavior: Behavior | None = None) -> CompanionRpcError:
        with pytest.raises(CompanionRpcError) as info:
            self.client.schedule(Task(task_id, params, behavior or Behavior()))
        return info.value

    def raw_call(self, method: str, arg_json: str | None = None) -> dict[str, Any]:
        """A ``content call`` with the argument text as given (for malformed arguments)."""
        argv = call_argv(method)
        if arg_json is not None:
            argv += ["--arg", arg_json]
        r = self.run(*argv)
        try:
            return parse_call_output(r.stdout, r.stderr, r.status, method=method)
        except CompanionRpcError as e:
            return {"ok": False, "error": {"code": e.info.code, "field": e.info.field, **e.info.extra}}

    def events(self, task_id: str | None = None) -> list[Event]:
        evs = self.client.all_events()
        return [e for e in evs if task_id is None or e.task_id == task_id]

    def kinds(self, task_id: str) -> list[str]:
        return [e.kind for e in self.events(task_id)]

    def of_kind(self, task_id: str, kind: str) -> list[Event]:
        return [e for e in self.events(task_id) if e.kind == kind]

    def first(self, task_id: str, kind: str) -> Event:
        found = self.of_kind(task_id, kind)
        assert found, f"no {kind!r} event for {task_id}: {self.kinds(task_id)}"
        return found[0]

    def starts(self, task_id: str) -> list[int]:
        return [e.elapsed_ms for e in self.of_kind(task_id, "started")]

    def task(self, task_id: str) -> TaskInfo:
        info = self.client.list().get(task_id)
        assert info is not None, f"no task {task_id}"
        return info

    def state(self, task_id: str) -> TaskState:
        return self.task(task_id).state

    def job_id(self, task_id: str) -> int:
        return int(self.task(task_id).platform["job_id"])

    def pending_jobs(self) -> list[int]:
        return self.client.list().pending_jobs

    # -------------------------------------------------------------- JobScheduler
    def dump(self) -> JobSchedulerDump:
        return parse_jobscheduler_dump(self.sh("dumpsys", "jobscheduler", PACKAGE))

    def dumped_job(self, job_id: int) -> RegisteredJob:
        job = self.dump().job(PACKAGE, job_id)
        assert job is not None, f"job {job_id} is not registered"
        return job

    def job_state(self, job_id: int) -> JobRunState:
        (argv,) = get_state_commands(job_id)
        return parse_job_state(self.run(*argv).stdout)


def job(**kw: Any) -> JobParams:
    return JobParams(**kw)


def work(**kw: Any) -> WorkParams:
    return WorkParams(**kw)


def behave(duration_ms: int | None = None, outcomes: Sequence[str] | None = None,
           on_stop: str | None = None) -> Behavior:
    from harness.companion.protocol import OnStop, Outcome

    return Behavior(duration_ms=duration_ms,
                    outcomes=[Outcome(o) for o in outcomes] if outcomes is not None else None,
                    on_stop=OnStop(on_stop) if on_stop is not None else None)


DEFAULT_API = 34


def reset(phone: Phone, api: int = DEFAULT_API) -> None:
    """``vdev reset`` (the API level is given every time: a reset keeps the previous one otherwise)."""
    out = phone.sh("vdev", "reset", "--api", str(api))
    assert "boot_count=1" in out, out
    phone.client = CompanionClient(phone.device)


@pytest.fixture
def phone(device: "Device") -> Iterator[Phone]:
    p = Phone(device)
    reset(p)
    yield p
