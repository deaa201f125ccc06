"""App ops and runtime permissions: ``appops get|set`` and ``pm grant|revoke``.

``appops get PKG OP`` prints ``OP: MODE; time=...`` (or ``OP: MODE``), ``Uid mode: OP: MODE``
when a uid-wide mode is set, and ``No operations.`` when nothing was ever set or noted (the
mode is then the op's default). ``appops set PKG OP MODE`` with MODE one of allow, ignore,
deny, default, foreground.

A runtime permission's state is read from ``dumpsys package PKG`` (``PERM: granted=true|false``
under ``runtime permissions:``).
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING

from harness.controls.base import Commands, read, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

SCHEDULE_EXACT_ALARM = "SCHEDULE_EXACT_ALARM"
APPOPS_FAILURES = ("Error", "Unknown", "Exception")
PM_FAILURES = ("Error", "Exception", "Unknown", "Bad argument")


class OpMode(str, enum.Enum):
    ALLOW = "allow"
    IGNORE = "ignore"
    DENY = "deny"
    DEFAULT = "default"
    FOREGROUND = "foreground"


def _check_word(word: str, what: str) -> str:
    if not word or word.startswith("-") or any(c.isspace() for c in word):
        raise ValueError(f"invalid {what} {word!r}")
    return word


def get_mode_commands(package: str, op: str) -> Commands:
    return [["appops", "get", _check_word(package, "package"), _check_word(op, "app op")]]


def set_mode_commands(package: str, op: str, mode: OpMode | str) -> Commands:
    return [["appops", "set", _check_word(package, "package"), _check_word(op, "app op"), OpMode(mode).value]]


def grant_commands(package: str, permission: str, granted: bool) -> Commands:
    return [["pm", "grant" if granted else "revoke", _check_word(package, "package"),
             _check_word(permission, "permission")]]


def package_dump_commands(package: str) -> Commands:
    return [["dumpsys", "package", _check_word(package, "package")]]


def parse_mode(text: str, op: str) -> OpMode:
    """The mode ``appops get PKG OP`` reports; a package mode wins over the uid mode (as printed)."""
    if "No operations." in text:
        return OpMode.DEFAULT
    pkg_mode = uid_mode = None
    pattern = re.compile(r"^\s*(Uid mode:\s*)?" + re.escape(op) + r":\s*([a-z]+)", re.MULTILINE)
    for m in pattern.finditer(text):
        if m.group(1):
            uid_mode = m.group(2)
        elif pkg_mode is None:
            pkg_mode = m.group(2)
    mode = pkg_mode or uid_mode
    if mode is None:
        raise ValueError(f"no mode for {op}")
    return OpMode(mode)


def parse_permission(text: str, permission: str) -> bool | None:
    """Whether the permission is granted per ``dumpsys package``; None if it is not listed.

    A ``runtime permissions:`` entry wins over an ``install permissions:`` one.
    """
    pattern = re.compile(r"^\s*" + re.escape(permission) + r": granted=(true|false)", re.MULTILINE)
    section = None
    found: dict[str, bool] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.endswith("permissions:"):
            section = stripped
            continue
        m = pattern.match(line)
        if m and section is not None and section not in found:
            found[section] = m.group(1) == "true"
    for key, value in found.items():
        if key.startswith("runtime"):
            return value
    return next(iter(found.values()), None)


def get_mode(device: "Device", package: str, op: str = SCHEDULE_EXACT_ALARM) -> OpMode:
    result = read(device, get_mode_commands(package, op))[0]
    try:
        return parse_mode(result.stdout, op)
    except ValueError as e:
        raise unexpected(result, str(e)) from e


def set_mode(device: "Device", package: str, op: str, mode: OpMode | str) -> None:
    run(device, set_mode_commands(package, op, mode), failure_texts=APPOPS_FAILURES)


def permission_granted(device: "Device", package: str, permission: str) -> bool | None:
    return parse_permission(read(device, package_dump_commands(package))[0].stdout, permission)


def set_permission(device: "Device", package: str, permission: str, granted: bool) -> None:
    run(device, grant_commands(package, permission, granted), failure_texts=PM_FAILURES)
