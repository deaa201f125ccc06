"""The virtual device's screen: which window is showing, its node tree, and what input does.

The base of the screen is the top activity of the process model (the launcher or an app).
Over it, at most one system surface: Recents, the notification shade, the Settings page
"Alarms & reminders" of an app, the battery-optimization dialog, or the notification-permission
prompt. Input (click, swipe, keys) acts on what is showing and changes the model the way the
platform does:

* swiping a task card up in Recents removes the task (``Processes.remove_task``: AOSP kills the
  process unless it hosts a foreground service; the OEM-strict switch force-stops);
* the "Alarms & reminders" switch sets the SCHEDULE_EXACT_ALARM app-op of the app's uid to
  MODE_ALLOWED / MODE_ERRORED (Settings AlarmsAndRemindersDetails -> AppOpsManager.setUidMode);
* "Allow" in RequestIgnoreBatteryOptimizations adds the package to the power-save allowlist
  (BatteryOptimizeUtils MODE_UNRESTRICTED -> ``deviceidle whitelist +PKG``);
* "Allow" in the notification prompt grants POST_NOTIFICATIONS; every answer (and the system's
  immediate answer when no prompt shows) reaches the companion's onRequestPermissionsResult,
  which journals ``app`` / ``permission_result`` (docs/companion-protocol.md).

Opening a Settings page puts Settings on top: the app's activity stops (the model goes home);
leaving the page with BACK brings the app back to the top, as the back stack does.
"""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING

from harness.virtual.model.subsystem import Subsystem
from harness.virtual.ui import notifications as notif
from harness.virtual.ui import pages
from harness.virtual.ui.nodes import Node

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

LABELS = {notif.COMPANION: notif.COMPANION_LABEL}
OP_SCHEDULE_EXACT_ALARM = "SCHEDULE_EXACT_ALARM"
P_SCHEDULE_EXACT_ALARM = "android.permission.SCHEDULE_EXACT_ALARM"
P_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS = "android.permission.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"
P_POST_NOTIFICATIONS = notif.P_POST_NOTIFICATIONS

# A swipe dismisses a task card when it moves up by this fraction of the card's height
# (Launcher3 TaskViewTouchController: past the dismiss threshold, the task is removed).
DISMISS_FRACTION = 0.25
# A downward swipe starting this close to the top edge pulls the shade down.
SHADE_EDGE_PX = 120


class Overlay(enum.Enum):
    NONE = "none"
    RECENTS = "recents"
    SHADE = "shade"
    EXACT_ALARM_PAGE = "exact_alarm_page"
    BATTERY_DIALOG = "battery_dialog"
    PERMISSION_DIALOG = "permission_dialog"


class PageRefused(Exception):
    """A system page's activity finished at once instead of showing (its precondition failed)."""


def label_of(package: str) -> str:
    return LABELS.get(package, package)


