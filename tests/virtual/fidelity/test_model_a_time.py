"""Model A, time (rule A1), through the real adb server: virtual time moves only on `vdev advance`."""

from __future__ import annotations

from harness.companion.protocol import AlarmMethod

from .conftest import MIN, Phone


def _scenario(phone: Phone) -> str:
    phone.out("vdev", "reset", "--seed", "7")
    phone.allow_exact()
    phone.alarm("clock", AlarmMethod.SET_ALARM_CLOCK, 5 * 60 * MIN)
    phone.alarm("rep", AlarmMethod.SET_INEXACT_REPEATING, 15 * MIN, interval_ms=15 * MIN)
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.unplug_and_sleep()
    phone.advance("12h")
    return phone.out("vdev", "trace")


def test_time_moves_only_on_advance_and_same_seed_gives_byte_identical_trace(phone: Phone) -> None:
    phone.allow_exact()
    phone.alarm("second", AlarmMethod.SET_EXACT, 10 * MIN)
    phone.alarm("first", AlarmMethod.SET_EXACT, 5 * MIN)
    phone.alarm("tie", AlarmMethod.SET_EXACT, 10 * MIN)
    assert phone.elapsed() == 0 and phone.state()["next_timer_ms"] == 5 * MIN
    assert phone.fired() == []  # no wall-clock time makes anything happen
    assert phone.advance("10m") >= 3
    fired = phone.fired()
    assert [(e.task_id, e.elapsed_ms) for e in fired] == [("first", 5 * MIN), ("second", 10 * MIN),
                                                          ("tie", 10 * MIN)]  # ties in scheduling order
    assert phone.elapsed() == 10 * MIN
    a, b = _scenario(phone), _scenario(phone)
    assert a == b and len(a.splitlines()) > 50
    phone.out("vdev", "reset", "--seed", "8")
    assert phone.out("vdev", "trace") == ""
