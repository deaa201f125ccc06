"""Swipe an app's task away in Recents, as a user does (uiautomator2 key press and swipe).

Opens Overview with the RECENT key, looks for the task card whose content description is the
app's label (scrolling towards older tasks, at most ``MAX_SCROLLS`` times), swipes it up from its
center to the top of the screen, checks that it is gone, and goes HOME. On AOSP the system then
kills the app's process (ActivityManager ``removeTask`` -> ApplicationExitInfo REASON_USER_REQUESTED /
SUBREASON_REMOVE_TASK, "remove task"); some OEMs force-stop the app instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.errors import UiActionError, UiElementNotFoundError
from harness.ui.labels import app_label
from harness.ui.session import DEFAULT_WAIT_S

if TYPE_CHECKING:
    from harness.ui.session import UiSession

log = logging.getLogger(__name__)

ACTION = "swipe_from_recents"
MAX_SCROLLS = 8
SWIPE_STEPS = 20  # about 100 ms: a fling, as a user's dismiss gesture
GONE_WAIT_S = 2.0


def swipe_from_recents(ui: "UiSession", package: str, *, label: str | None = None,
                       timeout: float = DEFAULT_WAIT_S) -> None:
    """Remove ``package``'s task from Recents. Raises UiElementNotFoundError if it has none."""
    d = ui.u2
    name = app_label(package, label)
    d.press("recent")
    try:
        card = d(description=name)
        found = card.wait(timeout=timeout)
        scrolls = 0
        info = d.info
        width, height = int(info["displayWidth"]), int(info["displayHeight"])
        while not found and scrolls < MAX_SCROLLS:
            if d(textMatches="(?i)clear all|no recent items").exists:
                break
            d.swipe(width * 0.15, height * 0.5, width * 0.85, height * 0.5, steps=SWIPE_STEPS)  # older tasks
            scrolls += 1
            found = card.wait(timeout=0.5)
        if not found:
            raise UiElementNotFoundError(ui.serial, ACTION, f"a task of {package} (label {name!r}) in Recents",
                                         ui.current_package())
        left, top, right, bottom = card.bounds()
        x, y = (left + right) // 2, (top + bottom) // 2
        log.info("[%s] swiping %s's task up from (%d, %d)", ui.serial, package, x, y)
        d.swipe(x, y, x, max(1, int(height * 0.03)), steps=SWIPE_STEPS)
        if not card.wait_gone(timeout=GONE_WAIT_S):
            raise UiActionError(ui.serial, ACTION, f"the task of {package} is still in Recents after the swipe")
    finally:
        d.press("home")
