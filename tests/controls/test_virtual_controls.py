"""Controls change the virtual device's state, the readers see it, and the guard puts it all back.

Everything goes through the real adb server and the virtual device's shell commands (``cmd``,
``am``, ``svc``, ``settings``, ``appops``, ``dumpsys``), in the formats Android prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.companion.client import CompanionClient
from harness.companion.protocol import PACKAGE, AlarmParams, Behavior, JobParams, Task
from harness.controls import alarms_dump, app, appops, battery, doze, jobs, jobs_dump, network, power, settings, standby
from harness.controls.guard import DeviceStateGuard, StateKind

if TYPE_CHECKING:
    from harness.bridge.device import Device

PROBE_KEY = "harness_guard_probe"
NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"


def vdev(device: "Device", *args: str) -> str:
    return device.shell(["vdev", *args], check=True).stdout


@pytest.fixture
def fresh(device: "Device") -> "Device":
    vdev(device, "reset")
    return device


def observe(device: "Device") -> dict[str, Any]:
    """Everything the guard restores, read with the controls' own readers."""
    return {
        "doze": doze.get_state(device),
        "battery": battery.get_state(device),
        "saver": power.battery_saver_enabled(device),
        "screen": power.screen_on(device),
        "network": network.get_state(device),
        "bucket": standby.get_bucket(device, PACKAGE),
        "exact_alarm": appops.get_mode(device, PACKAGE, appops.SCHEDULE_EXACT_ALARM),
        "setting": settings.get(device, "global", PROBE_KEY),
        "allowlisted": doze.user_allowlisted(doze.get_allowlist(device), PACKAGE),
    }


def test_guard_restores_every_change(fresh: "Device") -> None:
    device = fresh
    guard = DeviceStateGuard(device, settings_keys=[("global", PROBE_KEY)])
    saved = guard.snapshot()
    assert "screen/screen" in saved and f"settings/settings global {PROBE_KEY}" in saved
    before = observe(device)
    assert before["setting"] is None

    doze.force_idle(device)
    battery.unplug(device)
    battery.set_level(device, 5)
    power.set_battery_saver(device, True)
    power.set_screen(device, False)
    network.set_wifi(device, False)
    network.set_data(device, False)
    network.set_airplane(device, True)
    standby.set_bucket(device, PACKAGE, standby.Bucket.RARE)
    appops.set_mode(device, PACKAGE, appops.SCHEDULE_EXACT_ALARM, appops.OpMode.DENY)
    settings.put(device, "global", PROBE_KEY, "x'; reboot; echo '")

    changed = observe(device)
    assert changed["doze"].forced and changed["doze"].deep_idle
    assert changed["battery"].level == 5 and not changed["battery"].plugged and changed["battery"].updates_stopped
    assert changed["saver"] is True and changed["screen"] is False
    assert changed["network"] == network.NetworkState(wifi=False, data=False, airplane=True)
    assert changed["bucket"] is standby.Bucket.RARE
    assert changed["exact_alarm"] is appops.OpMode.DENY
    assert changed["setting"] == "x'; reboot; echo '"
    # Last: an allowlisted app is in the EXEMPTED bucket (AppStandbyController), whatever was set.
    doze.set_allowlisted(device, PACKAGE, not before["allowlisted"])
    assert doze.user_allowlisted(doze.get_allowlist(device), PACKAGE) is not before["allowlisted"]

    assert guard.restore() == []
    after = observe(device)
    assert after == before
    assert guard.pending() == []
    assert guard.restore() == []  # idempotent: nothing left to do


def test_guard_as_context_manager_restores_on_interrupt(fresh: "Device") -> None:
    device = fresh
    wifi_before = network.get_state(device).wifi
    with pytest.raises(KeyboardInterrupt):
        with DeviceStateGuard(device, kinds=[StateKind.WIFI, StateKind.SCREEN]):
            network.set_wifi(device, not wifi_before)
            power.set_screen(device, False)
            raise KeyboardInterrupt
    assert network.get_state(device).wifi is wifi_before
    assert power.screen_on(device) is True


def test_restore_reports_what_failed_and_never_raises(fresh: "Device") -> None:
    device = fresh
    guard = DeviceStateGuard(device, kinds=[StateKind.APPOPS, StateKind.SETTINGS],
                             settings_keys=[("global", PROBE_KEY)])
    guard.snapshot()
    settings.put(device, "global", PROBE_KEY, "1")
    device.shell(["pm", "uninstall", PACKAGE], check=True)  # the app op can no longer be set back
    try:
        failures = guard.restore()
        assert [f.kind for f in failures] == [StateKind.APPOPS]
        assert PACKAGE in failures[0].what
        assert settings.get(device, "global", PROBE_KEY) is None  # the rest was restored
        assert guard.pending() == [f"appops/appop {PACKAGE} {appops.SCHEDULE_EXACT_ALARM}"]
    finally:
        vdev(device, "reset")


def test_job_pending_in_dumpsys_then_force_run(fresh: "Device") -> None:
    device = fresh
    client = CompanionClient(device)
    job_id = client.schedule(Task("dump-job", JobParams(min_latency_ms=3_600_000),
                                  Behavior(duration_ms=100))).platform["job_id"]
    dump = jobs_dump.parse_jobscheduler_dump(device.shell(["dumpsys", "jobscheduler", PACKAGE], check=True).stdout)
    job = dump.job(PACKAGE, job_id)
    assert job is not None and dump.is_registered(PACKAGE, job_id)
    assert "TIMING_DELAY" in job.required and "TIMING_DELAY" in job.unsatisfied and job.ready is False
    state = jobs.get_job_state(device, job_id)
    assert state.known and not state.ready and not state.active
    assert not jobs.get_job_state(device, job_id + 1).known

    jobs.run_job(device, job_id)
    vdev(device, "advance", "1000")
    kinds = [e.kind for e in client.all_events() if e.task_id == "dump-job"]
    assert "started" in kinds and "finished" in kinds


def test_alarm_registered_in_dumpsys(fresh: "Device") -> None:
    device = fresh
    client = CompanionClient(device)
    client.schedule(Task("dump-alarm", AlarmParams(trigger_in_ms=3_600_000)))
    dump = alarms_dump.parse_alarm_dump(device.shell(["dumpsys", "alarm"], check=True).stdout)
    assert dump.is_registered(PACKAGE)
    mine = dump.alarms_of(PACKAGE)
    assert len(mine) == 1 and mine[0].wakeup  # default type elapsed_wakeup
    client.cancel("dump-alarm")
    dump = alarms_dump.parse_alarm_dump(device.shell(["dumpsys", "alarm"], check=True).stdout)
    assert not dump.is_registered(PACKAGE)


def test_doze_step_and_unforce(fresh: "Device") -> None:
    device = fresh
    power.set_screen(device, False)
    battery.unplug(device)
    text = doze.step(device)
    assert "Stepped to deep" in text
    assert doze.get_state(device).deep != "ACTIVE"
    doze.unforce(device)
    assert not doze.get_state(device).forced


def test_app_launch_home_force_stop(fresh: "Device") -> None:
    device = fresh
    client = CompanionClient(device)
    app.launch(device)
    app.home(device)
    app.force_stop(device)
    kinds = [(e.kind, e.detail.get("state")) for e in client.all_events() if e.mechanism.value == "app"]
    assert ("activity", "resumed") in kinds and ("activity", "stopped") in kinds
