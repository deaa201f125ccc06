"""Each screen action on the virtual device, with the state change it causes asserted through adb."""

from __future__ import annotations

import pytest

from harness.bridge.device import Device
from harness.companion.client import CompanionClient
from harness.errors import UiActionError, UiElementNotFoundError
from harness.ui import dialogs, notifications, recents, settings_pages
from harness.ui.session import UiSession
from tests.ui.conftest import PKG, package_state, schedule, sh

LAUNCH = ["am", "start", "-W", "-n", f"{PKG}/.ui.CompanionActivity"]
EXACT = {"id": "exact", "mechanism": "alarm",
         "params": {"type": "elapsed_wakeup", "method": "set", "trigger_in_ms": 3_600_000}}


def _launch_with_alarm(device: Device) -> None:
    assert device.shell(LAUNCH).status == 0
    assert schedule(device, EXACT)["ok"]
    assert package_state(device)["alarms"] == 1


# ---------------------------------------------------------------- Recents

def test_swipe_from_recents_kills_the_process_aosp(ui: UiSession, fresh: Device) -> None:
    _launch_with_alarm(fresh)
    assert PKG in sh(fresh, "dumpsys", "activity", "processes")
    recents.swipe_from_recents(ui, PKG)
    assert PKG not in sh(fresh, "dumpsys", "activity", "processes")
    assert fresh.shell(["pidof", PKG]).status == 1
    state = package_state(fresh)
    assert state["stopped"] is False and state["alarms"] == 1  # AOSP: only the process dies
    assert ui.current_package() == "com.android.launcher3"


