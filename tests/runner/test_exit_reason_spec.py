"""A spec asserts the exit reason alone (``detail: {previous_exit: {reason: ...}}``), run on the virtual device.

A swipe from Recents kills the process with ApplicationExitInfo REASON_USER_REQUESTED /
SUBREASON_REMOVE_TASK (docs/fidelity.md U4); the companion's next ``process_start`` reports it with
exactly the fields docs/companion-protocol.md lists.
"""

from __future__ import annotations

from pathlib import Path


from harness.runner.result import Verdict
from harness.runner.runner import SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec

SPEC = """\
spec: swipe-exit-reason
setup:
  launch: true
steps:
  - schedule:
      id: later
      mechanism: alarm
      params: {trigger_in: 10m, type: elapsed_wakeup, method: set}
  - swipe_from_recents:
    name: swiped
  - wait: 20m
expect:
  - happens: {mechanism: app, kind: process_start, detail: {previous_exit: {reason: USER_REQUESTED}}}
    after: swiped
  - happens: {kind: process_start, detail: {previous_exit: {reason: USER_REQUESTED, subreason: REMOVE_TASK}}}
    after: swiped
  - never: {kind: process_start, detail: {previous_exit: {subreason: FORCE_STOP}}}
"""


def test_swipe_exit_reason_is_asserted_by_a_nested_detail(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "swipe-exit-reason.yaml"
    path.write_text(SPEC)
    result = SpecRunner(session).run_spec(load_spec(path))
    assert result.verdict is Verdict.PASSED, result.failure_text()
    starts = [e for e in result.events if e["kind"] == "process_start" and e["detail"]["previous_exit"]]
    exit_ = starts[-1]["detail"]["previous_exit"]
    assert set(exit_) == {"reason", "subreason", "description", "timestamp_ms", "pid"}
    assert (exit_["reason"], exit_["subreason"]) == ("USER_REQUESTED", "REMOVE_TASK")
    assert isinstance(exit_["pid"], int) and exit_["pid"] > 0


def test_a_wrong_nested_reason_fails_the_spec(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "swipe-wrong-reason.yaml"
    path.write_text(SPEC.replace("reason: USER_REQUESTED}}}\n    after: swiped\n  - happens",
                                 "reason: OTHER}}}\n    after: swiped\n  - happens", 1))
    result = SpecRunner(session).run_spec(load_spec(path))
    assert result.verdict is Verdict.FAILED
    assert "OTHER" in result.failure_text()
