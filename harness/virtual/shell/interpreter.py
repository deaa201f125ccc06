"""The device ``sh``: runs a script (what ``adb shell``/``exec:`` sends) against the command registry.

Semantics (POSIX sh, as mksh on Android applies them):

* commands run left to right; ``a && b`` runs b only if a exited 0, ``a || b`` only if not;
  ``;``, ``&`` and newlines just sequence (``&`` does not background: there is no job control).
* the script's status is the status of the last command run; ``exit N`` stops the script with N
  (mod 256); ``exit`` alone keeps the last status.
* ``$?`` is the last status, ``$$`` a fixed pid, ``$NAME`` a shell variable (``NAME=value``),
  unset names expand to nothing.
* redirections: ``>/dev/null``, ``2>/dev/null``, ``2>&1``, ``>&2``, ``> FILE``/``>> FILE`` (to
  the FileStore, created with the caller's uid), ``< FILE`` (checked, the input is unused: no
  command reads stdin).
* ``exec CMD`` runs CMD and ends the script with its status (``adb logcat`` sends
  ``export ANDROID_LOG_TAGS=...; exec logcat ...``); ``export``/``unset``/``pwd`` are builtins.
* ``cd DIR`` changes the directory relative paths resolve against (``ctx.extra["cwd"]``).
* unsupported syntax (pipes, subshells, command substitution) exits 2 with a message on stderr,
  before anything runs; so does a quoting error. The message is
  ``/system/bin/sh: <reason>``.

A command that returns a streaming result (``logcat`` following) is drained until it ends or
the client closes the stream (which cancels the task running the script).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import posixpath
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from harness.virtual.faults import DEATH_STATUS
from harness.virtual.model.files import FsError
from harness.virtual.shell.parser import (
    Connector,
    Redirect,
    RedirectOp,
    ShellSyntaxError,
    SimpleCommand,
    VarRef,
    Word,
    parse,
)
from harness.virtual.shell.registry import CommandContext, CommandRegistry, Effect, ShellResult

log = logging.getLogger(__name__)

SH = "/system/bin/sh"
SHELL_PID = 4242  # what $$ expands to
SYNTAX_ERROR_STATUS = 2


class OutputSink(Protocol):
    """Where a script's output goes (the transport, or a buffer)."""

    async def stdout(self, data: bytes) -> None: ...

    async def stderr(self, data: bytes) -> None: ...

    async def flush(self) -> None:
        """Deliver buffered output now (called after each chunk of a streaming command)."""


