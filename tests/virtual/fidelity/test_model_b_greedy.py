"""WorkManager's GreedyScheduler (docs/fidelity.md B41-B47), driven through the real adb server.

While the companion's process lives, WorkManager runs due work in that process as well as through
its JobScheduler job. Each test makes the two paths differ (Doze, battery saver, a sleeping CPU, a
dead process) and reads which one ran the work from the journal and ``dumpsys jobscheduler``.
"""

from __future__ import annotations

from harness.companion.protocol import PACKAGE, TaskState

from .model_b_support import HOUR, MIN, SYSTEM_JOB_SERVICE, Phone, behave, phone, work  # noqa: F401 (fixture)


def _battery_saver(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "power", "set-mode", "1")


def _work_job_running(phone: Phone) -> bool:
    return any(j.service == SYSTEM_JOB_SERVICE and phone.dump().is_running(PACKAGE, j.job_id)
               for j in phone.dump().jobs_of(PACKAGE))


def test_b41_unconstrained_work_runs_in_process_at_once_in_doze(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "deviceidle", "force-idle")
    phone.schedule("g", work(), behave(duration_ms=1_000))
    assert phone.first("g", "started").elapsed_ms == 0  # in-process, right after enqueue
    (job,) = phone.dump().jobs_of(PACKAGE)
    assert job.service == SYSTEM_JOB_SERVICE and not phone.dump().is_running(PACKAGE, job.job_id)  # Doze holds it
    phone.advance("2s")
    assert phone.state("g") == TaskState.FINISHED
    assert phone.dump().jobs_of(PACKAGE) == []  # the finished work's job is cancelled


def test_b41_unconstrained_work_runs_in_process_under_battery_saver(phone: Phone) -> None:
    _battery_saver(phone)
    phone.schedule("bs", work(), behave(duration_ms=MIN))
    assert phone.first("bs", "started").elapsed_ms == 0
    assert not _work_job_running(phone)  # the job is restricted for a background app


def test_b41_no_process_no_greedy_scheduler(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "deviceidle", "force-idle")  # the screen stays on: the CPU is awake
    phone.schedule("alive", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.advance(MIN)
    assert phone.starts("alive") == [MIN]  # in-process, although Doze holds its job
    phone.schedule("later", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.sh("am", "kill", PACKAGE)  # the in-process delay dies with the process
    phone.advance(5 * MIN)
    # (reading the journal restarts the process, but a plain start does not hand existing work
    # to the new GreedyScheduler: its job still exists)
    assert "started" not in phone.kinds("later")  # only the job is left, and Doze holds it
    phone.sh("cmd", "deviceidle", "step")  # maintenance window: the job runs it
    step = phone.now_ms()
    phone.advance("1s")
    assert phone.starts("later") == [step]


def test_b42_a_job_for_work_running_in_process_attaches_until_it_ends(phone: Phone) -> None:
    phone.schedule("once", work(), behave(duration_ms=MIN))
    (job,) = phone.dump().jobs_of(PACKAGE)
    assert phone.dump().is_running(PACKAGE, job.job_id)  # SystemJobService keeps the job...
    phone.advance(2 * MIN)
    assert len(phone.of_kind("once", "started")) == 1  # ...but Processor runs the WorkSpec once
    assert phone.first("once", "finished").elapsed_ms == MIN
    assert phone.dump().jobs_of(PACKAGE) == []


def test_b43_in_process_stop_reports_the_first_unmet_constraint(phone: Phone) -> None:
    _battery_saver(phone)  # the job cannot run: only the in-process path does
    phone.schedule("st", work(requires_storage_not_low=True), behave(duration_ms=10 * MIN))
    assert "started" in phone.kinds("st") and not _work_job_running(phone)
    phone.advance(MIN)
    phone.sh("cmd", "devicestoragemonitor", "force-low", "-f")
    stopped = phone.first("st", "stopped")
    assert (stopped.stop_reason, stopped.detail["stop_reason_code"]) == ("CONSTRAINT_STORAGE_NOT_LOW", 9)
    phone.advance(5 * MIN)
    assert len(phone.of_kind("st", "started")) == 1
    phone.sh("cmd", "devicestoragemonitor", "reset")
    phone.advance(MIN)  # the 30 s backoff of the stopped run, then in-process again
    assert [e.detail["run_attempt"] for e in phone.of_kind("st", "started")] == [0, 1]


def test_b44_doze_blocks_the_apps_network_so_network_work_waits_for_maintenance(phone: Phone) -> None:
    phone.schedule("online", work(network="connected"), behave(duration_ms=0))
    assert phone.first("online", "started").elapsed_ms == 0  # network up, not blocked
    phone.unplug()
    phone.sh("cmd", "deviceidle", "force-idle")
    phone.schedule("net", work(network="connected"), behave(duration_ms=0))
    phone.schedule("free", work(), behave(duration_ms=0))
    phone.advance(MIN)
    assert "started" not in phone.kinds("net")  # blocked for the app's process; the job waits too
    assert "started" in phone.kinds("free")
    phone.sh("cmd", "deviceidle", "step")  # maintenance: the network is back
    phone.advance("1s")
    assert "started" in phone.kinds("net")


def test_b44_a_power_save_allowlisted_app_keeps_its_network_in_doze(phone: Phone) -> None:
    phone.unplug()
    phone.sh("cmd", "deviceidle", "whitelist", f"+{PACKAGE}")
    phone.sh("cmd", "deviceidle", "force-idle")
    phone.schedule("al", work(network="connected"), behave(duration_ms=0))
    assert phone.first("al", "started").elapsed_ms == 0


def test_b45_device_idle_work_is_left_to_jobscheduler(phone: Phone) -> None:
    phone.schedule("idle", work(requires_device_idle=True), behave(duration_ms=0))
    phone.advance(10 * MIN)  # screen on: the device is not idle, and GreedyScheduler ignores the constraint
    assert "started" not in phone.kinds("idle")


def test_b46_in_process_delays_count_uptime_so_they_stop_while_the_cpu_sleeps(phone: Phone) -> None:
    _battery_saver(phone)  # keeps the job from running: the in-process delay alone decides
    phone.schedule("d", work(initial_delay_ms=MIN), behave(duration_ms=0))
    phone.sh("input", "keyevent", "KEYCODE_SLEEP")  # screen off: the model's CPU sleeps (A36)
    phone.advance(10 * MIN)
    assert "started" not in phone.kinds("d")
    phone.sh("input", "keyevent", "KEYCODE_WAKEUP")
    woke = phone.now_ms()
    phone.advance(MIN - 1)
    assert "started" not in phone.kinds("d")
    phone.advance(1)
    assert phone.starts("d") == [woke + MIN]


def test_b47_in_process_work_stops_after_the_90_minute_time_limit(phone: Phone) -> None:
    _battery_saver(phone)  # only the in-process path runs it
    phone.schedule("long", work(), behave(duration_ms=2 * HOUR))
    phone.advance(90 * MIN)
    stopped = phone.first("long", "stopped")
    assert (stopped.elapsed_ms, stopped.stop_reason) == (90 * MIN, "TIMEOUT")
