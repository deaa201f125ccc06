"""App processes: start, death, process state (procstate), the top activity, exit reasons.

Rules (docs/fidelity.md, section "Apps and processes"):
  * ``am start`` brings the app's activity to the top (PROCESS_STATE_TOP) and clears its stopped state;
  * HOME puts the launcher on top; the app becomes the previous app (PROCESS_STATE_LAST_ACTIVITY)
    and turns cached (PROCESS_STATE_CACHED_ACTIVITY) after ActivityManagerConstants
    MAX_PREVIOUS_TIME;
  * screen off: the top app sleeps (PROCESS_STATE_TOP_SLEEPING);
  * ``am kill`` kills only background processes (oom adj above SERVICE_ADJ): ApplicationExitInfo
    REASON_USER_REQUESTED / SUBREASON_KILL_BACKGROUND; the package is NOT stopped;
  * ``am force-stop``: REASON_USER_REQUESTED / SUBREASON_FORCE_STOP, the package enters the stopped state,
    its alarms (and jobs) go;
  * removing the task from Recents kills the process with REASON_USER_REQUESTED / SUBREASON_REMOVE_TASK
    ("remove task"), unless it hosts a foreground service; an OEM-strict option force-stops instead.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from harness.virtual.model.subsystem import Subsystem

log = logging.getLogger(__name__)

LAUNCHER_PACKAGE = "com.android.launcher3"
# ActivityManagerConstants.DEFAULT_MAX_PREVIOUS_TIME: how long the previous app keeps
# PROCESS_STATE_LAST_ACTIVITY before it is treated as cached. ActivityManagerConstants
# DEFAULT_BACKGROUND_SETTLE_TIME (also 60 s) is when its uid turns idle; one timer serves both.
MAX_PREVIOUS_TIME_MS = 60_000
BACKGROUND_SETTLE_TIME_MS = 60_000
FIRST_PID = 1500


class ProcState(enum.IntEnum):
    """ActivityManager.PROCESS_STATE_* (API 29+ numbering)."""

    PERSISTENT = 0
    PERSISTENT_UI = 1
    TOP = 2
    BOUND_TOP = 3
    FOREGROUND_SERVICE = 4
    BOUND_FOREGROUND_SERVICE = 5
    IMPORTANT_FOREGROUND = 6
    IMPORTANT_BACKGROUND = 7
    TRANSIENT_BACKGROUND = 8
    BACKUP = 9
    SERVICE = 10
    RECEIVER = 11
    TOP_SLEEPING = 12
    HEAVY_WEIGHT = 13
    HOME = 14
    LAST_ACTIVITY = 15
    CACHED_ACTIVITY = 16
    CACHED_ACTIVITY_CLIENT = 17
    CACHED_RECENT = 18
    CACHED_EMPTY = 19
    NONEXISTENT = 20

    @property
    def short(self) -> str:
        """ProcessList.makeProcStateString (the code `dumpsys activity lru` prints)."""
        return _PROCSTATE_SHORT[self]

    @property
    def cached(self) -> bool:
        return self >= ProcState.CACHED_ACTIVITY and self != ProcState.NONEXISTENT


_PROCSTATE_SHORT = {
    ProcState.PERSISTENT: "PER ", ProcState.PERSISTENT_UI: "PERU", ProcState.TOP: "TOP ",
    ProcState.BOUND_TOP: "BTOP", ProcState.FOREGROUND_SERVICE: "FGS ",
    ProcState.BOUND_FOREGROUND_SERVICE: "BFGS", ProcState.IMPORTANT_FOREGROUND: "IMPF",
    ProcState.IMPORTANT_BACKGROUND: "IMPB", ProcState.TRANSIENT_BACKGROUND: "TRNB",
    ProcState.BACKUP: "BKUP", ProcState.SERVICE: "SVC ", ProcState.RECEIVER: "RCVR",
    ProcState.TOP_SLEEPING: "TPSL", ProcState.HEAVY_WEIGHT: "HVY ", ProcState.HOME: "HOME",
    ProcState.LAST_ACTIVITY: "LAST", ProcState.CACHED_ACTIVITY: "CAC ",
    ProcState.CACHED_ACTIVITY_CLIENT: "CACC", ProcState.CACHED_RECENT: "CRE ",
    ProcState.CACHED_EMPTY: "CEM ", ProcState.NONEXISTENT: "NONE",
}


class ExitReason(enum.IntEnum):
    """ApplicationExitInfo.REASON_*."""

    UNKNOWN = 0
    EXIT_SELF = 1
    SIGNALED = 2
    LOW_MEMORY = 3
    CRASH = 4
    CRASH_NATIVE = 5
    ANR = 6
    INITIALIZATION_FAILURE = 7
    PERMISSION_CHANGE = 8
    EXCESSIVE_RESOURCE_USAGE = 9
    USER_REQUESTED = 10
    USER_STOPPED = 11
    DEPENDENCY_DIED = 12
    OTHER = 13
    FREEZER = 14
    PACKAGE_STATE_CHANGE = 15
    PACKAGE_UPDATED = 16


class ExitSubReason(enum.IntEnum):
    """ApplicationExitInfo.SUBREASON_* (API 34 numbering)."""

    UNKNOWN = 0
    WAIT_FOR_DEBUGGER = 1
    TOO_MANY_CACHED = 2
    TOO_MANY_EMPTY = 3
    TRIM_EMPTY = 4
    LARGE_CACHED = 5
    MEMORY_PRESSURE = 6
    EXCESSIVE_CPU = 7
    SYSTEM_UPDATE_DONE = 8
    KILL_ALL_FG = 9
    KILL_ALL_BG_EXCEPT = 10
    KILL_UID = 11
    KILL_PID = 12
    INVALID_START = 13
    INVALID_STATE = 14
    IMPERCEPTIBLE = 15
    REMOVE_LRU = 16
    ISOLATED_NOT_NEEDED = 17
    CACHED_IDLE_FORCED_APP_STANDBY = 18
    FREEZER_BINDER_IOCTL = 19
    FREEZER_BINDER_TRANSACTION = 20
    FORCE_STOP = 21
    REMOVE_TASK = 22
    STOP_APP = 23
    KILL_BACKGROUND = 24
    PACKAGE_UPDATE = 25
    UNDELIVERED_BROADCAST = 26


# reason string given to kill()/process_died -> (REASON, SUBREASON, description AOSP records)
_KILL_REASONS: dict[str, tuple[ExitReason, ExitSubReason, str]] = {
    "force_stop": (ExitReason.USER_REQUESTED, ExitSubReason.FORCE_STOP, "stop {pkg} due to from pid 0"),
    "am_kill": (ExitReason.USER_REQUESTED, ExitSubReason.KILL_BACKGROUND, "kill background"),
    # OomAdjuster kills a process waiting to die after its task was removed:
    # REASON_USER_REQUESTED / SUBREASON_REMOVE_TASK, "remove task".
    "remove_task": (ExitReason.USER_REQUESTED, ExitSubReason.REMOVE_TASK, "remove task"),
    "package_replaced": (ExitReason.PACKAGE_UPDATED, ExitSubReason.PACKAGE_UPDATE, "replace pkg"),
    "package_removed": (ExitReason.USER_REQUESTED, ExitSubReason.UNKNOWN, "pkg removed"),
    "permissions revoked": (ExitReason.PERMISSION_CHANGE, ExitSubReason.UNKNOWN, "permissions revoked"),
    "crash": (ExitReason.CRASH, ExitSubReason.UNKNOWN, "crash"),
    "low_memory": (ExitReason.LOW_MEMORY, ExitSubReason.UNKNOWN, "lmk"),
    "lmk": (ExitReason.LOW_MEMORY, ExitSubReason.UNKNOWN, "lmk"),
    "signal": (ExitReason.SIGNALED, ExitSubReason.UNKNOWN, "killed by signal 9"),
    "exit_self": (ExitReason.EXIT_SELF, ExitSubReason.UNKNOWN, "exit self"),
    "reboot": (ExitReason.UNKNOWN, ExitSubReason.UNKNOWN, "shutdown"),
}


@dataclass
class ProcessRecord:
    package: str
    pid: int
    uid: int
    start_reason: str
    started_elapsed_ms: int
    state: ProcState = ProcState.CACHED_EMPTY
    has_activity: bool = False  # an activity of the app exists (it has a task in Recents)
    fgs: bool = False
    left_top_elapsed_ms: int | None = None


@dataclass(frozen=True)
class ExitInfo:
    """One ApplicationExitInfo record (ActivityManager.getHistoricalProcessExitReasons)."""

    package: str
    pid: int
    reason: ExitReason
    subreason: ExitSubReason
    description: str
    timestamp_wall_ms: int
    importance: int
    boot: int

    def to_json(self) -> dict[str, object]:
        return {"reason": self.reason.name, "subreason": self.subreason.name, "description": self.description,
                "timestamp_ms": self.timestamp_wall_ms, "pid": self.pid}


@dataclass
class _Options:
    # OEM behaviour observed on some vendors (dontkillmyapp.com): swiping an app away from
    # Recents force-stops it. Off by default (AOSP only kills the process).
    swipe_force_stops: bool = False


class Processes(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self.procs: dict[str, ProcessRecord] = {}
        self.exits: dict[str, list[ExitInfo]] = {}
        self.top: str = LAUNCHER_PACKAGE
        self.recents: list[str] = []  # packages with a task in Recents, most recent first
        self.options = _Options()
        self._next_pid = FIRST_PID
        self._cache_timers: dict[str, object] = {}

    # ---------------------------------------------------------------- queries
    def is_running(self, package: str) -> bool:
        return package in self.procs

    def state(self, package: str) -> ProcState:
        p = self.procs.get(package)
        return p.state if p is not None else ProcState.NONEXISTENT

    def pid(self, package: str) -> int | None:
        p = self.procs.get(package)
        return p.pid if p is not None else None

    def running(self) -> list[ProcessRecord]:
        """Live app processes, most important first (the LRU order dumpsys prints)."""
        return sorted(self.procs.values(), key=lambda p: (p.state, -p.started_elapsed_ms, p.package))

    def last_exit(self, package: str) -> ExitInfo | None:
        lst = self.exits.get(package)
        return lst[-1] if lst else None

    def exit_history(self, package: str) -> list[ExitInfo]:
        """Newest first, as getHistoricalProcessExitReasons returns them."""
        return list(reversed(self.exits.get(package, [])))

    # ---------------------------------------------------------------- lifecycle
    def _alloc_pid(self) -> int:
        pid = self._next_pid
        self._next_pid += 1 + self.model.random.randrange(0, 24)
        return pid

    def start(self, package: str, reason: str) -> ProcessRecord:
        """Start the app's process if needed (Application.onCreate). Returns the record."""
        p = self.procs.get(package)
        if p is not None:
            return p
        uid = self.model.packages.uid_of(package)
        p = ProcessRecord(package, self._alloc_pid(), uid, reason, self.model.clock.elapsed_ms)
        self.procs[package] = p
        self._recompute(package)
        self.model.trace("process_start", package=package, pid=p.pid, reason=reason)
        self.model.process_started(package, reason)
        return p

    def kill(self, package: str, reason: str) -> bool:
        """The process dies (any reason). Returns False if it was not running."""
        p = self.procs.pop(package, None)
        if p is None:
            return False
        self._cancel_cache_timer(package)
        r, sub, desc = _KILL_REASONS.get(reason, (ExitReason.OTHER, ExitSubReason.UNKNOWN, reason))
        info = ExitInfo(package, p.pid, r, sub, desc.format(pkg=package), self.model.clock.wall_ms,
                        _importance(p.state), self.model.clock.boot_count)
        lst = self.exits.setdefault(package, [])
        lst.append(info)
        del lst[:-16]  # AppExitInfoTracker keeps a bounded history per package
        if self.top == package:
            self.top = LAUNCHER_PACKAGE
        self.model.trace("process_died", package=package, pid=p.pid, reason=reason, exit_reason=r.name)
        self.model.process_died(package, reason)
        return True

    def kill_background(self, package: str) -> bool:
        """``am kill``: only a process in the background (cached / last / empty) dies."""
        p = self.procs.get(package)
        if p is None or p.state <= ProcState.SERVICE or p.state == ProcState.TOP_SLEEPING:
            return False
        return self.kill(package, "am_kill")

    def force_stop(self, package: str) -> None:
        """``am force-stop``: kill, enter the stopped state, drop the task; subsystems drop alarms/jobs."""
        self.kill(package, "force_stop")
        if package in self.recents:
            self.recents.remove(package)
        self.model.trace("force_stop", package=package)
        self.model.force_stop(package)

    def remove_task(self, package: str) -> None:
        """The user swipes the app away in Recents."""
        if package in self.recents:
            self.recents.remove(package)
        self.model.trace("remove_task", package=package)
        if self.options.swipe_force_stops:
            self.force_stop(package)
            return
        p = self.procs.get(package)
        if p is None:
            return
        p.has_activity = False
        if self.top == package:
            self.top = LAUNCHER_PACKAGE
        if p.fgs:
            self._recompute(package)
            return
        self.kill(package, "remove_task")

    # ---------------------------------------------------------------- activities / services
    def start_activity(self, package: str) -> ProcessRecord:
        """``am start``: the package's activity comes to the top; stopped state clears."""
        if self.model.packages.is_stopped(package):
            self.model.packages.set_stopped(package, False)
        prev = self.top
        p = self.start(package, "activity")
        p.has_activity = True
        self.top = package
        if package in self.recents:
            self.recents.remove(package)
        self.recents.insert(0, package)
        self._cancel_cache_timer(package)
        p.left_top_elapsed_ms = None
        if prev != package:
            self._left_top(prev)
        self._recompute(package)
        self.model.trace("activity_top", package=package)
        self.model.standby.report_usage(package)
        self.model.state_changed()
        return p

    def go_home(self) -> None:
        """HOME: the launcher is on top; the previous app goes to the background."""
        prev = self.top
        if prev == LAUNCHER_PACKAGE:
            return
        self.top = LAUNCHER_PACKAGE
        self._left_top(prev)
        self.model.trace("activity_top", package=LAUNCHER_PACKAGE)
        self.model.state_changed()

    def _left_top(self, package: str) -> None:
        p = self.procs.get(package)
        if p is None:
            return
        p.left_top_elapsed_ms = self.model.clock.elapsed_ms
        self._recompute(package)
        self._cancel_cache_timer(package)
        self._cache_timers[package] = self.model.clock.call_later(
            MAX_PREVIOUS_TIME_MS, lambda: self._previous_expired(package), f"proc:previous:{package}")

    def _previous_expired(self, package: str) -> None:
        self._cache_timers.pop(package, None)
        p = self.procs.get(package)
        if p is not None:
            p.left_top_elapsed_ms = None
            self._recompute(package)
            self.model.state_changed()

    def _cancel_cache_timer(self, package: str) -> None:
        t = self._cache_timers.pop(package, None)
        if t is not None:
            t.cancel()  # type: ignore[attr-defined]

    def set_foreground_service(self, package: str, on: bool) -> None:
        p = self.procs.get(package)
        if p is None:
            if not on:
                return
            p = self.start(package, "service")
        if p.fgs != on:
            p.fgs = on
            self._recompute(package)
            self.model.trace("foreground_service", package=package, on=on)
            self.model.state_changed()

    def is_foreground(self, package: str) -> bool:
        """Foreground for background-start rules: TOP (or sleeping top) or with a foreground service."""
        return self.state(package) <= ProcState.FOREGROUND_SERVICE or self.state(package) in (
            ProcState.BOUND_FOREGROUND_SERVICE, ProcState.TOP_SLEEPING)

    def is_uid_active(self, package: str) -> bool:
        """The uid is active (not idle) for the power-save rules (AppStateTracker / UidObserver).

        A uid is active while it is in the foreground (top, sleeping top, foreground service) and
        for ActivityManagerConstants BACKGROUND_SETTLE_TIME after it leaves the foreground;
        ``am make-uid-idle`` ends the settle period at once.
        """
        p = self.procs.get(package)
        if p is None:
            return False
        return self.is_foreground(package) or p.left_top_elapsed_ms is not None

    def _recompute(self, package: str) -> None:
        p = self.procs.get(package)
        if p is None:
            return
        if self.top == package and p.has_activity:
            p.state = ProcState.TOP if self.model.state.screen_on else ProcState.TOP_SLEEPING
        elif p.fgs:
            p.state = ProcState.FOREGROUND_SERVICE
        elif p.has_activity and p.left_top_elapsed_ms is not None:
            p.state = ProcState.LAST_ACTIVITY
        elif p.has_activity:
            p.state = ProcState.CACHED_ACTIVITY
        else:
            p.state = ProcState.CACHED_EMPTY

    def make_uid_idle(self, package: str) -> None:
        """``am make-uid-idle``: the uid is treated as idle (background) now."""
        p = self.procs.get(package)
        if p is not None and p.left_top_elapsed_ms is not None:
            self._cancel_cache_timer(package)
            p.left_top_elapsed_ms = None
            self._recompute(package)
        self.model.trace("uid_idle", package=package)
        self.model.state_changed()

    # ---------------------------------------------------------------- hooks
    def on_state_changed(self) -> None:
        if self.top in self.procs:
            self._recompute(self.top)

    def on_shutdown(self) -> None:
        for pkg in sorted(self.procs):
            self.kill(pkg, "reboot")
        self.top = LAUNCHER_PACKAGE
        self.recents.clear()
        self._cache_timers.clear()
        self._next_pid = FIRST_PID


def _importance(state: ProcState) -> int:
    """ActivityManager.RunningAppProcessInfo.procStateToImportance."""
    if state == ProcState.NONEXISTENT:
        return 1000  # IMPORTANCE_GONE
    if state >= ProcState.HOME:
        return 400  # IMPORTANCE_CACHED
    if state == ProcState.HEAVY_WEIGHT:
        return 170  # IMPORTANCE_CANT_SAVE_STATE
    if state >= ProcState.TOP_SLEEPING:
        return 325  # IMPORTANCE_TOP_SLEEPING
    if state >= ProcState.SERVICE:
        return 300  # IMPORTANCE_SERVICE
    if state >= ProcState.TRANSIENT_BACKGROUND:
        return 230  # IMPORTANCE_PERCEPTIBLE
    if state >= ProcState.IMPORTANT_FOREGROUND:
        return 200  # IMPORTANCE_VISIBLE
    if state >= ProcState.FOREGROUND_SERVICE:
        return 125  # IMPORTANCE_FOREGROUND_SERVICE
    return 100  # IMPORTANCE_FOREGROUND
