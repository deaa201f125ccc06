"""Several argv commands in one adb round trip, each with its own status, stdout and stderr.

The script is ``CMD ; echo MARK:i:$? ; echo MARK:i >&2`` for each command i, with a marker
unique to the batch. Each command's output is what precedes its marker on each stream, so one
command's failure does not stop the others and every result is read separately. On devices
without shell protocol v2 stderr arrives mixed into stdout; the stderr markers are then removed
from stdout and each command's stderr stays empty (its error text is in its stdout).

Scripts longer than the bridge's limit are split into several round trips.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from harness.bridge.shell import MAX_SCRIPT_BYTES, ShellResult, quote_argv
from harness.errors import DeviceDisconnectedError

if TYPE_CHECKING:
    from harness.bridge.device import Device

Command = Sequence[str]

DEFAULT_TIMEOUT_S = 30.0


def new_marker() -> str:
    return f"HARNESS_BATCH_{secrets.token_hex(6)}"


def batch_script(commands: Sequence[Command], marker: str) -> str:
    """One script running every command in order, marking where each one's output ends."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", marker):
        raise ValueError(f"marker must be [A-Za-z0-9_]+, not {marker!r}")
    parts = []
    for i, argv in enumerate(commands):
        parts.append(f"{quote_argv(argv)} ; echo {marker}:{i}:$? ; echo {marker}:{i} >&2")
    return " ; ".join(parts)


def split_batch_output(stdout: str, stderr: str, marker: str, count: int) -> list[tuple[int, str, str]] | None:
    """(status, stdout, stderr) per command, or None if a marker is missing (the batch broke off)."""
    results: list[tuple[int, str, str]] = []
    pos = 0
    out_chunks: list[tuple[int, str]] = []
    for start, m in _marks(stdout, marker, _OUT_TAIL):
        out_chunks.append((int(m.group(2)), stdout[pos:start]))
        pos = m.end()
    if len(out_chunks) < count:
        return None
    err_chunks: list[str] = []
    pos = 0
    for start, m in _marks(stderr, marker, _ERR_TAIL):
        err_chunks.append(stderr[pos:start])
        pos = m.end()
    cleaned = _strip_v1_stderr_markers(out_chunks, marker)
    for i in range(count):
        status, text = cleaned[i]
        err = err_chunks[i] if i < len(err_chunks) else ""
        results.append((status, text, err))
    return results


# What follows the marker: ":i:status" on stdout, ":i" on stderr. The marker is new for every
# batch, so it is found with str.find and only these fixed tails are regular expressions (a
# pattern per marker would be compiled for every round trip).
_OUT_TAIL = re.compile(r":(\d+):(\d+)\n?")
_ERR_TAIL = re.compile(r":(\d+)\n?")
_V1_ERR_LINE_TAIL = re.compile(r":\d+(?=\n|$)\n?")


def _marks(text: str, marker: str, tail: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
    """Each ``marker`` followed by ``tail``, left to right, not overlapping: (where it starts, tail match)."""
    pos = 0
    while True:
        at = text.find(marker, pos)
        if at < 0:
            return
        m = tail.match(text, at + len(marker))
        if m is None:
            pos = at + 1
            continue
        yield at, m
        pos = m.end()


def _strip_v1_stderr_markers(chunks: list[tuple[int, str]], marker: str) -> list[tuple[int, str]]:
    """Without shell v2, ``MARK:i`` lines (meant for stderr) land in stdout: drop them."""
    return [(status, _strip_v1_line(text, marker) if marker in text else text) for status, text in chunks]


def _strip_v1_line(text: str, marker: str) -> str:
    """``text`` without the marker lines ``MARK:i`` that start a line (each with its newline)."""
    out: list[str] = []
    pos = 0
    for at, m in _marks(text, marker, _V1_ERR_LINE_TAIL):
        if at == 0 or text[at - 1] == "\n":
            out.append(text[pos:at])
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _chunks(commands: Sequence[Command], limit: int) -> list[list[Command]]:
    groups: list[list[Command]] = [[]]
    size = 0
    for argv in commands:
        cost = len(quote_argv(argv).encode()) + 96
        if groups[-1] and size + cost > limit:
            groups.append([])
            size = 0
        groups[-1].append(argv)
        size += cost
    return [g for g in groups if g]


def describe_commands(commands: Sequence[Command], limit: int = 240) -> str:
    """The commands of a batch as one shell line (``a ; b``), cut at ``limit`` characters."""
    text = " ; ".join(quote_argv(argv) for argv in commands)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run_batch(device: "Device", commands: Sequence[Command], *, timeout: float = DEFAULT_TIMEOUT_S,
              check: bool = False) -> list[ShellResult]:
    """Run the commands in order in as few round trips as fit; one ShellResult per command.

    ``check``: raise :class:`~harness.errors.CommandFailedError` for the first command that
    exited non-zero (after all of them ran).
    """
    results: list[ShellResult] = []
    if len(commands) == 1:
        results.append(device.shell(commands[0], timeout=timeout))
    else:
        for group in _chunks(commands, MAX_SCRIPT_BYTES - 256):
            marker = new_marker()
            try:
                raw = device.shell_script(batch_script(group, marker), timeout=timeout)
            except DeviceDisconnectedError as e:  # name the commands, not the marker script
                raise DeviceDisconnectedError(
                    f"device went away during {describe_commands(group)!r}: the connection closed "
                    "without an exit status", device.serial) from e
            split = split_batch_output(raw.stdout, raw.stderr, marker, len(group))
            if split is None:
                raise DeviceDisconnectedError(
                    f"batch of {len(group)} commands broke off (exit {raw.status}): "
                    f"{(raw.stderr or raw.stdout).strip()[-300:]!r}", device.serial)
            for argv, (status, out, err) in zip(group, split):
                results.append(ShellResult(device.serial, quote_argv(argv), status, out, err))
    if check:
        for r in results:
            r.check()
    return results
