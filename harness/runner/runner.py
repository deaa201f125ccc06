"""Running specs on one device: requirements, snapshot, setup, steps, expectations, restore.

For each spec, in order:

1. requirements the device does not meet make the spec SKIPPED with the reason (nothing is sent);
2. :class:`~harness.controls.guard.DeviceStateGuard` snapshots the state the spec may change;
3. the virtual device is reset (``vdev reset``) so every spec starts from the same device;
4. the companion's tasks are cancelled and its journal cleared (``setup.reset``), the setup applied;
5. the steps run, each timed on the device clock and counted in adb round trips;
6. the expectations are checked against the journal, the step moments and the state probes;
7. whatever happened (failure, device error, Ctrl-C), the guard restores the device and the
   companion's tasks are cancelled; a KeyboardInterrupt is re-raised after the restore, with the
   partial result recorded.

Every wait is bounded: device commands by their timeouts, ``wait`` steps by their durations.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness import __version__
from harness.companion.client import parse_call_output
from harness.companion.protocol import Method
from harness.controls import network as network_ctl
from harness.controls.guard import DeviceStateGuard, StateKind
from harness.errors import CompanionNotInstalledError, CompanionRpcError, HarnessError
from harness.runner import steps as steps_mod
from harness.runner.expectations import Observation, check_all, events_around, state_anchor_key
from harness.runner.probes import PlatformState, StateQuery
from harness.runner.result import FailureDetail, RunResult, SpecResult, StepRecord, StepStatus, Verdict
from harness.runner.session import Session
from harness.runner.timeline import Moment, event_after
from harness.runner.trouble import device_gone, not_run, unreachable_companion
from harness.spec.model import (
    AirplaneStep,
    BatteryStep,
    ConfigureStep,
    DozeStep,
    ExactAlarmStep,
    Mechanism,
    MeteredStep,
    NetworkStep,
    ScreenStep,
    Spec,
    StandbyBucketStep,
    StateCheck,
    StateExpectation,
    Step,
    WaitStep,
)
from harness.ui import steps as ui_steps

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- progress

@dataclass(frozen=True)
class Progress:
    """What the runner is doing, for terminals and logs."""

    kind: str  # "spec_start", "step_start", "spec_end"
    spec: Spec
    step: Step | None = None
    index: int = 0
    total: int = 0
    result: SpecResult | None = None


ProgressFn = Callable[[Progress], None]


# ---------------------------------------------------------------- requirements

def unmet_requirement(spec: Spec, session: Session) -> str | None:
    """Why this device cannot run the spec (a skip reason), or None."""
    req = spec.requires
    api = session.api_level
    if req.api_min is not None and api < req.api_min:
        return f"needs API {req.api_min} or newer; device {session.device.serial} has API {api}"
    if req.api_max is not None and api > req.api_max:
        return f"needs API {req.api_max} or older; device {session.device.serial} has API {api}"
    if req.virtual_only and not session.virtual:
        return f"needs the virtual device; {session.device.serial} is a real device or emulator"
    if req.real_only and session.virtual:
        return f"needs a real device or emulator; {session.device.serial} is the virtual device"
    return None


def guard_kinds(spec: Spec) -> frozenset[StateKind]:
    """The device state the spec's setup and steps can change (what the guard must snapshot)."""
    kinds: set[StateKind] = set()
    s = spec.setup
    if s.airplane is not None:
        kinds.add(StateKind.AIRPLANE)
    if s.network is not None:
        kinds |= {StateKind.WIFI, StateKind.DATA}
    if s.metered is not None:
        kinds.add(StateKind.METERED)
    if s.battery is not None:
        kinds.add(StateKind.BATTERY)
        if s.battery.saver is not None:
            kinds.add(StateKind.BATTERY_SAVER)
    if s.screen_on is not None:
        kinds.add(StateKind.SCREEN)
    if s.standby_bucket is not None:
        kinds.add(StateKind.STANDBY)
    if s.exact_alarm is not None:
        kinds.add(StateKind.APPOPS)
    for step in spec.steps:
        if isinstance(step, AirplaneStep):
            kinds.add(StateKind.AIRPLANE)
        elif isinstance(step, NetworkStep):
            kinds |= {StateKind.WIFI, StateKind.DATA}
        elif isinstance(step, MeteredStep):
            kinds.add(StateKind.METERED)
        elif isinstance(step, BatteryStep):
            kinds.add(StateKind.BATTERY)
            if step.battery.saver is not None:
                kinds.add(StateKind.BATTERY_SAVER)
        elif isinstance(step, ScreenStep):
            kinds.add(StateKind.SCREEN)
        elif isinstance(step, DozeStep):
            kinds.add(StateKind.DOZE)
        elif isinstance(step, StandbyBucketStep):
            kinds.add(StateKind.STANDBY)
        elif isinstance(step, ExactAlarmStep):
            kinds.add(StateKind.APPOPS)
        kinds |= ui_steps.guard_kinds(step)  # screen steps (harness/ui)
    return frozenset(kinds)


