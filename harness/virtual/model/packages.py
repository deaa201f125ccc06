"""Installed packages: manifests, stopped state, runtime permissions, app-ops and broadcast receivers.

Rules (docs/fidelity.md, section "Apps and processes"):
  * an APK installed over adb registers the package its binary manifest names (apk.py reads it);
  * a freshly installed package is in the *stopped* state until something launches it explicitly
    (PackageManager: FLAG_STOPPED; ``am start``, a content-provider call or an explicit
    component broadcast clears it); ``am force-stop`` puts it back;
  * broadcasts reach only receivers of packages that are not stopped (Intent
    FLAG_EXCLUDE_STOPPED_PACKAGES is the default for implicit broadcasts since API 12);
  * SCHEDULE_EXACT_ALARM is an app-op; its default depends on the API level and target SDK
    (see :meth:`Packages.default_exact_alarm_mode`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.companion.protocol import PACKAGE
from harness.virtual.model.subsystem import Subsystem

log = logging.getLogger(__name__)

COMPANION_PACKAGE = PACKAGE
FIRST_APP_UID = 10000  # Process.FIRST_APPLICATION_UID

P_RECEIVE_BOOT_COMPLETED = "android.permission.RECEIVE_BOOT_COMPLETED"
P_SCHEDULE_EXACT_ALARM = "android.permission.SCHEDULE_EXACT_ALARM"
P_USE_EXACT_ALARM = "android.permission.USE_EXACT_ALARM"
P_FOREGROUND_SERVICE = "android.permission.FOREGROUND_SERVICE"
P_POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
P_WAKE_LOCK = "android.permission.WAKE_LOCK"
P_INTERNET = "android.permission.INTERNET"
P_ACCESS_NETWORK_STATE = "android.permission.ACCESS_NETWORK_STATE"

# Runtime ("dangerous") permissions that `pm grant` / `pm revoke` accept; install-time ("normal")
# permissions are granted when requested and cannot be revoked (pm answers with an exception).
RUNTIME_PERMISSIONS = frozenset({
    P_POST_NOTIFICATIONS,
    "android.permission.ACCESS_FINE_LOCATION",
    "android.permission.ACCESS_COARSE_LOCATION",
    "android.permission.ACCESS_BACKGROUND_LOCATION",
    "android.permission.CAMERA",
    "android.permission.RECORD_AUDIO",
    "android.permission.READ_CONTACTS",
    "android.permission.READ_PHONE_STATE",
    "android.permission.ACTIVITY_RECOGNITION",
    "android.permission.BODY_SENSORS",
    "android.permission.READ_EXTERNAL_STORAGE",
    "android.permission.WRITE_EXTERNAL_STORAGE",
    "android.permission.READ_MEDIA_IMAGES",
})
# Permissions backed by an app-op (granted in the manifest, switched with `appops set`).
APPOP_PERMISSIONS = {P_SCHEDULE_EXACT_ALARM: "SCHEDULE_EXACT_ALARM"}


class InstallFailure(Exception):
    """An install refused the way PackageManager refuses: ``code`` is e.g. INSTALL_FAILED_INVALID_APK."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)


class PermissionError_(Exception):
    """``pm grant``/``pm revoke`` refused (unknown package, not requested, not a runtime permission)."""


class AppOpMode(enum.Enum):
    """AppOpsManager.MODE_* (the names `appops get` prints)."""

    ALLOW = "allow"
    IGNORE = "ignore"
    ERRORED = "deny"
    DEFAULT = "default"
    FOREGROUND = "foreground"


@dataclass(frozen=True)
class ReceiverDecl:
    """A <receiver> from the manifest with the actions of its intent filters."""

    name: str
    actions: tuple[str, ...]
    exported: bool | None = None


@dataclass
class PackageInfo:
    name: str
    version_code: int = 1
    version_name: str = ""
    target_sdk: int = 34
    min_sdk: int = 21
    requested_permissions: tuple[str, ...] = ()
    receivers: tuple[ReceiverDecl, ...] = ()
    activities: tuple[str, ...] = ()
    uid: int = FIRST_APP_UID
    stopped: bool = True
    system: bool = False
    install_path: str = ""
    first_install_wall_ms: int = 0
    last_update_wall_ms: int = 0
    granted: set[str] = field(default_factory=set)
    appops: dict[str, AppOpMode] = field(default_factory=dict)


