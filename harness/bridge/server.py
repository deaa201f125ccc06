"""The adb server the bridge talks to: where it is, whether it answers, starting it if needed.

Everything that speaks the adb server protocol goes through adbutils. The only process this
module ever runs is the adb binary itself, and only to *start* a local server that is not
running (``adb -P PORT start-server``) or to ask the binary for its version (``adb version``).
The binary is found the way adbutils finds it: ``$ADBUTILS_ADB_PATH``, then ``adb`` on PATH,
then the adb bundled in the adbutils wheel.

adbutils' own connection class starts ``adb start-server`` by itself when the server does not
answer, on the port taken from the environment, whatever port the client was given. That
would start a stray server on the default port 5037 when the harness talks to a remote or a
private server, so :class:`AdbServerClient` uses a connection that never starts anything: the
server is started here, once, on the right port, or the caller gets an :class:`AdbServerError`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from dataclasses import dataclass
from functools import cached_property

import adbutils
from adbutils import AdbConnection, AdbError

from harness.errors import AdbServerError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5037
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
START_TIMEOUT_S = 20.0
PROBE_TIMEOUT_S = 0.5
VERSION_TIMEOUT_S = 10.0
DEFAULT_SOCKET_TIMEOUT_S = 10.0


class _NoAutostartConnection(AdbConnection):
    """An adbutils connection that fails instead of running ``adb start-server`` by itself."""

    def _safe_connect(self) -> socket.socket:
        return self._create_socket()


class AdbServerClient(adbutils.AdbClient):
    """adbutils' client, without auto-start and with the server version cached.

    adbutils asks the server for its version before every ``host:tport`` transport switch; the
    version of a running server does not change, so one round trip per shell command is saved.
    """

    def __init__(self, host: str, port: int, default_timeout: float = DEFAULT_SOCKET_TIMEOUT_S) -> None:
        super().__init__(host=host, port=port)
        self._version: int | None = None
        self._default_timeout = default_timeout

    def make_connection(self, timeout: float | None = None) -> AdbConnection:
        """A new connection to the server; reads time out after ``timeout`` (default 10 s).

        adbutils leaves host requests (devices, connect, disconnect) without a read timeout;
        here every one is bounded. The bridge's sync code switches its sockets back to blocking
        mode (adbutils' sync ignores partial sends, which only blocking sockets never make).
        """
        try:
            conn = _NoAutostartConnection(self.host, self.port)
        except TimeoutError as e:
            raise adbutils.AdbTimeout("connect to adb server timeout") from e
        conn.conn.settimeout(timeout or self._default_timeout)
        return conn

    def server_version(self) -> int:
        if self._version is None:
            self._version = int(super().server_version())
        return self._version


def find_adb_binary() -> str:
    """Path of the adb binary adbutils would use; :class:`AdbServerError` if there is none."""
    try:
        return adbutils.adb_path()
    except AdbError as e:
        raise AdbServerError(f"no adb binary found ({e}); install adb or set ADBUTILS_ADB_PATH") from e


def adb_binary_version(path: str) -> str:
    """``adb version`` of a binary, e.g. ``1.0.41 (29.0.6-debian)``."""
    try:
        out = subprocess.run(
            [path, "version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise AdbServerError(f"{path} version failed: {e}") from e
    protocol = release = ""
    for line in out.splitlines():
        if line.startswith("Android Debug Bridge version"):
            protocol = line.rsplit(" ", 1)[-1]
        elif line.startswith("Version "):
            release = line.split(" ", 1)[1].strip()
    return f"{protocol} ({release})" if release else protocol or out.strip()


@dataclass(frozen=True)
class AdbServer:
    """Address of an adb server. Defaults follow adb: ``ANDROID_ADB_SERVER_HOST``/``_PORT``."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def from_options(cls, host: str | None = None, port: int | None = None) -> "AdbServer":
        env_host = os.environ.get("ANDROID_ADB_SERVER_HOST") or DEFAULT_HOST
        env_port = os.environ.get("ANDROID_ADB_SERVER_PORT")
        try:
            default_port = int(env_port) if env_port else DEFAULT_PORT
        except ValueError as e:
            raise AdbServerError(f"ANDROID_ADB_SERVER_PORT is not a port number: {env_port!r}") from e
        return cls(host or env_host, port or default_port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return self.host in LOCAL_HOSTS

    @cached_property
    def client(self) -> AdbServerClient:
        return AdbServerClient(self.host, self.port)

    def is_running(self, timeout: float = PROBE_TIMEOUT_S) -> bool:
        """True if something accepts TCP connections at the server's address."""
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout):
                return True
        except OSError:
            return False

    def version(self) -> int:
        """The server's protocol version (41 for adb 1.0.41)."""
        try:
            return self.client.server_version()
        except (AdbError, OSError, ValueError) as e:
            raise AdbServerError(f"adb server at {self.address} does not answer: {e}") from e

    def ensure_running(self) -> None:
        """Start a local server if none answers; a remote one must already be running."""
        if self.is_running():
            return
        if not self.is_local:
            raise AdbServerError(
                f"no adb server answers at {self.address}; start it there (adb -a -P {self.port} server nodaemon)"
            )
        adb = find_adb_binary()
        log.info("starting adb server on port %d with %s", self.port, adb)
        try:
            proc = subprocess.run(
                [adb, "-P", str(self.port), "start-server"], capture_output=True, text=True,
                timeout=START_TIMEOUT_S, stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as e:
            raise AdbServerError(f"cannot start adb server on port {self.port} with {adb}: {e}") from e
        if proc.returncode != 0 or not self.is_running():
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise AdbServerError(
                f"adb server on port {self.port} did not start ({adb} exited {proc.returncode}: {detail[0]})"
            )