def test_swipe_with_oem_force_stop_stops_the_app(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(["vdev", "oem", "swipe-force-stop", "on"]).status == 0
    _launch_with_alarm(fresh)
    recents.swipe_from_recents(ui, PKG)
    state = package_state(fresh)
    assert state["stopped"] is True and state["alarms"] == 0
    assert fresh.shell(["pidof", PKG]).status == 1


def test_swipe_keeps_a_foreground_service_process(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(LAUNCH).status == 0
    assert schedule(fresh, {"id": "fg", "mechanism": "foreground", "behavior": {"duration_ms": 600_000}})["ok"]
    recents.swipe_from_recents(ui, PKG)
    assert fresh.shell(["pidof", PKG]).status == 0  # AOSP keeps a process hosting an FGS


def test_swipe_without_a_task_names_what_is_missing(ui: UiSession, fresh: Device) -> None:
    with pytest.raises(UiElementNotFoundError) as err:
        recents.swipe_from_recents(ui, PKG, timeout=0.5)
    assert fresh.serial in str(err.value) and "Recents" in str(err.value)
    assert ui.current_package() == "com.android.launcher3"  # HOME was pressed anyway


# ---------------------------------------------------------------- notification shade

def test_foreground_service_notification_is_in_the_shade(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(LAUNCH).status == 0
    assert schedule(fresh, {"id": "fg", "mechanism": "foreground", "behavior": {"duration_ms": 600_000}})["ok"]
    res = notifications.check_notification(ui, PKG, text="Running task fg")
    assert res.matched[0].app == "Harness companion" and res.matched[0].title == "Harness companion"
    assert ui.current_package() == PKG  # the shade was closed again
    CompanionClient(fresh).call("cancel", {"task_id": "fg"})
    notifications.check_notification(ui, PKG, text="Running task fg", present=False)
    with pytest.raises(UiActionError, match="missing from the shade"):
        notifications.check_notification(ui, PKG, text="Running task fg", timeout=0.3)


def test_fgs_notification_hidden_without_post_notifications(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(["pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS"]).status == 0
    assert fresh.shell(LAUNCH).status == 0
    assert schedule(fresh, {"id": "fg", "mechanism": "foreground", "behavior": {"duration_ms": 600_000}})["ok"]
    assert fresh.shell(["pidof", PKG]).status == 0
    notifications.check_notification(ui, PKG, text="Running task fg", present=False)


def test_alarm_clock_indicator(ui: UiSession, fresh: Device) -> None:
    notifications.check_notification(ui, PKG, alarm=True, present=False)
    assert fresh.shell(["appops", "set", PKG, "SCHEDULE_EXACT_ALARM", "allow"]).status == 0
    assert schedule(fresh, {"id": "clock", "mechanism": "alarm",
                            "params": {"method": "set_alarm_clock", "trigger_in_ms": 7_200_000}})["ok"]
    res = notifications.check_notification(ui, PKG, alarm=True)
    assert res.shade.alarm_indicator and res.shade.alarm_indicator.startswith("Alarm set for")


# ---------------------------------------------------------------- Settings: Alarms & reminders

def _exact_mode(device: Device) -> str:
    return sh(device, "cmd", "appops", "get", PKG, "SCHEDULE_EXACT_ALARM").strip()


def test_alarms_and_reminders_switch_sets_the_appop(ui: UiSession, fresh: Device) -> None:
    assert "allow" not in _exact_mode(fresh)  # API 34, target 33+: denied by default
    r = settings_pages.set_exact_alarm_allowed(ui, PKG, True)
    assert (r.before, r.after) == (False, True)
    assert "SCHEDULE_EXACT_ALARM: allow" in _exact_mode(fresh)
    assert settings_pages.set_exact_alarm_allowed(ui, PKG, True).changed is False
    _launch_with_alarm_exact(fresh)
    r = settings_pages.set_exact_alarm_allowed(ui, PKG, False)
    assert r.changed and "SCHEDULE_EXACT_ALARM: deny" in _exact_mode(fresh)  # MODE_ERRORED prints "deny"
    assert fresh.shell(["pidof", PKG]).status == 1  # revoking kills the app
    assert package_state(fresh)["alarms"] == 0  # and drops its exact alarms


def _launch_with_alarm_exact(device: Device) -> None:
    assert device.shell(LAUNCH).status == 0
    task = {"id": "x", "mechanism": "alarm",
            "params": {"type": "elapsed_wakeup", "method": "set_exact", "trigger_in_ms": 3_600_000}}
    assert schedule(device, task)["ok"]
    assert package_state(device)["alarms"] == 1


def test_alarms_and_reminders_needs_api_31(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(["vdev", "reset", "--api", "30"]).status == 0
    fresh.forget_boot_facts()
    with pytest.raises(UiActionError, match="API 31"):
        settings_pages.set_exact_alarm_allowed(ui, PKG, True)


# ---------------------------------------------------------------- dialogs

def test_notification_permission_prompt_is_accepted(ui: UiSession, fresh: Device) -> None:
    assert fresh.shell(["pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS"]).status == 0
    assert "POST_NOTIFICATIONS: granted=false" in sh(fresh, "dumpsys", "package", PKG)
    assert dialogs.accept_notification_permission(ui, PKG) is dialogs.DialogOutcome.ACCEPTED
    assert "POST_NOTIFICATIONS: granted=true" in sh(fresh, "dumpsys", "package", PKG)
    # the activity's onRequestPermissionsResult journals the answer (docs/companion-protocol.md)
    answers = [e for e in CompanionClient(fresh).all_events() if e.kind == "permission_result"]
    assert [e.detail for e in answers] == [{"permission": "android.permission.POST_NOTIFICATIONS", "granted": True}]
    assert ui.current_package() == PKG
    assert dialogs.accept_notification_permission(ui, PKG) is dialogs.DialogOutcome.ALREADY


def test_battery_optimization_dialog_is_allowed(ui: UiSession, fresh: Device) -> None:
    assert PKG not in sh(fresh, "cmd", "deviceidle", "whitelist")
    assert dialogs.allow_ignore_battery_optimizations(ui, PKG) is dialogs.DialogOutcome.ACCEPTED
    assert f"user,{PKG}" in sh(fresh, "cmd", "deviceidle", "whitelist")
    assert dialogs.allow_ignore_battery_optimizations(ui, PKG) is dialogs.DialogOutcome.ALREADY
