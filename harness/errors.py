"""Typed errors of the harness. Every error carries its context and renders as one clear line.

The CLI prints ``str(error)`` for any :class:`HarnessError` (no traceback) and picks the exit
status from :attr:`HarnessError.exit_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    exit_status: int = EXIT_FAILED


# ---------------------------------------------------------------- devices

class DeviceError(HarnessError):
    """Something is wrong with a device or the adb server."""

    exit_status = EXIT_DEVICE

    def __init__(self, message: str, serial: str | None = None) -> None:
        self.serial = serial
        prefix = f"[{serial}] " if serial else ""
        super().__init__(prefix + message)


class AdbServerError(DeviceError):
    """The adb server cannot be reached or started."""


class DeviceNotFoundError(DeviceError):
    """No device matches the selection (or several do and none was chosen)."""


class DeviceOfflineError(DeviceError):
    """The device is known to adb but not online (offline, unauthorized, gone)."""


class DeviceDisconnectedError(DeviceError):
    """The device went away in the middle of a command."""


def _tail(text: str, lines: int = 5, chars: int = 400) -> str:
    tail = "\n".join(text.strip().splitlines()[-lines:])
    return tail[-chars:]


class CommandFailedError(DeviceError):
    """A device command exited with a non-zero status (or printed a failure)."""

    def __init__(self, serial: str, command: str, status: int, stderr: str, stdout: str = "") -> None:
        self.command = command
        self.status = status
        self.stderr = stderr
        self.stdout = stdout
        detail = _tail(stderr) or _tail(stdout)
        msg = f"command failed: {command!r} exited {status}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg, serial)


class CommandTimeoutError(DeviceError):
    """A device command did not finish within its timeout."""

    def __init__(self, serial: str, command: str, timeout: float) -> None:
        self.command = command
        self.timeout = timeout
        super().__init__(f"command timed out after {timeout:g}s: {command!r}", serial)


class InstallError(DeviceError):
    """Package install/uninstall failed; ``reason`` is the INSTALL_FAILED_... / DELETE_FAILED_... code."""

    def __init__(self, serial: str, target: str, reason: str, message: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"install of {target} failed: {reason}: {message}".rstrip(": "), serial)


class UninstallError(InstallError):
    """Package uninstall failed; ``reason`` is the DELETE_FAILED_... code (or UNKNOWN)."""

    def __init__(self, serial: str, target: str, reason: str, message: str) -> None:
        self.target = target
        self.reason = reason
        DeviceError.__init__(self, f"uninstall of {target} failed: {reason}: {message}".rstrip(": "), serial)


class UnexpectedOutputError(DeviceError):
    """A device command succeeded but printed something the harness cannot read."""

    def __init__(self, serial: str, command: str, problem: str, output: str = "") -> None:
        self.command = command
        self.problem = problem
        self.output = output
        shown = f": {_tail(output)!r}" if output.strip() else " (no output)"
        super().__init__(f"cannot read the output of {command!r}: {problem}{shown}", serial)


class UnsupportedOnDeviceError(DeviceError):
    """The device has no shell way to do this (e.g. airplane mode before API 30): not a failure of the app."""

    def __init__(self, serial: str | None, what: str, why: str) -> None:
        self.what = what
        self.why = why
        super().__init__(f"{what} is not possible on this device: {why}", serial)


class BootTimeoutError(DeviceError):
    """The device did not become ready after a reboot within the timeout."""

    def __init__(self, serial: str, timeout: float, last_state: str) -> None:
        self.timeout = timeout
        self.last_state = last_state
        super().__init__(f"device not ready {timeout:g}s after reboot (last seen: {last_state})", serial)


# ---------------------------------------------------------------- screen (uiautomator2)

class UiError(DeviceError):
    """A screen-level action through uiautomator2 failed (harness/ui)."""


class UiAutomatorUnavailableError(UiError):
    """uiautomator2 cannot run on the device: the client is not installed, or its server did not start."""

    def __init__(self, serial: str | None, cause: str) -> None:
        self.cause = cause
        super().__init__(f"uiautomator2 cannot start: {cause}", serial)


class UiElementNotFoundError(UiError):
    """What an action looks for is not on the screen (within its bounded wait)."""

    def __init__(self, serial: str | None, action: str, what: str, screen: str = "") -> None:
        self.action = action
        self.what = what
        self.screen = screen
        shown = f" (showing: {screen})" if screen else ""
        super().__init__(f"{action}: {what} not found on screen{shown}", serial)


class UiActionError(UiError):
    """A screen action ran but did not have its effect, or cannot apply on this device."""

    def __init__(self, serial: str | None, action: str, problem: str) -> None:
        self.action = action
        self.problem = problem
        super().__init__(f"{action}: {problem}", serial)


# ---------------------------------------------------------------- companion

class CompanionError(HarnessError):
    """The companion app answered with an error, or cannot be used."""

    exit_status = EXIT_DEVICE


class CompanionNotInstalledError(CompanionError):
    """No provider answered. ``command``/``stderr``/``status``: the ``content call`` that found none."""

    def __init__(self, message: str, command: str = "", stderr: str = "", status: int = 0) -> None:
        self.command = command
        self.stderr = stderr
        self.status = status
        super().__init__(message)


class ProtocolMismatchError(CompanionError):
    pass


class CompanionUnreachableError(CompanionError):
    """The app is installed but its provider cannot be reached: its process dies while starting
    (a crash loop). Carries the call that failed, what ``content`` printed and the app's latest exit."""

    def __init__(self, serial: str, command: str, status: int, stderr: str, last_exit: str) -> None:
        self.serial = serial
        self.command = command
        self.status = status
        self.stderr = stderr
        self.last_exit = last_exit
        said = " / ".join(line.strip() for line in stderr.strip().splitlines()
                          if line.strip() and not line.lstrip().startswith("at "))[:300]
        super().__init__(
            f"[{serial}] companion unreachable: {command!r} exited {status} with {said!r} "
            f"although the app is installed: its process dies before it publishes its provider "
            f"(latest exit: {last_exit}); see `adb shell dumpsys activity exit-info <package>`")