def state_queries(spec: Spec, session: Session) -> dict[int | None, list[StateExpectation]]:
    """State expectations grouped by where they read: after step N, or None for the spec end."""
    out: dict[int | None, list[StateExpectation]] = {}
    for exp in spec.expectations:
        if isinstance(exp, StateExpectation):
            out.setdefault(state_anchor_key(exp, spec), []).append(exp)
    return out


def make_query(exps: Sequence[StateExpectation], spec: Spec, session: Session) -> StateQuery:
    job_ids: dict[str, int] = {}
    alarm_tasks: list[str] = []
    tasks = spec.tasks
    for exp in exps:
        if exp.task is None:
            continue
        task = tasks.get(exp.task)
        if exp.check is StateCheck.JOB_PENDING:
            ids = session.platform_ids.get(exp.task, {})
            jid = ids.get("job_id")
            if isinstance(jid, int):
                job_ids[exp.task] = jid
            elif task is not None and getattr(task.params, "job_id", None) is not None:
                job_ids[exp.task] = int(task.params.job_id)  # type: ignore[union-attr]
        elif exp.check is StateCheck.ALARM_REGISTERED:
            alarm_tasks.append(exp.task)
    all_alarm_tasks = [t for t, ts in tasks.items() if ts.mechanism is Mechanism.ALARM]
    if len(all_alarm_tasks) > 1:
        alarm_tasks = sorted(set(alarm_tasks))
    return StateQuery(frozenset(e.check for e in exps), job_ids, alarm_tasks)


# ---------------------------------------------------------------- the runner

