"""Event selectors' ``detail``: nested mappings match as subsets, every other value (lists too) whole."""

from __future__ import annotations

from typing import Any

from harness.spec.loader import load_spec
from harness.spec.model import EventSelector, detail_matches

SWIPE_START: dict[str, Any] = {
    "seq": 7, "boot": 1, "elapsed_ms": 90_000, "wall_ms": 1_767_225_690_000, "task_id": None,
    "mechanism": "app", "kind": "process_start", "thread": "main", "stop_reason": None,
    "detail": {"reason": "content_provider",
               "previous_exit": {"reason": "USER_REQUESTED", "subreason": "REMOVE_TASK",
                                 "description": "remove task", "timestamp_ms": 1_767_225_680_000, "pid": 4242}},
}


def sel(detail: dict[str, Any]) -> EventSelector:
    return EventSelector(kind=None, detail=detail)


def test_a_nested_key_alone_matches() -> None:
    assert sel({"previous_exit": {"reason": "USER_REQUESTED"}}).matches(SWIPE_START)
    assert sel({"previous_exit": {"reason": "USER_REQUESTED", "subreason": "REMOVE_TASK"}}).matches(SWIPE_START)
    assert sel({"reason": "content_provider", "previous_exit": {"pid": 4242}}).matches(SWIPE_START)
    assert sel({"previous_exit": {}}).matches(SWIPE_START)  # names no key: any mapping


def test_a_nested_mismatch_or_missing_key_fails() -> None:
    assert not sel({"previous_exit": {"reason": "OTHER"}}).matches(SWIPE_START)
    assert not sel({"previous_exit": {"reason": "USER_REQUESTED", "subreason": "FORCE_STOP"}}).matches(SWIPE_START)
    assert not sel({"previous_exit": {"status": 0}}).matches(SWIPE_START)
    assert not sel({"exit": {"reason": "USER_REQUESTED"}}).matches(SWIPE_START)


def test_a_mapping_never_matches_a_non_mapping() -> None:
    first_start = {**SWIPE_START, "detail": {"reason": "unknown", "previous_exit": None}}
    assert not sel({"previous_exit": {"reason": "USER_REQUESTED"}}).matches(first_start)
    assert not sel({"previous_exit": {}}).matches(first_start)
    assert sel({"previous_exit": None}).matches(first_start)
    assert not detail_matches({"a": 1}, [("a", 1)])
    assert not detail_matches({"a": 1}, "a")


def test_deeper_nesting_is_a_subset_at_every_level() -> None:
    got = {"unique": {"name": "n", "policy": "keep", "meta": {"kept_existing": True, "x": 1}}}
    assert detail_matches({"unique": {"meta": {"kept_existing": True}}}, got)
    assert not detail_matches({"unique": {"meta": {"kept_existing": False}}}, got)


def test_lists_compare_whole() -> None:
    event = {**SWIPE_START, "mechanism": "boot", "kind": "boot_completed",
             "detail": {"reregistered_alarms": ["a", "b"]}}
    assert sel({"reregistered_alarms": ["a", "b"]}).matches(event)
    assert not sel({"reregistered_alarms": ["a"]}).matches(event)
    assert not sel({"reregistered_alarms": ["b", "a"]}).matches(event)
    assert not sel({"reregistered_alarms": []}).matches(event)


def test_a_top_level_value_still_compares_whole() -> None:
    assert sel({"reason": "content_provider"}).matches(SWIPE_START)
    assert not sel({"reason": "content"}).matches(SWIPE_START)  # no substring match
    assert not sel({"missing": None}).matches(SWIPE_START)  # a named key must be present


def test_a_spec_asserts_the_exit_reason_alone(tmp_path: Any) -> None:
    path = tmp_path / "exit-reason.yaml"
    path.write_text(
        "spec: exit-reason\n"
        "steps:\n"
        "  - launch\n"
        "expect:\n"
        "  - happens: {mechanism: app, kind: process_start, detail: {previous_exit: {reason: USER_REQUESTED}}}\n"
    )
    spec = load_spec(path)
    selector = spec.expectations[0].selector  # type: ignore[attr-defined]
    assert selector.matches(SWIPE_START)
    assert not selector.matches({**SWIPE_START, "detail": {**SWIPE_START["detail"],
                                                           "previous_exit": {"reason": "CRASH"}}})