ReceiverCallback = Callable[[str, dict[str, Any]], None]


@dataclass
class _RuntimeReceiver:
    package: str
    action: str
    callback: ReceiverCallback


def companion_info(api: int, wall_ms: int) -> PackageInfo:
    # android-app/app/src/main/AndroidManifest.xml: its <uses-permission> list (shortService needs none)
    perms = (P_RECEIVE_BOOT_COMPLETED, P_FOREGROUND_SERVICE,
             "android.permission.FOREGROUND_SERVICE_DATA_SYNC",
             "android.permission.FOREGROUND_SERVICE_SPECIAL_USE",
             P_POST_NOTIFICATIONS, P_SCHEDULE_EXACT_ALARM, P_WAKE_LOCK, P_ACCESS_NETWORK_STATE,
             "android.permission.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS")
    return PackageInfo(
        name=COMPANION_PACKAGE, version_code=1, version_name="0.1.0", target_sdk=36, min_sdk=26,
        requested_permissions=perms,
        receivers=(ReceiverDecl(f"{COMPANION_PACKAGE}.boot.BootReceiver",
                                ("android.intent.action.LOCKED_BOOT_COMPLETED",
                                 "android.intent.action.BOOT_COMPLETED",
                                 "android.intent.action.MY_PACKAGE_REPLACED",
                                 "android.intent.action.TIME_SET"), True),
                   ReceiverDecl(f"{COMPANION_PACKAGE}.alarms.AlarmReceiver", (), False)),
        activities=(f"{COMPANION_PACKAGE}.ui.CompanionActivity",),  # the manifest's only activity
        install_path=f"/data/app/~~harness==/{COMPANION_PACKAGE}-1/base.apk",
        first_install_wall_ms=wall_ms, last_update_wall_ms=wall_ms,
        # The companion was installed and launched once by `harness companion install`.
        stopped=False,
    )