class BufferSink:
    """Collects output in memory."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()

    async def stdout(self, data: bytes) -> None:
        self.out += data

    async def stderr(self, data: bytes) -> None:
        self.err += data

    async def flush(self) -> None:
        return None


@dataclass
class ScriptOutcome:
    status: int
    effect: Effect | None = None
    exited: bool = False  # an explicit ``exit`` ended the script


class _Target(enum.Enum):
    STDOUT = "stdout"
    STDERR = "stderr"
    NULL = "null"


@dataclass
class _FileTarget:
    path: str
    append: bool
    data: bytearray = field(default_factory=bytearray)


_Dest = _Target | _FileTarget


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Interpreter:
    """One shell session: variables and the working directory persist across ``run`` calls."""

    def __init__(self, registry: CommandRegistry, ctx: CommandContext) -> None:
        self.registry = registry
        self.ctx = ctx
        self.variables: dict[str, str] = {"HOME": "/", "PATH": "/product/bin:/apex/com.android.runtime/bin:"
                                          "/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:"
                                          "/odm/bin:/vendor/bin:/vendor/xbin",
                                          "TMPDIR": "/data/local/tmp", "SHELL": SH,
                                          "USER": "root" if ctx.uid == 0 else "shell"}
        self.last_status = 0
        self._pending_stream: AsyncIterator[bytes] | None = None
        ctx.extra.setdefault("cwd", "/")
        ctx.extra["env"] = self.variables  # commands may read the environment (logcat: ANDROID_LOG_TAGS)

    @property
    def cwd(self) -> str:
        return str(self.ctx.extra.get("cwd", "/"))

    # ------------------------------------------------------------------ entry points
    async def run(self, script: str, sink: OutputSink, *, drain_streams: bool = True) -> ScriptOutcome:
        """Run ``script``; output goes to ``sink``. Returns the status (and any effect)."""
        try:
            commands = parse(script)
        except ShellSyntaxError as e:
            await sink.stderr(f"{SH}: {e}\n".encode())
            self.last_status = SYNTAX_ERROR_STATUS
            return ScriptOutcome(SYNTAX_ERROR_STATUS)
        self._pending_stream = None
        for command in commands:
            if command.connector == Connector.AND and self.last_status != 0:
                continue
            if command.connector == Connector.OR and self.last_status == 0:
                continue
            try:
                effect = await self._run_simple(command, sink, drain_streams)
            except _Exit as e:
                self.last_status = e.status
                return ScriptOutcome(e.status, exited=True)
            if effect is not None:
                return ScriptOutcome(self.last_status, effect)
        return ScriptOutcome(self.last_status)

    def run_collect(self, script: str) -> ShellResult:
        """Run a script synchronously and collect its output.

        A streaming command's stream is not drained; the last one is returned as
        ``ShellResult.stream`` (the caller owns it).
        """
        sink = BufferSink()
        coro = self.run(script, sink, drain_streams=False)
        try:
            coro.send(None)
        except StopIteration as stop:
            outcome: ScriptOutcome = stop.value
        else:  # pragma: no cover - nothing in run() suspends when streams are not drained
            coro.close()
            raise RuntimeError("script suspended in run_collect")
        return ShellResult(stdout=bytes(sink.out), stderr=bytes(sink.err), status=outcome.status,
                           effect=outcome.effect, stream=self._pending_stream)

    # ------------------------------------------------------------------ one command
    def _expand(self, word: Word) -> str | None:
        """The word's text; None for an unquoted word that expanded to nothing (it is dropped)."""
        out: list[str] = []
        for part in word.parts:
            if isinstance(part, VarRef):
                out.append(self._variable(part.name))
            else:
                out.append(part)
        text = "".join(out)
        if not text and not word.quoted:
            return None
        return text

    def _variable(self, name: str) -> str:
        if name == "?":
            return str(self.last_status)
        if name == "$":
            return str(SHELL_PID)
        if name == "#":
            return "0"
        if name == "0":
            return SH
        return self.variables.get(name, "")

    def _setup_redirects(self, redirects: list[Redirect]) -> tuple[dict[int, _Dest], str | None]:
        """Returns the fd table, or an error message (the command then does not run)."""
        fds: dict[int, _Dest] = {1: _Target.STDOUT, 2: _Target.STDERR}
        for r in redirects:
            target = self._expand(r.target) or ""
            if r.op == RedirectOp.DUP:
                if target == "-":
                    fds[r.fd] = _Target.NULL
                elif target.isdigit() and int(target) in fds:
                    fds[r.fd] = fds[int(target)]
                else:
                    return fds, f"{target}: bad file descriptor"
                continue
            if r.op == RedirectOp.READ:
                if target != "/dev/null":
                    try:
                        self.ctx.model.files.read(self._path(target))
                    except FsError as e:
                        return fds, f"can't open {target}: {e.strerror}"
                continue
            if target == "/dev/null":
                fds[r.fd] = _Target.NULL
                continue
            path = self._path(target)
            try:
                # Like sh: the file is created (or truncated) before the command runs.
                self.ctx.model.files.write(path, b"", uid=self.ctx.uid, append=r.op == RedirectOp.APPEND)
            except FsError as e:
                return fds, f"can't create {target}: {e.strerror}"
            fds[r.fd] = _FileTarget(path, append=True)
        return fds, None

    def _path(self, target: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, target))

    async def _emit(self, fds: dict[int, _Dest], fd: int, data: bytes, sink: OutputSink) -> None:
        if not data:
            return
        dest = fds.get(fd, _Target.NULL)
        if dest == _Target.STDOUT:
            await sink.stdout(data)
        elif dest == _Target.STDERR:
            await sink.stderr(data)
        elif isinstance(dest, _FileTarget):
            dest.data += data

    def _flush_files(self, fds: dict[int, _Dest]) -> None:
        seen: set[int] = set()
        for dest in fds.values():
            if isinstance(dest, _FileTarget) and id(dest) not in seen:
                seen.add(id(dest))
                if dest.data:
                    with contextlib.suppress(FsError):
                        self.ctx.model.files.write(dest.path, bytes(dest.data), uid=self.ctx.uid, append=True)
                    dest.data.clear()

    async def _run_simple(self, command: SimpleCommand, sink: OutputSink, drain_streams: bool) -> Effect | None:
        argv = [a for a in (self._expand(w) for w in command.words) if a is not None]
        exec_after = False
        if argv[:1] == ["exec"]:
            # ``exec CMD``: run CMD in place of the shell, so the script ends with its status
            argv, exec_after = argv[1:], True
        if not argv:
            for name, value in command.assignments:
                self.variables[name] = self._expand(value) or ""
            fds, error = self._setup_redirects(command.redirects)
            if error is not None:
                await sink.stderr(f"{SH}: {error}\n".encode())
                self.last_status = 1
            else:
                self.last_status = 0
            return None
        fds, error = self._setup_redirects(command.redirects)
        if error is not None:
            await sink.stderr(f"{SH}: {error}\n".encode())
            self.last_status = 1
            return None
        try:
            result = self._builtin(argv)
            if result is None:
                # ``NAME=value cmd``: the assignments are in cmd's environment only (POSIX sh)
                self.ctx.extra["env"] = {**self.variables, **{n: self._expand(v) or "" for n, v in
                                                              command.assignments}}
                try:
                    result = self._dispatch(argv)
                finally:
                    self.ctx.extra["env"] = self.variables
            await self._emit(fds, 1, result.stdout, sink)
            await self._emit(fds, 2, result.stderr, sink)
            self.last_status = result.status & 0xFF
            if result.stream is not None:
                if drain_streams:
                    await self._drain(result.stream, fds, sink)
                else:
                    self._pending_stream = result.stream
        finally:
            self._flush_files(fds)
        if exec_after and result.effect is None:
            raise _Exit(self.last_status)
        return result.effect

    async def _drain(self, stream: AsyncIterator[bytes], fds: dict[int, _Dest], sink: OutputSink) -> None:
        try:
            await sink.flush()  # what came before the stream must not wait for its first chunk
            async for chunk in stream:
                await self._emit(fds, 1, chunk, sink)
                self._flush_files(fds)
                await sink.flush()
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:  # a handler's generator failing at cleanup must not take the shell down
                    log.exception("closing the output stream of a command failed")

    def _dispatch(self, argv: list[str]) -> ShellResult:
        faults = self.ctx.extra.get("faults")
        if faults is not None and faults.command_starts(argv):
            raise _Exit(DEATH_STATUS)  # the device died as this command started (harness/virtual/faults.py)
        try:
            return self.registry.dispatch(self.ctx, argv)
        except Exception as e:  # a handler bug must not take the device down
            log.exception("command %r failed", argv)
            return ShellResult.error(f"{argv[0]}: internal error: {type(e).__name__}: {e}", 1)

    # ------------------------------------------------------------------ builtins
    def _builtin(self, argv: list[str]) -> ShellResult | None:
        name = argv[0]
        if name == "exit":
            if len(argv) == 1:
                raise _Exit(self.last_status)
            try:
                raise _Exit(int(argv[1]) & 0xFF)
            except ValueError:
                return ShellResult.error(f"{SH}: exit: {argv[1]}: bad number", 1)
        if name == "cd":
            target = argv[1] if len(argv) > 1 else self.variables.get("HOME", "/")
            path = self._path(target)
            try:
                node = self.ctx.model.files.stat(path)
            except FsError as e:
                return ShellResult.error(f"{SH}: cd: {target}: {e.strerror}", 2)
            if not node.is_dir:
                return ShellResult.error(f"{SH}: cd: {target}: Not a directory", 2)
            self.ctx.extra["cwd"] = path
            return ShellResult()
        if name == "export":
            for item in argv[1:]:
                key, eq, value = item.partition("=")
                if eq:
                    self.variables[key] = value
            return ShellResult()
        if name == "unset":
            for key in argv[1:]:
                self.variables.pop(key, None)
            return ShellResult()
        if name == "pwd":
            return ShellResult.ok(self.cwd + "\n")
        return None