class UiSystem(Subsystem):
    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self.overlay = Overlay.NONE
        self.overlay_package: str | None = None
        self.recents_index = 0
        self._top_at_open: str | None = None
        self._return_to: str | None = None
        self.uiautomation_owner: object | None = None  # the running uiautomator server, if any
        self.permission_denials: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ state
    def _open(self, overlay: Overlay, package: str | None = None) -> None:
        self.overlay = overlay
        self.overlay_package = package
        self._top_at_open = self.model.processes.top
        self.model.trace("ui_overlay", overlay=overlay.value, package=package or "")

    def close_overlay(self) -> None:
        if self.overlay is not Overlay.NONE:
            self.model.trace("ui_overlay", overlay=Overlay.NONE.value, package="")
        self.overlay = Overlay.NONE
        self.overlay_package = None
        self._top_at_open = None

    def _current(self) -> Overlay:
        # Something else (am start, input keyevent HOME, a process death) changed the top activity:
        # the surface that was showing is gone.
        if self.overlay is not Overlay.NONE and self.model.processes.top != self._top_at_open:
            self.close_overlay()
            self._return_to = None
        return self.overlay

    # ------------------------------------------------------------------ the tree
    def roots(self) -> list[Node]:
        overlay = self._current()
        m = self.model
        alarm = notif.alarm_indicator(m)
        if overlay is Overlay.SHADE:
            rows = [(label_of(n.package), n) for n in notif.shade(m)]
            return [pages.shade(rows, alarm)]
        if overlay is Overlay.RECENTS:
            tasks = [(label_of(p), p) for p in m.processes.recents]
            return [pages.recents(tasks, self.recents_index, self._clear_all)]
        if overlay is Overlay.EXACT_ALARM_PAGE:
            pkg = self.overlay_package or ""
            return [pages.status_bar(alarm),
                    pages.exact_alarm_page(label_of(pkg), m.packages.appop_allowed(pkg, OP_SCHEDULE_EXACT_ALARM),
                                           P_SCHEDULE_EXACT_ALARM in m.packages.info(pkg).requested_permissions,
                                           lambda: self._toggle_exact_alarm(pkg), self.back)]
        base = self._base()
        if overlay is Overlay.BATTERY_DIALOG:
            pkg = self.overlay_package or ""
            dialog = pages.alert_dialog(pages.SETTINGS, pages.HIGH_POWER_TITLE,
                                        pages.HIGH_POWER_BODY.format(label=label_of(pkg)), "Allow", "Deny",
                                        lambda: self._allow_battery(pkg), self._dismiss)
            return [pages.status_bar(alarm), base, dialog]
        if overlay is Overlay.PERMISSION_DIALOG:
            pkg = self.overlay_package or ""
            dialog = pages.permission_dialog(label_of(pkg), lambda: self._grant_notifications(pkg),
                                             lambda: self._deny_notifications(pkg))
            return [pages.status_bar(alarm), base, dialog]
        return [pages.status_bar(alarm), base]

    def _base(self) -> Node:
        top = self.model.processes.top
        if top == pages.LAUNCHER:
            apps = [(label_of(p), p) for p in self.model.packages.list_packages()
                    if self.model.packages.info(p).activities]
            return pages.launcher(apps, self._launch)
        return pages.app_screen(top, label_of(top))

    def current_package(self) -> str:
        roots = self.roots()
        return roots[-1].package

    # ------------------------------------------------------------------ input
    def click(self, x: float, y: float) -> bool:
        """A tap: the topmost clickable node under the point runs its action."""
        roots = self.roots()
        hit: Node | None = None
        for root in roots:  # later roots are drawn over earlier ones
            for n in root.walk():
                if n.clickable and n.enabled and n.bounds.contains(x, y):
                    hit = n
        self.model.trace("ui_click", x=int(x), y=int(y), target=hit.tag or hit.text or hit.desc if hit else "")
        if hit is None or hit.on_click is None:
            return False
        hit.on_click()
        return True

    def swipe(self, fx: float, fy: float, tx: float, ty: float) -> bool:
        overlay = self._current()
        self.model.trace("ui_swipe", fx=int(fx), fy=int(fy), tx=int(tx), ty=int(ty))
        if overlay is Overlay.RECENTS:
            return self._swipe_recents(fx, fy, tx, ty)
        if overlay is Overlay.SHADE:
            if fy - ty > SHADE_EDGE_PX:
                self.close_overlay()
                return True
            return False
        if overlay is Overlay.NONE and fy <= SHADE_EDGE_PX and ty - fy > SHADE_EDGE_PX:
            self.open_notification()
            return True
        return False

    def _swipe_recents(self, fx: float, fy: float, tx: float, ty: float) -> bool:
        tasks = list(self.model.processes.recents)
        card = pages.TASK_CARD
        if self.recents_index < len(tasks) and card.contains(fx, fy) and \
                fy - ty >= card.height * DISMISS_FRACTION and abs(fy - ty) > abs(fx - tx):
            pkg = tasks[self.recents_index]
            self.model.trace("ui_dismiss_task", package=pkg)
            self.model.processes.remove_task(pkg)
            self._top_at_open = self.model.processes.top
            self.recents_index = min(self.recents_index, len(self.model.processes.recents))
            return True
        if abs(tx - fx) > abs(ty - fy) and abs(tx - fx) > 100:
            # swipe right: older tasks come in; swipe left: newer
            step = 1 if tx > fx else -1
            self.recents_index = max(0, min(len(tasks), self.recents_index + step))
            return True
        return False

    def _clear_all(self) -> None:
        for pkg in list(self.model.processes.recents):
            self.model.processes.remove_task(pkg)
        self.close_overlay()

    def press_key(self, key: str) -> bool:
        """uiautomator's pressKey names (home, back, recent, menu, power, ...)."""
        key = key.lower()
        if key == "home":
            self.close_overlay()
            self._return_to = None
            self.model.processes.go_home()
            return True
        if key == "back":
            return self.back()
        if key in ("recent", "app_switch"):
            self.open_recents()
            return True
        if key == "notification":
            self.open_notification()
            return True
        if key in ("power", "wakeup", "sleep"):
            from harness.virtual.model import power

            on = {"power": not self.model.state.screen_on, "wakeup": True, "sleep": False}[key]
            power.set_screen(self.model, on, reason=f"{key}_key")
            return True
        return key in ("menu", "search", "enter", "volume_up", "volume_down", "volume_mute", "camera")

    def back(self) -> bool:
        overlay = self._current()
        if overlay is Overlay.SHADE:
            self.close_overlay()
            return True
        if overlay in (Overlay.RECENTS, Overlay.BATTERY_DIALOG, Overlay.EXACT_ALARM_PAGE):
            self._dismiss()
            return True
        if overlay is Overlay.PERMISSION_DIALOG:
            # Dismissing the prompt is a denial (PermissionController: canceled -> DENIED)
            self._deny_notifications(self.overlay_package or "")
            return True
        if self.model.processes.top != pages.LAUNCHER:
            self.model.processes.go_home()
            return True
        return False

    # ------------------------------------------------------------------ surfaces
    def open_recents(self) -> None:
        """Overview is the launcher's: the app on top stops (its task stays, centered in Overview)."""
        self.close_overlay()
        self.recents_index = 0
        self._leave_app_for_settings()
        self._open(Overlay.RECENTS)

    def open_notification(self) -> None:
        self._open(Overlay.SHADE)

    def _leave_app_for_settings(self) -> None:
        """A system activity comes on top: remember the app to return to on BACK."""
        top = self.model.processes.top
        self._return_to = top if top != pages.LAUNCHER else None
        if self._return_to is not None:
            self.model.processes.go_home()

    def open_exact_alarm_page(self, package: str) -> None:
        """ACTION_REQUEST_SCHEDULE_EXACT_ALARM with ``package:PKG`` (API 31+)."""
        self.close_overlay()
        self._leave_app_for_settings()
        self._open(Overlay.EXACT_ALARM_PAGE, package)

    def open_battery_dialog(self, package: str) -> None:
        """ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS with ``package:PKG``.

        The activity finishes without a dialog when the app is already exempt or does not hold
        REQUEST_IGNORE_BATTERY_OPTIMIZATIONS (Settings RequestIgnoreBatteryOptimizations.onCreate).
        """
        m = self.model
        if m.standby.is_power_save_allowlisted(package):
            raise PageRefused(f"{package} is already ignoring battery optimizations")
        if P_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS not in m.packages.info(package).requested_permissions:
            raise PageRefused(f"{package} does not hold {P_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS}")
        self.close_overlay()
        self._return_to = None
        self._open(Overlay.BATTERY_DIALOG, package)

    def request_permission(self, package: str, permission: str) -> bool:
        """The app's activity called requestPermissions; True if the prompt shows."""
        m = self.model
        if permission != P_POST_NOTIFICATIONS or m.api < 33:
            # no prompt: the system answers at once with the current grant state (below API 33
            # POST_NOTIFICATIONS is no platform permission, so it reads as denied)
            self._permission_result(package, permission,
                                    permission != P_POST_NOTIFICATIONS and m.packages.has_permission(package, permission))
            return False
        info = m.packages.info(package)
        if permission not in info.requested_permissions or m.packages.has_permission(package, permission):
            self._permission_result(package, permission, m.packages.has_permission(package, permission))
            return False
        if self.permission_denials.get((package, permission), 0) >= 2:
            self._permission_result(package, permission, False)
            return False  # denied twice: the system no longer asks (user fixed)
        self.close_overlay()
        self._open(Overlay.PERMISSION_DIALOG, package)
        return True

    # ------------------------------------------------------------------ effects of taps
    def _launch(self, package: str) -> None:
        self.model.processes.start_activity(package)

    def _toggle_exact_alarm(self, package: str) -> None:
        from harness.virtual.model.packages import AppOpMode

        allowed = self.model.packages.appop_allowed(package, OP_SCHEDULE_EXACT_ALARM)
        mode = AppOpMode.ERRORED if allowed else AppOpMode.ALLOW
        self.model.trace("ui_exact_alarm_switch", package=package, allowed=not allowed)
        self.model.packages.set_appop(package, OP_SCHEDULE_EXACT_ALARM, mode)
        # revoking kills the app; the page itself stays
        self._top_at_open = self.model.processes.top
        if not self.model.processes.is_running(package) and self._return_to == package:
            self._return_to = None

    def _allow_battery(self, package: str) -> None:
        self.model.standby.add_power_save_allowlist(package)
        self._dismiss()

    def _grant_notifications(self, package: str) -> None:
        self.model.packages.grant(package, P_POST_NOTIFICATIONS)
        self.close_overlay()
        self._permission_result(package, P_POST_NOTIFICATIONS, True)

    def _deny_notifications(self, package: str) -> None:
        key = (package, P_POST_NOTIFICATIONS)
        self.permission_denials[key] = self.permission_denials.get(key, 0) + 1
        self.model.trace("permission_denied_by_user", package=package, permission=P_POST_NOTIFICATIONS)
        self.close_overlay()
        self._permission_result(package, P_POST_NOTIFICATIONS, False)

    def _permission_result(self, package: str, permission: str, granted: bool) -> None:
        """The requesting activity's onRequestPermissionsResult (the companion journals it)."""
        if package == self.model.companion.package:
            self.model.companion.on_permission_result(permission, granted)

    def _dismiss(self) -> None:
        """Finish the Settings activity: back to the app that was on top before it, if any."""
        back_to = self._return_to
        self._return_to = None
        self.close_overlay()
        if back_to is not None and self.model.processes.is_running(back_to) and back_to in self.model.processes.recents:
            self.model.processes.start_activity(back_to)

    # ------------------------------------------------------------------ hooks
    def on_shutdown(self) -> None:
        self.close_overlay()
        self._return_to = None
        self.uiautomation_owner = None