class Packages(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self.installed: dict[str, PackageInfo] = {}
        self._next_uid = FIRST_APP_UID
        self._receivers: list[_RuntimeReceiver] = []
        self._add(companion_info(model.api, model.clock.wall_ms))

    # ---------------------------------------------------------------- registry
    def _add(self, info: PackageInfo) -> PackageInfo:
        old = self.installed.get(info.name)
        if old is not None:
            info.uid = old.uid
            info.first_install_wall_ms = old.first_install_wall_ms
            info.stopped = old.stopped
            # an update keeps granted runtime permissions and app-op choices
            info.granted |= {p for p in old.granted if p in info.requested_permissions}
            info.appops = {**old.appops, **info.appops}
        else:
            info.uid = self._next_uid
            self._next_uid += 1
        for p in info.requested_permissions:
            if p not in RUNTIME_PERMISSIONS and p not in APPOP_PERMISSIONS:
                info.granted.add(p)
        # Apps targeting API 32 and lower get POST_NOTIFICATIONS on upgrade; new ones must ask.
        # The companion is granted it by its installer (`pm install -g`).
        if info.name == COMPANION_PACKAGE and P_POST_NOTIFICATIONS in info.requested_permissions:
            info.granted.add(P_POST_NOTIFICATIONS)
        self.installed[info.name] = info
        return info

    def info(self, package: str) -> PackageInfo:
        try:
            return self.installed[package]
        except KeyError:
            raise KeyError(package) from None

    def is_installed(self, package: str) -> bool:
        return package in self.installed

    def list_packages(self) -> list[str]:
        return sorted(self.installed)

    def uid_of(self, package: str) -> int:
        return self.info(package).uid

    def target_sdk(self, package: str) -> int:
        return self.info(package).target_sdk

    def install_apk(self, apk: bytes, replace: bool = True) -> str:
        """Register the package an APK holds (read from its manifest). Returns the package name."""
        from harness.virtual.model.apk import read_apk

        manifest = read_apk(apk)
        if manifest.package in self.installed and not replace:
            raise InstallFailure("INSTALL_FAILED_ALREADY_EXISTS",
                                 f"Attempt to re-install {manifest.package} without first uninstalling.")
        old = self.installed.get(manifest.package)
        if old is not None and manifest.version_code < old.version_code:
            raise InstallFailure("INSTALL_FAILED_VERSION_DOWNGRADE",
                                 f"Downgrade detected: Update version code {manifest.version_code} is older"
                                 f" than current {old.version_code}")
        if manifest.min_sdk > self.model.api:
            raise InstallFailure("INSTALL_FAILED_OLDER_SDK",
                                 f"Requires newer sdk version #{manifest.min_sdk} (current version is"
                                 f" #{self.model.api})")
        now = self.model.clock.wall_ms
        info = PackageInfo(
            name=manifest.package, version_code=manifest.version_code, version_name=manifest.version_name,
            target_sdk=manifest.target_sdk, min_sdk=manifest.min_sdk,
            requested_permissions=tuple(manifest.permissions),
            receivers=tuple(manifest.receivers),
            activities=tuple(manifest.activities),
            install_path=f"/data/app/~~harness==/{manifest.package}-1/base.apk",
            first_install_wall_ms=now, last_update_wall_ms=now,
        )
        self._add(info)
        self.model.trace("package_installed", package=info.name, version_code=info.version_code,
                         target_sdk=info.target_sdk, replaced=old is not None)
        if old is not None:
            # An update kills the old process (PackageManager -> AMS killApplication "replace pkg");
            # its alarms stay, except exact ones the new version may no longer set.
            self.model.processes.kill(info.name, "package_replaced")
            self.model.alarms.on_package_updated(info.name)
            self.broadcast("android.intent.action.MY_PACKAGE_REPLACED", package=info.name)
        return info.name

    def uninstall(self, package: str) -> None:
        if package not in self.installed:
            raise InstallFailure("DELETE_FAILED_INTERNAL_ERROR")
        self.model.processes.kill(package, "package_removed")
        self.model.alarms.cancel_all(package)
        del self.installed[package]
        self._receivers = [r for r in self._receivers if r.package != package]
        self.model.trace("package_removed", package=package)

    # ---------------------------------------------------------------- stopped state
    def is_stopped(self, package: str) -> bool:
        return self.info(package).stopped

    def set_stopped(self, package: str, stopped: bool) -> None:
        info = self.info(package)
        if info.stopped != stopped:
            info.stopped = stopped
            self.model.trace("package_stopped_state", package=package, stopped=stopped)

    # ---------------------------------------------------------------- permissions and app-ops
    def has_permission(self, package: str, permission: str) -> bool:
        info = self.info(package)
        if permission in APPOP_PERMISSIONS:
            if permission not in info.requested_permissions:
                return False
            return self.appop_allowed(package, APPOP_PERMISSIONS[permission])
        return permission in info.granted

    def _changeable(self, package: str, permission: str) -> PackageInfo:
        """The package, if ``permission`` is a runtime permission it requested (else pm's refusal)."""
        info = self.info(package)
        if permission not in info.requested_permissions:
            raise PermissionError_(f"Package {package} has not requested permission {permission}")
        if permission not in RUNTIME_PERMISSIONS:
            raise PermissionError_(f"Permission {permission} requested by {package} is not a changeable"
                                   " permission type")
        return info

    def grant(self, package: str, permission: str) -> None:
        self._changeable(package, permission).granted.add(permission)
        self.model.trace("permission", package=package, permission=permission, granted=True)
        self.model.state_changed()

    def revoke(self, package: str, permission: str) -> None:
        self._changeable(package, permission).granted.discard(permission)
        self.model.trace("permission", package=package, permission=permission, granted=False)
        # Revoking a runtime permission kills the app (PermissionManagerService killUid).
        self.model.processes.kill(package, "permissions revoked")
        self.model.state_changed()

    def default_exact_alarm_mode(self, package: str) -> AppOpMode:
        """What MODE_DEFAULT of SCHEDULE_EXACT_ALARM means for this package on this device.

        API 31-32: allowed for every app requesting it. API 33: still allowed (the app-op default
        flipped only in 14). API 34+: denied by default for apps targeting API 33+ that request it
        (AlarmManagerService: isExactAlarmChangeEnabled / SCHEDULE_EXACT_ALARM_DENIED_BY_DEFAULT),
        allowed for older targets.
        """
        info = self.info(package)
        if self.model.api >= 34 and info.target_sdk >= 33:
            return AppOpMode.ERRORED
        return AppOpMode.ALLOW

    def appop(self, package: str, op: str) -> AppOpMode:
        """The app-op mode as set (``DEFAULT`` when never set)."""
        return self.info(package).appops.get(op, AppOpMode.DEFAULT)

    def set_appop(self, package: str, op: str, mode: AppOpMode) -> None:
        info = self.info(package)
        old = info.appops.get(op, AppOpMode.DEFAULT)
        if mode == AppOpMode.DEFAULT:
            info.appops.pop(op, None)
        else:
            info.appops[op] = mode
        self.model.trace("appop", package=package, op=op, mode=mode.value)
        if op == "SCHEDULE_EXACT_ALARM":
            was = old == AppOpMode.ALLOW or (old == AppOpMode.DEFAULT and
                                              self.default_exact_alarm_mode(package) == AppOpMode.ALLOW)
            now = self.appop_allowed(package, op)
            self.model.alarms.on_exact_alarm_permission_changed(package, was, now)
        self.model.state_changed()

    def appop_allowed(self, package: str, op: str) -> bool:
        mode = self.appop(package, op)
        if mode == AppOpMode.DEFAULT and op == "SCHEDULE_EXACT_ALARM":
            mode = self.default_exact_alarm_mode(package)
        elif mode == AppOpMode.DEFAULT:
            mode = AppOpMode.ALLOW
        return mode in (AppOpMode.ALLOW, AppOpMode.FOREGROUND)

    # ---------------------------------------------------------------- broadcasts
    def register_receiver(self, package: str, action: str, callback: ReceiverCallback) -> None:
        """Attach code to a manifest receiver's action (the app's onReceive)."""
        self._receivers.append(_RuntimeReceiver(package, action, callback))

    def unregister_receivers(self, package: str) -> None:
        self._receivers = [r for r in self._receivers if r.package != package]

    def receivers_for(self, action: str, package: str | None = None) -> list[str]:
        """Packages with a receiver (manifest or registered) for ``action``, in a stable order."""
        pkgs: list[str] = []
        for name in sorted(self.installed):
            if package is not None and name != package:
                continue
            info = self.installed[name]
            declared = any(action in r.actions for r in info.receivers)
            registered = any(r.package == name and r.action == action for r in self._receivers)
            if declared or registered:
                pkgs.append(name)
        return pkgs

    def broadcast(self, action: str, extras: dict[str, Any] | None = None, package: str | None = None,
                  explicit: bool = False) -> list[str]:
        """Send ``action``; return the packages it reached.

        Stopped packages are skipped unless the broadcast names them explicitly (``explicit``:
        a component or FLAG_INCLUDE_STOPPED_PACKAGES), which also takes them out of the stopped state.
        Delivering starts the receiving process (reason "broadcast").
        """
        extras = dict(extras or {})
        delivered: list[str] = []
        for name in self.receivers_for(action, package):
            info = self.installed[name]
            if info.stopped and not explicit:
                self.model.trace("broadcast_skipped", action=action, package=name, why="stopped")
                continue
            if info.stopped:
                self.set_stopped(name, False)
            if not self.model.processes.is_running(name):
                self.model.processes.start(name, "broadcast")
            self.model.trace("broadcast_delivered", action=action, package=name)
            delivered.append(name)
            for r in list(self._receivers):
                if r.package == name and r.action == action:
                    r.callback(action, extras)
        return delivered

    # ---------------------------------------------------------------- hooks
    def on_force_stop(self, package: str) -> None:
        if package in self.installed:
            self.set_stopped(package, True)

    def send_boot_broadcasts(self) -> list[str]:
        """ActivityManagerService.finishBooting / UserController: LOCKED_BOOT_COMPLETED then BOOT_COMPLETED.

        Delivered to the receivers of packages that are not stopped (a force-stopped or never
        launched app does not get them). Returns the packages BOOT_COMPLETED reached.
        """
        self.broadcast("android.intent.action.LOCKED_BOOT_COMPLETED")
        return self.broadcast("android.intent.action.BOOT_COMPLETED")
