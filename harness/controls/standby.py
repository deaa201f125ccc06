"""App standby buckets through ``am``: ``set-standby-bucket``, ``get-standby-bucket``, ``set-inactive``.

``am get-standby-bucket PKG`` prints the bucket's number (UsageStatsManager.STANDBY_BUCKET_*:
5 exempted, 10 active, 20 working set, 30 frequent, 40 rare, 45 restricted, 50 never);
``am set-standby-bucket PKG BUCKET`` takes a name (``active``, ``working_set``, ``frequent``,
``rare``, ``restricted`` on API 30+) or a number. ``am get-inactive PKG`` prints ``Idle=true|false``.
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING

from harness.controls.base import Commands, bool_word, first_line, read, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

STANDBY_FAILURES = ("Unknown", "Error", "Exception", "not found", "Cannot")


class Bucket(enum.IntEnum):
    EXEMPTED = 5
    ACTIVE = 10
    WORKING_SET = 20
    FREQUENT = 30
    RARE = 40
    RESTRICTED = 45
    NEVER = 50

    @property
    def shell_name(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: "str | int | Bucket") -> "Bucket":
        if isinstance(value, Bucket):
            return value
        if isinstance(value, int):
            return cls(value)
        text = value.strip()
        if text.isdigit():
            return cls(int(text))
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown standby bucket {value!r}; one of "
                             f"{', '.join(b.shell_name for b in cls)}") from None


SETTABLE = (Bucket.ACTIVE, Bucket.WORKING_SET, Bucket.FREQUENT, Bucket.RARE, Bucket.RESTRICTED)


def set_bucket_commands(package: str, bucket: "Bucket | str | int") -> Commands:
    b = Bucket.parse(bucket)
    if b not in SETTABLE:
        raise ValueError(f"the shell cannot set bucket {b.shell_name}; one of "
                         f"{', '.join(x.shell_name for x in SETTABLE)}")
    return [["am", "set-standby-bucket", package, b.shell_name]]


def get_bucket_commands(package: str) -> Commands:
    return [["am", "get-standby-bucket", package]]


def set_inactive_commands(package: str, inactive: bool) -> Commands:
    return [["am", "set-inactive", package, bool_word(inactive)]]


def get_inactive_commands(package: str) -> Commands:
    return [["am", "get-inactive", package]]


def parse_bucket(text: str) -> Bucket:
    m = re.search(r"-?\d+", text)
    if not m:
        raise ValueError("no bucket number")
    return Bucket(int(m.group(0)))


def parse_inactive(text: str) -> bool:
    m = re.search(r"Idle=(true|false)", text)
    if not m:
        raise ValueError("no Idle=true|false")
    return m.group(1) == "true"


def get_bucket(device: "Device", package: str) -> Bucket:
    result = read(device, get_bucket_commands(package))[0]
    try:
        return parse_bucket(first_line(result))
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def set_bucket(device: "Device", package: str, bucket: "Bucket | str | int") -> None:
    run(device, set_bucket_commands(package, bucket), failure_texts=STANDBY_FAILURES)


def get_inactive(device: "Device", package: str) -> bool:
    result = read(device, get_inactive_commands(package))[0]
    try:
        return parse_inactive(result.stdout)
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def set_inactive(device: "Device", package: str, inactive: bool) -> None:
    run(device, set_inactive_commands(package, inactive), failure_texts=STANDBY_FAILURES)
