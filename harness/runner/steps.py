"""One executor per step type. Each step is as few adb round trips as it can be.

An executor builds the step's device commands with the controls' pure command builders (or the
companion client's ``call_argv``) and runs them through :meth:`StepContext.final_batch`, which
adds the clock's observation (device time, lanes, the journal) and any ``state`` probe wanted right
after this step, all in the same round trip. So ``schedule``, ``home``, ``doze``, ``battery``...
each cost one round trip (``metered`` one more, once per session, to learn the Wi-Fi networks' ids);
``wait`` costs one on the virtual device (one ``vdev advance``) and ``wait until`` one per timer
jump; ``reboot`` is the bridge's reboot-and-wait-until-ready.

The same command builders set the spec's ``setup`` (:func:`setup_commands`), in one round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.bridge.shell import ShellResult
from harness.companion.client import call_argv, parse_call_output, request_arg
from harness.companion.protocol import Method
from harness.controls import app as app_ctl
from harness.controls import appops as appops_ctl
from harness.controls import battery as battery_ctl
from harness.controls import doze as doze_ctl
from harness.controls import jobs as jobs_ctl
from harness.controls import network as network_ctl
from harness.controls import power as power_ctl
from harness.controls import standby as standby_ctl
from harness.controls.base import FAILURE_TEXTS, check
from harness.errors import CompanionRpcError, HarnessError, UnsupportedOnDeviceError
from harness.runner.probes import PlatformState, StateQuery
from harness.runner.timeline import Moment, event_after
from harness.spec.model import (
    AirplaneStep,
    BatterySetting,
    BatteryStep,
    CancelAllStep,
    CancelStep,
    CompanionConfig,
    ConfigureStep,
    DozeMode,
    DozeStep,
    ExactAlarmAction,
    ExactAlarmStep,
    ForceStopStep,
    HomeStep,
    KillStep,
    LaunchStep,
    MeteredStep,
    NetworkSetting,
    NetworkStep,
    RebootStep,
    RunJobStep,
    ScheduleStep,
    ScreenStep,
    Setup,
    StandbyBucketStep,
    Step,
    WaitStep,
)
from harness.ui import steps as ui_steps

if TYPE_CHECKING:
    from harness.runner.session import Session

log = logging.getLogger(__name__)

Commands = list[list[str]]


class StepError(HarnessError):
    """A step could not be carried out (the device or the app refused it)."""

    exit_status = 3


class SpecSkip(HarnessError):
    """The device cannot run this spec (e.g. the app answers ``not_supported``): a skip, not a failure."""


@dataclass
class StepContext:
    """What an executor works with: the session, and the probe wanted right after the step."""

    session: "Session"
    probe: StateQuery | None = None
    state: PlatformState | None = None
    notes: list[str] = field(default_factory=list)
    since: Moment | None = None  # wait until: count events from here (the runner sets it; None: the wait's start)
    since_text: str = ""  # where ``since`` is, in words ("the start of step 2 (home)")
    timed_out: str | None = None  # wait until: why it failed (no matching event in time)

    def final_batch(self, commands: Sequence[Sequence[str]]) -> list[ShellResult]:
        """The step's last round trip: its commands + the probe + observation."""
        out = self.session.batch(commands, probe=self.probe)
        if self.probe is not None:
            self.state = out.state
            self.probe = None
        return out.results

    def finish(self) -> None:
        """Read the probe if no batch carried it (multi-round-trip steps)."""
        if self.probe is not None:
            self.state = self.session.observe(self.probe)
            self.probe = None


# ---------------------------------------------------------------- command builders (steps and setup)

def battery_commands(b: BatterySetting, api: int) -> Commands:
    cmds: Commands = []
    if b.level is not None:
        cmds += battery_ctl.set_level_commands(b.level, api)
    if b.charging is True:
        cmds += battery_ctl.plug_commands(battery_ctl.PowerSource.AC, api)
    elif b.charging is False:
        cmds += battery_ctl.unplug_commands(api)
    if b.saver is not None:
        cmds += power_ctl.battery_saver_commands(b.saver, api)
    return cmds


