"""When the device or the app breaks under a run: naming what happened, and keeping every result.

* A device that vanished (its adb transport closed, it is offline or no longer listed): the spec in
  progress ends in ERROR with the failing command, the restore is not attempted against nothing (one
  restore problem says what was left as the spec set it), and every spec after it is recorded as
  ERROR "not run" with the reason, so the report shows all of them.
* A companion whose provider is missing although the app is installed: it dies while starting (a
  crash loop); the runner reads the app's latest exit in one round trip and raises
  :class:`~harness.errors.CompanionUnreachableError` instead of telling the user to install it.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from harness.errors import (
    CompanionNotInstalledError,
    CompanionUnreachableError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceNotFoundError,
    DeviceOfflineError,
    HarnessError,
)
from harness.runner import steps as steps_mod
from harness.runner.result import SpecResult, StepRecord, StepStatus, Verdict

if TYPE_CHECKING:
    from harness.runner.session import Session
    from harness.spec.model import Spec

log = logging.getLogger(__name__)

# Errors after which the runner asks adb whether the device is still there.
DEVICE_LOSS_ERRORS: tuple[type[HarnessError], ...] = (DeviceDisconnectedError, DeviceOfflineError,
                                                      DeviceNotFoundError)
_EXIT_LINE = re.compile(r"reason=(\d+) \(([^)]*)\)(?: subreason=(\d+) \(([^)]*)\))?")
_DESCRIPTION = re.compile(r"description=(.*?) state=")


def device_gone(session: "Session", error: BaseException) -> str | None:
    """Why the device is gone (its adb state), if ``error`` may mean so and adb no longer has it online."""
    if not isinstance(error, DEVICE_LOSS_ERRORS):
        return None
    try:
        state = session.device.adb_state()
    except DeviceError as e:  # the adb server itself is gone
        return f"the adb server does not answer: {e}"
    if state.online:
        return None
    return f"adb lists it as {state.value}"


def not_run(spec: "Spec", session: "Session", reason: str) -> SpecResult:
    """The result of a spec the runner could not start (recorded, never dropped)."""
    result = SpecResult(name=spec.name, path=str(spec.path), line=spec.line, device=session.device.serial,
                        api_level=session.api_level, virtual=session.virtual)
    result.verdict = Verdict.ERROR
    result.reason = reason
    result.steps = [StepRecord(index=i, kind=st.KEY, description=steps_mod.describe(st),
                               line=st.mark.line or None, status=StepStatus.NOT_RUN)
                    for i, st in enumerate(spec.steps)]
    return result


def unreachable_companion(session: "Session", error: CompanionNotInstalledError) -> HarnessError:
    """The error to report for a missing provider: still "not installed", or a crash-looping app.

    One round trip: ``pm path PKG`` and ``dumpsys activity exit-info PKG``. Any device error while
    looking keeps the original error (the device's own trouble is reported by the next command).
    """
    pkg = session.package
    try:
        results = session.run_commands([["pm", "path", pkg], ["dumpsys", "activity", "exit-info", pkg]])
    except DeviceError as e:
        log.debug("[%s] cannot look into the missing provider: %s", session.device.serial, e)
        return error
    installed = results[0].status == 0 and "package:" in results[0].stdout
    if not installed:
        return error
    exits = parse_exit_info(results[1].stdout)
    crashes = sum(1 for reason, _desc in exits if reason.startswith("CRASH"))
    if exits:
        latest = f"{exits[0][0]}" + (f" '{exits[0][1]}'" if exits[0][1] and exits[0][1] != "null" else "")
        latest += f"; {crashes} crash(es) among the last {len(exits)} exits"
    else:
        latest = "none recorded"
    return CompanionUnreachableError(session.device.serial, error.command or "content call", error.status,
                                     error.stderr or str(error), latest)


def parse_exit_info(text: str) -> list[tuple[str, str]]:
    """``(REASON NAME, description)`` per ApplicationExitInfo in ``dumpsys activity exit-info``, newest first."""
    out: list[tuple[str, str]] = []
    reason: str | None = None
    for line in text.splitlines():
        m = _EXIT_LINE.search(line)
        if m is not None and "process=" in line:
            reason = m.group(2).replace(" ", "_")
            continue
        d = _DESCRIPTION.search(line)
        if d is not None and reason is not None:
            out.append((reason, d.group(1)))
            reason = None
    if reason is not None:
        out.append((reason, ""))
    return out
