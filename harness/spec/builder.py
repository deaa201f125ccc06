"""Builds the typed model from schema-checked spec data, reporting what the schema cannot.

The builder works section by section (``requires``, ``setup``, each step, each expectation). A
section whose data failed schema validation is skipped (its errors are already reported), so one
bad step does not hide the errors of the others. Errors found here (a step with two action keys, a
``count`` with both ``exactly`` and ``at_least``, a window that names its start twice, protocol rules
on task parameters, ...) are :class:`~harness.errors.SpecSemanticError` placed on their node.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import SpecError, SpecSchemaError, SpecSemanticError
from harness.spec import model as m
from harness.spec.durations import Duration, DurationSyntaxError, parse_duration_ms
from harness.spec.yaml_marks import DataPath, MarkedDocument, snippet

E = TypeVar("E", bound=enum.Enum)

_WITHIN_AFTER = re.compile(r"^\s*(?P<dur>.+?)\s+after\s+(?P<anchor>\S+)\s*$")
WINDOW_KEYS = ("after", "before", "between", "within")
COUNT_KEYS = ("exactly", "at_least", "at_most")


class _Skip(Exception):
    """The node being built has an error (already recorded); skip the enclosing section."""


@dataclasses.dataclass
class RawIndex:
    """What the raw data says about steps and tasks, even for sections that failed to build.

    Reference checks use it so that a step broken by a typo does not also make every window that
    names it "unknown".
    """

    step_count: int = 0
    step_names: dict[str, int] = dataclasses.field(default_factory=dict)  # name -> first step number
    broken_steps: set[int] = dataclasses.field(default_factory=set)       # step numbers not built
    scheduled_ids: set[str] = dataclasses.field(default_factory=set)      # every id a schedule step names


class SpecBuilder:
    def __init__(self, doc: MarkedDocument, bad_paths: Sequence[DataPath]) -> None:
        self.doc = doc
        self.bad_paths = [tuple(p) for p in bad_paths]
        self.errors: list[SpecError] = []
        self.raw = RawIndex()

    # -------------------------------------------------------------- helpers

    def mark(self, path: DataPath, *, key: bool = False) -> m.SourceMark:
        pos = self.doc.pos(path, key=key)
        return m.SourceMark(self.doc.path, pos.line, pos.column)

    def error(self, message: str, path: DataPath, *, key: bool = False, suggestion: str | None = None,
              cls: type[SpecError] = SpecSemanticError) -> None:
        pos = self.doc.pos(path, key=key)
        self.errors.append(cls(message, self.doc.path, pos.line, pos.column,
                               snippet(self.doc.text, pos.line, pos.column), suggestion))

    def fail(self, message: str, path: DataPath, *, key: bool = False, suggestion: str | None = None) -> _Skip:
        self.error(message, path, key=key, suggestion=suggestion)
        return _Skip()

    def is_bad(self, path: DataPath) -> bool:
        n = len(path)
        return any(p[:n] == path for p in self.bad_paths)

    def duration(self, value: Any, path: DataPath) -> Duration:
        try:
            return Duration(parse_duration_ms(value))
        except DurationSyntaxError as exc:
            self.error(f"{exc}", path, cls=SpecSchemaError)
            raise _Skip() from exc

    def opt_duration(self, raw: dict[str, Any], key: str, path: DataPath) -> Duration | None:
        return None if raw.get(key) is None else self.duration(raw[key], path + (key,))

    @staticmethod
    def opt_enum(cls: type[E], raw: dict[str, Any], key: str) -> E | None:
        value = raw.get(key)
        return None if value is None else cls(value)

    # -------------------------------------------------------------- the spec

    def build(self) -> m.Spec:
        data: dict[str, Any] = self.doc.data
        self._index_raw(data)
        requires = m.Requirements()
        if isinstance(data.get("requires"), dict) and not self.is_bad(("requires",)):
            requires = self._section(lambda: self.requires(data["requires"], ("requires",)), requires)
        setup = m.Setup()
        if isinstance(data.get("setup"), dict) and not self.is_bad(("setup",)):
            setup = self._section(lambda: self.setup(data["setup"], ("setup",)), setup)
        steps: list[m.Step] = []
        raw_steps = data.get("steps")
        if isinstance(raw_steps, list):
            for i, raw in enumerate(raw_steps):
                path: DataPath = ("steps", i)
                if self.is_bad(path):
                    self.raw.broken_steps.add(i + 1)
                    continue
                try:
                    steps.append(self.step(raw, i + 1, path))
                except _Skip:
                    self.raw.broken_steps.add(i + 1)
        expectations: list[m.Expectation] = []
        raw_expect = data.get("expect")
        if isinstance(raw_expect, list):
            for i, raw in enumerate(raw_expect):
                path = ("expect", i)
                if self.is_bad(path):
                    continue
                try:
                    expectations.append(self.expectation(raw, i + 1, path))
                except _Skip:
                    pass
        name = data.get("spec") if isinstance(data.get("spec"), str) else ""
        description = data.get("description") if isinstance(data.get("description"), str) else ""
        root = self.mark(())
        return m.Spec(name=name or "", path=Path(self.doc.path), line=root.line, description=description or "",
                      requires=requires, setup=setup, steps=tuple(steps), expectations=tuple(expectations),
                      mark=root)

    def _section(self, fn: Any, default: Any) -> Any:
        try:
            return fn()
        except _Skip:
            return default

    def _index_raw(self, data: dict[str, Any]) -> None:
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list):
            return
        self.raw.step_count = len(raw_steps)
        for i, raw in enumerate(raw_steps):
            if not isinstance(raw, dict):
                continue
            name = raw.get("name")
            if name is None:  # a misspelt `name` (reported by the schema) still names the step for references
                typo = next((k for k in raw if isinstance(k, str) and k not in m.STEP_TYPES
                             and difflib.get_close_matches(k, ["name"], n=1, cutoff=0.6)), None)
                name = raw.get(typo) if typo is not None else None
            if isinstance(name, str) and name not in self.raw.step_names:
                self.raw.step_names[name] = i + 1
            task = raw.get("schedule")
            if isinstance(task, dict) and isinstance(task.get("id"), str):
                self.raw.scheduled_ids.add(task["id"])

    # -------------------------------------------------------------- requires and setup

    def requires(self, raw: dict[str, Any], path: DataPath) -> m.Requirements:
        return m.Requirements(
            api_min=raw.get("api_min"), api_max=raw.get("api_max"),
            mechanisms=tuple(m.Mechanism(x) for x in raw.get("mechanisms") or ()),
            fast_forward=bool(raw.get("fast_forward", False)),
            virtual_only=bool(raw.get("virtual_only", False)),
            real_only=bool(raw.get("real_only", False)),
            mark=self.mark(path))

    def battery(self, raw: dict[str, Any]) -> m.BatterySetting:
        return m.BatterySetting(level=raw.get("level"), charging=raw.get("charging"), saver=raw.get("saver"))

    @staticmethod
    def on_off(value: Any) -> bool | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        return value == "on"

    def setup(self, raw: dict[str, Any], path: DataPath) -> m.Setup:
        return m.Setup(
            reset=bool(raw.get("reset", True)),
            launch=bool(raw.get("launch", False)),
            battery=self.battery(raw["battery"]) if raw.get("battery") is not None else None,
            network=self.opt_enum(m.NetworkSetting, raw, "network"),
            airplane=raw.get("airplane"),
            metered=raw.get("metered"),
            screen_on=self.on_off(raw.get("screen")),
            standby_bucket=self.opt_enum(m.Bucket, raw, "standby_bucket"),
            exact_alarm=self.opt_enum(m.ExactAlarmAction, raw, "exact_alarm"),
            configure=(m.CompanionConfig(reregister_alarms_on_boot=raw["configure"].get("reregister_alarms_on_boot"))
                       if raw.get("configure") is not None else None),
            mark=self.mark(path))

    # -------------------------------------------------------------- steps

    def step(self, raw: Any, number: int, path: DataPath) -> m.Step:
        mark = self.mark(path)
        if isinstance(raw, str):
            cls = m.STEP_TYPES[raw]
            return cls(number=number, mark=mark)
        assert isinstance(raw, dict)
        actions = [k for k in raw if k != "name"]
        if not actions:
            raise self.fail(f"step {number} has no action: expected one step key ({', '.join(m.STEP_TYPES)}) "
                            "besides name", path)
        if len(actions) > 1:
            raise self.fail(f"step {number} has {len(actions)} actions ({', '.join(actions)}): expected exactly "
                            "one; write each as its own list item", path + (actions[1],), key=True)
        key = actions[0]
        value = raw[key]
        vpath = path + (key,)
        common: dict[str, Any] = {"number": number, "name": raw.get("name"), "mark": mark}
        cls = m.STEP_TYPES[key]
        if key == "schedule":
            return m.ScheduleStep(task=self.task(value, vpath), **common)
        if key in ("cancel", "run_job"):
            return cls(task_id=value, **common)  # type: ignore[call-arg]
        if key == "doze":
            return m.DozeStep(mode=m.DozeMode(value), **common)
        if key == "standby_bucket":
            return m.StandbyBucketStep(bucket=m.Bucket(value), **common)
        if key == "battery":
            return m.BatteryStep(battery=self.battery(value), **common)
        if key == "network":
            return m.NetworkStep(network=m.NetworkSetting(value), **common)
        if key == "airplane":
            return m.AirplaneStep(on=bool(value), **common)
        if key == "metered":
            return m.MeteredStep(metered=bool(value), **common)
        if key == "screen":
            return m.ScreenStep(on=bool(self.on_off(value)), **common)
        if key == "exact_alarm":
            return m.ExactAlarmStep(action=m.ExactAlarmAction(value), **common)
        if key == "toggle_exact_alarm_setting":
            return m.ToggleExactAlarmSettingStep(allowed=bool(self.on_off(value)), **common)
        if key == "check_notification":
            return m.CheckNotificationStep(task_id=value.get("task"), text=value.get("text"),
                                           title=value.get("title"), alarm=bool(value.get("alarm", False)),
                                           present=bool(value.get("present", True)), **common)
        if key == "configure":
            return m.ConfigureStep(
                config=m.CompanionConfig(reregister_alarms_on_boot=value.get("reregister_alarms_on_boot")), **common)
        if key == "wait":
            if isinstance(value, dict):
                since = value.get("since")
                if isinstance(since, str) and since.isdigit():
                    since = int(since)
                return m.WaitStep(until=self.selector(value["until"], vpath + ("until",)),
                                  timeout=self.duration(value["timeout"], vpath + ("timeout",)),
                                  since=since, since_mark=self.mark(vpath + ("since",)) if since is not None
                                  else m.NO_MARK, **common)
            return m.WaitStep(duration=self.duration(value, vpath), **common)
        return cls(**common)  # argument-less steps

    # -------------------------------------------------------------- tasks

    def task(self, raw: dict[str, Any], path: DataPath) -> m.TaskSpec:
        mech = m.Mechanism(raw["mechanism"])
        params_raw = raw.get("params") or {}
        ppath = path + ("params",)
        params: m.TaskParams
        if mech is m.Mechanism.JOB:
            params = self.job_params(params_raw, ppath)
        elif mech is m.Mechanism.WORK:
            params = self.work_params(params_raw, ppath)
        elif mech is m.Mechanism.ALARM:
            params = self.alarm_params(params_raw, ppath)
        elif mech is m.Mechanism.FOREGROUND:
            params = m.ForegroundParams(type=self.opt_enum(m.ForegroundType, params_raw, "type"))
        else:
            params = m.CoroutineParams()
        braw = raw.get("behavior") or {}
        bpath = path + ("behavior",)
        behavior = m.Behavior(
            duration=self.opt_duration(braw, "duration", bpath),
            outcomes=tuple(m.Outcome(o) for o in braw["outcomes"]) if braw.get("outcomes") else None,
            on_stop=self.opt_enum(m.OnStop, braw, "on_stop"))
        if behavior.duration is not None and behavior.duration.ms > 86_400_000:
            raise self.fail(f"behavior.duration {behavior.duration} is out of range: the companion runs a task at "
                            "most 1d", bpath + ("duration",))
        return m.TaskSpec(id=raw["id"], mechanism=mech, params=params, behavior=behavior, mark=self.mark(path))

    def _only_with(self, raw: dict[str, Any], key: str, ok: bool, need: str, path: DataPath) -> None:
        if key in raw and not ok:
            raise self.fail(f"param {key!r} only applies with {need}", path + (key,), key=True)

    def job_params(self, raw: dict[str, Any], path: DataPath) -> m.JobParams:
        self._only_with(raw, "flex", "periodic" in raw, "periodic (setPeriodic(interval, flex))", path)
        return m.JobParams(
            job_id=raw.get("job_id"),
            min_latency=self.opt_duration(raw, "min_latency", path),
            override_deadline=self.opt_duration(raw, "override_deadline", path),
            periodic=self.opt_duration(raw, "periodic", path),
            flex=self.opt_duration(raw, "flex", path),
            network=self.opt_enum(m.JobNetwork, raw, "network"),
            requires_charging=raw.get("requires_charging"),
            requires_device_idle=raw.get("requires_device_idle"),
            requires_battery_not_low=raw.get("requires_battery_not_low"),
            requires_storage_not_low=raw.get("requires_storage_not_low"),
            persisted=raw.get("persisted"),
            backoff_policy=self.opt_enum(m.BackoffPolicy, raw, "backoff_policy"),
            backoff_initial=self.opt_duration(raw, "backoff_initial", path),
            expedited=raw.get("expedited"))

    def work_params(self, raw: dict[str, Any], path: DataPath) -> m.WorkParams:
        kind = self.opt_enum(m.WorkKind, raw, "kind") or m.WorkKind.ONE_TIME
        periodic = kind is m.WorkKind.PERIODIC
        if periodic and "interval" not in raw:
            raise self.fail("periodic work needs an interval (e.g. interval: 15m)", path)
        self._only_with(raw, "interval", periodic, "kind: periodic", path)
        self._only_with(raw, "flex", periodic, "kind: periodic", path)
        self._only_with(raw, "unique_policy", "unique_name" in raw, "unique_name", path)
        policy = self.opt_enum(m.UniquePolicy, raw, "unique_policy")
        if policy is not None:
            allowed = m.PERIODIC_UNIQUE_POLICIES if periodic else m.ONE_TIME_UNIQUE_POLICIES
            if policy not in allowed:
                names = ", ".join(sorted(p.value for p in allowed))
                raise self.fail(f"unique_policy {policy.value!r} does not apply to {kind.value} work (expected one "
                                f"of: {names})", path + ("unique_policy",))
        return m.WorkParams(
            kind=self.opt_enum(m.WorkKind, raw, "kind"),
            interval=self.opt_duration(raw, "interval", path),
            flex=self.opt_duration(raw, "flex", path),
            initial_delay=self.opt_duration(raw, "initial_delay", path),
            network=self.opt_enum(m.WorkNetwork, raw, "network"),
            requires_charging=raw.get("requires_charging"),
            requires_device_idle=raw.get("requires_device_idle"),
            requires_battery_not_low=raw.get("requires_battery_not_low"),
            requires_storage_not_low=raw.get("requires_storage_not_low"),
            backoff_policy=self.opt_enum(m.BackoffPolicy, raw, "backoff_policy"),
            backoff_delay=self.opt_duration(raw, "backoff_delay", path),
            expedited=raw.get("expedited"),
            out_of_quota=self.opt_enum(m.OutOfQuota, raw, "out_of_quota"),
            unique_name=raw.get("unique_name"),
            unique_policy=policy,
            after=tuple(raw["after"]) if raw.get("after") is not None else None,
            foreground=raw.get("foreground"),
            tags=tuple(raw["tags"]) if raw.get("tags") is not None else None)

    def alarm_params(self, raw: dict[str, Any], path: DataPath) -> m.AlarmParams:
        method = self.opt_enum(m.AlarmMethod, raw, "method") or m.AlarmMethod.SET
        repeating = method in m.REPEATING_ALARM_METHODS
        if method is m.AlarmMethod.SET_WINDOW and "window" not in raw:
            raise self.fail("method set_window needs a window (e.g. window: 10m)", path)
        if repeating and "interval" not in raw:
            raise self.fail(f"method {method.value} needs an interval (e.g. interval: 15m)", path)
        self._only_with(raw, "window", method is m.AlarmMethod.SET_WINDOW, "method: set_window", path)
        self._only_with(raw, "interval", repeating, "method: set_repeating or set_inexact_repeating", path)
        trigger = self.duration(raw["trigger_in"], path + ("trigger_in",))
        window = self.opt_duration(raw, "window", path)
        interval = self.opt_duration(raw, "interval", path)
        for key, dur in (("window", window), ("interval", interval)):
            if dur is not None and dur.ms == 0:
                raise self.fail(f"{key} must be longer than 0s", path + (key,))
        return m.AlarmParams(trigger_in=trigger, type=self.opt_enum(m.AlarmType, raw, "type"),
                             method=self.opt_enum(m.AlarmMethod, raw, "method"), window=window, interval=interval)

    # -------------------------------------------------------------- selectors, anchors, windows

    def selector(self, raw: Any, path: DataPath) -> m.EventSelector:
        mark = self.mark(path)
        if isinstance(raw, str):
            task, _, kind = raw.partition(":")
            kinds = [k.value for k in m.EventKind]
            if kind not in kinds:  # the schema refuses it first; kept for direct builder use
                raise self.fail(f"unknown event kind {kind!r} in selector {raw!r} (expected one of: "
                                f"{', '.join(kinds)})", path)
            return m.EventSelector(task=task, kind=m.EventKind(kind), mark=mark)
        return m.EventSelector(
            task=raw.get("task"),
            mechanism=self.opt_enum(m.EventMechanism, raw, "mechanism"),
            kind=self.opt_enum(m.EventKind, raw, "kind"),
            stop_reason=self.opt_enum(m.StopReason, raw, "stop_reason"),
            thread=self.opt_enum(m.ThreadKind, raw, "thread"),
            detail=dict(raw.get("detail") or {}),
            mark=mark)

    def anchor(self, raw: Any, path: DataPath, default_edge: m.Edge) -> m.Anchor:
        mark = self.mark(path)
        if isinstance(raw, bool):  # schema refuses; defensive
            raise self.fail("expected a step name, number, start, end or a mapping", path)
        if isinstance(raw, int):
            return m.Anchor(kind=m.AnchorKind.STEP, step=raw, edge=default_edge, mark=mark)
        if isinstance(raw, str):
            if raw == "start":
                return m.Anchor(kind=m.AnchorKind.START, mark=mark)
            if raw == "end":
                return m.Anchor(kind=m.AnchorKind.END, mark=mark)
            if raw.isdigit():
                return m.Anchor(kind=m.AnchorKind.STEP, step=int(raw), edge=default_edge, mark=mark)
            return m.Anchor(kind=m.AnchorKind.STEP, step=raw, edge=default_edge, mark=mark)
        assert isinstance(raw, dict)
        if ("step" in raw) == ("event" in raw):
            raise self.fail("an anchor mapping takes either step (with at) or event (with occurrence)", path)
        if "step" in raw:
            if "occurrence" in raw:
                raise self.fail("occurrence only applies to an event anchor", path + ("occurrence",), key=True)
            edge = m.Edge(raw["at"]) if "at" in raw else default_edge
            return m.Anchor(kind=m.AnchorKind.STEP, step=raw["step"], edge=edge, mark=mark)
        if "at" in raw:
            raise self.fail("at only applies to a step anchor ({step: NAME, at: start|end})", path + ("at",),
                            key=True)
        occ = raw.get("occurrence", "first")
        occurrence = 1 if occ == "first" else -1 if occ == "last" else int(occ)
        return m.Anchor(kind=m.AnchorKind.EVENT, event=self.selector(raw["event"], path + ("event",)),
                        occurrence=occurrence, mark=mark)

    def window(self, raw: dict[str, Any], path: DataPath) -> m.Window:
        start: m.Anchor = m.SPEC_START
        end: m.Anchor = m.SPEC_END
        within: Duration | None = None
        has_after = "after" in raw
        if "between" in raw:
            for k in ("after", "before"):
                if k in raw:
                    raise self.fail(f"{k!r} and 'between' both bound the window: use one of them", path + (k,),
                                    key=True)
            a, b = raw["between"]
            start = self.anchor(a, path + ("between", 0), m.Edge.START)
            end = self.anchor(b, path + ("between", 1), m.Edge.START)
        if "within" in raw:
            text = str(raw["within"])
            wpath = path + ("within",)
            match = _WITHIN_AFTER.match(text)
            if match:
                if has_after or "between" in raw:
                    other = "after" if has_after else "between"
                    raise self.fail(f"within already says 'after {match['anchor']}' and {other!r} sets the start "
                                    "too: use one of them", wpath)
                within = self.duration(match["dur"], wpath)
                start = self.anchor(match["anchor"], wpath, m.Edge.START)
            else:
                within = self.duration(text, wpath)
        if has_after:
            start = self.anchor(raw["after"], path + ("after",), m.Edge.START)
        if "before" in raw:
            end = self.anchor(raw["before"], path + ("before",), m.Edge.START)
        return m.Window(start=start, end=end, within=within, mark=self.mark(path))

    # -------------------------------------------------------------- expectations

    _MODIFIERS: dict[str, tuple[str, ...]] = {
        "happens": WINDOW_KEYS, "never": WINDOW_KEYS, "count": WINDOW_KEYS + COUNT_KEYS,
        "order": WINDOW_KEYS, "thread": WINDOW_KEYS + ("of",), "stop_reason": WINDOW_KEYS + ("of",),
        "state": ("at",),
    }

    def expectation(self, raw: dict[str, Any], number: int, path: DataPath) -> m.Expectation:
        types = [k for k in raw if k in m.EXPECTATION_TYPES]
        if not types:
            raise self.fail(f"expectation {number} has no type: expected one of {', '.join(m.EXPECTATION_TYPES)}",
                            path)
        if len(types) > 1:
            raise self.fail(f"expectation {number} has {len(types)} types ({', '.join(types)}): expected exactly "
                            "one; write each as its own list item", path + (types[1],), key=True)
        kind = types[0]
        allowed = set(self._MODIFIERS[kind]) | {"name", kind}
        for key in raw:
            if key not in allowed:
                owners = [t for t, mods in self._MODIFIERS.items() if key in mods]
                belongs = f" (it belongs to {' / '.join(owners)})" if owners else ""
                raise self.fail(f"{key!r} does not apply to a {kind!r} expectation{belongs}", path + (key,),
                                key=True)
        common: dict[str, Any] = {"number": number, "name": raw.get("name"), "mark": self.mark(path)}
        vpath = path + (kind,)
        value = raw[kind]
        if kind == "state":
            return self.state(raw, value, vpath, common, path)
        common["window"] = self.window(raw, path)
        if kind == "happens":
            return m.HappensExpectation(selector=self.selector(value, vpath), **common)
        if kind == "never":
            return m.NeverExpectation(selector=self.selector(value, vpath), **common)
        if kind == "count":
            return self.count(raw, value, vpath, common, path, number)
        if kind == "order":
            return m.OrderExpectation(
                selectors=tuple(self.selector(s, vpath + (i,)) for i, s in enumerate(value)), **common)
        if "of" not in raw:
            raise self.fail(f"a {kind!r} expectation needs 'of: SELECTOR' (the events to check)", path)
        of = self.selector(raw["of"], path + ("of",))
        if kind == "thread":
            return m.ThreadExpectation(thread=m.ThreadKind(value), of=of, **common)
        if of.kind is None:
            of = dataclasses.replace(of, kind=m.EventKind.STOPPED)
        return m.StopReasonExpectation(reason=m.StopReason(value), of=of, **common)

    def count(self, raw: dict[str, Any], value: Any, vpath: DataPath, common: dict[str, Any], path: DataPath,
              number: int) -> m.CountExpectation:
        given = [k for k in COUNT_KEYS if k in raw]
        if not given:
            raise self.fail(f"expectation {number}: count needs exactly, at_least or at_most", path)
        if "exactly" in raw and len(given) > 1:
            other = given[1]
            raise self.fail(f"count takes either exactly, or at_least and/or at_most, not both ({', '.join(given)})",
                            path + (other,), key=True)
        lo, hi = raw.get("at_least"), raw.get("at_most")
        if lo is not None and hi is not None and lo > hi:
            raise self.fail(f"at_least {lo} is more than at_most {hi}: no count can pass", path + ("at_least",))
        return m.CountExpectation(selector=self.selector(value, vpath), exactly=raw.get("exactly"),
                                  at_least=lo, at_most=hi, **common)

    def state(self, raw: dict[str, Any], value: dict[str, Any], vpath: DataPath, common: dict[str, Any],
              path: DataPath) -> m.StateExpectation:
        checks = [k for k in value if k != "task"]
        if len(checks) != 1:
            names = ", ".join(c.value for c in m.StateCheck)
            what = "no check" if not checks else f"{len(checks)} checks ({', '.join(checks)})"
            raise self.fail(f"state has {what}: expected exactly one of {names} (one per expectation)", vpath)
        check = m.StateCheck(checks[0])
        task = value.get("task")
        if check in m.TASK_STATE_CHECKS and task is None:
            raise self.fail(f"state check {check.value} needs the task it is about (task: ID)", vpath)
        if check not in m.TASK_STATE_CHECKS and task is not None:
            raise self.fail(f"state check {check.value} is about the app, not a task: drop task",
                            vpath + ("task",), key=True)
        result: bool | m.Bucket = (m.Bucket(value[check.value]) if check is m.StateCheck.STANDBY_BUCKET
                                   else bool(value[check.value]))
        at = self.anchor(raw["at"], path + ("at",), m.Edge.END) if "at" in raw else m.SPEC_END
        if at.kind in (m.AnchorKind.EVENT, m.AnchorKind.START):
            raise self.fail("state is read at the end of the spec or right after a step: expected at: STEP or end",
                            path + ("at",))
        return m.StateExpectation(check=check, value=result, task=task, at=at, **common)
