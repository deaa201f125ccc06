"""Spec steps and expectations from Python (the pytest ``steps`` fixture).

A :class:`Steps` object runs the same steps as a YAML spec, written in the same syntax as a spec's
``steps:`` entries (a dict or a bare word), and checks expectations in the syntax of ``expect:``.
Each call is validated by the spec loader exactly as a spec would be (the steps so far form the
spec's context, so ``cancel: sync`` is checked against the tasks scheduled before), then run on the
session's device. The device state is snapshotted when the first step runs and restored by
:meth:`Steps.close`::

    def test_sync_survives_doze(steps):
        steps.do({"schedule": {"id": "sync", "mechanism": "job", "params": {"min_latency": "1m"}}})
        steps.do({"doze": "deep"})
        steps.do({"wait": "2h"})
        steps.expect({"happens": "sync:started", "within": "2h"})
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from harness.controls.guard import ALL_KINDS, DeviceStateGuard
from harness.errors import HarnessError
from harness.runner import steps as steps_mod
from harness.runner.expectations import Observation, check_expectation
from harness.runner.result import StepRecord
from harness.runner.runner import SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec_text
from harness.spec.model import Spec

# Holds the ``expect:`` slot of the spec built while steps run (a spec needs one); never checked.
_PLACEHOLDER_EXPECT = {"never": {"mechanism": "boot", "kind": "time_set"}}


class Steps:
    def __init__(self, session: Session, *, name: str = "imperative") -> None:
        self.session = session
        self.name = "".join(c if c.isalnum() or c in "_.-" else "-" for c in name)[:60].strip("-") or "test"
        self.raw_steps: list[Any] = []
        self.records: list[StepRecord] = []
        self.obs: Observation | None = None
        self.guard: DeviceStateGuard | None = None
        self._runner = SpecRunner(session)
        self._host0 = time.monotonic()

    # ------------------------------------------------------------ spec text
    def _spec(self, steps: list[Any], expect: list[Any]) -> Spec:
        text = yaml.safe_dump({"spec": self.name, "steps": steps, "expect": expect}, sort_keys=False)
        return load_spec_text(text, f"<{self.name}>")

    def _start(self) -> None:
        if self.obs is not None:
            return
        s = self.session
        self.guard = DeviceStateGuard(s.device, package=s.package)
        self.guard.snapshot(ALL_KINDS)
        s.start_spec(reset_app=True, reset_device=s.virtual)
        self.obs = Observation(events=s.journal.events, start=s.now, end=s.now)
        self._host0 = time.monotonic()

    # ------------------------------------------------------------ steps
    def do(self, step: Any) -> StepRecord:
        """Run one step written as in a spec (``{"doze": "deep"}``, ``"home"``, ``{"wait": "90s"}``)."""
        spec = self._spec([*self.raw_steps, step], [_PLACEHOLDER_EXPECT])  # SpecInvalidError if bad
        self._start()
        assert self.obs is not None
        new = spec.steps[-1]
        rec = StepRecord(index=len(self.records), kind=new.KEY, description=steps_mod.describe(new))
        self.raw_steps.append(step)
        self.records.append(rec)
        failed = len(self.obs.failures)
        self._runner.run_step(new, rec, self._host0, self.obs, spec=spec)
        self.obs.end = self.session.now
        self.obs.events = self.session.journal.events
        if len(self.obs.failures) > failed:  # a wait-until timed out
            raise AssertionError(self.obs.failures[-1].render())
        return rec

    def schedule(self, id: str, mechanism: str, params: dict[str, Any] | None = None,
                 behavior: dict[str, Any] | None = None) -> StepRecord:
        task: dict[str, Any] = {"id": id, "mechanism": mechanism}
        if params:
            task["params"] = params
        if behavior:
            task["behavior"] = behavior
        return self.do({"schedule": task})

    def wait(self, duration: str | None = None, *, until: Any = None, timeout: str | None = None,
             since: str | int | None = None) -> StepRecord:
        """``wait: DURATION``, or ``wait: {until, timeout, since}``; a wait-until that times out raises AssertionError."""
        if until is not None:
            spec: dict[str, Any] = {"until": until, "timeout": timeout}
            if since is not None:
                spec["since"] = since
            return self.do({"wait": spec})
        return self.do({"wait": duration})

    # ------------------------------------------------------------ what happened
    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.session.journal.events)

    def expect(self, expectation: dict[str, Any]) -> None:
        """Check one expectation (``expect:`` syntax) against the run so far; AssertionError with the story."""
        if self.obs is None:
            raise AssertionError("no step has run yet")
        spec = self._spec(list(self.raw_steps), [expectation])
        failure = check_expectation(spec.expectations[0], spec, self.obs)
        if failure is not None:
            raise AssertionError(failure.render())

    # ------------------------------------------------------------ end
    def close(self) -> list[str]:
        """Restore the device (state, the companion's tasks); returns what could not be restored."""
        problems: list[str] = []
        if self.guard is not None:
            problems += [str(f) for f in self.guard.restore()]
        if self.obs is not None:
            try:
                self.session.end_spec()
                self.session.companion.cancel_all()
            except HarnessError as e:
                problems.append(f"companion: {e}")
        return problems