def network_commands(n: NetworkSetting) -> Commands:
    if n is NetworkSetting.WIFI:
        return network_ctl.wifi_commands(True)
    if n is NetworkSetting.CELLULAR:
        return network_ctl.wifi_commands(False) + network_ctl.data_commands(True)
    return network_ctl.wifi_commands(False) + network_ctl.data_commands(False)


def doze_commands(mode: DozeMode) -> Commands:
    if mode is DozeMode.DEEP:
        return doze_ctl.force_idle_commands(doze_ctl.DozeMode.DEEP)
    if mode is DozeMode.LIGHT:
        return doze_ctl.force_idle_commands(doze_ctl.DozeMode.LIGHT)
    if mode is DozeMode.STEP:
        return doze_ctl.step_commands(doze_ctl.DozeMode.DEEP)
    if mode is DozeMode.STEP_LIGHT:
        return doze_ctl.step_commands(doze_ctl.DozeMode.LIGHT)
    return doze_ctl.unforce_commands()


def exact_alarm_commands(action: ExactAlarmAction, package: str) -> Commands:
    mode = appops_ctl.OpMode.ALLOW if action is ExactAlarmAction.GRANT else appops_ctl.OpMode.DENY
    return appops_ctl.set_mode_commands(package, appops_ctl.SCHEDULE_EXACT_ALARM, mode)


def configure_argv(config: CompanionConfig) -> list[str]:
    return call_argv(Method.CONFIGURE, request_arg(config.to_protocol()))


def kill_commands(package: str) -> Commands:
    # `am kill` only kills a process that is safe to kill: the app goes home first, as the
    # low-memory killer takes background processes.
    return app_ctl.home_commands() + app_ctl.kill_commands(package)


def setup_commands(setup: Setup, session: "Session") -> tuple[Commands, list[str]]:
    """The spec's setup as commands for one round trip (metered is separate), and what each is."""
    pkg, api = session.package, session.api_level
    cmds: Commands = []
    kinds: list[str] = []

    def add(kind: str, more: Commands) -> None:
        cmds.extend(more)
        kinds.extend([kind] * len(more))

    if setup.airplane is not None:
        if setup.airplane or api >= network_ctl.AIRPLANE_CMD_MIN_API:
            add("airplane", _airplane(setup.airplane, api))
        else:
            # No shell way to switch it before API 30: "off" holds if it already is (checked in the batch).
            add("airplane_off_check", [["settings", "get", "global", "airplane_mode_on"]])
    if setup.network is not None:
        add("network", network_commands(setup.network))
    if setup.battery is not None:
        add("battery", battery_commands(setup.battery, api))
    if setup.standby_bucket is not None:
        add("standby_bucket", standby_ctl.set_bucket_commands(pkg, setup.standby_bucket.value))
    if setup.exact_alarm is not None:
        add("exact_alarm", exact_alarm_commands(setup.exact_alarm, pkg))
    if setup.configure is not None:
        add("configure", [configure_argv(setup.configure)])
    if setup.screen_on is not None:
        add("screen", power_ctl.screen_commands(setup.screen_on))
    if setup.launch:
        add("launch", app_ctl.launch_commands(pkg))
    return cmds, kinds


def set_metered(ctx: StepContext, metered: bool) -> None:
    """Mark the configured Wi-Fi network(s) metered or not.

    The networks' ids are listed once per session (one extra round trip the first time; the saved
    networks do not change while specs run), then each set is one round trip.
    """
    session = ctx.session
    if session.wifi_networks is None:
        listed = session.run_commands(network_ctl.list_metered_commands())
        check(listed, network_ctl.NETPOLICY_FAILURES)
        session.wifi_networks = sorted(network_ctl.parse_wifi_networks(listed[0].stdout))
    if not session.wifi_networks:
        session.wifi_networks = None  # list again next time: a network may have been added
        raise StepError(f"[{session.device.serial}] no Wi-Fi network is configured: cannot mark one metered "
                        "(cmd netpolicy list wifi-networks listed none)")
    override = network_ctl.MeteredOverride("true" if metered else "false")
    cmds = [c for nid in session.wifi_networks for c in network_ctl.set_metered_commands(nid, override)]
    check(ctx.final_batch(cmds), network_ctl.NETPOLICY_FAILURES, ignore_status=True)


