"""Layouts of the screens the virtual device shows, as accessibility node trees.

Resource ids, texts and classes follow the AOSP apps that draw them on a Pixel-like device:
Launcher3 (home, Recents: ``com.android.launcher3``), SystemUI (the notification shade),
Settings (``Alarms & reminders``: AlarmsAndRemindersDetails; the battery-optimization dialog:
RequestIgnoreBatteryOptimizations, an AlertDialog with ``android:id/button1``/``button2``) and
PermissionController (GrantPermissionsActivity, API 33 notification prompt). Screen 1080x2400.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.virtual.ui.nodes import Bounds, Node
from harness.virtual.ui.notifications import PostedNotification

WIDTH = 1080
HEIGHT = 2400
FULL = Bounds(0, 0, WIDTH, HEIGHT)

LAUNCHER = "com.android.launcher3"
SYSTEMUI = "com.android.systemui"
SETTINGS = "com.android.settings"
PERMISSIONCONTROLLER = "com.android.permissioncontroller"

# Recents task cards: the selected task centered, the others off screen (not in the dump).
TASK_CARD = Bounds(140, 420, 940, 2020)

# AOSP Settings / PermissionController strings (values/strings.xml)
EXACT_ALARM_TITLE = "Alarms & reminders"
EXACT_ALARM_SWITCH = "Allow setting alarms and reminders"
EXACT_ALARM_FOOTER = ("Allow this app to set alarms and schedule time-sensitive actions. This lets the app run in "
                      "the background, which may use more battery.\n\nIf this permission is off, existing alarms "
                      "and time-based events scheduled by this app won\u2019t work.")
HIGH_POWER_TITLE = "Let app always run in background?"
HIGH_POWER_BODY = ("Allowing {label} to always run in the background may reduce battery life. \n\nYou can change "
                   "this later from Settings > Apps.")
NOTIF_PROMPT = "Allow {label} to send you notifications?"


def frame(package: str, bounds: Bounds = FULL, resource_id: str = "") -> Node:
    return Node("android.widget.FrameLayout", bounds, package, resource_id=resource_id)


def status_bar(alarm_desc: str | None) -> Node:
    bar = frame(SYSTEMUI, Bounds(0, 0, WIDTH, 118), f"{SYSTEMUI}:id/status_bar")
    bar.add(Node("android.widget.TextView", Bounds(60, 30, 200, 90), SYSTEMUI, text="12:00",
                 resource_id=f"{SYSTEMUI}:id/clock"))
    if alarm_desc:
        bar.add(Node("android.widget.ImageView", Bounds(820, 36, 870, 86), SYSTEMUI, desc=alarm_desc))
    return bar


def launcher(apps: list[tuple[str, str]], open_app: Callable[[str], None]) -> Node:
    """Home screen: one icon per launchable app (label, package)."""
    root = frame(LAUNCHER)
    workspace = frame(LAUNCHER, Bounds(0, 118, WIDTH, 2200), f"{LAUNCHER}:id/workspace")
    root.add(workspace)
    for i, (label, pkg) in enumerate(apps):
        col, row = i % 4, i // 4
        b = Bounds(40 + col * 250, 1500 + row * 300, 40 + col * 250 + 250, 1500 + row * 300 + 300)
        workspace.add(Node("android.widget.TextView", b, LAUNCHER, text=label, desc=label, clickable=True,
                           on_click=lambda p=pkg: open_app(p), tag=f"icon:{pkg}"))
    return root


def app_screen(package: str, label: str) -> Node:
    root = frame(package)
    content = frame(package, Bounds(0, 118, WIDTH, 2274), "android:id/content")
    content.add(Node("android.widget.TextView", Bounds(60, 200, 1020, 300), package, text=label,
                     resource_id="android:id/title"))
    return root.add(content)


def recents(tasks: list[tuple[str, str]], selected: int, clear_all: Callable[[], None]) -> Node:
    """Overview: the selected task's card (label, package); "Clear all" past the oldest task."""
    root = frame(LAUNCHER, resource_id=f"{LAUNCHER}:id/overview_panel")
    if not tasks:
        root.add(Node("android.widget.TextView", Bounds(340, 1150, 740, 1250), LAUNCHER, text="No recent items"))
        return root
    if selected >= len(tasks):
        root.add(Node("android.widget.Button", Bounds(390, 1160, 690, 1240), LAUNCHER, text="Clear all",
                      resource_id=f"{LAUNCHER}:id/clear_all", clickable=True, on_click=clear_all))
        return root
    label, pkg = tasks[selected]
    card = Node("android.widget.FrameLayout", TASK_CARD, LAUNCHER, desc=label, clickable=True,
                tag=f"task:{pkg}")
    card.add(Node("android.view.View", Bounds(140, 560, 940, 2020), LAUNCHER,
                  resource_id=f"{LAUNCHER}:id/snapshot"),
             Node("android.widget.ImageView", Bounds(480, 430, 600, 550), LAUNCHER, desc=label,
                  resource_id=f"{LAUNCHER}:id/icon"))
    root.add(card)
    return root