class CompanionResponseError(CompanionError):
    """The companion's answer is not what the protocol defines (no Bundle, bad JSON, missing field)."""

    def __init__(self, method: str, problem: str, output: str = "", serial: str | None = None) -> None:
        self.method = method
        self.problem = problem
        self.output = output
        self.serial = serial
        prefix = f"[{serial}] " if serial else ""
        shown = f": {_tail(output)!r}" if output.strip() else ""
        super().__init__(f"{prefix}companion {method}: malformed answer: {problem}{shown}")


@dataclass
class RpcErrorInfo:
    code: str
    message: str
    field: str | None = None
    extra: dict = dc_field(default_factory=dict)


class CompanionRpcError(CompanionError):
    """A structured ``{"ok": false, "error": {...}}`` answer."""

    exit_status = EXIT_FAILED

    def __init__(self, method: str, info: RpcErrorInfo, serial: str | None = None) -> None:
        self.method = method
        self.info = info
        self.serial = serial
        where = f" (field {info.field!r})" if info.field else ""
        prefix = f"[{serial}] " if serial else ""
        super().__init__(f"{prefix}companion {method}: {info.code}{where}: {info.message}")


# ---------------------------------------------------------------- specs

class SpecError(HarnessError):
    """A spec file is invalid. Never sends anything to a device.

    Renders as ``file:line:column: message`` (what is wrong and what was expected, plus ``did you
    mean`` for a near-miss), followed by the quoted source lines with a caret under the column.
    ``line`` and ``column`` are 1-based; 0 when the error concerns the whole file.
    """

    exit_status = EXIT_USAGE

    def __init__(self, message: str, path: str | None = None, line: int = 0, column: int = 0,
                 snippet: str = "", suggestion: str | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.snippet = snippet
        self.suggestion = suggestion
        super().__init__(self.render())

    @property
    def headline(self) -> str:
        """The first line: ``file:line:column: message; did you mean 'x'?``."""
        where = self.path or "<spec>"
        if self.line:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.message}"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        return text

    def render(self) -> str:
        return self.headline + ("\n" + self.snippet if self.snippet else "")


class SpecSyntaxError(SpecError):
    """The file is not YAML the loader accepts (syntax, tabs, duplicate keys, empty file)."""


class SpecSchemaError(SpecError):
    """The document does not match the spec schema (unknown key, wrong type, bad value, missing key)."""


class SpecSemanticError(SpecError):
    """The spec breaks a rule the schema cannot express (unknown step referenced, duplicate task, ...)."""


class SpecInvalidError(SpecError):
    """A spec file has one or more errors; ``errors`` holds them all, sorted by position."""

    def __init__(self, path: str, errors: list[SpecError]) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else None
        super().__init__(
            first.message if first else "invalid spec", path,
            first.line if first else 0, first.column if first else 0)

    def render(self) -> str:
        return "\n".join(e.render() for e in getattr(self, "errors", [])) or super().render()


class UsageError(HarnessError):
    exit_status = EXIT_USAGE
