"""System dialogs accepted through the screen.

* The notification-permission prompt (API 33+, PermissionController GrantPermissionsActivity:
  "Allow APP to send you notifications?", buttons ``permission_allow_button`` /
  ``permission_deny_button``). Only the app can ask: the companion's activity calls
  requestPermissions when started with ``--es dev.harness.companion.REQUEST_PERMISSION
  android.permission.POST_NOTIFICATIONS``. Accepting grants POST_NOTIFICATIONS.
  Restore: ``pm revoke PKG android.permission.POST_NOTIFICATIONS`` (StateKind.PERMISSIONS).
* "Let app always run in background?" (Settings RequestIgnoreBatteryOptimizations, started with
  ``-a android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS -d package:PKG``). It shows only
  when the app holds REQUEST_IGNORE_BATTERY_OPTIMIZATIONS and is not exempt yet; "Allow" puts the
  app on the power-save allowlist. Restore: ``cmd deviceidle whitelist -PKG``
  (StateKind.DOZE_ALLOWLIST).
"""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING

from harness.companion.protocol import PACKAGE
from harness.controls import appops, doze
from harness.controls.app import MAIN_ACTIVITY, component
from harness.companion.protocol import EXTRA_REQUEST_PERMISSION
from harness.controls.base import run
from harness.errors import UiActionError, UiElementNotFoundError
from harness.ui.labels import app_label
from harness.ui.session import DEFAULT_WAIT_S

if TYPE_CHECKING:
    from harness.ui.session import UiSession

log = logging.getLogger(__name__)

P_POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS = "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"
HIGH_POWER_TITLE = "Let app always run in background?"
NOTIFICATION_PERMISSION_API = 33


class DialogOutcome(str, enum.Enum):
    ACCEPTED = "accepted"          # the dialog showed and was accepted
    ALREADY = "already"            # nothing to ask: the permission / exemption is already there
    NOT_NEEDED = "not_needed"      # the device has no such prompt (notifications below API 33)


def request_notification_permission_commands(package: str = PACKAGE, activity: str = MAIN_ACTIVITY) -> list[list[str]]:
    return [["am", "start", "-W", "-n", component(package, activity), "--es", EXTRA_REQUEST_PERMISSION,
             P_POST_NOTIFICATIONS]]


def accept_notification_permission(ui: "UiSession", package: str = PACKAGE, *, activity: str = MAIN_ACTIVITY,
                                   timeout: float = DEFAULT_WAIT_S) -> DialogOutcome:
    action = "accept_notification_permission"
    if ui.device.api_level < NOTIFICATION_PERMISSION_API:
        return DialogOutcome.NOT_NEEDED
    if appops.permission_granted(ui.device, package, P_POST_NOTIFICATIONS):
        return DialogOutcome.ALREADY
    run(ui.device, request_notification_permission_commands(package, activity), failure_texts=("Error", "Exception"))
    try:
        allow = ui.wait_for(action, "the notification permission prompt's Allow button",
                            [{"resourceIdMatches": r".*:id/permission_allow_button"}, {"text": "Allow"}], timeout)
    except UiElementNotFoundError as e:
        raise UiActionError(ui.serial, action, f"the prompt did not show ({e.what} not found; the app must ask "
                            "for the permission itself, and after two denials Android stops asking)") from e
    allow.click()
    if not appops.permission_granted(ui.device, package, P_POST_NOTIFICATIONS):
        raise UiActionError(ui.serial, action, f"Allow was tapped but {P_POST_NOTIFICATIONS} is not granted")
    log.info("[%s] %s granted through the prompt", ui.serial, P_POST_NOTIFICATIONS)
    return DialogOutcome.ACCEPTED


def request_ignore_battery_optimizations_commands(package: str = PACKAGE) -> list[list[str]]:
    return [["am", "start", "-a", ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, "-d", f"package:{package}"]]


def allow_ignore_battery_optimizations(ui: "UiSession", package: str = PACKAGE, *, label: str | None = None,
                                       timeout: float = DEFAULT_WAIT_S) -> DialogOutcome:
    action = "allow_ignore_battery_optimizations"
    if doze.user_allowlisted(doze.get_allowlist(ui.device), package):
        return DialogOutcome.ALREADY
    run(ui.device, request_ignore_battery_optimizations_commands(package), failure_texts=("Error", "Exception"))
    try:
        ui.wait_for(action, f"the dialog {HIGH_POWER_TITLE!r}", [{"text": HIGH_POWER_TITLE}], timeout)
    except UiElementNotFoundError as e:
        raise UiActionError(ui.serial, action, f"the dialog did not show: Settings shows it only for an app that "
                            "declares android.permission.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS and is not exempt "
                            f"yet ({e})") from e
    name = app_label(package, label)
    if not ui.u2(textContains=name).exists:
        raise UiActionError(ui.serial, action, f"the dialog does not name {name!r}")
    ui.wait_for(action, "the dialog's Allow button", [{"resourceId": "android:id/button1"}, {"text": "Allow"}],
                timeout).click()
    if not doze.user_allowlisted(doze.get_allowlist(ui.device), package):
        raise UiActionError(ui.serial, action, f"Allow was tapped but {package} is not on the power-save allowlist")
    log.info("[%s] %s now ignores battery optimizations", ui.serial, package)
    return DialogOutcome.ACCEPTED
