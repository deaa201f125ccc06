"""Snapshot the device state a spec may change, and put it all back afterwards.

:class:`DeviceStateGuard` reads, in one adb round trip, the current state of each kind asked for
(Doze, battery overrides, battery saver, screen, Wi-Fi/data/airplane, metered Wi-Fi, the standby
bucket, app ops, runtime permissions, settings, the Doze allowlist) and turns it into the
commands that restore it. :meth:`DeviceStateGuard.restore` runs those commands in a fixed order
(radios first, then power, then app state, the screen last), never raises, and returns what could
not be restored. It is idempotent (what was restored is not restored again; what failed is tried
again on the next call), usable as a context manager, and safe to call from a signal handler or
a ``KeyboardInterrupt`` path: a restore already under way is not started twice.

Snapshotting the same thing twice keeps the first (the original) value.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness.bridge.shell import ShellResult
from harness.companion.protocol import PACKAGE
from harness.controls import appops, battery, doze, network, power, settings, standby
from harness.controls.base import Commands, failed, first_line, unexpected
from harness.controls.batch import run_batch
from harness.errors import CommandFailedError, HarnessError

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

RESTORE_TIMEOUT_S = 60.0


class StateKind(str, enum.Enum):
    AIRPLANE = "airplane"
    WIFI = "wifi"
    DATA = "data"
    METERED = "metered"
    BATTERY_SAVER = "battery_saver"
    BATTERY = "battery"
    DOZE = "doze"
    DOZE_ALLOWLIST = "doze_allowlist"
    STANDBY = "standby"
    APPOPS = "appops"
    PERMISSIONS = "permissions"
    SETTINGS = "settings"
    SCREEN = "screen"


# The order restore() runs in: the list order above (radios, power, app state, screen last).
RESTORE_ORDER = list(StateKind)
ALL_KINDS = frozenset(StateKind)


@dataclass(frozen=True)
class RestoreFailure:
    kind: StateKind
    what: str
    error: str

    def __str__(self) -> str:
        return f"{self.kind.value} ({self.what}): {self.error}"


@dataclass
class _Restorer:
    kind: StateKind
    key: str  # what it restores, unique per kind ("wifi", "settings global foo", ...)
    commands: Commands
    saved: Any
    failure_texts: tuple[str, ...] = ("Error", "Exception", "Unknown")
    ignore_status: bool = False


@dataclass
class _Read:
    """One read of the snapshot: its commands and how to turn their results into restorers."""

    kind: StateKind
    commands: Commands
    build: Callable[[list[ShellResult]], list[_Restorer]]


@dataclass
class RestoreReport:
    restored: list[str] = field(default_factory=list)
    failures: list[RestoreFailure] = field(default_factory=list)
    interrupted: bool = False


class DeviceStateGuard:
    """Snapshot/restore of one device's state. See the module doc."""

    def __init__(self, device: "Device", *, package: str = PACKAGE,
                 kinds: Iterable[StateKind] | None = None,
                 app_ops: Sequence[str] = (appops.SCHEDULE_EXACT_ALARM,),
                 permissions: Sequence[str] = (),
                 settings_keys: Sequence[tuple[settings.Namespace | str, str]] = ()) -> None:
        self.device = device
        self.package = package
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.app_ops = tuple(app_ops)
        self.permissions = tuple(permissions)
        self.settings_keys = tuple((settings.Namespace(ns), key) for ns, key in settings_keys)
        self._restorers: dict[tuple[StateKind, str], _Restorer] = {}
        self._lock = threading.Lock()
        self.last_report = RestoreReport()

    # ------------------------------------------------------------------ snapshot
    @property
    def saved(self) -> dict[str, Any]:
        """What was saved, by ``kind/key`` (for logs and reports)."""
        return {f"{r.kind.value}/{r.key}": r.saved for r in self._restorers.values()}

    def snapshot(self, kinds: Iterable[StateKind] | None = None, *,
                 app_ops: Sequence[str] | None = None, permissions: Sequence[str] | None = None,
                 settings_keys: Sequence[tuple[settings.Namespace | str, str]] | None = None) -> dict[str, Any]:
        """Read the current state of ``kinds`` (default: the guard's kinds, else all) in one round trip.

        Raises (a DeviceError) if a state cannot be read: nothing has been changed yet then, and a
        change that could not be undone must not be made.
        """
        wanted = frozenset(kinds) if kinds is not None else (self.kinds or ALL_KINDS)
        ops = tuple(app_ops) if app_ops is not None else self.app_ops
        perms = tuple(permissions) if permissions is not None else self.permissions
        keys = (tuple((settings.Namespace(ns), k) for ns, k in settings_keys)
                if settings_keys is not None else self.settings_keys)
        api = self.device.api_level
        reads = [r for kind in RESTORE_ORDER if kind in wanted for r in self._reads(kind, api, ops, perms, keys)]
        commands = [c for r in reads for c in r.commands]
        if not commands:
            return self.saved
        results = run_batch(self.device, commands, timeout=RESTORE_TIMEOUT_S)
        at = 0
        for r in reads:
            mine = results[at:at + len(r.commands)]
            at += len(r.commands)
            for restorer in r.build(mine):
                self._restorers.setdefault((restorer.kind, restorer.key), restorer)
        log.debug("[%s] snapshot: %s", self.device.serial, self.saved)
        return self.saved

    def _reads(self, kind: StateKind, api: int, ops: Sequence[str], perms: Sequence[str],
               keys: Sequence[tuple[settings.Namespace, str]]) -> list[_Read]:
        pkg = self.package
        if kind is StateKind.AIRPLANE:
            if api < network.AIRPLANE_CMD_MIN_API:
                return []  # no shell way to change it there, so nothing a spec did needs restoring
            return [_Read(kind, [["settings", "get", "global", "airplane_mode_on"]], lambda rs: [
                _Restorer(kind, "airplane", network.airplane_commands(_flag(rs[0], 0), api), _flag(rs[0], 0))])]
        if kind is StateKind.WIFI:
            return [_Read(kind, [["settings", "get", "global", "wifi_on"]], lambda rs: [
                _Restorer(kind, "wifi", network.wifi_commands(_setting_int(rs[0], 0) in (1, 2)),
                          _setting_int(rs[0], 0) in (1, 2))])]
        if kind is StateKind.DATA:
            return [_Read(kind, [["settings", "get", "global", "mobile_data"]], lambda rs: [
                _Restorer(kind, "data", network.data_commands(_flag(rs[0], 1)), _flag(rs[0], 1))])]
        if kind is StateKind.METERED:
            def metered(rs: list[ShellResult]) -> list[_Restorer]:
                _ok(rs[0])
                nets = network.parse_wifi_networks(rs[0].stdout)
                return [_Restorer(kind, f"metered {nid}", network.set_metered_commands(nid, value), value.value,
                                  failure_texts=network.NETPOLICY_FAILURES, ignore_status=True)
                        for nid, value in sorted(nets.items())]
            return [_Read(kind, network.list_metered_commands(), metered)]
        if kind is StateKind.BATTERY_SAVER:
            def saver(rs: list[ShellResult]) -> list[_Restorer]:
                on = _parse(rs[0], lambda r: power.parse_low_power(first_line(r)))
                return [_Restorer(kind, "battery_saver", power.battery_saver_commands(on, api), on)]
            return [_Read(kind, power.battery_saver_state_commands(), saver)]
        if kind is StateKind.BATTERY:
            def batt(rs: list[ShellResult]) -> list[_Restorer]:
                state = _parse(rs[0], lambda r: battery.parse_dumpsys_battery(r.stdout))
                return [_Restorer(kind, "battery", battery.restore_commands(state, api), state)]
            return [_Read(kind, battery.state_commands(), batt)]
        if kind is StateKind.DOZE:
            def dz(rs: list[ShellResult]) -> list[_Restorer]:
                for r in rs:
                    _ok(r)
                state = _parse(rs[0], lambda _r: doze.parse_state(*(first_line(x) for x in rs)))
                if not state.forced:
                    cmds = doze.unforce_commands()
                else:  # someone else forced it: force the same kind of idle again
                    cmds = doze.unforce_commands() + doze.force_idle_commands(
                        doze.DozeMode.DEEP if state.deep_idle or not state.light_idle else doze.DozeMode.LIGHT)
                return [_Restorer(kind, "doze", cmds, state, failure_texts=doze.DOZE_FAILURES)]
            return [_Read(kind, doze.state_commands(), dz)]
        if kind is StateKind.DOZE_ALLOWLIST:
            def allow(rs: list[ShellResult]) -> list[_Restorer]:
                _ok(rs[0])
                entries = doze.parse_allowlist(rs[0].stdout)
                if doze.system_allowlisted(entries, pkg):
                    return []  # the shell cannot change a system allowlisting
                on = doze.user_allowlisted(entries, pkg)
                cmds = doze.allowlist_add_commands(pkg) if on else doze.allowlist_remove_commands(pkg)
                return [_Restorer(kind, f"allowlist {pkg}", cmds, on,
                                  failure_texts=("Unknown package", "Error", "Exception"))]
            return [_Read(kind, doze.allowlist_commands(), allow)]
        if kind is StateKind.STANDBY:
            def bucket(rs: list[ShellResult]) -> list[_Restorer]:
                b = _parse(rs[0], lambda r: standby.parse_bucket(first_line(r)))
                inactive = _parse(rs[1], lambda r: standby.parse_inactive(r.stdout))
                out = [_Restorer(kind, f"inactive {pkg}", standby.set_inactive_commands(pkg, inactive), inactive,
                                 failure_texts=standby.STANDBY_FAILURES)]
                if b in standby.SETTABLE:
                    out.append(_Restorer(kind, f"bucket {pkg}", standby.set_bucket_commands(pkg, b), b,
                                         failure_texts=standby.STANDBY_FAILURES))
                return out
            return [_Read(kind, standby.get_bucket_commands(pkg) + standby.get_inactive_commands(pkg), bucket)]
        if kind is StateKind.APPOPS:
            reads = []
            for op in ops:
                def mode(rs: list[ShellResult], op: str = op) -> list[_Restorer]:
                    m = _parse(rs[0], lambda r: appops.parse_mode(r.stdout, op))
                    return [_Restorer(kind, f"appop {pkg} {op}", appops.set_mode_commands(pkg, op, m), m,
                                      failure_texts=appops.APPOPS_FAILURES)]
                reads.append(_Read(kind, appops.get_mode_commands(pkg, op), mode))
            return reads
        if kind is StateKind.PERMISSIONS:
            if not perms:
                return []

            def granted(rs: list[ShellResult]) -> list[_Restorer]:
                _ok(rs[0])
                out = []
                for perm in perms:
                    g = appops.parse_permission(rs[0].stdout, perm)
                    if g is None:
                        log.info("[%s] %s is not listed for %s: not snapshotted", self.device.serial, perm, pkg)
                        continue
                    out.append(_Restorer(kind, f"permission {pkg} {perm}", appops.grant_commands(pkg, perm, g), g,
                                         failure_texts=appops.PM_FAILURES))
                return out
            return [_Read(kind, appops.package_dump_commands(pkg), granted)]
        if kind is StateKind.SETTINGS:
            reads = []
            for ns, key in keys:
                def value(rs: list[ShellResult], ns: settings.Namespace = ns, key: str = key) -> list[_Restorer]:
                    _ok(rs[0])
                    v = settings.parse_value(rs[0].stdout)
                    return [_Restorer(kind, f"settings {ns.value} {key}", settings.restore_commands(ns, key, v), v,
                                      failure_texts=settings.SETTINGS_FAILURES)]
                reads.append(_Read(kind, settings.get_commands(ns, key), value))
            return reads
        if kind is StateKind.SCREEN:
            def screen(rs: list[ShellResult]) -> list[_Restorer]:
                w = _parse(rs[0], lambda r: power.parse_wakefulness(r.stdout))
                return [_Restorer(kind, "screen", power.screen_commands(w.screen_on), w.screen_on)]
            return [_Read(kind, power.wakefulness_commands(), screen)]
        raise ValueError(f"unknown state kind {kind!r}")

    # ------------------------------------------------------------------ restore
    def pending(self) -> list[str]:
        return [f"{r.kind.value}/{r.key}" for r in self._restorers.values()]

    def restore(self) -> list[RestoreFailure]:
        """Put back everything snapshotted; never raises. Returns what could not be restored."""
        if not self._lock.acquire(blocking=False):
            log.warning("[%s] restore already under way: not started again", self.device.serial)
            return []
        try:
            return self._restore_locked()
        finally:
            self._lock.release()

    def _restore_locked(self) -> list[RestoreFailure]:
        report = RestoreReport()
        self.last_report = report
        order = {k: i for i, k in enumerate(RESTORE_ORDER)}
        todo = sorted(self._restorers.values(), key=lambda r: order[r.kind])
        if not todo:
            return []
        commands = [c for r in todo for c in r.commands]
        try:
            results = run_batch(self.device, commands, timeout=RESTORE_TIMEOUT_S)
        except (HarnessError, OSError) as e:
            log.error("[%s] restore failed: %s", self.device.serial, e)
            report.failures = [RestoreFailure(r.kind, r.key, str(e)) for r in todo]
            return list(report.failures)
        except KeyboardInterrupt:
            log.error("[%s] restore interrupted; %d items not restored: %s", self.device.serial, len(todo),
                      ", ".join(r.key for r in todo))
            report.interrupted = True
            report.failures = [RestoreFailure(r.kind, r.key, "interrupted") for r in todo]
            return list(report.failures)
        at = 0
        for r in todo:
            mine = results[at:at + len(r.commands)]
            at += len(r.commands)
            bad = next((x for x in mine if failed(x, r.failure_texts, ignore_status=r.ignore_status)), None)
            if bad is None:
                report.restored.append(f"{r.kind.value}/{r.key}")
                del self._restorers[(r.kind, r.key)]
                continue
            error = str(CommandFailedError(bad.serial, bad.command, bad.status, bad.stderr or bad.stdout))
            log.error("[%s] could not restore %s: %s", self.device.serial, r.key, error)
            report.failures.append(RestoreFailure(r.kind, r.key, error))
        if report.restored:
            log.info("[%s] restored %s", self.device.serial, ", ".join(report.restored))
        return list(report.failures)

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> "DeviceStateGuard":
        if not self._restorers:
            self.snapshot()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        failures = self.restore()
        for f in failures:
            log.error("[%s] not restored: %s", self.device.serial, f)


# ---------------------------------------------------------------------- helpers
def _ok(result: ShellResult) -> None:
    if result.status != 0:
        raise CommandFailedError(result.serial, result.command, result.status, result.stderr, result.stdout)


def _parse(result: ShellResult, reader: Callable[[ShellResult], Any]) -> Any:
    _ok(result)
    try:
        return reader(result)
    except ValueError as e:
        raise unexpected(result, str(e)) from e




def _setting_int(result: ShellResult, default: int) -> int:
    _ok(result)
    value = first_line(result)
    if value in ("", "null"):
        return default
    if not value.lstrip("-").isdigit():
        raise unexpected(result, f"not a number: {value!r}")
    return int(value)


def _flag(result: ShellResult, default: int) -> bool:
    return _setting_int(result, default) == 1
