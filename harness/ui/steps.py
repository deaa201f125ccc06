"""Spec screen steps -> harness/ui actions (what the runner calls for each screen step type).

:class:`ScreenDriver` connects uiautomator2 once per device (lazily, on the first screen step)
and runs ``swipe_from_recents``, ``check_notification``, ``toggle_exact_alarm_setting``,
``accept_notification_permission`` and ``allow_ignore_battery_optimizations``. Every failure is a
:class:`~harness.errors.UiError` (a HarnessError) with the serial.

For the runner: :func:`runner_executors` (step type -> executor taking the runner's StepContext),
:func:`guard_kinds` (the device state a screen step changes, for the DeviceStateGuard) and
:func:`close_screen` (stop the uiautomator2 server at the end of a spec).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.companion.protocol import PACKAGE
from harness.controls.guard import StateKind
from harness.spec import model as m
from harness.ui import dialogs, notifications, recents, settings_pages
from harness.ui.session import DEFAULT_WAIT_S, UiSession, connect

if TYPE_CHECKING:
    from harness.bridge.device import Device
    from harness.runner.steps import StepContext

log = logging.getLogger(__name__)


class ScreenDriver:
    def __init__(self, device: "Device", package: str = PACKAGE, *, timeout: float = DEFAULT_WAIT_S) -> None:
        self.device = device
        self.package = package
        self.timeout = timeout
        self._ui: UiSession | None = None

    @property
    def ui(self) -> UiSession:
        if self._ui is None:
            self._ui = connect(self.device)
        return self._ui

    def close(self) -> None:
        if self._ui is not None:
            self._ui.close()
            self._ui = None

    def __enter__(self) -> "ScreenDriver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, step: m.Step) -> str:
        """Run one screen step; returns a one-line account for the report."""
        pkg, t = self.package, self.timeout
        if isinstance(step, m.SwipeFromRecentsStep):
            recents.swipe_from_recents(self.ui, pkg, timeout=t)
            return f"swiped {pkg} away from Recents"
        if isinstance(step, m.CheckNotificationStep):
            res = notifications.check_notification(self.ui, pkg, text=step.text, title=step.title,
                                                   task_id=step.task_id, alarm=step.alarm, present=step.present,
                                                   timeout=t)
            return f"notification {'shown' if res.present else 'absent'} as expected"
        if isinstance(step, m.ToggleExactAlarmSettingStep):
            r = settings_pages.set_exact_alarm_allowed(self.ui, pkg, step.allowed, timeout=t)
            return f"Alarms & reminders {'on' if r.before else 'off'} -> {'on' if r.after else 'off'}"
        if isinstance(step, m.AcceptNotificationPermissionStep):
            return f"notification permission: {dialogs.accept_notification_permission(self.ui, pkg, timeout=t).value}"
        if isinstance(step, m.AllowIgnoreBatteryOptimizationsStep):
            out = dialogs.allow_ignore_battery_optimizations(self.ui, pkg, timeout=t)
            return f"ignore battery optimizations: {out.value}"
        raise TypeError(f"{step.KEY} is not a screen step")


# ---------------------------------------------------------------- runner integration

_DRIVERS: "weakref.WeakKeyDictionary[Any, ScreenDriver]" = weakref.WeakKeyDictionary()


def driver_for(session: Any) -> ScreenDriver:
    """The ScreenDriver of a runner Session (``session.device``, ``session.package``), made once."""
    drv = _DRIVERS.get(session)
    if drv is None:
        drv = ScreenDriver(session.device, session.package)
        _DRIVERS[session] = drv
    return drv


def close_screen(session: Any) -> None:
    """Stop the uiautomator2 server a spec started (call at the end of every spec; safe if none)."""
    drv = _DRIVERS.pop(session, None)
    if drv is not None:
        drv.close()


def _execute(step: m.Step, ctx: StepContext) -> None:
    ctx.notes.append(driver_for(ctx.session).run(step))


def runner_executors() -> dict[type[m.Step], Callable[[Any, Any], None]]:
    """Executors for the runner's table: every screen step (swipe from Recents included) runs
    through uiautomator2."""
    return {cls: _execute for cls in m.SCREEN_STEPS}


def guard_kinds(step: m.Step) -> frozenset[StateKind]:
    """What a screen step changes that the guard must snapshot before the spec."""
    if isinstance(step, m.ToggleExactAlarmSettingStep):
        return frozenset({StateKind.APPOPS})
    if isinstance(step, m.AcceptNotificationPermissionStep):
        return frozenset({StateKind.PERMISSIONS})
    if isinstance(step, m.AllowIgnoreBatteryOptimizationsStep):
        return frozenset({StateKind.DOZE_ALLOWLIST})
    return frozenset()


def guard_permissions(spec: m.Spec) -> tuple[str, ...]:
    """Runtime permissions the guard must snapshot for the spec's screen steps."""
    if any(isinstance(s, m.AcceptNotificationPermissionStep) for s in spec.steps):
        return (dialogs.P_POST_NOTIFICATIONS,)
    return ()