def shade(notifications: list[tuple[str, PostedNotification]], alarm_desc: str | None) -> Node:
    """The expanded notification shade (label, notification) over whatever was on screen."""
    root = frame(SYSTEMUI, resource_id=f"{SYSTEMUI}:id/notification_panel")
    header = frame(SYSTEMUI, Bounds(0, 0, WIDTH, 400), f"{SYSTEMUI}:id/qs_frame")
    header.add(Node("android.widget.TextView", Bounds(60, 30, 200, 90), SYSTEMUI, text="12:00",
                    resource_id=f"{SYSTEMUI}:id/clock"))
    if alarm_desc:
        header.add(Node("android.widget.ImageView", Bounds(820, 36, 870, 86), SYSTEMUI, desc=alarm_desc))
    root.add(header)
    stack = Node("android.widget.ScrollView", Bounds(0, 400, WIDTH, 2300), SYSTEMUI,
                 resource_id=f"{SYSTEMUI}:id/notification_stack_scroller", scrollable=True)
    root.add(stack)
    if not notifications:
        stack.add(Node("android.widget.TextView", Bounds(340, 500, 740, 580), SYSTEMUI, text="No notifications",
                       resource_id=f"{SYSTEMUI}:id/no_notifications"))
    for i, (label, n) in enumerate(notifications):
        top = 420 + i * 260
        row = Node("android.widget.FrameLayout", Bounds(30, top, 1050, top + 240), SYSTEMUI,
                   resource_id=f"{SYSTEMUI}:id/expandableNotificationRow", clickable=True,
                   desc=f"{label} notification: {n.title}", tag=f"notification:{n.package}:{n.id}")
        row.add(Node("android.widget.TextView", Bounds(160, top + 20, 600, top + 70), n.package, text=label,
                     resource_id="android:id/app_name_text"),
                Node("android.widget.TextView", Bounds(160, top + 80, 1000, top + 140), n.package, text=n.title,
                     resource_id="android:id/title"),
                Node("android.widget.TextView", Bounds(160, top + 150, 1000, top + 210), n.package, text=n.text,
                     resource_id="android:id/text"))
        stack.add(row)
    return root


def exact_alarm_page(label: str, allowed: bool, enabled: bool, toggle: Callable[[], None],
                     back: Callable[[], None]) -> Node:
    """Settings > Apps > Special app access > Alarms & reminders > APP."""
    root = frame(SETTINGS)
    toolbar = frame(SETTINGS, Bounds(0, 118, WIDTH, 400), f"{SETTINGS}:id/action_bar")
    toolbar.add(Node("android.widget.ImageButton", Bounds(20, 150, 140, 270), SETTINGS, desc="Navigate up",
                     clickable=True, on_click=back),
                Node("android.widget.TextView", Bounds(60, 290, 1020, 390), SETTINGS, text=EXACT_ALARM_TITLE))
    header = frame(SETTINGS, Bounds(0, 400, WIDTH, 700), f"{SETTINGS}:id/entity_header")
    header.add(Node("android.widget.TextView", Bounds(60, 560, 1020, 640), SETTINGS, text=label,
                    resource_id=f"{SETTINGS}:id/entity_header_title"))
    row = Node("android.widget.LinearLayout", Bounds(0, 720, WIDTH, 900), SETTINGS, clickable=enabled,
               enabled=enabled, on_click=toggle if enabled else None, tag="exact_alarm_switch_row")
    row.add(Node("android.widget.TextView", Bounds(60, 770, 860, 850), SETTINGS, text=EXACT_ALARM_SWITCH,
                 resource_id="android:id/title", enabled=enabled),
            Node("android.widget.Switch", Bounds(880, 770, 1020, 850), SETTINGS, resource_id="android:id/switch_widget",
                 checkable=True, checked=allowed, enabled=enabled, clickable=enabled,
                 on_click=toggle if enabled else None))
    footer = Node("android.widget.TextView", Bounds(60, 940, 1020, 1300), SETTINGS, text=EXACT_ALARM_FOOTER,
                  resource_id="android:id/summary")
    return root.add(toolbar, header, row, footer)


def alert_dialog(package: str, title: str, message: str, positive: str, negative: str,
                 on_positive: Callable[[], None], on_negative: Callable[[], None]) -> Node:
    """An AlertDialog (button1 = positive, button2 = negative)."""
    root = frame(package, Bounds(60, 800, 1020, 1600))
    root.add(Node("android.widget.TextView", Bounds(120, 860, 960, 960), package, text=title,
                  resource_id="android:id/alertTitle"),
             Node("android.widget.TextView", Bounds(120, 980, 960, 1380), package, text=message,
                  resource_id="android:id/message"),
             Node("android.widget.Button", Bounds(560, 1440, 760, 1560), package, text=negative,
                  resource_id="android:id/button2", clickable=True, on_click=on_negative),
             Node("android.widget.Button", Bounds(780, 1440, 980, 1560), package, text=positive,
                  resource_id="android:id/button1", clickable=True, on_click=on_positive))
    return root


def permission_dialog(label: str, on_allow: Callable[[], None], on_deny: Callable[[], None]) -> Node:
    pc = PERMISSIONCONTROLLER
    root = frame(pc, Bounds(60, 900, 1020, 1700), f"{pc}:id/grant_dialog")
    root.add(Node("android.widget.TextView", Bounds(120, 1000, 960, 1160), pc, text=NOTIF_PROMPT.format(label=label),
                  resource_id=f"{pc}:id/permission_message"),
             Node("android.widget.Button", Bounds(120, 1240, 960, 1360), pc, text="Allow",
                  resource_id=f"{pc}:id/permission_allow_button", clickable=True, on_click=on_allow),
             Node("android.widget.Button", Bounds(120, 1380, 960, 1500), pc, text="Don\u2019t allow",
                  resource_id=f"{pc}:id/permission_deny_button", clickable=True, on_click=on_deny))
    return root
