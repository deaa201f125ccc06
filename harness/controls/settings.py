"""Android settings: ``settings get|put|delete NAMESPACE KEY [VALUE]``.

``settings get`` prints ``null`` for a key that is not set; restoring such a key deletes it.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from harness.controls.base import Commands, read, run

if TYPE_CHECKING:
    from harness.bridge.device import Device

NULL = "null"
SETTINGS_FAILURES = ("Error", "Exception", "Invalid")


class Namespace(str, enum.Enum):
    GLOBAL = "global"
    SECURE = "secure"
    SYSTEM = "system"


def _key(key: str) -> str:
    if not key or key.startswith("-") or any(c.isspace() for c in key):
        raise ValueError(f"invalid settings key {key!r}")
    return key


def get_commands(namespace: Namespace | str, key: str) -> Commands:
    return [["settings", "get", Namespace(namespace).value, _key(key)]]


def put_commands(namespace: Namespace | str, key: str, value: str) -> Commands:
    return [["settings", "put", Namespace(namespace).value, _key(key), value]]


def delete_commands(namespace: Namespace | str, key: str) -> Commands:
    return [["settings", "delete", Namespace(namespace).value, _key(key)]]


def restore_commands(namespace: Namespace | str, key: str, value: str | None) -> Commands:
    """Put back ``value``; None (the key was not set) deletes it."""
    return delete_commands(namespace, key) if value is None else put_commands(namespace, key, value)


def parse_value(stdout: str) -> str | None:
    """The value ``settings get`` printed (one line); None for ``null``."""
    value = stdout[:-1] if stdout.endswith("\n") else stdout
    value = value.rstrip("\r")
    return None if value == NULL else value


def get(device: "Device", namespace: Namespace | str, key: str) -> str | None:
    return parse_value(read(device, get_commands(namespace, key))[0].stdout)


def put(device: "Device", namespace: Namespace | str, key: str, value: str) -> None:
    run(device, put_commands(namespace, key, value), failure_texts=SETTINGS_FAILURES)


def delete(device: "Device", namespace: Namespace | str, key: str) -> None:
    run(device, delete_commands(namespace, key), failure_texts=SETTINGS_FAILURES)
