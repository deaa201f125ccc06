"""The companion app's process and UI: launch, home, kill, force-stop.

* launch: ``am start -W -n PACKAGE/ACTIVITY`` (``-W`` returns once the activity is shown)
* home: ``input keyevent KEYCODE_HOME`` (the activity stops; a coroutine task is cancelled)
* kill: ``am kill PACKAGE`` (only a process that is safe to kill, i.e. in the background:
  ApplicationExitInfo reason SIGNALED)
* force-stop: ``am force-stop PACKAGE`` (the package enters the stopped state: its jobs,
  alarms and work are dropped until it is started again; reason USER_REQUESTED)

These are actions, not state: nothing here needs restoring except that a force-stopped app is
started again by the next companion call (a ContentProvider call starts the process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.companion.protocol import PACKAGE
from harness.controls.base import Commands, run

if TYPE_CHECKING:
    from harness.bridge.device import Device

MAIN_ACTIVITY = ".ui.CompanionActivity"  # android-app/app/src/main/AndroidManifest.xml
AM_FAILURES = ("Error", "Exception", "Unknown")
LAUNCH_TIMEOUT_S = 30.0


def component(package: str = PACKAGE, activity: str = MAIN_ACTIVITY) -> str:
    return f"{package}/{activity}"


def launch_commands(package: str = PACKAGE, activity: str = MAIN_ACTIVITY) -> Commands:
    return [["am", "start", "-W", "-n", component(package, activity)]]


def home_commands() -> Commands:
    return [["input", "keyevent", "KEYCODE_HOME"]]


def kill_commands(package: str = PACKAGE) -> Commands:
    return [["am", "kill", package]]


def force_stop_commands(package: str = PACKAGE) -> Commands:
    return [["am", "force-stop", package]]


def launch(device: "Device", package: str = PACKAGE, activity: str = MAIN_ACTIVITY) -> None:
    run(device, launch_commands(package, activity), timeout=LAUNCH_TIMEOUT_S, failure_texts=AM_FAILURES)


def home(device: "Device") -> None:
    run(device, home_commands())


def kill(device: "Device", package: str = PACKAGE) -> None:
    run(device, kill_commands(package), failure_texts=AM_FAILURES)


def force_stop(device: "Device", package: str = PACKAGE) -> None:
    run(device, force_stop_commands(package), failure_texts=AM_FAILURES)
