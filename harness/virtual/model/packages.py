"""Installed packages. Placeholder interface: the device-model work fills in the rules."""

from __future__ import annotations

from harness.virtual.model.subsystem import Subsystem

COMPANION_PACKAGE = "dev.harness.companion"


class InstallFailure(Exception):
    """An install refused the way PackageManager refuses: ``code`` is e.g. INSTALL_FAILED_INVALID_APK."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)


class Packages(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self.installed: dict[str, dict] = {COMPANION_PACKAGE: {"version_code": 1}}

    def install_apk(self, apk: bytes, replace: bool = True) -> str:
        """Register the package an APK holds (read from its manifest). Returns the package name."""
        raise InstallFailure("INSTALL_FAILED_INVALID_APK", "APK parsing not implemented yet")

    def uninstall(self, package: str) -> None:
        if package not in self.installed:
            raise InstallFailure("DELETE_FAILED_INTERNAL_ERROR")
        del self.installed[package]

    def list_packages(self) -> list[str]:
        return sorted(self.installed)
