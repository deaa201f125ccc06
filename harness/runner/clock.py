"""How a spec's time passes and how the runner sees what happens meanwhile.

Two clocks, one interface:

:class:`VirtualTime` (the virtual device): device time moves only with ``vdev advance``. Every
adb round trip of a step also runs ``vdev state`` (device time, the state lanes, the next timer)
and ``logcat -d`` of the journal tag, so a step costs one round trip and sees its own events. A
``wait`` is one ``vdev advance``; a ``wait until`` advances timer by timer (each jump ends at the
next pending timer, or at the deadline) and stops at the first matching event, so the steps that
follow start exactly when they would on a device.

:class:`RealTime` (a phone or an emulator): waits take real time, bounded by the spec's duration.
The journal is followed on a logcat stream opened when the spec starts; waiting for an event is a
blocking read on that stream with the deadline as its timeout (no polling). Device time is the
``hello`` reading at the start of the spec plus the host's monotonic time since; lanes come from
the controls' readings, batched with each step.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.bridge.logcat import LogcatStream, LogPriority
from harness.bridge.shell import ShellResult
from harness.companion.protocol import JOURNAL_TAG
from harness.errors import DeviceError, HarnessError
from harness.runner import journal as journal_mod
from harness.runner.probes import VDEV_STATE, lane_commands, parse_lanes, parse_vdev_state
from harness.runner.result import DevicePoint
from harness.runner.timeline import Moment, event_after
from harness.spec.model import EventSelector

if TYPE_CHECKING:
    from harness.runner.session import Session

log = logging.getLogger(__name__)

Commands = list[list[str]]

MAX_TIMER_JUMPS = 100_000  # a wait-until that needs more jumps than this is a model bug
STREAM_DRAIN_S = 0.002
REBOOT_BOUND_S = 180.0


class ObservationError(HarnessError):
    """The device's answer to an observation command could not be read."""

    exit_status = 3


class Clock(abc.ABC):
    """Time and observation for one session; see the module doc."""

    name: str = ""

    @abc.abstractmethod
    def observe_commands(self, *, fresh: bool = False) -> tuple[Commands, list[str]]:
        """Commands appended to every step's round trip, and what each one reads.

        ``fresh``: the round trip starts a spec (the device may have been reset): observe from
        scratch rather than from what the previous observation saw.
        """

    @abc.abstractmethod
    def absorb(self, session: "Session", what: Sequence[str], results: Sequence[ShellResult]) -> None:
        """Take the observation results of one round trip: events, device time, lanes."""

    @abc.abstractmethod
    def begin(self, session: "Session", elapsed_ms: int, boot: int, wall_ms: int | None) -> None:
        """The spec starts now; the device's clock reads ``elapsed_ms`` in boot ``boot``."""

    @abc.abstractmethod
    def wait(self, session: "Session", duration_ms: int) -> None:
        """Let ``duration_ms`` of device time pass."""

    @abc.abstractmethod
    def wait_until(self, session: "Session", selector: EventSelector, timeout_ms: int,
                   since: Moment | None = None) -> dict[str, Any] | None:
        """Until an event matching ``selector`` is journalled, at most ``timeout_ms``; the event or None.

        An event already journalled after ``since`` (the start of the step before the wait, by
        default) counts, and ends the wait at once; ``None``: only events after the wait began.
        The timeout counts from the wait's own start.
        """

    def after_reboot(self, session: "Session") -> None:
        """The device rebooted; re-read what a reboot invalidates."""
        session.observe()

    def end(self, session: "Session") -> None:
        """The spec is over (also on failure)."""


# ---------------------------------------------------------------- virtual time

