"""When a wait-until is satisfied, and where a step anchors a window, on a virtual device.

A wait-until counts matching events journalled since the start of the step before it (the
actions since the previous wait), so an event the previous step caused ends it at once; windows
``after: STEP`` start at the step's start unless ``at: end`` says otherwise. Both clocks: the
virtual one (device time moves with ``vdev advance``) and the real-time one (``--clock real``,
the journal followed on a logcat stream).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bridge.select import select_device
from harness.runner.clock import RealTime
from harness.runner.result import SpecResult, StepStatus, Verdict
from harness.runner.runner import SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec_text
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo

# The job starts inside the schedule step (network any, Wi-Fi up); dropping Wi-Fi stops it inside
# the network step. Neither waits for a later moment.
ALREADY_ARRIVED = """\
spec: wait-sees-previous-step
setup: {network: wifi}
steps:
  - schedule: {id: dl, mechanism: job, params: {network: any}, behavior: {duration: 10m}}
  - wait: {until: "dl:started", timeout: 2m}
  - network: none
    name: offline
expect:
  - happens: dl:stopped
    within: 0s after offline
  - never: dl:stopped
    after: {step: offline, at: end}
  - stop_reason: CONSTRAINT_CONNECTIVITY
    of: dl:stopped
"""

END_ANCHOR_MISSES = """\
spec: end-anchor-misses-own-events
setup: {network: wifi}
steps:
  - schedule: {id: dl, mechanism: job, params: {network: any}, behavior: {duration: 10m}}
  - network: none
    name: offline
expect:
  - happens: dl:stopped
    after: {step: offline, at: end}
"""

LATER = """\
spec: wait-ends-at-the-event
steps:
  - schedule: {id: later, mechanism: job, params: {min_latency: 45s}}
  - home
  - wait: {until: "later:started", timeout: 5m}
  - wait: 10s
expect:
  - happens: later:started
"""

NEVER_COMES = """\
spec: wait-times-out
steps:
  - home
  - wait: {until: {mechanism: boot, kind: time_set}, timeout: 90s}
  - wait: 10s
expect:
  - never: {mechanism: boot, kind: time_set}
"""

SINCE_ITSELF = """\
spec: wait-since-itself
setup: {network: wifi}
steps:
  - schedule: {id: dl, mechanism: job, params: {network: any}, behavior: {duration: 10m}}
  - wait: {until: "dl:started", timeout: 1m, since: own}
    name: own
expect:
  - happens: dl:started
"""


@pytest.fixture(scope="module")
def real_session(sim: SimInfo, adb_server: AdbServerInfo) -> Iterator[Session]:
    s = Session(select_device(sim.serial, adb_port=adb_server.port), clock=RealTime())
    s.companion.connect()
    yield s


def run(session: Session, text: str) -> SpecResult:
    spec = load_spec_text(text, "inline.yaml")
    return SpecRunner(session).run_spec(spec)


def event(result: SpecResult, task: str, kind: str) -> dict:
    return next(e for e in result.events if e.get("task_id") == task and e["kind"] == kind)


# ---------------------------------------------------------------- virtual time

def test_wait_is_satisfied_by_the_event_the_previous_step_caused(session: Session) -> None:
    result = run(session, ALREADY_ARRIVED)
    assert result.verdict is Verdict.PASSED, result.failure_text()
    schedule, wait, offline = result.steps
    started = event(result, "dl", "started")
    assert started["elapsed_ms"] == schedule.start.elapsed_ms  # caused inside the schedule step
    # the wait took no device time and no round trip: it found the event already journalled
    assert wait.status is StepStatus.OK and "already arrived" in wait.message
    assert wait.start == wait.end == schedule.end
    assert wait.round_trips == 0
    # so the network drop hits the running job at once, not after the wait's 2-minute bound
    assert offline.start.elapsed_ms == started["elapsed_ms"]
    assert event(result, "dl", "stopped")["stop_reason"] == "CONSTRAINT_CONNECTIVITY"


def test_window_at_end_excludes_what_the_step_itself_caused(session: Session) -> None:
    result = run(session, END_ANCHOR_MISSES)
    assert result.verdict is Verdict.FAILED
    (failure,) = result.failures
    assert "after end of 'offline'" in failure.expected
    assert "before the window" in failure.actual  # the stop happened inside the step, before its end


def test_wait_ends_exactly_at_a_later_event(session: Session) -> None:
    result = run(session, LATER)
    assert result.verdict is Verdict.PASSED, result.failure_text()
    _schedule, home, wait, tail = result.steps
    started = event(result, "later", "started")
    assert started["elapsed_ms"] >= 45_000
    assert wait.start == home.end and wait.start.elapsed_ms < started["elapsed_ms"]
    assert wait.end.elapsed_ms == started["elapsed_ms"]
    assert "event #" in wait.message and "already" not in wait.message
    assert tail.end.elapsed_ms == started["elapsed_ms"] + 10_000


def test_wait_whose_event_never_comes_fails_the_spec_at_its_timeout(session: Session) -> None:
    result = run(session, NEVER_COMES)
    assert result.verdict is Verdict.FAILED
    home, wait, tail = result.steps
    assert wait.status is StepStatus.FAILED and "timed out" in wait.message
    assert wait.end.elapsed_ms - wait.start.elapsed_ms == 90_000  # bounded by its timeout, exactly
    assert tail.status is StepStatus.OK and tail.end.elapsed_ms == wait.end.elapsed_ms + 10_000
    (failure,) = result.failures  # the never-expectation itself held
    assert failure.expectation == "step 2 (wait until (mechanism boot, kind time_set), at most 1m30s)"
    assert failure.line == 4 and failure.step_index == 1
    assert failure.expected == ("an event (mechanism boot, kind time_set) since the start of step 1 (home) "
                                "(boot 1 at 0ms), within 1m30s of the wait's start")
    assert failure.actual == "none; the wait timed out at boot 1 at 1m30s (it began at boot 1 at 0ms)"
    assert result.reason.startswith("step 2 (wait until")


def test_since_the_wait_itself_ignores_earlier_events(session: Session) -> None:
    result = run(session, SINCE_ITSELF)
    assert result.verdict is Verdict.FAILED
    (failure,) = result.failures
    started = event(result, "dl", "started")
    assert "since the start of this wait" in failure.expected
    assert f"1 matching event(s) before the start of this wait: #{started['seq']}" in failure.actual
    assert result.steps[1].end.elapsed_ms == 60_000


# ---------------------------------------------------------------- real time

def test_real_time_wait_is_satisfied_by_the_previous_step(real_session: Session) -> None:
    result = run(real_session, ALREADY_ARRIVED)
    _schedule, wait, offline = result.steps
    assert wait.status is StepStatus.OK, wait.message
    assert "already arrived" in wait.message
    assert offline.status is StepStatus.OK
    assert not [f for f in result.failures if f.step_index is not None]


def test_real_time_wait_whose_event_never_comes_fails(real_session: Session) -> None:
    text = NEVER_COMES.replace("timeout: 90s", "timeout: 2s").replace("  - wait: 10s\n", "")
    result = run(real_session, text)
    assert result.verdict is Verdict.FAILED
    _home, wait = result.steps
    assert wait.status is StepStatus.FAILED and "timed out" in wait.message
    assert result.failures[0].expectation == "step 2 (wait until (mechanism boot, kind time_set), at most 2s)"
    assert result.failures[0].actual.startswith("none; the wait timed out at boot 1 at")
