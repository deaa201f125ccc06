"""Open the notification shade and read or check what it lists.

Reads the shade from one hierarchy dump: each notification row (SystemUI
``expandableNotificationRow``) gives its app name (``android:id/app_name_text``), title
(``android:id/title``) and text (``android:id/text``); SystemUI's alarm icon (content
description "Alarm set for ...") tells that a ``setAlarmClock`` alarm is pending. The shade is
closed again (BACK) whatever happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import UiActionError
from harness.ui.labels import app_label
from harness.ui.session import DEFAULT_WAIT_S

if TYPE_CHECKING:
    from harness.ui.session import UiSession

log = logging.getLogger(__name__)

ACTION = "check_notification"
ROW_ID_SUFFIX = ":id/expandableNotificationRow"
ALARM_DESC_PREFIX = "Alarm set for"


@dataclass(frozen=True)
class ShadeNotification:
    app: str
    title: str
    text: str


@dataclass(frozen=True)
class ShadeContents:
    notifications: tuple[ShadeNotification, ...]
    alarm_indicator: str | None  # "Alarm set for ..." while an alarm clock is pending

    def matching(self, *, app: str | None = None, title: str | None = None,
                 text: str | None = None) -> list[ShadeNotification]:
        """Notifications whose app equals ``app`` and whose title/text contain ``title``/``text``."""
        return [n for n in self.notifications
                if (app is None or n.app == app) and (title is None or title in n.title)
                and (text is None or text in n.text)]


def read_shade(ui: "UiSession", *, wait_for_text: str | None = None, timeout: float = DEFAULT_WAIT_S) -> ShadeContents:
    """Open the shade, (optionally wait until ``wait_for_text`` shows), read it, close it."""
    d = ui.u2
    d.open_notification()
    try:
        if wait_for_text is not None:
            d(textContains=wait_for_text).wait(timeout=timeout)
        return _parse(ui)
    finally:
        d.press("back")


def _parse(ui: "UiSession") -> ShadeContents:
    rows: list[ShadeNotification] = []
    alarm: str | None = None
    for node, descendants in ui.dump():
        if node.desc.startswith(ALARM_DESC_PREFIX) and alarm is None:
            alarm = node.desc
        if not node.resource_id.endswith(ROW_ID_SUFFIX):
            continue
        fields = {"android:id/app_name_text": "", "android:id/title": "", "android:id/text": ""}
        for dsc in descendants:
            if dsc.resource_id in fields and not fields[dsc.resource_id]:
                fields[dsc.resource_id] = dsc.text
        rows.append(ShadeNotification(fields["android:id/app_name_text"], fields["android:id/title"],
                                      fields["android:id/text"]))
    return ShadeContents(tuple(rows), alarm)


@dataclass(frozen=True)
class NotificationCheck:
    """What a check looked for and what the shade showed."""

    present: bool
    matched: tuple[ShadeNotification, ...]
    shade: ShadeContents


def companion_notification_texts(task_id: str) -> tuple[str, str]:
    """The companion's notification text for a running foreground service / foreground work (Notifications.kt)."""
    return f"Running task {task_id}", f"Running work {task_id}"


def check_notification(ui: "UiSession", package: str, *, text: str | None = None, title: str | None = None,
                       task_id: str | None = None, alarm: bool = False, present: bool = True,
                       label: str | None = None, timeout: float = DEFAULT_WAIT_S) -> NotificationCheck:
    """Check that a notification of ``package`` (matching ``text``/``title``) is (or is not) in the shade.

    ``alarm=True`` checks SystemUI's alarm-clock indicator instead. Waits up to ``timeout`` for a
    notification that should be present; absence is checked once. Raises UiActionError on a mismatch.
    """
    if alarm and (text is not None or title is not None or task_id is not None):
        raise ValueError("alarm=True checks the alarm indicator; text/title/task_id do not apply")
    app = app_label(package, label)
    wait_text = text or title or (task_id and f" {task_id}")
    shade = read_shade(ui, wait_for_text=wait_text if present else None, timeout=timeout)
    if alarm:
        found = shade.alarm_indicator is not None
        matched: tuple[ShadeNotification, ...] = ()
        what = "the alarm-clock indicator"
    else:
        matched = tuple(n for n in shade.matching(app=app, title=title, text=text)
                        if task_id is None or n.text in companion_notification_texts(task_id))
        found = bool(matched)
        what = f"a notification of {app!r}" + (f" with text {text!r}" if text else "") + \
            (f" with title {title!r}" if title else "") + (f" for task {task_id!r}" if task_id else "")
    if found != present:
        listed = "; ".join(f"{n.app}: {n.title} / {n.text}" for n in shade.notifications) or "no notifications"
        state = "missing from" if present else "still in"
        raise UiActionError(ui.serial, ACTION, f"{what} is {state} the shade (shade lists: {listed}"
                            f"{'; ' + shade.alarm_indicator if shade.alarm_indicator else ''})")
    return NotificationCheck(found, matched, shade)
