"""android.util.TimeUtils and the date format the platform's dumps print times with."""

from __future__ import annotations

import datetime as _dt


def format_duration(ms: int) -> str:
    """android.util.TimeUtils.formatDuration(long): +1h2m3s4ms, 0 for zero."""
    if ms == 0:
        return "0"
    sign = "+" if ms > 0 else "-"
    ms = abs(ms)
    days, rem = divmod(ms, 86_400_000)
    hours, rem = divmod(rem, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    seconds, millis = divmod(rem, 1000)
    out = sign
    started = False
    for amount, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")):
        if amount > 0 or started:
            out += f"{amount}{unit}"
            started = True
    return out + f"{millis}ms"


def format_relative(time_ms: int, now_ms: int) -> str:
    """TimeUtils.formatDuration(time, now): "--" for 0."""
    if time_ms == 0:
        return "--"
    return format_duration(time_ms - now_ms)


def format_rtc(wall_ms: int) -> str:
    """SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS") in the device time zone (UTC)."""
    d = _dt.datetime.fromtimestamp(wall_ms / 1000, tz=_dt.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + f"{wall_ms % 1000:03d}"
