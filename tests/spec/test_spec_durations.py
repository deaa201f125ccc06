"""Human durations: parsing, canonical form, and refusals with a useful message."""

from __future__ import annotations

import re

import pytest

from harness.spec.durations import Duration, DurationSyntaxError, format_duration_ms, parse_duration_ms


@pytest.mark.parametrize("text, ms", [
    ("500ms", 500), ("90s", 90_000), ("15m", 900_000), ("1h30m", 5_400_000), ("2d", 172_800_000),
    ("0s", 0), ("1h 30m", 5_400_000), ("1m500ms", 60_500), ("1d2h3m4s5ms", 93_784_005),
])
def test_parse(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text, fragment", [
    ("15", "has no unit"), (15, "has no unit"), ("1.5h", "NUMBER+UNIT"), ("30m1h", "largest to smallest"),
    ("1m1m", "largest to smallest"), ("", "empty"), ("m", "NUMBER+UNIT"), ("5 minutes", "NUMBER+UNIT"),
    (True, "got bool"), (None, "got NoneType"), ("-5s", "NUMBER+UNIT"),
])
def test_refused(text: object, fragment: str) -> None:
    with pytest.raises(DurationSyntaxError, match=re.escape(fragment)):
        parse_duration_ms(text)


@pytest.mark.parametrize("ms, text", [(0, "0s"), (500, "500ms"), (5_400_000, "1h30m"), (86_400_001, "1d1ms")])
def test_format_round_trips(ms: int, text: str) -> None:
    assert format_duration_ms(ms) == text
    assert parse_duration_ms(text) == ms
    assert str(Duration(ms)) == text


def test_duration_value() -> None:
    d = Duration.parse("1m30s")
    assert d.ms == 90_000 and d.seconds == 90.0 and Duration(1) < d