class _NoInterrupt:
    """SIGINT ignored while the device is being restored (a second Ctrl-C must not cut a restore short)."""

    def __enter__(self) -> None:
        self._previous: Any = None
        try:
            self._previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: signals go elsewhere anyway
            self._previous = None

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class SpecRunner:
    """Runs specs on one :class:`Session`. See the module doc for the order of things."""

    def __init__(self, session: Session, *, progress: ProgressFn | None = None) -> None:
        self.session = session
        self.progress = progress or (lambda p: None)
        self.last_result: SpecResult | None = None
        self.device_lost: str | None = None  # why the device is gone (set by the spec it vanished in)

    # ------------------------------------------------------------ many specs
    def run(self, specs: Iterable[Spec], run: RunResult | None = None) -> RunResult:
        """Every spec in order, appended to ``run``. KeyboardInterrupt: ``run.interrupted`` set, re-raised."""
        run = run or new_run(self.session)
        started = time.monotonic()
        try:
            pending = list(specs)
            while pending:
                spec = pending.pop(0)
                self.last_result = None
                run.specs.append(self.run_spec(spec))
                if self.device_lost is not None:
                    self._not_run(pending, run, spec)
                    break
        except KeyboardInterrupt:
            run.interrupted = True
            if self.last_result is not None and self.last_result not in run.specs:
                run.specs.append(self.last_result)  # the interrupted spec, as far as it got
            raise
        finally:
            run.host_duration_s += time.monotonic() - started
        return run

    def _not_run(self, pending: list[Spec], run: RunResult, lost_in: Spec) -> None:
        """The device is gone: every spec left is recorded as ERROR (not run), with the reason."""
        reason = (f"not run: device {self.session.device.serial} went away during spec {lost_in.name!r} "
                  f"({self.device_lost})")
        for spec in pending:
            result = not_run(spec, self.session, reason)
            run.specs.append(result)
            self.progress(Progress("spec_end", spec, result=result))

    # ------------------------------------------------------------ one spec
    def run_spec(self, spec: Spec) -> SpecResult:
        s = self.session
        result = SpecResult(name=spec.name, path=str(spec.path), line=spec.line, device=s.device.serial,
                            api_level=s.api_level, virtual=s.virtual)
        self.last_result = result
        result.steps = [StepRecord(index=i, kind=st.KEY, description=steps_mod.describe(st),
                                   line=st.mark.line or None) for i, st in enumerate(spec.steps)]
        self.progress(Progress("spec_start", spec, total=len(spec.steps)))
        host0 = time.monotonic()
        rt0 = s.round_trips
        skip = unmet_requirement(spec, s)
        if skip is not None:
            result.verdict, result.reason = Verdict.SKIPPED, skip
            self.progress(Progress("spec_end", spec, result=result))
            return result
        kinds = guard_kinds(spec)
        guard = DeviceStateGuard(s.device, package=s.package, kinds=kinds,
                                 permissions=ui_steps.guard_permissions(spec))
        original_config: dict[str, Any] | None = None
        interrupted: KeyboardInterrupt | None = None
        try:
            if kinds:  # an empty set would mean "everything" to the guard
                guard.snapshot(kinds)
            s.start_spec(reset_app=spec.setup.reset, reset_device=s.virtual,
                         list_wifi=StateKind.METERED in kinds)
            original_config = dict(s.start_config)
            self._setup(spec)
            obs = self._steps(spec, result, host0)
            result.failures = obs.failures + check_all(spec, obs)
            if result.failures:
                first = result.failures[0]
                result.verdict = Verdict.FAILED
                result.reason = f"{first.expectation}: expected {first.expected}; actual {first.actual}"
            else:
                result.verdict = Verdict.PASSED
        except steps_mod.SpecSkip as e:
            result.verdict, result.reason = Verdict.SKIPPED, str(e)
        except HarnessError as e:
            error: HarnessError = unreachable_companion(s, e) if isinstance(e, CompanionNotInstalledError) else e
            result.verdict, result.reason = Verdict.ERROR, _where(spec, result) + str(error)
            self.device_lost = device_gone(s, error)
            log.info("spec %s: %s", spec.name, error)
        except KeyboardInterrupt as e:
            result.verdict, result.reason = Verdict.ERROR, "interrupted (Ctrl-C / SIGTERM); the device was restored"
            interrupted = e
        finally:
            with _NoInterrupt():
                self._cleanup(spec, guard, original_config, result)
            result.events = list(s.journal.events)
            result.samples = list(s.samples)
            result.round_trips = s.round_trips - rt0
            result.host_duration_s = time.monotonic() - host0
        self.progress(Progress("spec_end", spec, result=result))
        if interrupted is not None:
            raise interrupted
        return result

    def _setup(self, spec: Spec) -> None:
        s = self.session
        cmds, kinds = steps_mod.setup_commands(spec.setup, s)
        if cmds:
            results = s.batch(cmds).results
            for kind, r in zip(kinds, results):
                if kind == "configure":
                    parse_call_output(r.stdout, r.stderr, r.status, method=Method.CONFIGURE,
                                      serial=s.device.serial, command=r.command)
                elif kind == "airplane_off_check":
                    if r.stdout.strip() == "1":
                        raise steps_mod.SpecSkip(
                            "the device cannot do this: airplane mode is on and the shell cannot turn it off "
                            f"before API {network_ctl.AIRPLANE_CMD_MIN_API} (the device has {s.api_level})")
                else:
                    steps_mod.check([r])
        if spec.setup.metered is not None:
            steps_mod.set_metered(steps_mod.StepContext(s), spec.setup.metered)

    def _steps(self, spec: Spec, result: SpecResult, host0: float) -> Observation:
        s = self.session
        queries = state_queries(spec, s)
        obs = Observation(events=s.journal.events, start=s.now, end=s.now)
        for i, step in enumerate(spec.steps):
            probe = make_query(queries[step.number], spec, s) if step.number in queries else None
            self.run_step(step, result.steps[i], host0, obs, probe,
                          announce=Progress("step_start", spec, step=step, index=i, total=len(spec.steps)), spec=spec)
        obs.end = s.now
        if None in queries:
            state = s.observe(make_query(queries[None], spec, s))
            if state is not None:
                obs.states[None] = PlatformState(**{**state.__dict__, "at": obs.end})
        if s.journal.gap:
            n = s.catch_up_journal()
            log.info("[%s] journal lines were lost on logcat; %d events read from the journal", s.device.serial, n)
        obs.events = s.journal.events
        return obs

    def run_step(self, step: Step, rec: StepRecord, host0: float, obs: Observation,
                 probe: StateQuery | None = None, announce: Progress | None = None, spec: Spec | None = None) -> None:
        """One step: run it, time it (device and host), count its round trips, note its moments in ``obs``.

        A wait-until that times out marks the step FAILED and adds its failure to ``obs.failures``.
        """
        s = self.session
        before = s.now
        rt = s.round_trips
        rec.host_start_s = time.monotonic() - host0
        rec.start = before.point
        ctx = steps_mod.StepContext(s, probe=probe)
        if isinstance(step, WaitStep) and step.until is not None:
            ctx.since, ctx.since_text = wait_since(step, spec, obs, before)
        try:
            if announce is not None:  # inside the step: an interrupt from here on belongs to it
                self.progress(announce)
            steps_mod.execute(step, ctx)
        except (HarnessError, KeyboardInterrupt) as e:
            rec.status = StepStatus.NOT_RUN if isinstance(e, steps_mod.SpecSkip) else StepStatus.ERROR
            rec.message = "interrupted" if isinstance(e, KeyboardInterrupt) else str(e)
            raise
        else:
            rec.status = StepStatus.OK
            rec.message = "; ".join(ctx.notes)
            obs.steps[step.number] = (before, s.now)
            if ctx.timed_out is not None:
                rec.status = StepStatus.FAILED
                obs.events = s.journal.events
                obs.failures.append(wait_failure(step, rec, ctx, obs))
            if ctx.state is not None:
                obs.states[step.number] = ctx.state
        finally:
            rec.end = s.now.point
            rec.host_end_s = time.monotonic() - host0
            rec.round_trips = s.round_trips - rt

    def _cleanup(self, spec: Spec, guard: DeviceStateGuard, original_config: dict[str, Any] | None,
                 result: SpecResult) -> None:
        s = self.session
        if self.device_lost is not None:  # nothing to restore on: say what the device was left with
            kinds = sorted(k.value for k in guard_kinds(spec))
            result.restore_problems.append(
                f"device {s.device.serial} is gone ({self.device_lost}): nothing was restored"
                + (f"; it may keep what the spec set ({', '.join(kinds)})" if kinds else ""))
            result.restored = False
            log.info("[%s] after %s: %s", s.device.serial, spec.name, result.restore_problems[-1])
            return
        ui_steps.close_screen(s)  # stop the uiautomator2 server a screen step started
        try:
            s.end_spec()
        except HarnessError as e:
            log.debug("end of spec: %s", e)
        for failure in guard.restore():
            result.restore_problems.append(str(failure))
        try:
            if original_config is not None and _configures(spec):
                s.companion.configure(**{k: v for k, v in original_config.items()
                                         if k == "reregister_alarms_on_boot"})
            s.companion.cancel_all()
        except CompanionNotInstalledError as e:
            result.restore_problems.append(f"companion: {unreachable_companion(s, e)}")
        except (HarnessError, CompanionRpcError) as e:
            result.restore_problems.append(f"companion: {e}")
        result.restored = not result.restore_problems
        if result.restore_problems:
            log.error("[%s] after %s, not restored: %s", s.device.serial, spec.name,
                      "; ".join(result.restore_problems))


