"""What every control shares: the command list type and the execute path through the bridge.

A control is two layers. Pure functions build the device commands as argv lists
(``list[list[str]]``) and parse their output, so a caller can batch them with other commands
(:mod:`harness.controls.batch`). The execute functions run those commands through the bridge's
:class:`~harness.bridge.device.Device` in one round trip and check the result: a command that
exits non-zero, or exits 0 but prints one of Android's failure texts (many ``cmd``/``am`` shell
commands do), raises :class:`~harness.errors.CommandFailedError` naming the command.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from harness.bridge.shell import ShellResult
from harness.controls.batch import run_batch
from harness.errors import CommandFailedError, UnexpectedOutputError

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

Commands = list[list[str]]

CONTROL_TIMEOUT_S = 30.0

# Texts Android shell commands print on failure while still exiting 0 (on some versions).
FAILURE_TEXTS = ("Error:", "Exception", "Unknown command", "Unknown package", "Bad argument",
                 "Security exception", "not found", "Unable to", "Invalid")


def failed(result: ShellResult, texts: Iterable[str] = FAILURE_TEXTS, *, ignore_status: bool = False) -> bool:
    """Whether a command failed: a non-zero exit (unless ``ignore_status``) or one of ``texts`` printed."""
    if result.status != 0 and not ignore_status:
        return True
    both = result.stdout + "\n" + result.stderr
    return any(t in both for t in texts)


def raise_failed(result: ShellResult) -> None:
    raise CommandFailedError(result.serial, result.command, result.status,
                             result.stderr or result.stdout, result.stdout)


def check(results: Iterable[ShellResult], failure_texts: Iterable[str] | None = FAILURE_TEXTS, *,
          ignore_status: bool = False) -> None:
    """Raise for the first command that :func:`failed` (``failure_texts=None``: the exit status only)."""
    texts = tuple(failure_texts or ())
    for r in results:
        if failed(r, texts, ignore_status=ignore_status):
            raise_failed(r)


def run(device: "Device", commands: Sequence[Sequence[str]], *, timeout: float = CONTROL_TIMEOUT_S,
        failure_texts: Iterable[str] | None = FAILURE_TEXTS,
        ignore_status: bool = False) -> list[ShellResult]:
    """Run commands in one round trip; raise for the first that failed (after all ran).

    ``failure_texts=None`` checks only the exit status; ``ignore_status`` checks only the texts
    (for commands that exit non-zero on success, like ``cmd netpolicy set metered-network``).
    """
    results = run_batch(device, commands, timeout=timeout)
    check(results, failure_texts, ignore_status=ignore_status)
    return results


def read(device: "Device", commands: Sequence[Sequence[str]], *,
         timeout: float = CONTROL_TIMEOUT_S) -> list[ShellResult]:
    """Run read-only commands in one round trip; raise if one exited non-zero."""
    return run(device, commands, timeout=timeout, failure_texts=None)


def first_line(result: ShellResult) -> str:
    for line in result.stdout.splitlines():
        if line.strip():
            return line.strip()
    return ""


def unexpected(result: ShellResult, problem: str) -> UnexpectedOutputError:
    return UnexpectedOutputError(result.serial, result.command, problem, result.stdout + result.stderr)


def bool_word(value: bool) -> str:
    return "true" if value else "false"


def parse_bool(text: str) -> bool | None:
    t = text.strip().lower()
    if t in ("true", "1", "yes", "on", "enabled"):
        return True
    if t in ("false", "0", "no", "off", "disabled"):
        return False
    return None
