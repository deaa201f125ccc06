"""Specs with screen steps, run by the runner on the virtual device through uiautomator2's client.

The library's screen specs (specs/screen/) run here unchanged; tests/ui/specs/ holds only the
test-only specs (negative cases). Where a library spec can only show a path the virtual device does
not take by default (the notification prompt of a freshly installed app, an OEM that force-stops on
a swipe), the test arranges the device from the runner's progress hook, right after the spec's
`vdev reset`: the spec file itself stays free of virtual-only commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.bridge.device import Device
from harness.runner.result import SpecResult, Verdict
from harness.runner.runner import Progress, SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec
from tests.ui.conftest import PKG, sh

TEST_SPECS = Path(__file__).parent / "specs"
LIBRARY = Path(__file__).resolve().parents[2] / "specs" / "screen"


def run(session: Session, path: Path) -> SpecResult:
    return SpecRunner(session).run_spec(load_spec(path))


def run_after_reset(session: Session, path: Path, *argv: str) -> SpecResult:
    """Run a spec with one device command issued as its first step starts (after the runner's reset)."""
    device = session.device

    def arrange(p: Progress) -> None:
        if p.kind == "step_start" and p.index == 0:
            r = device.shell(list(argv))
            assert r.status == 0, r.stderr

    return SpecRunner(session, progress=arrange).run_spec(load_spec(path))


def _server_gone(session: Session) -> bool:
    import adbutils

    try:
        session.device.adb.create_connection(adbutils.Network.TCP, 9008).close()
    except adbutils.AdbError:
        return True
    return False


def test_the_library_has_the_screen_specs() -> None:
    names = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    assert names == ["alarm-clock-indicator", "battery-optimization-dialog", "exact-alarm-setting-off",
                     "exact-alarm-setting-on", "foreground-service-notification",
                     "notification-permission-dialog", "swipe-from-recents-kills-process",
                     "swipe-from-recents-not-force-stop"]
    # the moved specs are not kept twice
    assert sorted(p.name for p in TEST_SPECS.glob("*.yaml")) == ["swipe_fails_without_task.yaml"]


@pytest.mark.parametrize("name", ["alarm-clock-indicator", "foreground-service-notification",
                                  "swipe-from-recents-kills-process", "swipe-from-recents-not-force-stop"])
def test_library_screen_spec_passes(session: Session, name: str) -> None:
    result = run(session, LIBRARY / f"{name}.yaml")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    assert result.restore_problems == []
    assert _server_gone(session)  # the uiautomator2 server was stopped after the spec


@pytest.mark.parametrize("name", ["exact-alarm-setting-off", "exact-alarm-setting-on"])
def test_exact_alarm_setting_specs_pass_and_the_appop_is_restored(session: Session, name: str) -> None:
    before = sh(session.device, "cmd", "appops", "get", PKG, "SCHEDULE_EXACT_ALARM").strip()
    result = run(session, LIBRARY / f"{name}.yaml")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    switch = next(r for r in result.steps if (r.message or "").startswith("Alarms & reminders"))
    assert switch.message == ("Alarms & reminders on -> off" if name.endswith("off") else
                              "Alarms & reminders off -> on")  # the switch really moved
    assert sh(session.device, "cmd", "appops", "get", PKG, "SCHEDULE_EXACT_ALARM").strip() == before


def test_notification_permission_spec_shows_the_prompt_then_restores(session: Session) -> None:
    device = session.device
    revoke = ["pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS"]
    assert device.shell(revoke).status == 0
    # The runner resets the virtual device at spec start (the companion comes back with the
    # permission, as `pm install -g` gives it); an app installed without it is what the step is for.
    result = run_after_reset(session, LIBRARY / "notification-permission-dialog.yaml", *revoke)
    assert result.verdict is Verdict.PASSED, result.failure_text()
    accept = next(r for r in result.steps if "notification permission" in (r.message or ""))
    assert accept.message == "notification permission: accepted"  # the prompt showed and was accepted
    assert "POST_NOTIFICATIONS: granted=false" in sh(device, "dumpsys", "package", PKG)  # restored


def test_fgs_notification_spec_asks_for_the_permission_when_missing(session: Session) -> None:
    # Without POST_NOTIFICATIONS, API 33+ keeps the notification out of the shade (fidelity U8): the
    # spec passes on a freshly installed app only because its first step asks for the permission.
    spec = LIBRARY / "foreground-service-notification.yaml"
    result = run_after_reset(session, spec, "pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    accept = next(r for r in result.steps if "notification permission" in (r.message or ""))
    assert accept.message == "notification permission: accepted"


def test_battery_dialog_spec_passes_and_the_allowlist_is_restored(session: Session) -> None:
    result = run(session, LIBRARY / "battery-optimization-dialog.yaml")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    assert f"user,{PKG}" not in sh(session.device, "cmd", "deviceidle", "whitelist")


@contextmanager
def _oem_swipe_force_stop(device: Device) -> Iterator[None]:
    try:
        yield
    finally:  # the next spec's `vdev reset` turns it off too; do not rely on it
        device.shell(["vdev", "oem", "swipe-force-stop", "off"])


@pytest.mark.parametrize("name", ["swipe-from-recents-kills-process", "swipe-from-recents-not-force-stop"])
def test_swipe_specs_fail_on_an_oem_that_force_stops_on_swipe(session: Session, name: str) -> None:
    with _oem_swipe_force_stop(session.device):
        result = run_after_reset(session, LIBRARY / f"{name}.yaml", "vdev", "oem", "swipe-force-stop", "on")
    assert result.verdict is Verdict.FAILED
    text = result.failure_text()
    assert "app_stopped" in text  # the stopped state is what tells the OEM behavior apart
    assert "fired" in text  # and the alarm scheduled before the swipe never fires


def test_swipe_without_task_is_a_step_error_naming_recents(session: Session) -> None:
    result = run(session, TEST_SPECS / "swipe_fails_without_task.yaml")
    assert result.verdict is Verdict.ERROR
    text = result.failure_text()
    assert "Recents" in text and session.device.serial in text
