"""What the notification shade of the virtual device lists, derived from the model.

The companion posts one notification while a foreground service of it runs
(``HarnessForegroundService.startForeground``: title "Harness companion", text "Running task
ID", channel ``harness.running``) and one while a worker runs in the foreground
(``setForeground``: "Running work ID"); see android-app/.../service/Notifications.kt. The shade
shows them only while the process and the service live. On API 33+ an app without
POST_NOTIFICATIONS still runs its foreground service, but the notification is not shown in the
shade (developer.android.com, "Notification runtime permission": exempt FGS notices appear only in
the Task Manager). A pending ``setAlarmClock`` alarm shows SystemUI's alarm icon, whose content
description is "Alarm set for TIME." (SystemUI string ``accessibility_quick_settings_alarm``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.companion.protocol import PACKAGE

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

COMPANION = PACKAGE
COMPANION_LABEL = "Harness companion"
CHANNEL_RUNNING = "harness.running"
SERVICE_NOTIFICATION_ID = 1
WORK_NOTIFICATION_ID = 2
P_POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"


@dataclass(frozen=True)
class PostedNotification:
    package: str
    id: int
    channel: str
    title: str
    text: str
    ongoing: bool
    foreground_service: bool


def may_show(model: "DeviceModel", package: str) -> bool:
    """API 33+: notifications reach the shade only with POST_NOTIFICATIONS."""
    if model.api < 33:
        return True
    return model.packages.is_installed(package) and model.packages.has_permission(package, P_POST_NOTIFICATIONS)


def posted(model: "DeviceModel") -> list[PostedNotification]:
    """The notifications an app posted and that are still live (most recent first)."""
    out: list[PostedNotification] = []
    comp = model.companion
    if not model.processes.is_running(COMPANION):
        return out
    fg = [t for t in comp.tasks.values()
          if t.req.mechanism == "foreground" and t.terminal is None and t.state == "running"]
    if fg:
        # One service, one notification id: the latest startForeground replaces the text.
        latest = max(fg, key=lambda t: t.order)
        out.append(PostedNotification(COMPANION, SERVICE_NOTIFICATION_ID, CHANNEL_RUNNING, COMPANION_LABEL,
                                      f"Running task {latest.id}", True, True))
    by_work = {t.work_id: t for t in comp.tasks.values() if t.work_id is not None}
    for spec in model.work.specs.values():
        task = by_work.get(spec.id)
        if spec.in_foreground and task is not None:
            out.append(PostedNotification(COMPANION, WORK_NOTIFICATION_ID, CHANNEL_RUNNING, COMPANION_LABEL,
                                          f"Running work {task.id}", True, True))
    return out


def shade(model: "DeviceModel") -> list[PostedNotification]:
    """The notifications the shade lists."""
    return [n for n in posted(model) if may_show(model, n.package)]


def alarm_indicator(model: "DeviceModel") -> str | None:
    """The alarm icon's content description while a setAlarmClock alarm is pending, else None."""
    alarm = model.alarms.next_alarm_clock()
    if alarm is None:
        return None
    when = time.gmtime(alarm.orig_when / 1000)
    hour = when.tm_hour % 12 or 12
    return f"Alarm set for {time.strftime('%a', when)} {hour}:{when.tm_min:02d} {'AM' if when.tm_hour < 12 else 'PM'}."
