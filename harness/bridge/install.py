"""Installing and uninstalling packages, with the package manager's failure reason parsed.

Install pushes the APK to ``/data/local/tmp`` (adbutils sync), runs ``pm install`` on it and
removes the copy again, whatever happened. ``pm`` reports failures as
``Failure [INSTALL_FAILED_VERSION_DOWNGRADE: ...]`` (or ``INSTALL_PARSE_FAILED_...``), uninstall
failures as ``Failure [DELETE_FAILED_INTERNAL_ERROR]``; the code becomes the error's ``reason``.
"""

from __future__ import annotations

import logging
import pathlib
import re
import secrets
import time
from typing import TYPE_CHECKING

from harness.errors import DeviceError, InstallError, UninstallError, UsageError

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

STAGING_DIR = "/data/local/tmp"
_INSTALL_REASON = re.compile(r"\b(INSTALL_(?:PARSE_)?FAILED_[A-Z0-9_]+)\b")
_DELETE_REASON = re.compile(r"\b(DELETE_FAILED_[A-Z0-9_]+)\b")
_FAILURE = re.compile(r"Failure \[([^\]]*)\]")
CLEANUP_TIMEOUT_S = 10.0


def _failure_message(text: str) -> str:
    m = _FAILURE.search(text)
    if m:
        return m.group(1)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _parse_failure(text: str, reason: re.Pattern[str]) -> tuple[str, str]:
    """(reason, message) from ``pm`` output; reason ``UNKNOWN`` if none is named."""
    m = reason.search(text)
    message = _failure_message(text)
    if m:
        message = message.replace(m.group(1), "").lstrip(": ").strip()
    return (m.group(1) if m else "UNKNOWN"), message


def parse_install_failure(text: str) -> tuple[str, str]:
    """(reason, message) from ``pm install`` output; reason ``UNKNOWN`` if none is named."""
    return _parse_failure(text, _INSTALL_REASON)


def parse_uninstall_failure(text: str) -> tuple[str, str]:
    """(reason, message) from ``pm uninstall`` output; reason ``UNKNOWN`` if none is named."""
    return _parse_failure(text, _DELETE_REASON)


def _succeeded(status: int, text: str) -> bool:
    return status == 0 and any(line.strip() == "Success" for line in text.splitlines())


def install(device: "Device", apk: str | pathlib.Path, *, replace: bool = True,
            grant_permissions: bool = False, timeout: float = 120.0) -> None:
    """Install a local APK; :class:`InstallError` with the parsed reason if pm refuses it."""
    path = pathlib.Path(apk)
    if not path.is_file():
        raise UsageError(f"install: no such APK file: {path}")
    end = time.monotonic() + timeout
    staged = f"{STAGING_DIR}/harness-{secrets.token_hex(6)}.apk"
    device.push(path, staged, mode=0o644, timeout=timeout)
    try:
        argv = ["pm", "install", "-t"]
        if replace:
            argv.append("-r")
        if grant_permissions:
            argv.append("-g")
        argv.append(staged)
        result = device.shell(argv, timeout=max(0.1, end - time.monotonic()))
    finally:
        try:
            device.shell(["rm", "-f", staged], timeout=CLEANUP_TIMEOUT_S)
        except DeviceError as e:
            log.warning("[%s] could not remove staged APK %s: %s", device.serial, staged, e)
    text = result.stdout + "\n" + result.stderr
    if not _succeeded(result.status, text):
        reason, message = parse_install_failure(text)
        raise InstallError(device.serial, path.name, reason, message)
    log.info("[%s] installed %s", device.serial, path.name)


def uninstall(device: "Device", package: str, *, keep_data: bool = False, timeout: float = 60.0) -> None:
    """Uninstall a package; :class:`UninstallError` with the parsed reason if pm refuses."""
    argv = ["pm", "uninstall"] + (["-k"] if keep_data else []) + [package]
    result = device.shell(argv, timeout=timeout)
    text = result.stdout + "\n" + result.stderr
    if not _succeeded(result.status, text):
        reason, message = parse_uninstall_failure(text)
        raise UninstallError(device.serial, package, reason, message)
    log.info("[%s] uninstalled %s", device.serial, package)


def is_installed(device: "Device", package: str, *, timeout: float = 30.0) -> bool:
    """True if the package manager has a path for the package (``pm path PACKAGE``)."""
    result = device.shell(["pm", "path", package], timeout=timeout)
    return result.status == 0 and "package:" in result.stdout
