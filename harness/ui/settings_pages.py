"""Settings pages driven through the screen: "Alarms & reminders" (the exact-alarm permission).

``am start -a android.settings.REQUEST_SCHEDULE_EXACT_ALARM -d package:PKG`` (API 31+) opens
Settings on the app's "Alarms & reminders" page; its switch "Allow setting alarms and reminders"
sets the SCHEDULE_EXACT_ALARM app-op (on: MODE_ALLOWED, off: MODE_ERRORED). Turning it off kills
the app and drops its exact alarms (AlarmManagerService, KILL_ON_SCHEDULE_EXACT_ALARM_REVOKED).
The page is left with BACK.

What to restore afterwards: the app-op (``appops set PKG SCHEDULE_EXACT_ALARM MODE``); the
guard's StateKind.APPOPS snapshot covers it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import UiActionError
from harness.ui.session import DEFAULT_WAIT_S

if TYPE_CHECKING:
    from harness.ui.session import UiSession

log = logging.getLogger(__name__)

ACTION = "toggle_exact_alarm_setting"
ACTION_REQUEST_SCHEDULE_EXACT_ALARM = "android.settings.REQUEST_SCHEDULE_EXACT_ALARM"
SWITCH_TITLE = "Allow setting alarms and reminders"
MIN_API = 31


def open_exact_alarm_page_commands(package: str) -> list[list[str]]:
    return [["am", "start", "-a", ACTION_REQUEST_SCHEDULE_EXACT_ALARM, "-d", f"package:{package}"]]


@dataclass(frozen=True)
class ToggleResult:
    before: bool
    after: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


def set_exact_alarm_allowed(ui: "UiSession", package: str, allowed: bool, *,
                            timeout: float = DEFAULT_WAIT_S) -> ToggleResult:
    """Turn "Allow setting alarms and reminders" on or off for ``package``; returns the switch before/after."""
    api = ui.device.api_level
    if api < MIN_API:
        raise UiActionError(ui.serial, ACTION, f"the Alarms & reminders page exists from API {MIN_API} "
                            f"(device API {api}); exact alarms need no permission below it")
    from harness.controls.base import run

    run(ui.device, open_exact_alarm_page_commands(package), failure_texts=("Error", "Exception"))
    d = ui.u2
    try:
        ui.wait_for(ACTION, f"the {SWITCH_TITLE!r} row", [{"text": SWITCH_TITLE}], timeout)
        switch = ui.wait_for(ACTION, "the switch of Alarms & reminders",
                             [{"resourceId": "android:id/switch_widget"}, {"className": "android.widget.Switch"}],
                             timeout)
        info = switch.info
        before = bool(info["checked"])
        if not info.get("enabled", True):
            raise UiActionError(ui.serial, ACTION, f"the switch is disabled: {package} does not request "
                                "SCHEDULE_EXACT_ALARM")
        if before != allowed:
            d(text=SWITCH_TITLE).click()
            if not d(resourceId=info.get("resourceName") or "android:id/switch_widget", checked=allowed).wait(
                    timeout=timeout):
                raise UiActionError(ui.serial, ACTION, f"the switch did not turn {'on' if allowed else 'off'}")
        log.info("[%s] Alarms & reminders for %s: %s -> %s", ui.serial, package, before, allowed)
        return ToggleResult(before, allowed)
    finally:
        d.press("back")
