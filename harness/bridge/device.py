"""One device the harness drives, real or virtual, through adbutils and an adb server.

The class is a facade: each operation lives in the module named for it (shell, transfer,
install, reboot, logcat) and works the same against a phone, an emulator or the virtual device.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Sequence

from adbutils import AdbDevice

from harness.bridge import install as _install
from harness.bridge import reboot as _reboot
from harness.bridge import transfer as _transfer
from harness.bridge.attached import AdbState, list_attached
from harness.bridge.failures import TRANSPORT_ERRORS, translate
from harness.bridge.logcat import LogcatStream, LogPriority
from harness.bridge.server import AdbServer
from harness.bridge.shell import ShellResult, close_quietly, join_commands, quote_argv, run_script
from harness.errors import CommandFailedError, DeviceError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
HOST_QUERY_TIMEOUT_S = 10.0
TRANSFER_TIMEOUT_S = 120.0
VIRTUAL_PROP = "ro.harness.virtual"


class Device:
    """A device attached to an adb server, addressed by serial."""

    def __init__(self, server: AdbServer, serial: str) -> None:
        self.server = server
        self.serial = serial
        self.adb = AdbDevice(server.client, serial=serial)
        self._features: frozenset[str] | None = None
        self._props: dict[str, str] = {}
        self.round_trips = 0  # shell round trips made (the runner reports them per step)

    def __repr__(self) -> str:
        return f"Device({self.serial!r} via {self.server.address})"

    # ------------------------------------------------------------ adb-level facts
    def _host_query(self, request: str, timeout: float = HOST_QUERY_TIMEOUT_S) -> str:
        try:
            conn = self.adb.open_transport(request, timeout=timeout)
            try:
                return conn.read_string_block()
            finally:
                close_quietly(conn)
        except TRANSPORT_ERRORS as e:
            raise translate(self.serial, request, e) from e

    @property
    def features(self) -> frozenset[str]:
        """adbd features the device advertises (``shell_v2``, ``cmd``, ``stat_v2``, ...)."""
        if self._features is None:
            self._features = frozenset(f for f in self._host_query("features").split(",") if f)
        return self._features

    @property
    def shell_v2(self) -> bool:
        return "shell_v2" in self.features

    def adb_state(self) -> AdbState:
        """The device's state in the server's list (``ABSENT`` if the server no longer lists it)."""
        for dev in list_attached(self.server):
            if dev.serial == self.serial:
                return dev.state
        return AdbState.ABSENT

    def still_attached(self) -> bool:
        try:
            return self.adb_state().online
        except DeviceError:
            return False

    def forget_boot_facts(self) -> None:
        """Drop what is cached per boot (features, properties): called after a reboot."""
        self._features = None
        self._props.clear()

    # ------------------------------------------------------------ shell
    def shell(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT_S, check: bool = False) -> ShellResult:
        """Run one command given as argv; every word is quoted with ``shlex.quote``."""
        return self.shell_script(quote_argv(argv), timeout=timeout, check=check)

    def shell_script(self, script: str, *, timeout: float = DEFAULT_TIMEOUT_S, check: bool = False) -> ShellResult:
        """Run a trusted, already-quoted script (e.g. quoted commands joined with ``;``)."""
        self.round_trips += 1
        return run_script(self.adb, self.serial, script, timeout=timeout, shell_v2=self.shell_v2, check=check,
                          still_attached=self.still_attached)

    # ------------------------------------------------------------ properties
    def getprop(self, name: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> str:
        return self.shell(["getprop", name], timeout=timeout, check=True).stdout.strip()

    def getprops(self, names: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, str]:
        """Several properties in one round trip (``getprop`` prints one line per name)."""
        script = join_commands([["getprop", name] for name in names])
        lines = self.shell_script(script, timeout=timeout, check=True).stdout.split("\n")
        values = {name: (lines[i].strip() if i < len(lines) else "") for i, name in enumerate(names)}
        self._props.update({k: v for k, v in values.items() if k.startswith("ro.")})
        return values

    def _cached_prop(self, name: str) -> str:
        if name not in self._props:
            self._props[name] = self.getprop(name)
        return self._props[name]

    @property
    def api_level(self) -> int:
        value = self._cached_prop("ro.build.version.sdk")
        if not value.isdigit():
            raise CommandFailedError(self.serial, "getprop ro.build.version.sdk", 0,
                                     f"not an API level: {value!r}")
        return int(value)

    @property
    def model(self) -> str:
        return self._cached_prop("ro.product.model")

    @property
    def is_virtual(self) -> bool:
        """True for the harness' virtual device (``ro.harness.virtual`` is ``1``)."""
        return self._cached_prop(VIRTUAL_PROP) == "1"

    # ------------------------------------------------------------ files
    def push(self, src: _transfer.Source, dst: str, *, mode: int = 0o644,
             timeout: float = TRANSFER_TIMEOUT_S) -> int:
        return _transfer.push(self.adb, self.serial, src, dst, mode, timeout, self.still_attached)

    def pull(self, src: str, dst: str | pathlib.Path, *, timeout: float = TRANSFER_TIMEOUT_S) -> int:
        return _transfer.pull(self.adb, self.serial, src, dst, timeout, self.still_attached)

    def read_bytes(self, src: str, *, timeout: float = TRANSFER_TIMEOUT_S) -> bytes:
        return _transfer.read_bytes(self.adb, self.serial, src, timeout, self.still_attached)

    # ------------------------------------------------------------ packages
    def install(self, apk: str | pathlib.Path, *, replace: bool = True, grant_permissions: bool = False,
                timeout: float = TRANSFER_TIMEOUT_S) -> None:
        _install.install(self, apk, replace=replace, grant_permissions=grant_permissions, timeout=timeout)

    def uninstall(self, package: str, *, keep_data: bool = False, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        _install.uninstall(self, package, keep_data=keep_data, timeout=timeout)

    def is_installed(self, package: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        return _install.is_installed(self, package, timeout=timeout)

    # ------------------------------------------------------------ reboot
    def boot_count(self, *, timeout: float = DEFAULT_TIMEOUT_S) -> int | None:
        return _reboot.read_boot_count(self, timeout=timeout)

    def reboot(self, *, timeout: float = 120.0) -> _reboot.BootState:
        """Reboot and wait until ready: boot completed, boot count advanced, pm answering."""
        return _reboot.reboot(self, timeout=timeout)

    def wait_until_ready(self, previous_boot_count: int | None, *, timeout: float = 120.0) -> _reboot.BootState:
        return _reboot.wait_until_ready(self, previous_boot_count, timeout)

    # ------------------------------------------------------------ logs
    def logcat(self, tags: Sequence[str], *, priority: LogPriority = LogPriority.VERBOSE) -> LogcatStream:
        """A stream of parsed lines of these tags (use as a context manager)."""
        return LogcatStream(self, tags, priority=priority)