def wait_since(step: WaitStep, spec: Spec | None, obs: Observation, own_start: Moment) -> tuple[Moment, str]:
    """Where a wait-until starts counting events (see WaitStep), and that place in words."""
    if spec is not None:
        number = spec.wait_since(step)
    elif step.since is None:
        number = step.number - 1
    elif isinstance(step.since, int):
        number = step.since
    else:
        raise steps_mod.StepError(f"{step.label}: since {step.since!r} names a step, but no spec is given to find it")
    if number == step.number:
        return own_start, "the start of this wait"
    if number <= 0 or number not in obs.steps:
        return obs.start, "the start of the spec"
    label = f"step {number}"
    if spec is not None and number <= len(spec.steps):
        label += f" ({steps_mod.describe(spec.steps[number - 1])})"
    return obs.steps[number][0], f"the start of {label}"


def wait_failure(step: WaitStep, rec: StepRecord, ctx: steps_mod.StepContext, obs: Observation) -> FailureDetail:
    """The failure of a wait-until whose event did not come: what it waited for, and where such events were."""
    assert step.until is not None and step.timeout is not None
    since = ctx.since if ctx.since is not None else obs.steps[step.number][0]
    start, end = obs.steps[step.number]
    earlier = [e for e in obs.events if step.until.matches(e) and not event_after(e, since)]
    actual = f"none; the wait timed out at {end.describe()} (it began at {start.describe()})"
    if earlier:
        actual += (f"; {len(earlier)} matching event(s) before {ctx.since_text or 'the wait'}: "
                   + ", ".join(f"#{e.get('seq')} {Moment.of_event(e).describe()}" for e in earlier[:3]))
    return FailureDetail(f"step {step.number} ({rec.description})",
                         f"an event ({step.until.describe()}) since {ctx.since_text or 'the start of the wait'} "
                         f"({since.describe()}), within {step.timeout} of the wait's start",
                         actual, step.mark.line or None, step_index=rec.index,
                         around=events_around(obs.events, None, step.until, end))


def _where(spec: Spec, result: SpecResult) -> str:
    """``file:line: step N (what): `` of the step that broke, or the spec's own location."""
    for rec in result.steps:
        if rec.status is StepStatus.ERROR:
            return f"{spec.path}:{rec.line or spec.line}: step {rec.index + 1} ({rec.description}): "
    return f"{spec.path}:{spec.line}: "


def _configures(spec: Spec) -> bool:
    return spec.setup.configure is not None or any(isinstance(st, ConfigureStep) for st in spec.steps)


def new_run(session: Session | None = None) -> RunResult:
    run = RunResult(harness_version=__version__, started_wall=time.time())
    if session is not None:
        run.device = session.device.serial
        run.virtual = session.virtual
    return run