class VirtualTime(Clock):
    name = "virtual"

    def __init__(self) -> None:
        self.next_timer_ms: int | None = None
        self._seen_wall_ms: int | None = None  # device wall time at the last observation
        self._asked_since_ms: int | None = None  # the ``logcat -t`` time of the round trip in flight

    def observe_commands(self, *, fresh: bool = False) -> tuple[Commands, list[str]]:
        """``vdev state`` and the journal lines logged since the previous observation.

        Everything logged after the previous round trip's ``vdev state`` carries a wall time at or
        after the one it printed, so ``logcat -t`` that time prints every new line (and a few
        already seen, which :class:`JournalLog` drops by seq) without re-reading the whole journal.
        """
        if fresh:
            self._seen_wall_ms = None
        self._asked_since_ms = self._seen_wall_ms
        return VDEV_STATE + journal_mod.dump_commands(self._asked_since_ms), ["vdev_state", "journal"]

    def absorb(self, session: "Session", what: Sequence[str], results: Sequence[ShellResult]) -> None:
        by = dict(zip(what, results))
        journal = by.get("journal")
        if journal is not None:
            if journal.status != 0:
                raise ObservationError(f"[{session.device.serial}] {journal.command!r} exited {journal.status}: "
                                       f"{(journal.stderr or journal.stdout).strip()[-300:]}")
            session.journal.add(journal_mod.events_from_logcat(journal.stdout))
        state = by.get("vdev_state")
        if state is not None:
            if state.status != 0:
                raise ObservationError(f"[{session.device.serial}] vdev state exited {state.status}: "
                                       f"{(state.stderr or state.stdout).strip()[-300:]}")
            try:
                vs = parse_vdev_state(state.stdout, session.journal.last_seq)
            except ValueError as e:
                raise ObservationError(f"[{session.device.serial}] {e}") from e
            self.next_timer_ms = vs.next_timer_ms
            session.now = vs.moment
            session.samples.append(vs.sample)
            wall, asked = vs.moment.wall_ms, self._asked_since_ms
            self._seen_wall_ms = wall
            if journal is not None and asked is not None and (wall is None or wall < asked):
                # The wall clock was set back during this round trip (``cmd alarm set-time``):
                # lines logged after that carry earlier times than ``-t`` asked for. Read it all.
                self._seen_wall_ms = None
                self._read_whole_journal(session)
                session.now = dataclasses.replace(vs.moment, seq=session.journal.last_seq)

    def _read_whole_journal(self, session: "Session") -> None:
        """One more round trip: the journal lines of the whole log buffer."""
        (r,) = session.run_commands(journal_mod.dump_commands())
        if r.status != 0:
            raise ObservationError(f"[{session.device.serial}] {r.command!r} exited {r.status}: "
                                   f"{(r.stderr or r.stdout).strip()[-300:]}")
        session.journal.add(journal_mod.events_from_logcat(r.stdout))

    def begin(self, session: "Session", elapsed_ms: int, boot: int, wall_ms: int | None) -> None:
        session.now = Moment(boot, elapsed_ms, wall_ms, session.journal.last_seq)

    def wait(self, session: "Session", duration_ms: int) -> None:
        session.batch([advance_argv(duration_ms)])

    def wait_until(self, session: "Session", selector: EventSelector, timeout_ms: int,
                   since: Moment | None = None) -> dict[str, Any] | None:
        start = session.now
        since = since if since is not None else start
        seen = session.journal.baseline  # the first look covers every event of the spec
        stalls = 0
        for _ in range(MAX_TIMER_JUMPS):
            hit = _first_match(session, selector, since, seen)
            if hit is not None:
                return hit
            seen = session.journal.last_seq
            now = session.now
            if now.boot != start.boot:  # a reboot inside a wait cannot happen: only reboot steps reboot
                return None
            left = start.elapsed_ms + timeout_ms - now.elapsed_ms
            if left <= 0:
                return None
            nxt = self.next_timer_ms
            jump = left if nxt is None or nxt - now.elapsed_ms >= left else max(0, nxt - now.elapsed_ms)
            if jump == 0:
                stalls += 1
                if stalls > 2:  # a timer due now that keeps rescheduling itself now: move on by 1 ms
                    jump, stalls = 1, 0
            else:
                stalls = 0
            session.batch([advance_argv(jump)])
        raise ObservationError(f"[{session.device.serial}] wait until ({selector.describe()}) took more than "
                               f"{MAX_TIMER_JUMPS} timer jumps")


def advance_argv(duration_ms: int) -> list[str]:
    return ["vdev", "advance", f"{int(duration_ms)}ms"]


def _first_match(session: "Session", selector: EventSelector, since: Moment, after_seq: int) -> dict[str, Any] | None:
    """The first matching event journalled after ``since``, among those with a seq above ``after_seq``.

    After ``since``: later in device time (same millisecond: a higher seq), or unknown to the host
    when ``since`` was taken (a higher seq than it had seen: on a real device an event caused by a
    step may be logged, and read, out of step with the host's estimate of device time).
    """
    for e in session.journal.events:
        if e["seq"] > after_seq and selector.matches(e) and (e["seq"] > since.seq or event_after(e, since)):
            return e
    return None


