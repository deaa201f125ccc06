"""Valid specs load into the typed model, with durations converted for the companion protocol."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.spec import model as m
from harness.spec.durations import Duration
from harness.spec.loader import load_spec, load_spec_text, parse_spec_text

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
VALID = sorted((HERE / "valid").glob("*.yaml")) + sorted((ROOT / "docs" / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def all_steps() -> m.Spec:
    return load_spec(HERE / "valid" / "all_steps.yaml")


@pytest.fixture(scope="module")
def all_expectations() -> m.Spec:
    return load_spec(HERE / "valid" / "all_expectations.yaml")


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_specs_load(path: Path) -> None:
    spec = load_spec(path)
    assert spec.steps and spec.expectations
    assert spec.path == path


def test_first_example_in_the_format_doc_loads() -> None:
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    spec = load_spec_text(block.group(1), "spec-format.md")
    assert spec.name == "periodic-job-survives-reboot"


def test_header_requirements_and_setup(all_steps: m.Spec) -> None:
    assert all_steps.name == "all-steps"
    assert all_steps.line == 2  # the modeline comment is line 1
    r = all_steps.requires
    assert (r.api_min, r.api_max, r.fast_forward, r.virtual_only) == (31, 35, True, False)
    assert r.mechanisms == tuple(m.Mechanism)
    assert r.allows_api(31) and r.allows_api(35) and not r.allows_api(30) and not r.allows_api(36)
    s = all_steps.setup
    assert s.battery == m.BatterySetting(level=80, charging=False, saver=False)
    assert s.screen_on is True  # `screen: on` (YAML 1.1 reads `on` as true)
    assert (s.network, s.standby_bucket, s.exact_alarm) == (m.NetworkSetting.WIFI, m.Bucket.ACTIVE,
                                                            m.ExactAlarmAction.GRANT)
    assert s.configure == m.CompanionConfig(reregister_alarms_on_boot=True)
    assert s.mark.line == 10


def test_every_step_type_is_built_in_order(all_steps: m.Spec) -> None:
    keys = [s.KEY for s in all_steps.steps]
    assert set(keys) == set(m.STEP_TYPES)
    assert [s.number for s in all_steps.steps] == list(range(1, len(keys) + 1))
    boot = all_steps.step("boot")
    assert isinstance(boot, m.RebootStep) and boot.number == 14 and boot.mark.line == 68
    assert all_steps.step(14) is boot
    assert [s.mode for s in all_steps.steps if isinstance(s, m.DozeStep)] == list(m.DozeMode)
    screen = next(s for s in all_steps.steps if isinstance(s, m.ScreenStep))
    assert screen.on is False
    waits = [s for s in all_steps.steps if isinstance(s, m.WaitStep)]
    assert waits[0].duration == Duration(90_000) and waits[0].until is None
    assert waits[1].until == m.EventSelector(task="sync", kind=m.EventKind.STARTED, mark=waits[1].until.mark)
    assert waits[1].timeout == Duration(1_200_000) and waits[1].name == "waited"
    assert all_steps.max_device_time == Duration(90_000 + 1_200_000)
    run = next(s for s in all_steps.steps if isinstance(s, m.RunJobStep))
    assert run.task_id == "sync" and run.label == f"step {run.number}: run_job"


def test_tasks_convert_to_the_companion_protocol(all_steps: m.Spec) -> None:
    tasks = all_steps.tasks
    assert list(tasks) == ["sync", "upload", "after-upload", "nightly", "wake", "tick", "fgs", "ui"]
    assert tasks["sync"].to_protocol() == {
        "id": "sync", "mechanism": "job",
        "params": {"job_id": 4242, "periodic_ms": 900_000, "flex_ms": 300_000, "network": "unmetered",
                   "requires_charging": False, "requires_device_idle": False, "requires_battery_not_low": True,
                   "requires_storage_not_low": True, "persisted": True, "backoff_policy": "linear",
                   "backoff_initial_ms": 30_000, "expedited": False},
        "behavior": {"duration_ms": 1500, "outcomes": ["retry", "success"], "on_stop": "drop"},
    }
    assert tasks["upload"].to_protocol()["params"] == {
        "kind": "one_time", "initial_delay_ms": 5_400_000, "network": "connected", "backoff_policy": "exponential",
        "backoff_delay_ms": 10_000, "expedited": False, "out_of_quota": "drop", "unique_name": "up",
        "unique_policy": "append_or_replace", "foreground": True, "tags": ["a", "b"]}
    assert tasks["after-upload"].to_protocol() == {"id": "after-upload", "mechanism": "work",
                                                   "params": {"after": ["upload"]}}
    assert tasks["nightly"].to_protocol()["params"] == {
        "kind": "periodic", "interval_ms": 86_400_000, "flex_ms": 3_600_000, "unique_name": "nightly",
        "unique_policy": "update"}
    assert tasks["wake"].to_protocol()["params"] == {"trigger_in_ms": 600_000, "type": "rtc_wakeup",
                                                     "method": "set_window", "window_ms": 300_000}
    assert tasks["tick"].to_protocol()["params"] == {"trigger_in_ms": 0, "method": "set_inexact_repeating",
                                                     "interval_ms": 900_000}
    assert tasks["fgs"].to_protocol() == {"id": "fgs", "mechanism": "foreground",
                                          "params": {"type": "shortService"}, "behavior": {"duration_ms": 30_000}}
    assert tasks["ui"].to_protocol() == {"id": "ui", "mechanism": "coroutine", "params": {},
                                         "behavior": {"duration_ms": 60_000}}


def test_expectations_and_windows(all_expectations: m.Spec) -> None:
    e = all_expectations.expectations
    assert [x.KEY for x in e].count("state") == 5 and {x.KEY for x in e} == set(m.EXPECTATION_TYPES)
    first = e[0]
    assert isinstance(first, m.HappensExpectation) and first.label == "starts soon"
    assert first.window.start.kind is m.AnchorKind.START and first.window.within == Duration(960_000)
    second = e[1]
    assert second.window.start.kind is m.AnchorKind.STEP and second.window.start.step == "boot"
    assert second.window.start.edge is m.Edge.START and second.window.within == Duration(960_000)
    third = e[2]
    assert third.window.start.step == 4 and isinstance(third, m.HappensExpectation)
    assert third.selector.detail == {"reason": "job"} and third.selector.mechanism is m.EventMechanism.APP
    never = e[3]
    assert isinstance(never, m.NeverExpectation)
    assert (never.window.start.step, never.window.end.kind) == ("boot", m.AnchorKind.END)
    before = e[4].window.end
    assert (before.step, before.edge) == ("boot", m.Edge.START)
    c1, c2 = e[5], e[6]
    assert isinstance(c1, m.CountExpectation) and isinstance(c2, m.CountExpectation)
    assert (c1.exactly, c1.accepts(1), c1.accepts(2)) == (1, True, False)
    assert (c2.at_least, c2.at_most, c2.accepts(0), c2.accepts(3), c2.accepts(4)) == (1, 3, False, True, False)
    order = e[7]
    assert isinstance(order, m.OrderExpectation)
    assert [s.kind for s in order.selectors] == [m.EventKind.SCHEDULED, m.EventKind.STARTED,
                                                 m.EventKind.WORK_STARTED, m.EventKind.FINISHED]
    t1, t2 = e[8], e[9]
    assert isinstance(t1, m.ThreadExpectation) and t1.thread is m.ThreadKind.NOT_MAIN
    assert isinstance(t2, m.ThreadExpectation) and t2.thread is m.ThreadKind.MAIN
    sr = e[10]
    assert isinstance(sr, m.StopReasonExpectation) and sr.reason is m.StopReason.CONSTRAINT_CONNECTIVITY
    assert sr.of.kind is m.EventKind.STOPPED and sr.of.task == "sync"  # kind defaults to stopped
    last = e[11].window
    assert last.start.kind is m.AnchorKind.EVENT and last.start.occurrence == -1 and last.within == Duration(300_000)
    nth = e[12].window.start
    assert nth.occurrence == 2 and nth.event is not None and nth.event.thread is m.ThreadKind.MAIN
    s1, s2, s3, s4, s5 = e[13:18]
    assert isinstance(s1, m.StateExpectation) and s1.check is m.StateCheck.JOB_PENDING and s1.value is True
    assert s1.at.step == "boot" and s1.task == "sync"
    assert isinstance(s2, m.StateExpectation) and s2.check is m.StateCheck.ALARM_REGISTERED and s2.value is False
    assert s2.at.kind is m.AnchorKind.END
    assert isinstance(s5, m.StateExpectation) and s5.value is m.Bucket.RARE and s5.at.step == 3
    assert e[5].mark.line == 24 and e[5].mark.column == 5


def test_selector_matches_journal_events() -> None:
    sel = m.EventSelector(task="sync", kind=m.EventKind.STOPPED, thread=m.ThreadKind.MAIN,
                          stop_reason=m.StopReason.QUOTA, detail={"reschedule": True})
    event = {"task_id": "sync", "mechanism": "job", "kind": "stopped", "thread": "main",
             "stop_reason": "QUOTA", "detail": {"reschedule": True, "stop_reason_code": 10}}
    assert sel.matches(event)
    assert not sel.matches({**event, "thread": "pool-1-thread-1"})
    assert not sel.matches({**event, "stop_reason": "TIMEOUT"})
    assert not sel.matches({**event, "detail": {"reschedule": False}})
    assert not sel.matches({**event, "task_id": "other"})
    off_main = m.EventSelector(thread=m.ThreadKind.NOT_MAIN)
    assert off_main.matches({"thread": "DefaultDispatcher-worker-1"}) and not off_main.matches({"thread": "main"})
    assert m.EventSelector().matches(event)


def test_flow_and_bare_forms_are_equivalent() -> None:
    text = ("spec: forms\nsteps:\n  - home\n  - home:\n  - {home: {}}\n  - reboot:\n    name: b\n"
            "expect:\n  - never: {mechanism: app, kind: process_start}\n")
    spec = load_spec_text(text)
    assert [type(s) for s in spec.steps] == [m.HomeStep, m.HomeStep, m.HomeStep, m.RebootStep]
    assert spec.steps[3].name == "b" and spec.steps[3].mark.line == 6


def test_errors_in_one_step_do_not_hide_others() -> None:
    text = ("spec: two\nsteps:\n  - doze: never\n  - schedule: {id: a, mechanism: job}\n  - cancel: b\n"
            "expect:\n  - happens: a:started\n    after: nowhere\n")
    result = parse_spec_text(text, "t.yaml")
    assert [(e.line, e.message.split(" ")[0]) for e in result.errors] == [(3, "bad"), (5, "cancel"), (8, "unknown")]
    assert result.spec is None


def test_loading_is_pure() -> None:
    """The loader imports nothing that talks to a device (the companion protocol's vocabulary is plain data)."""
    code = ("import sys, harness.spec.loader, harness.cli.validate; "
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('adbutils', 'uiautomator2') "
            "or n.startswith(('harness.bridge', 'harness.companion.', 'harness.runner', 'harness.controls'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "['harness.companion.protocol']"


PRELUDE = ("spec: doc\nsteps:\n  - schedule: {id: sync, mechanism: job}\n"
           "  - schedule: {id: wake, mechanism: alarm, params: {trigger_in: 1m}}\n"
           "  - reboot:\n    name: boot\n  - wait: 1m\n")


def test_format_doc_examples_of_every_step_and_expectation_load() -> None:
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    steps = next(b for b in blocks if b.startswith("steps:") and "cancel_all" in b)
    spec = load_spec_text("spec: doc\nrequires: {fast_forward: true}\n" + steps
                          + "expect: [{never: sync:stopped}]\n", "doc-steps")
    assert {s.KEY for s in spec.steps} == set(m.STEP_TYPES)
    expect = next(b for b in blocks if b.startswith("expect:"))
    spec = load_spec_text(PRELUDE + expect, "doc-expect")
    assert {e.KEY for e in spec.expectations} == set(m.EXPECTATION_TYPES)
    windows = next(b for b in blocks if b.startswith("- happens:") and "occurrence" in b)
    spec = load_spec_text(PRELUDE + "expect:\n" + "".join(f"  {ln}\n" for ln in windows.splitlines()), "doc-win")
    assert len(spec.expectations) == 5


# ---------------------------------------------------------------- anchor edges and wait since

ANCHOR_SPEC = """\
spec: anchors
steps:
  - schedule: {id: a, mechanism: job, params: {min_latency: 1m}}
  - home:
    name: bg
  - wait: 5m
expect:
  - happens: a:started
    after: bg
  - happens: a:started
    within: 1m after bg
  - happens: a:started
    between: [bg, 3]
  - happens: a:started
    after: {step: bg, at: end}
  - happens: a:started
    before: bg
  - state: {process_running: false}
    at: bg
"""


def test_step_anchors_default_to_the_step_start_in_windows_and_end_for_state() -> None:
    e = load_spec_text(ANCHOR_SPEC, "anchors.yaml").expectations
    assert [x.window.start.edge for x in e[:3]] == [m.Edge.START] * 3  # after, within-after, between
    assert e[2].window.end.edge is m.Edge.START
    assert e[3].window.start.edge is m.Edge.END  # at: end stays available
    assert e[4].window.end.edge is m.Edge.START
    state = e[5]
    assert isinstance(state, m.StateExpectation) and state.at.edge is m.Edge.END  # read right after the step
    assert e[0].window.describe() == "after start of 'bg'"


WAIT_SPEC = """\
spec: waits
steps:
  - schedule: {id: a, mechanism: job, params: {min_latency: 1m}}
  - home
  - wait: {until: a:started, timeout: 5m}
  - wait: 1m
  - wait: {until: a:finished, timeout: 5m}
  - wait: {until: a:finished, timeout: 5m}
    name: own
  - network: none
  - wait: {until: a:stopped, timeout: 5m, since: own}
  - wait: {until: a:stopped, timeout: 5m, since: 9}
    name: self
expect:
  - happens: a:started
"""


def test_wait_since_defaults_to_the_steps_since_the_previous_wait() -> None:
    spec = load_spec_text(WAIT_SPEC, "waits.yaml")
    waits = {s.number: s for s in spec.steps if isinstance(s, m.WaitStep) and s.until is not None}
    assert {n: spec.wait_since(w) for n, w in waits.items()} == {
        3: 1,  # actions schedule + home before it: from the first of them
        5: 4,  # the step before is a wait: from its start
        6: 5,  # the previous wait-until itself
        8: 6,  # since: own (an earlier step by name)
        9: 9,  # since: its own number: only events after it begins
    }
    assert waits[8].since == "own" and waits[9].since == 9
    first = load_spec_text("spec: w\nsteps:\n  - wait: {until: {mechanism: boot}, timeout: 1m}\n"
                           "expect:\n  - happens: {mechanism: boot}\n", "w.yaml")
    assert first.wait_since(first.steps[0]) == 0  # the first step: from the spec start


def test_wait_since_must_name_an_earlier_step_or_the_wait() -> None:
    text = ("spec: w\nsteps:\n  - home\n  - wait: {until: {mechanism: boot}, timeout: 1m, since: later}\n"
            "  - home:\n    name: later\n  - wait: {until: {mechanism: boot}, timeout: 1m, since: latr}\n"
            "  - wait: {until: {mechanism: boot}, timeout: 1m, since: 9}\n"
            "expect:\n  - happens: {mechanism: boot}\n")
    result = parse_spec_text(text, "w.yaml")
    assert result.spec is None
    heads = [e.headline for e in result.errors]
    assert heads[0].startswith("w.yaml:4:58: since names step 3: home (later), which comes after this wait")
    assert heads[1].startswith("w.yaml:7:58: unknown step 'latr'") and "did you mean 'later'" in heads[1]
    assert heads[2].startswith("w.yaml:8:58: step 9 does not exist")
