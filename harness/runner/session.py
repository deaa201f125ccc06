"""A connected device ready to run specs: the bridge Device, the companion client, the clock.

:class:`Session` is what the runner, the pytest fixtures and imperative tests share. Its
:meth:`Session.batch` is the one way steps touch the device: the step's commands, any state
probes, and the clock's observation commands (device time, lanes, journal) go out in *one* adb
round trip, and the observations are taken in before the step's results are handed back. The
session counts round trips (``Device.round_trips``) so reports and benchmarks can show them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.bridge.shell import ShellResult, quote_argv
from harness.companion.client import CompanionClient, call_argv, parse_call_output, request_arg
from harness.companion.protocol import PACKAGE, HelloInfo, Method
from harness.controls import network as network_ctl
from harness.controls.batch import run_batch
from harness.errors import CommandFailedError
from harness.runner.clock import Clock, RealTime, VirtualTime
from harness.runner.journal import JournalLog
from harness.runner.probes import PlatformState, StateQuery
from harness.runner.result import StateSample
from harness.runner.timeline import Moment

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 60.0
REBOOT_TIMEOUT_S = 180.0  # a reboot step's bound: online, boot completed, package manager up (`--reboot-timeout`)


@dataclass(frozen=True)
class BatchResult:
    """The step's own command results (observation output removed) and any state probe."""

    results: list[ShellResult]
    state: PlatformState | None = None


class Session:
    """One device (real or virtual), its companion app, and the clock specs run on."""

    def __init__(self, device: "Device", *, clock: Clock | None = None, package: str = PACKAGE) -> None:
        self.device = device
        self.package = package
        self.companion = CompanionClient(device)
        self.virtual = device.is_virtual
        self.api_level = device.api_level
        self.clock: Clock = clock if clock is not None else (VirtualTime() if self.virtual else RealTime())
        self.journal = JournalLog()
        self.samples: list[StateSample] = []
        self.now = Moment(0, 0)
        self.platform_ids: dict[str, dict[str, Any]] = {}
        self.start_config: dict[str, Any] = {}
        self.wifi_networks: list[str] | None = None  # saved Wi-Fi network ids (metered steps), listed once
        self.reboot_timeout_s = REBOOT_TIMEOUT_S

    def __repr__(self) -> str:
        return f"Session({self.device.serial!r}, {'virtual' if self.virtual else 'real'}, API {self.api_level})"

    @property
    def round_trips(self) -> int:
        return int(getattr(self.device, "round_trips", 0))

    # ------------------------------------------------------------ one round trip
    def run_commands(self, commands: Sequence[Sequence[str]], *, timeout: float = STEP_TIMEOUT_S) -> list[ShellResult]:
        """Commands in one round trip, without observation (setup reads, re-anchoring)."""
        return run_batch(self.device, [list(c) for c in commands], timeout=timeout)

    def batch(self, commands: Sequence[Sequence[str]], *, probe: StateQuery | None = None,
              timeout: float = STEP_TIMEOUT_S) -> BatchResult:
        """The step's commands + state probe + observation, in one round trip (see the module doc)."""
        own = [list(c) for c in commands]
        probe_cmds, probe_what = probe.commands(self.package) if probe is not None else ([], [])
        obs_cmds, obs_what = self.clock.observe_commands()
        results = run_batch(self.device, own + probe_cmds + obs_cmds, timeout=timeout)
        n_own, n_probe = len(own), len(probe_cmds)
        self.clock.absorb(self, obs_what, results[n_own + n_probe:])
        state = None
        if probe is not None:
            state = probe.parse(self.now, probe_what, results[n_own:n_own + n_probe], self.package)
        return BatchResult(results[:n_own], state)

    def observe(self, probe: StateQuery | None = None) -> PlatformState | None:
        """Only the observation (and a probe): one round trip."""
        return self.batch([], probe=probe).state

    # ------------------------------------------------------------ companion calls inside a batch
    def companion_call(self, method: Method, fields: dict[str, Any] | None = None, *,
                       extra: Sequence[Sequence[str]] = ()) -> dict[str, Any]:
        """One companion call (plus ``extra`` commands after it) with observation: one round trip.

        Returns the call's answer or raises the companion's typed error.
        """
        argv = call_argv(method, request_arg(fields))
        out = self.batch([argv, *extra])
        r = out.results[0]
        return parse_call_output(r.stdout, r.stderr, r.status, method=method, serial=self.device.serial,
                                 command=quote_argv(argv))

    # ------------------------------------------------------------ per spec
    def start_spec(self, *, reset_app: bool, reset_device: bool = False, list_wifi: bool = False) -> None:
        """A fresh start for a spec, in one round trip.

        ``vdev reset`` first (``reset_device``, virtual device only), then the companion's
        ``cancel_all`` + ``clear_events`` (``reset_app``), then ``hello`` and the observation. The
        ``hello`` after the clearing gives the journal's baseline (every event after it belongs to
        the spec) and the device clock the spec starts at. ``list_wifi`` also lists the saved Wi-Fi
        networks (for ``metered``), once per session.
        """
        pre: list[list[str]] = [["vdev", "reset"]] if reset_device else []
        calls: list[tuple[Method, list[str]]] = []
        if reset_app:
            calls.append((Method.CANCEL_ALL, call_argv(Method.CANCEL_ALL, request_arg())))
            calls.append((Method.CLEAR_EVENTS, call_argv(Method.CLEAR_EVENTS, request_arg())))
        calls.append((Method.HELLO, call_argv(Method.HELLO)))
        obs_cmds, obs_what = self.clock.observe_commands(fresh=True)
        wifi = network_ctl.list_metered_commands() if list_wifi and self.wifi_networks is None else []
        results = self.run_commands(pre + [argv for _m, argv in calls] + obs_cmds + wifi)
        if wifi and results[-1].status == 0:
            self.wifi_networks = sorted(network_ctl.parse_wifi_networks(results[-1].stdout))
        results = results[:len(results) - len(wifi)]
        if pre and results[0].status != 0:
            r = results[0]
            raise CommandFailedError(r.serial, r.command, r.status, r.stderr, r.stdout)
        answers = [parse_call_output(r.stdout, r.stderr, r.status, method=m, serial=self.device.serial,
                                     command=r.command)
                   for (m, _argv), r in zip(calls, results[len(pre):])]
        hello = HelloInfo.from_json(answers[-1])
        self.companion.hello_info = self.companion.hello_info or hello
        self.start_config = dict(hello.config)
        self.journal = JournalLog(baseline=hello.journal_last_seq)
        self.samples = []
        self.platform_ids = {}
        self.clock.begin(self, hello.device.elapsed_ms, hello.device.boot_count, hello.device.wall_ms or None)
        self.clock.absorb(self, obs_what, results[len(pre) + len(calls):])

    def end_spec(self) -> None:
        self.clock.end(self)

    def catch_up_journal(self) -> int:
        """Read the journal itself (``events``), for events logcat lost; returns how many were new."""
        before = len(self.journal.events)
        for event in self.companion.iter_events(self.journal.baseline, page_size=1000):
            self.journal.add([_event_json(event)])
        return len(self.journal.events) - before


def _event_json(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq, "boot": event.boot, "elapsed_ms": event.elapsed_ms, "wall_ms": event.wall_ms,
        "task_id": event.task_id, "mechanism": getattr(event.mechanism, "value", event.mechanism),
        "kind": event.kind, "thread": event.thread, "stop_reason": event.stop_reason, "detail": event.detail,
    }