# ---------------------------------------------------------------- real time

class RealTime(Clock):
    name = "real"

    def __init__(self) -> None:
        self._anchor: Moment | None = None
        self._anchor_host = 0.0
        self._stream: LogcatStream | None = None

    # ------------------------------------------------------------ device time
    def moment(self, session: "Session") -> Moment:
        a = self._anchor
        if a is None:
            return session.now
        delta = int((time.monotonic() - self._anchor_host) * 1000)
        return Moment(a.boot, a.elapsed_ms + delta, a.wall_ms + delta if a.wall_ms is not None else None,
                      session.journal.last_seq)

    def begin(self, session: "Session", elapsed_ms: int, boot: int, wall_ms: int | None) -> None:
        self._anchor = Moment(boot, elapsed_ms, wall_ms, session.journal.last_seq)
        self._anchor_host = time.monotonic()
        session.now = self.moment(session)
        self._open_stream(session)

    def _open_stream(self, session: "Session") -> None:
        self._close_stream()
        stream = session.device.logcat([JOURNAL_TAG], priority=LogPriority.INFO)
        stream.open()
        self._stream = stream

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.__exit__(None, None, None)

    # ------------------------------------------------------------ observation
    def observe_commands(self, *, fresh: bool = False) -> tuple[Commands, list[str]]:
        return lane_commands()

    def _read_stream(self, session: "Session", timeout_s: float) -> list[dict[str, Any]]:
        """Journal events arriving within ``timeout_s`` (stops at the first line after it)."""
        if self._stream is None:
            return []
        line = self._stream.read_line(max(0.0, timeout_s))
        if line is None:
            return []
        event = journal_mod.event_from_text(line.message) if line.tag == JOURNAL_TAG else None
        return session.journal.add([event]) if event is not None else []

    def drain(self, session: "Session") -> None:
        while self._stream is not None:
            line = self._stream.read_line(STREAM_DRAIN_S)
            if line is None:
                return
            if line.tag == JOURNAL_TAG:
                event = journal_mod.event_from_text(line.message)
                if event is not None:
                    session.journal.add([event])

    def absorb(self, session: "Session", what: Sequence[str], results: Sequence[ShellResult]) -> None:
        self.drain(session)
        session.now = self.moment(session)
        if results:
            n = session.now
            session.samples.append(parse_lanes(DevicePoint(n.boot, n.elapsed_ms), what, results))

    # ------------------------------------------------------------ waiting
    def wait(self, session: "Session", duration_ms: int) -> None:
        end = time.monotonic() + duration_ms / 1000
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            self._read_stream(session, left)
        session.observe()

    def wait_until(self, session: "Session", selector: EventSelector, timeout_ms: int,
                   since: Moment | None = None) -> dict[str, Any] | None:
        self.drain(session)  # what already arrived on the stream (the previous step's events)
        since = since if since is not None else self.moment(session)
        seen = session.journal.baseline
        end = time.monotonic() + timeout_ms / 1000
        hit = None
        while hit is None:
            hit = _first_match(session, selector, since, seen)
            if hit is not None:
                break
            seen = session.journal.last_seq
            left = end - time.monotonic()
            if left <= 0:
                break
            self._read_stream(session, left)
        session.observe()
        return hit

    def after_reboot(self, session: "Session") -> None:
        """New boot: re-anchor device time (uptime, boot count) and follow the new boot's log."""
        self._close_stream()
        host = time.monotonic()
        results = session.run_commands([["cat", "/proc/uptime"], ["settings", "get", "global", "boot_count"]])
        try:
            uptime_ms = int(float(results[0].stdout.split()[0]) * 1000)
            boot = int(results[1].stdout.strip())
        except (ValueError, IndexError) as e:
            raise DeviceError(f"cannot read the device clock after reboot: {results[0].stdout!r} "
                              f"{results[1].stdout!r}", session.device.serial) from e
        wall = None
        if self._anchor is not None and self._anchor.wall_ms is not None:
            wall = self._anchor.wall_ms + int((host - self._anchor_host) * 1000)
        self._anchor = Moment(boot, uptime_ms, wall, session.journal.last_seq)
        self._anchor_host = host
        self._open_stream(session)
        session.observe()

    def end(self, session: "Session") -> None:
        try:
            self.drain(session)
        except DeviceError as e:
            log.debug("journal stream at the end: %s", e)
        self._close_stream()
