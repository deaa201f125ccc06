"""Specs with screen steps, run by the runner on the virtual device through uiautomator2's client."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bridge.select import select_device
from harness.runner.result import SpecResult, Verdict
from harness.runner.runner import Progress, SpecRunner
from harness.runner.session import Session
from harness.spec.loader import load_spec
from harness.virtual.sim import SimInfo
from harness.virtual.testing import AdbServerInfo
from tests.ui.conftest import PKG, sh

SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="module")
def session(sim: SimInfo, adb_server: AdbServerInfo) -> Session:
    s = Session(select_device(sim.serial, adb_port=adb_server.port))
    s.companion.connect()
    return s


def run(session: Session, name: str) -> SpecResult:
    return SpecRunner(session).run_spec(load_spec(SPECS / name))


def _server_gone(session: Session) -> bool:
    import adbutils

    try:
        session.device.adb.create_connection(adbutils.Network.TCP, 9008).close()
    except adbutils.AdbError:
        return True
    return False


@pytest.mark.parametrize("name", ["swipe_kills_process.yaml", "fgs_notification.yaml", "alarm_clock_indicator.yaml"])
def test_screen_spec_passes(session: Session, name: str) -> None:
    result = run(session, name)
    assert result.verdict is Verdict.PASSED, result.failure_text()
    assert result.restore_problems == []
    assert _server_gone(session)  # the uiautomator2 server was stopped after the spec


def test_exact_alarm_setting_spec_passes_and_the_appop_is_restored(session: Session) -> None:
    before = sh(session.device, "cmd", "appops", "get", PKG, "SCHEDULE_EXACT_ALARM").strip()
    result = run(session, "exact_alarm_setting.yaml")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    assert sh(session.device, "cmd", "appops", "get", PKG, "SCHEDULE_EXACT_ALARM").strip() == before


def test_notification_permission_spec_grants_then_restores(session: Session) -> None:
    device = session.device
    revoke = ["pm", "revoke", PKG, "android.permission.POST_NOTIFICATIONS"]
    assert device.shell(revoke).status == 0

    def fresh_install(p: Progress) -> None:
        # The runner resets the virtual device at spec start (the companion comes back with the
        # permission, as `pm install -g` gives it); an app installed without it is what the step is for.
        if p.kind == "step_start" and p.index == 0:
            assert device.shell(revoke).status == 0

    result = SpecRunner(session, progress=fresh_install).run_spec(load_spec(SPECS / "notification_permission.yaml"))
    assert result.verdict is Verdict.PASSED, result.failure_text()
    accept = next(r for r in result.steps if "notification permission" in (r.message or ""))
    assert accept.message == "notification permission: accepted"  # the prompt showed and was accepted
    assert "POST_NOTIFICATIONS: granted=false" in sh(device, "dumpsys", "package", PKG)  # restored


def test_battery_dialog_spec_passes_and_the_allowlist_is_restored(session: Session) -> None:
    result = run(session, "battery_optimization_dialog.yaml")
    assert result.verdict is Verdict.PASSED, result.failure_text()
    assert f"user,{PKG}" not in sh(session.device, "cmd", "deviceidle", "whitelist")


def test_swipe_without_task_is_a_step_error_naming_recents(session: Session) -> None:
    result = run(session, "swipe_fails_without_task.yaml")
    assert result.verdict is Verdict.ERROR
    text = result.failure_text()
    assert "Recents" in text and session.device.serial in text
