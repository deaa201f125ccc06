"""Faults the virtual device can be told to have, for testing how the harness copes with bad devices.

These are test hooks of the *device process*, not Android state: they live on the server, survive
``vdev reset`` (the runner resets the device at the start of every spec) and are armed with ``vdev``:

* ``vdev die-after N [WORD...]``: the device vanishes when the N-th later shell command starts (only
  commands whose first words are WORD... count): the command does not run, every adb connection
  drops at once. Run as a process (``harness sim``, ``python -m harness.virtual``) the process kills
  itself with SIGKILL, as a device losing power or its cable would look to the adb server.
* ``vdev crash-loop PKG on|off``: the app crash-loops: every ``content call`` to its provider finds its
  process dying (ApplicationExitInfo REASON_CRASH), starts it for the call, and the new process
  crashes in Application.onCreate before it publishes the provider, so ``content`` answers
  ``Could not find provider`` (AOSP: the waiting client gets a null provider once the launching
  process dies).
* ``vdev boot-hang [on|off]``: the next reboot never completes. The device comes back on adb, but
  ``sys.boot_completed`` stays 0 and no boot broadcast goes out (system_server stuck in boot).
  One-shot: the flag is consumed by the reboot that hangs.

Nothing here is random or timed: a fault happens at a command or a reboot the test chose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

DEATH_STATUS = 137  # what a shell killed by SIGKILL reports, for in-process callers that still look


@dataclass
class DeathPlan:
    """Die when the ``countdown``-th command whose argv starts with ``prefix`` starts."""

    countdown: int
    prefix: tuple[str, ...] = ()

    def matches(self, argv: Sequence[str]) -> bool:
        return tuple(argv[:len(self.prefix)]) == self.prefix

    def describe(self) -> str:
        what = f"command starting with {' '.join(self.prefix)!r}" if self.prefix else "command"
        return f"at the {_ordinal(self.countdown)} {what} from now"


@dataclass
class DeviceFaults:
    """The faults armed on one virtual device (see the module doc)."""

    death: DeathPlan | None = None
    boot_hang: bool = False
    crash_loop: set[str] = field(default_factory=set)  # packages whose every provider start crashes
    died: bool = False
    on_death: Callable[[list[str]], None] | None = None  # set by the server: drop everything now
    history: list[str] = field(default_factory=list)  # what was armed / happened, for `vdev faults`

    def arm_death(self, count: int, prefix: Sequence[str] = ()) -> str:
        if count < 1:
            raise ValueError("N must be 1 or more")
        self.death = DeathPlan(count, tuple(prefix))
        text = f"the device dies {self.death.describe()}"
        self.history.append(f"armed: {text}")
        log.warning("fault armed: %s", text)
        return text

    def arm_boot_hang(self, on: bool) -> None:
        self.boot_hang = on
        self.history.append(f"armed: next reboot hangs: {'on' if on else 'off'}")
        log.warning("fault armed: next reboot hangs: %s", on)

    def set_crash_loop(self, package: str, on: bool) -> None:
        (self.crash_loop.add if on else self.crash_loop.discard)(package)
        self.history.append(f"armed: {package} crash-loops: {'on' if on else 'off'}")

    def take_boot_hang(self) -> bool:
        """True once if the reboot now under way must hang."""
        hang, self.boot_hang = self.boot_hang, False
        if hang:
            self.history.append("happened: the reboot hangs before boot completed")
        return hang

    def command_starts(self, argv: list[str]) -> bool:
        """Called before every shell command: True when the device has just died (the command must not run)."""
        plan = self.death
        if self.died:
            return True
        if plan is None or not argv or not plan.matches(argv):
            return False
        plan.countdown -= 1
        if plan.countdown > 0:
            return False
        self.death = None
        self.died = True
        self.history.append(f"happened: died at {' '.join(argv)!r}")
        log.warning("fault: the device dies now, at command %r", argv)
        if self.on_death is not None:
            self.on_death(argv)
        return True

    def describe(self) -> str:
        lines = [f"death={self.death.describe() if self.death else 'none'}",
                 f"boot_hang={'on' if self.boot_hang else 'off'}",
                 f"crash_loop={','.join(sorted(self.crash_loop)) or 'none'}"]
        return "\n".join(lines) + "\n"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