# ---------------------------------------------------------------- companion calls

def companion(ctx: StepContext, method: Method, fields: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A companion call in the step's round trip. A platform refusal is noted (the journal has it), not raised."""
    argv = call_argv(method, request_arg(fields))
    r = ctx.final_batch([argv])[0]
    try:
        return parse_call_output(r.stdout, r.stderr, r.status, method=method, serial=ctx.session.device.serial,
                                 command=r.command)
    except CompanionRpcError as e:
        if e.info.code == "platform_error":
            ctx.notes.append(f"the platform refused: {e.info.extra.get('exception', '')} {e.info.message}".strip())
            return None
        if e.info.code == "not_supported":
            raise SpecSkip(f"the device cannot do this: {e.info.message}") from e
        raise


# ---------------------------------------------------------------- executors

def _airplane(on: bool, api: int) -> Commands:
    """Airplane mode, or a skip where the device has no shell way to switch it (before API 30)."""
    try:
        return network_ctl.airplane_commands(on, api)
    except UnsupportedOnDeviceError as e:
        raise SpecSkip(f"the device cannot do this: {e.what}: {e.why}") from e


def _schedule(step: ScheduleStep, ctx: StepContext) -> None:
    answer = companion(ctx, Method.SCHEDULE, {"task": step.task.to_protocol()})
    if answer is not None:
        platform = answer.get("platform")
        ctx.session.platform_ids[step.task.id] = dict(platform) if isinstance(platform, dict) else {}


def _cancel(step: CancelStep, ctx: StepContext) -> None:
    companion(ctx, Method.CANCEL, {"task_id": step.task_id})


def _cancel_all(step: CancelAllStep, ctx: StepContext) -> None:
    companion(ctx, Method.CANCEL_ALL)


def _configure(step: ConfigureStep, ctx: StepContext) -> None:
    companion(ctx, Method.CONFIGURE, step.config.to_protocol())


def _commands(build: Callable[[Any, StepContext], Commands], texts: Sequence[str] = FAILURE_TEXTS,
              ignore_status: bool = False) -> Callable[[Any, StepContext], None]:
    def run(step: Any, ctx: StepContext) -> None:
        check(ctx.final_batch(build(step, ctx)), texts, ignore_status=ignore_status)
    return run


def _reboot(step: RebootStep, ctx: StepContext) -> None:
    session = ctx.session
    state = session.device.reboot(timeout=session.reboot_timeout_s)  # BootTimeoutError when it never finishes
    ctx.notes.append(f"boot {state.boot_count}" if state.boot_count is not None else "rebooted")
    session.clock.after_reboot(session)


def _wait(step: WaitStep, ctx: StepContext) -> None:
    session = ctx.session
    if step.until is None:
        assert step.duration is not None
        session.clock.wait(session, step.duration.ms)
        return
    assert step.timeout is not None
    start = session.now
    hit = session.clock.wait_until(session, step.until, step.timeout.ms, ctx.since)
    if hit is not None:
        ctx.notes.append(f"event #{hit['seq']} arrived" if event_after(hit, start) else
                         f"event #{hit['seq']} had already arrived")
        return
    since = ctx.since_text or "the start of the wait"
    ctx.timed_out = (f"timed out: no event ({step.until.describe()}) since {since} within {step.timeout} "
                     f"(the wait ran from {start.describe()} to {session.now.describe()})")
    ctx.notes.append(ctx.timed_out)


def _run_job(step: RunJobStep, ctx: StepContext) -> None:
    ids = ctx.session.platform_ids.get(step.task_id, {})
    job_id = ids.get("job_id")
    if not isinstance(job_id, int):
        raise StepError(f"run_job {step.task_id}: the app reported no job id for it (was it scheduled?)")
    check(ctx.final_batch(jobs_ctl.run_commands(job_id, ctx.session.package)), jobs_ctl.JOBS_FAILURES)


def _metered(step: MeteredStep, ctx: StepContext) -> None:
    set_metered(ctx, step.metered)


EXECUTORS: dict[type[Step], Callable[[Any, StepContext], None]] = {
    ScheduleStep: _schedule,
    CancelStep: _cancel,
    CancelAllStep: _cancel_all,
    ConfigureStep: _configure,
    LaunchStep: _commands(lambda s, c: app_ctl.launch_commands(c.session.package), app_ctl.AM_FAILURES),
    HomeStep: _commands(lambda s, c: app_ctl.home_commands()),
    KillStep: _commands(lambda s, c: kill_commands(c.session.package), app_ctl.AM_FAILURES),
    ForceStopStep: _commands(lambda s, c: app_ctl.force_stop_commands(c.session.package), app_ctl.AM_FAILURES),
    RebootStep: _reboot,
    DozeStep: _commands(lambda s, c: doze_commands(s.mode), doze_ctl.DOZE_FAILURES),
    StandbyBucketStep: _commands(lambda s, c: standby_ctl.set_bucket_commands(c.session.package, s.bucket.value),
                                 standby_ctl.STANDBY_FAILURES),
    BatteryStep: _commands(lambda s, c: battery_commands(s.battery, c.session.api_level)),
    NetworkStep: _commands(lambda s, c: network_commands(s.network)),
    AirplaneStep: _commands(lambda s, c: _airplane(s.on, c.session.api_level)),
    MeteredStep: _metered,
    ScreenStep: _commands(lambda s, c: power_ctl.screen_commands(s.on)),
    ExactAlarmStep: _commands(lambda s, c: exact_alarm_commands(s.action, c.session.package),
                              appops_ctl.APPOPS_FAILURES),
    WaitStep: _wait,
    RunJobStep: _run_job,
}
EXECUTORS.update(ui_steps.runner_executors())  # screen steps via uiautomator2 (harness/ui)


def describe(step: Step) -> str:
    """A short text of what the step does, for progress lines and reports."""
    if isinstance(step, ScheduleStep):
        return f"schedule {step.task.id} ({step.task.mechanism.value})"
    if isinstance(step, (CancelStep, RunJobStep)):
        return f"{step.KEY} {step.task_id}"
    if isinstance(step, DozeStep):
        return f"doze {step.mode.value}"
    if isinstance(step, StandbyBucketStep):
        return f"standby_bucket {step.bucket.value}"
    if isinstance(step, BatteryStep):
        b = step.battery
        parts = [f"level {b.level}" if b.level is not None else "",
                 ("charging" if b.charging else "unplugged") if b.charging is not None else "",
                 f"saver {'on' if b.saver else 'off'}" if b.saver is not None else ""]
        return "battery " + ", ".join(p for p in parts if p)
    if isinstance(step, NetworkStep):
        return f"network {step.network.value}"
    if isinstance(step, (AirplaneStep, ScreenStep)):
        return f"{step.KEY} {'on' if step.on else 'off'}"
    if isinstance(step, MeteredStep):
        return f"metered {str(step.metered).lower()}"
    if isinstance(step, ExactAlarmStep):
        return f"exact_alarm {step.action.value}"
    if isinstance(step, WaitStep):
        if step.until is None:
            return f"wait {step.duration}"
        return f"wait until ({step.until.describe()}), at most {step.timeout}"
    return step.KEY


def execute(step: Step, ctx: StepContext) -> None:
    executor = EXECUTORS.get(type(step))
    if executor is None:
        raise StepError(f"no executor for step type {type(step).__name__}")
    executor(step, ctx)
    ctx.finish()
