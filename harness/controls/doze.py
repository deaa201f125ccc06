"""Doze (DeviceIdleController) through ``cmd deviceidle``, and the battery-optimization allowlist.

Commands (DeviceIdleController's shell, API 24+):
  ``force-idle [deep|light]``  straight into idle, whatever the device state
  ``step [deep|light]``        one step of the state machine
  ``unforce``                  back to normal operation (the restore)
  ``get deep|light|force``     the deep state, the light state, whether idle is forced
  ``whitelist`` / ``whitelist +PKG`` / ``whitelist -PKG``  the allowlist ("ignore battery optimizations")
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.controls.base import Commands, first_line, parse_bool, read, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

DOZE_FAILURES = ("Unable to", "Unknown", "Error", "Exception")


class DozeMode(str, enum.Enum):
    DEEP = "deep"
    LIGHT = "light"


@dataclass(frozen=True)
class DozeState:
    deep: str  # mState name: ACTIVE, INACTIVE, IDLE_PENDING, SENSING, LOCATING, IDLE, IDLE_MAINTENANCE...
    light: str  # mLightState name: ACTIVE, INACTIVE, IDLE, WAITING_FOR_NETWORK, IDLE_MAINTENANCE, OVERRIDE
    forced: bool

    @property
    def deep_idle(self) -> bool:
        return self.deep == "IDLE"

    @property
    def light_idle(self) -> bool:
        return self.light in ("IDLE", "WAITING_FOR_NETWORK")


# ------------------------------------------------------------------ commands
def force_idle_commands(mode: DozeMode = DozeMode.DEEP) -> Commands:
    return [["cmd", "deviceidle", "force-idle", DozeMode(mode).value]]


def step_commands(mode: DozeMode = DozeMode.DEEP) -> Commands:
    return [["cmd", "deviceidle", "step", DozeMode(mode).value]]


def unforce_commands() -> Commands:
    return [["cmd", "deviceidle", "unforce"]]


def state_commands() -> Commands:
    return [["cmd", "deviceidle", "get", "deep"], ["cmd", "deviceidle", "get", "light"],
            ["cmd", "deviceidle", "get", "force"]]


def allowlist_commands() -> Commands:
    return [["cmd", "deviceidle", "whitelist"]]


def allowlist_add_commands(package: str) -> Commands:
    return [["cmd", "deviceidle", "whitelist", f"+{package}"]]


def allowlist_remove_commands(package: str) -> Commands:
    return [["cmd", "deviceidle", "whitelist", f"-{package}"]]


# ------------------------------------------------------------------ parsing
def parse_state(deep: str, light: str, force: str) -> DozeState:
    forced = parse_bool(force)
    if not deep or not light or forced is None:
        raise ValueError(f"unexpected deviceidle state: deep={deep!r} light={light!r} force={force!r}")
    return DozeState(deep.strip(), light.strip(), forced)


@dataclass(frozen=True)
class AllowlistEntry:
    kind: str  # "system-excidle", "system", "user"
    package: str
    uid: int | None


def parse_allowlist(text: str) -> list[AllowlistEntry]:
    """``KIND,PACKAGE,UID`` lines of ``cmd deviceidle whitelist``."""
    entries = []
    for line in text.splitlines():
        parts = line.strip().split(",")
        if len(parts) != 3 or not parts[1]:
            continue
        uid = int(parts[2]) if parts[2].strip().isdigit() else None
        entries.append(AllowlistEntry(parts[0].strip(), parts[1].strip(), uid))
    return entries


def user_allowlisted(entries: list[AllowlistEntry], package: str) -> bool:
    return any(e.package == package and e.kind == "user" for e in entries)


def system_allowlisted(entries: list[AllowlistEntry], package: str) -> bool:
    return any(e.package == package and e.kind.startswith("system") for e in entries)


# ------------------------------------------------------------------ execute
def get_state(device: "Device") -> DozeState:
    results = read(device, state_commands())
    try:
        return parse_state(*(first_line(r) for r in results))
    except ValueError as e:
        raise unexpected(results[0], str(e)) from e


def force_idle(device: "Device", mode: DozeMode = DozeMode.DEEP) -> None:
    run(device, force_idle_commands(mode), failure_texts=DOZE_FAILURES)


def step(device: "Device", mode: DozeMode = DozeMode.DEEP) -> str:
    """One step; returns what deviceidle printed (``Stepped to deep: IDLE_PENDING``)."""
    return first_line(run(device, step_commands(mode), failure_texts=DOZE_FAILURES)[0])


def unforce(device: "Device") -> None:
    run(device, unforce_commands(), failure_texts=DOZE_FAILURES)


def get_allowlist(device: "Device") -> list[AllowlistEntry]:
    return parse_allowlist(read(device, allowlist_commands())[0].stdout)


def set_allowlisted(device: "Device", package: str, allowed: bool) -> None:
    cmds = allowlist_add_commands(package) if allowed else allowlist_remove_commands(package)
    run(device, cmds, failure_texts=("Unknown package", "Error", "Exception"))
