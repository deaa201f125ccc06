"""Rules a JSON Schema cannot express, checked on the built model.

References (step names and numbers in windows, task ids in steps and selectors), task id reuse,
``run_job`` permissions, API ranges, declared mechanisms. Each finding is a
:class:`~harness.errors.SpecSemanticError` at the node's :class:`~harness.spec.model.SourceMark`.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.errors import SpecSemanticError
from harness.spec import model as m
from harness.spec.builder import RawIndex
from harness.spec.schema_errors import closest
from harness.spec.yaml_marks import snippet

RESERVED_STEP_NAMES = frozenset({"start", "end"})


class SemanticChecker:
    def __init__(self, spec: m.Spec, raw: RawIndex, text: str) -> None:
        self.spec = spec
        self.raw = raw
        self.text = text
        self.errors: list[SpecSemanticError] = []
        # task id -> mechanism, for every task a built schedule step defines (the last one wins)
        self.task_mechanisms: dict[str, m.Mechanism] = {}
        for step in spec.steps:
            if isinstance(step, m.ScheduleStep):
                self.task_mechanisms.setdefault(step.task.id, step.task.mechanism)

    def error(self, message: str, mark: m.SourceMark, suggestion: str | None = None) -> None:
        self.errors.append(SpecSemanticError(message, mark.file, mark.line, mark.column,
                                             snippet(self.text, mark.line, mark.column), suggestion))

    def run(self) -> list[SpecSemanticError]:
        self.requirements()
        self.step_names()
        self.task_flow()
        for sel in self.selectors():
            self.selector_task(sel)
        self.anchors()
        self.wait_since()
        self.state_tasks()
        self.notification_checks()
        return self.errors

    def notification_checks(self) -> None:
        """check_notification: something to look for; a task it names runs in the foreground."""
        scheduled_before: set[str] = set()
        for step in self.spec.steps:
            if isinstance(step, m.ScheduleStep):
                scheduled_before.add(step.task.id)
            if not isinstance(step, m.CheckNotificationStep):
                continue
            if step.alarm and (step.text or step.title or step.task_id):
                self.error("check_notification: alarm checks the alarm-clock indicator; drop task/text/title",
                           step.mark)
            elif not (step.alarm or step.text or step.title or step.task_id):
                self.error("check_notification needs one of task, text, title or alarm", step.mark)
            if step.task_id is None:
                continue
            if step.task_id not in scheduled_before:
                self._unknown_task("check_notification of", step.task_id, step.mark, earlier=True)
                continue
            mech = self.task_mechanisms.get(step.task_id)
            task = next(s.task for s in self.spec.steps if isinstance(s, m.ScheduleStep) and s.task.id == step.task_id)
            foreground_work = isinstance(task.params, m.WorkParams) and bool(task.params.foreground)
            if mech is not m.Mechanism.FOREGROUND and not foreground_work:
                self.error(f"check_notification of task {step.task_id!r}: only a foreground service or foreground "
                           f"work posts a notification ({mech.value if mech else '?'} does not)", step.mark)

    # -------------------------------------------------------------- checks

    def requirements(self) -> None:
        r = self.spec.requires
        if r.api_min is not None and r.api_max is not None and r.api_min > r.api_max:
            self.error(f"api_min {r.api_min} is greater than api_max {r.api_max}: no device can run this spec",
                       r.mark)
        if r.virtual_only and r.real_only:
            self.error("virtual_only and real_only exclude each other: no device can run this spec", r.mark)

    def step_names(self) -> None:
        seen: dict[str, m.Step] = {}
        for step in self.spec.steps:
            if step.name is None:
                continue
            if step.name in RESERVED_STEP_NAMES:
                self.error(f"step name {step.name!r} is reserved (start and end mean the run's bounds): "
                           "choose another name", step.mark)
            elif step.name in seen:
                self.error(f"duplicate step name {step.name!r} (step {seen[step.name].number} has it): "
                           "expected unique step names", step.mark)
            else:
                seen[step.name] = step

    def _unknown_task(self, what: str, task_id: str, mark: m.SourceMark, *, earlier: bool = False) -> None:
        known = sorted(self.task_mechanisms)
        hint = "no earlier step schedules it" if earlier else "no step schedules it"
        self.error(f"{what} unknown task {task_id!r} ({hint}; known tasks: {', '.join(known) or 'none'})", mark,
                   closest(task_id, known))

    def task_flow(self) -> None:
        active: dict[str, m.ScheduleStep] = {}
        scheduled_before: set[str] = set()
        declared = self.spec.requires.mechanisms
        for step in self.spec.steps:
            if isinstance(step, m.ScheduleStep):
                task = step.task
                if task.id in active:
                    self.error(f"duplicate task id {task.id!r}: step {active[task.id].number} already schedules it "
                               f"and no cancel comes in between", task.mark)
                active[task.id] = step
                scheduled_before.add(task.id)
                if declared and task.mechanism not in declared:
                    self.error(f"task {task.id!r} uses mechanism {task.mechanism.value!r}, which requires.mechanisms "
                               f"does not list ({', '.join(x.value for x in declared)})", task.mark)
                if isinstance(task.params, m.WorkParams) and task.params.after:
                    for dep in task.params.after:
                        if dep == task.id:
                            self.error(f"work {task.id!r} cannot run after itself", task.mark)
                        elif dep not in scheduled_before:
                            self._unknown_task("after names", dep, task.mark, earlier=True)
                        elif self.task_mechanisms.get(dep) is not m.Mechanism.WORK:
                            self.error(f"after names {dep!r}, which is not work: a chain links work tasks only",
                                       task.mark)
            elif isinstance(step, m.CancelStep):
                if step.task_id in scheduled_before:
                    active.pop(step.task_id, None)
                elif step.task_id not in self.raw.scheduled_ids:
                    self._unknown_task("cancel of", step.task_id, step.mark, earlier=True)
            elif isinstance(step, m.CancelAllStep):
                active.clear()
            elif isinstance(step, m.RunJobStep):
                if not self.spec.requires.fast_forward:
                    self.error("run_job forces time, which the spec must allow: add requires: {fast_forward: true}",
                               step.mark)
                if step.task_id not in scheduled_before:
                    if step.task_id not in self.raw.scheduled_ids:
                        self._unknown_task("run_job of", step.task_id, step.mark, earlier=True)
                elif self.task_mechanisms.get(step.task_id) is not m.Mechanism.JOB:
                    mech = self.task_mechanisms[step.task_id].value
                    self.error(f"run_job runs a JobScheduler job, but task {step.task_id!r} is {mech}", step.mark)

    def selectors(self) -> Iterator[m.EventSelector]:
        for step in self.spec.steps:
            if isinstance(step, m.WaitStep) and step.until is not None:
                yield step.until
        for exp in self.spec.expectations:
            for anchor in self._window_anchors(exp):
                if anchor.event is not None:
                    yield anchor.event
            if isinstance(exp, (m.HappensExpectation, m.NeverExpectation, m.CountExpectation)):
                yield exp.selector
            elif isinstance(exp, m.OrderExpectation):
                yield from exp.selectors
            elif isinstance(exp, (m.ThreadExpectation, m.StopReasonExpectation)):
                yield exp.of

    def selector_task(self, sel: m.EventSelector) -> None:
        if sel.task is not None and sel.task not in self.task_mechanisms and sel.task not in self.raw.scheduled_ids:
            self._unknown_task("selector names", sel.task, sel.mark)

    @staticmethod
    def _window_anchors(exp: m.Expectation) -> list[m.Anchor]:
        if isinstance(exp, m.StateExpectation):
            return [exp.at]
        return [exp.window.start, exp.window.end]

    def _step_number(self, anchor: m.Anchor) -> int | None:
        """The step an anchor names, or None after reporting it unknown (or for non-step anchors)."""
        if anchor.kind is not m.AnchorKind.STEP:
            return None
        ref = anchor.step
        if isinstance(ref, int):
            if 1 <= ref <= self.raw.step_count:
                return ref
            self.error(f"step {ref} does not exist: the spec has {self.raw.step_count} step"
                       f"{'s' if self.raw.step_count != 1 else ''}", anchor.mark)
            return None
        assert isinstance(ref, str)
        if ref in self.raw.step_names:
            return self.raw.step_names[ref]
        names = sorted(self.raw.step_names)
        self.error(f"unknown step {ref!r} (step names: {', '.join(names) or 'none'}; or start, end, "
                   "or a step number)", anchor.mark, closest(ref, [*names, "start", "end"]))
        return None

    def anchors(self) -> None:
        for exp in self.spec.expectations:
            anchors = self._window_anchors(exp)
            numbers = [self._step_number(a) for a in anchors]
            if isinstance(exp, m.StateExpectation):
                continue
            start, end = exp.window.start, exp.window.end
            n_start, n_end = numbers
            if n_start is not None and n_end is not None:
                # A step's end comes after its start; compare (number, edge) pairs.
                s_key = (n_start, 1 if start.edge is m.Edge.END else 0)
                e_key = (n_end, 1 if end.edge is m.Edge.END else 0)
                if e_key <= s_key:
                    self.error(f"the window ends ({end.describe()}) before it starts ({start.describe()}): "
                               "nothing can happen in it", exp.window.mark)
            if start.kind is m.AnchorKind.END:
                self.error("the window starts at the end of the run: nothing can happen in it", start.mark)
            if end.kind is m.AnchorKind.START:
                self.error("the window ends at the start of the run: nothing can happen in it", end.mark)

    def wait_since(self) -> None:
        """A wait's ``since`` names an earlier step or the wait itself."""
        for step in self.spec.steps:
            if not isinstance(step, m.WaitStep) or step.since is None:
                continue
            anchor = m.Anchor(kind=m.AnchorKind.STEP, step=step.since, mark=step.since_mark)
            number = self._step_number(anchor)
            if number is not None and number > step.number:
                named = next((s.label for s in self.spec.steps if s.number == number), f"step {number}")
                self.error(f"since names {named}, which comes after this wait "
                           f"({step.label}): expected an earlier step or the wait itself", step.since_mark)

    def state_tasks(self) -> None:
        need = {m.StateCheck.JOB_PENDING: m.Mechanism.JOB, m.StateCheck.ALARM_REGISTERED: m.Mechanism.ALARM}
        for exp in self.spec.expectations:
            if not isinstance(exp, m.StateExpectation) or exp.task is None:
                continue
            mech = self.task_mechanisms.get(exp.task)
            if mech is None:
                if exp.task not in self.raw.scheduled_ids:
                    self._unknown_task("state names", exp.task, exp.mark)
                continue
            wanted = need.get(exp.check)
            if wanted is not None and mech is not wanted:
                self.error(f"state check {exp.check.value} needs a {wanted.value} task, but {exp.task!r} is "
                           f"{mech.value}", exp.mark)


def check_semantics(spec: m.Spec, raw: RawIndex, text: str) -> list[SpecSemanticError]:
    return SemanticChecker(spec, raw, text).run()
