"""Checking a spec's expectations against what the run observed.

Input: the journal events in sequence order, the moment each step started and ended, and the
platform state read after the steps that ``state`` expectations name. Output: one
:class:`~harness.runner.result.FailureDetail` per expectation that does not hold, each saying
what was expected, what happened instead, and the events around it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.runner.probes import PlatformState
from harness.runner.result import FailureDetail, format_event
from harness.runner.timeline import Moment, event_after, event_before, fmt_ms, span_ms
from harness.spec.model import (
    Anchor,
    AnchorKind,
    Bucket,
    CountExpectation,
    Edge,
    EventKind,
    EventSelector,
    Expectation,
    HappensExpectation,
    NeverExpectation,
    OrderExpectation,
    Spec,
    StateExpectation,
    StopReasonExpectation,
    ThreadExpectation,
    ThreadKind,
    Window,
)

Event = Mapping[str, Any]
AROUND = 8  # events shown around a failure


@dataclass
class Observation:
    """What a run saw: events (seq order), step moments, and platform state readings."""

    events: list[dict[str, Any]]
    start: Moment
    end: Moment
    steps: dict[int, tuple[Moment, Moment]] = field(default_factory=dict)  # step number -> (start, end)
    states: dict[int | None, PlatformState] = field(default_factory=dict)  # step number or None (= end)
    failures: list[FailureDetail] = field(default_factory=list)  # steps that failed (a wait-until timed out)


class AnchorMissing(Exception):
    """An anchor cannot be placed (its step did not run, or no event matches it)."""


@dataclass(frozen=True)
class Span:
    start: Moment
    end: Moment
    within_ms: int | None
    text: str

    def contains(self, event: Event) -> bool:
        if not event_after(event, self.start):
            return False
        if not event_before(event, self.end):
            return False
        if self.within_ms is not None:
            d = span_ms(self.start, Moment.of_event(event))
            if d is None or d > self.within_ms:
                return False
        return True

    def describe(self) -> str:
        return f"{self.text} [{self.start.describe()} .. {self._end_text()}]"

    def _end_text(self) -> str:
        full = span_ms(self.start, self.end)
        if self.within_ms is None or (full is not None and full <= self.within_ms):
            return self.end.describe()
        return f"boot {self.start.boot} at {fmt_ms(self.start.elapsed_ms + self.within_ms)}"


def resolve(anchor: Anchor, spec: Spec, obs: Observation, *, default_edge: Edge | None = None) -> Moment:
    """The moment an anchor stands for in this run."""
    if anchor.kind is AnchorKind.START:
        return obs.start
    if anchor.kind is AnchorKind.END:
        return obs.end
    if anchor.kind is AnchorKind.STEP:
        assert anchor.step is not None
        step = spec.step(anchor.step)
        if step.number not in obs.steps:
            raise AnchorMissing(f"{step.label} did not run")
        start, end = obs.steps[step.number]
        return start if anchor.edge is Edge.START else end
    assert anchor.event is not None
    matches = [e for e in obs.events if anchor.event.matches(e)]
    if not matches:
        raise AnchorMissing(f"no event matches the anchor ({anchor.event.describe()})")
    if anchor.occurrence == -1:
        return Moment.of_event(matches[-1])
    if anchor.occurrence > len(matches):
        raise AnchorMissing(f"the anchor wants event #{anchor.occurrence} ({anchor.event.describe()}), "
                            f"only {len(matches)} happened")
    return Moment.of_event(matches[anchor.occurrence - 1])


def window_span(window: Window, spec: Spec, obs: Observation) -> Span:
    start = resolve(window.start, spec, obs)
    end = resolve(window.end, spec, obs)
    within = window.within.ms if window.within is not None else None
    return Span(start, end, within, window.describe())


def events_around(events: Sequence[Event], span: Span | None, selector: EventSelector | None,
                  focus: Moment | None = None) -> list[dict[str, Any]]:
    """Up to AROUND events near the point of failure: the selector's task first, else the window's edges."""
    if not events:
        return []
    related = [e for e in events if selector is not None and selector.task is not None
               and e.get("task_id") == selector.task]
    pool = related or list(events)
    if focus is None and span is not None:
        focus = span.end
    if focus is None:
        return [dict(e) for e in pool[-AROUND:]]
    # nearest by (boot, elapsed), keep seq order
    def dist(e: Event) -> tuple[int, int]:
        m = Moment.of_event(e)
        return (abs(m.boot - focus.boot), abs(m.elapsed_ms - focus.elapsed_ms))
    chosen = sorted(pool, key=dist)[:AROUND]
    return [dict(e) for e in sorted(chosen, key=lambda e: int(e.get("seq", 0)))]


def _fmt_events(events: Sequence[Event], limit: int = 3) -> str:
    shown = "; ".join(format_event(e) for e in events[:limit])
    more = f"; and {len(events) - limit} more" if len(events) > limit else ""
    return shown + more


def _outside_note(matching_all: list[Event], span: Span) -> str:
    """Where matching events outside the window happened (too early / too late)."""
    if not matching_all:
        return "no matching event at all in the journal"
    notes = []
    for e in matching_all[:3]:
        m = Moment.of_event(e)
        if not event_after(e, span.start):
            d = span_ms(m, span.start)
            notes.append(f"#{e.get('seq')} {m.describe()} ({fmt_ms(d) + ' ' if d is not None else ''}before the window)")
        else:
            d = span_ms(span.start, m)
            late = (d - span.within_ms) if (d is not None and span.within_ms is not None) else None
            extra = f"{fmt_ms(late)} too late" if late is not None and late > 0 else "after the window"
            notes.append(f"#{e.get('seq')} {m.describe()} ({extra})")
    more = f" and {len(matching_all) - 3} more" if len(matching_all) > 3 else ""
    return f"{len(matching_all)} matching event(s) outside the window: " + ", ".join(notes) + more


def check_expectation(exp: Expectation, spec: Spec, obs: Observation) -> FailureDetail | None:
    """None if the expectation holds, else what went wrong."""
    line = exp.mark.line or None
    try:
        if isinstance(exp, StateExpectation):
            return _check_state(exp, spec, obs)
        span = window_span(exp.window, spec, obs)
    except AnchorMissing as e:
        return FailureDetail(exp.label, _expected_text(exp), f"cannot place the window: {e}", line,
                             around=events_around(obs.events, None, None))
    in_window = [e for e in obs.events if span.contains(e)]

    if isinstance(exp, HappensExpectation):
        hits = [e for e in in_window if exp.selector.matches(e)]
        if hits:
            return None
        everywhere = [e for e in obs.events if exp.selector.matches(e)]
        return FailureDetail(exp.label, f"an event ({exp.selector.describe()}) {span.describe()}",
                             "none in the window; " + _outside_note(everywhere, span), line,
                             around=events_around(obs.events, span, exp.selector))

    if isinstance(exp, NeverExpectation):
        hits = [e for e in in_window if exp.selector.matches(e)]
        if not hits:
            return None
        return FailureDetail(exp.label, f"no event ({exp.selector.describe()}) {span.describe()}",
                             f"{len(hits)} happened: {_fmt_events(hits)}", line,
                             around=events_around(obs.events, span, exp.selector, Moment.of_event(hits[0])))

    if isinstance(exp, CountExpectation):
        hits = [e for e in in_window if exp.selector.matches(e)]
        if exp.accepts(len(hits)):
            return None
        if exp.exactly is not None:
            want = f"exactly {exp.exactly}"
        else:
            parts = []
            if exp.at_least is not None:
                parts.append(f"at least {exp.at_least}")
            if exp.at_most is not None:
                parts.append(f"at most {exp.at_most}")
            want = " and ".join(parts)
        actual = f"{len(hits)}" + (f": {_fmt_events(hits)}" if hits else "")
        return FailureDetail(exp.label, f"{want} events ({exp.selector.describe()}) {span.describe()}",
                             actual, line, around=events_around(obs.events, span, exp.selector))

    if isinstance(exp, OrderExpectation):
        return _check_order(exp, span, in_window, obs, line)

    if isinstance(exp, ThreadExpectation):
        hits = [e for e in in_window if exp.of.matches(e)]
        want = f"every event ({exp.of.describe()}) {span.describe()} on {'the main thread' if exp.thread is ThreadKind.MAIN else 'a thread other than main'}"
        if not hits:
            return FailureDetail(exp.label, want, "no such event in the window", line,
                                 around=events_around(obs.events, span, exp.of))
        wrong = [e for e in hits if (e.get("thread") == "main") != (exp.thread is ThreadKind.MAIN)]
        if not wrong:
            return None
        return FailureDetail(exp.label, want,
                             f"{len(wrong)} of {len(hits)} ran elsewhere: "
                             + "; ".join(f"#{e.get('seq')} on thread {e.get('thread')!r}" for e in wrong[:3]),
                             line, around=events_around(obs.events, span, exp.of, Moment.of_event(wrong[0])))

    if isinstance(exp, StopReasonExpectation):
        of = exp.of if exp.of.kind is not None else dataclasses.replace(exp.of, kind=EventKind.STOPPED)
        hits = [e for e in in_window if of.matches(e)]
        want = f"every event ({of.describe()}) {span.describe()} with stop reason {exp.reason.value}"
        if not hits:
            return FailureDetail(exp.label, want, "no such event in the window", line,
                                 around=events_around(obs.events, span, of))
        wrong = [e for e in hits if e.get("stop_reason") != exp.reason.value]
        if not wrong:
            return None
        return FailureDetail(exp.label, want,
                             "; ".join(f"#{e.get('seq')} stop reason {e.get('stop_reason')}" for e in wrong[:3]),
                             line, around=events_around(obs.events, span, of, Moment.of_event(wrong[0])))

    raise TypeError(f"no checker for expectation type {type(exp).__name__}")


def _check_order(exp: OrderExpectation, span: Span, in_window: list[dict[str, Any]], obs: Observation,
                 line: int | None) -> FailureDetail | None:
    want = " then ".join(f"({s.describe()})" for s in exp.selectors) + f" {span.describe()}"
    pos = 0
    matched: list[dict[str, Any]] = []
    for sel in exp.selectors:
        while pos < len(in_window) and not sel.matches(in_window[pos]):
            pos += 1
        if pos >= len(in_window):
            earlier = [e for e in in_window if sel.matches(e)]
            if earlier:
                actual = (f"({sel.describe()}) happened only before ({exp.selectors[len(matched) - 1].describe()}): "
                          f"{_fmt_events(earlier)}")
            else:
                actual = f"({sel.describe()}) did not happen in the window"
            if matched:
                actual = "matched " + ", ".join(f"#{e.get('seq')}" for e in matched) + "; then " + actual
            return FailureDetail(exp.label, want, actual, line, around=events_around(obs.events, span, sel))
        matched.append(in_window[pos])
        pos += 1
    return None


def _expected_text(exp: Expectation) -> str:
    if isinstance(exp, StateExpectation):
        return f"{exp.check.value} = {_value_text(exp.value)}"
    sel = getattr(exp, "selector", None) or getattr(exp, "of", None)
    return f"{exp.KEY} {sel.describe() if isinstance(sel, EventSelector) else ''} {exp.window.describe()}".strip()


def _value_text(value: bool | Bucket) -> str:
    return value.value if isinstance(value, Bucket) else str(value).lower()


def state_anchor_key(exp: StateExpectation, spec: Spec) -> int | None:
    """The step number after which the state is read (None: at the spec end)."""
    if exp.at.kind is AnchorKind.STEP and exp.at.step is not None:
        return spec.step(exp.at.step).number
    return None


def _check_state(exp: StateExpectation, spec: Spec, obs: Observation) -> FailureDetail | None:
    key = state_anchor_key(exp, spec)
    where = "at the end" if key is None else f"right after {spec.step(key).label}"
    line = exp.mark.line or None
    want = f"{exp.check.value}{' of task ' + exp.task if exp.task else ''} = {_value_text(exp.value)} {where}"
    reading = obs.states.get(key)
    if reading is None:
        raise AnchorMissing(f"the state {where} was not read (the step did not run)")
    actual = reading.value_of(exp.check, exp.task)
    if actual is None:
        return FailureDetail(exp.label, want, f"unknown: {reading.problem(exp.check, exp.task)}", line,
                             around=events_around(obs.events, None, None, reading.at))
    if actual == exp.value:
        return None
    focus = reading.at
    sel = EventSelector(task=exp.task) if exp.task else None
    return FailureDetail(exp.label, want, f"{exp.check.value} = {_value_text(actual)} ({reading.source(exp.check)})",
                         line, around=events_around(obs.events, None, sel, focus))


def check_all(spec: Spec, obs: Observation) -> list[FailureDetail]:
    out: list[FailureDetail] = []
    for exp in spec.expectations:
        try:
            failure = check_expectation(exp, spec, obs)
        except AnchorMissing as e:
            failure = FailureDetail(exp.label, _expected_text(exp), f"cannot check: {e}", exp.mark.line or None)
        if failure is not None:
            failure.step_index = None
            out.append(failure)
    return out
