"""A private adb server: one the harness starts on a free port for devices it started itself.

When the harness runs virtual devices in parallel (the pytest plugin under pytest-xdist: one
virtual device per worker), one adb server for all of them is the bottleneck: every round trip
wakes the server's single main thread about a dozen times, so two devices wait for each other
there (docs/runner.md, "Benchmarks"). A virtual device is a TCP device the harness starts and
stops itself, so each worker can give it an adb server of its own. It is the real adb server
(the binary the bridge would use, :func:`~harness.bridge.server.find_adb_binary`), started with
``adb -P PORT start-server`` and stopped with ``adb -P PORT kill-server``.

The private server is told to leave alone what is not its own (adb's ``client/main.cpp`` skips
each of these scans when the variable is ``0``): ``ADB_USB=0`` (no USB devices: real phones stay
with the user's server), ``ADB_EMU=0`` (no scan of the emulator ports 5555-5585), ``ADB_MDNS=0``
(no wireless-debugging discovery). The user's ``adb devices`` list stays as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
from collections.abc import Iterator

from harness.bridge.server import DEFAULT_PORT, AdbServer, find_adb_binary
from harness.errors import AdbServerError

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
EMULATOR_PORTS = range(5554, 5586)  # console and adb ports the adb server probes for emulators
START_TIMEOUT_S = 20.0
KILL_TIMEOUT_S = 10.0
START_ATTEMPTS = 3  # a free port can be taken by another process before adb binds it
PRIVATE_ENV = {"ADB_USB": "0", "ADB_EMU": "0", "ADB_MDNS": "0"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, outside the ports adb itself uses."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOCALHOST, 0))
            port = int(s.getsockname()[1])
        if port not in EMULATOR_PORTS and port != DEFAULT_PORT:
            return port
    raise AdbServerError("no free TCP port for a private adb server")


def _server_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANDROID_ADB_SERVER_PORT", "ANDROID_ADB_SERVER_HOST")}
    env.update(PRIVATE_ENV)
    env.update(extra_env or {})
    return env


def start_private_server(adb_path: str | None = None, extra_env: dict[str, str] | None = None) -> AdbServer:
    """Start an adb server on a free local port; the caller stops it with :func:`stop_private_server`.

    ``extra_env`` reaches the server process (e.g. ``ADB_BURST_MODE=1``).
    """
    adb = adb_path or find_adb_binary()
    detail = "no attempt"
    for _ in range(START_ATTEMPTS):
        port = free_port()
        try:
            proc = subprocess.run([adb, "-P", str(port), "start-server"], capture_output=True, text=True,
                                  timeout=START_TIMEOUT_S, env=_server_env(extra_env), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            stop_private_server(AdbServer(LOCALHOST, port), adb)
            raise AdbServerError(f"private adb server on port {port} ({adb}) did not start "
                                 f"within {START_TIMEOUT_S:g}s") from e
        except OSError as e:
            raise AdbServerError(f"cannot run {adb} to start a private adb server: {e}") from e
        server = AdbServer(LOCALHOST, port)
        if proc.returncode == 0 and server.is_running():
            log.info("private adb server on port %d (%s)", port, adb)
            return server
        detail = f"port {port}: {adb} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"
        log.info("private adb server did not start (%s); trying another port", detail)
        stop_private_server(server, adb)
    raise AdbServerError(f"private adb server did not start after {START_ATTEMPTS} attempts ({detail})")


def stop_private_server(server: AdbServer, adb_path: str | None = None) -> None:
    """``adb -P PORT kill-server`` (bounded); a failure is logged, not raised."""
    adb = adb_path or find_adb_binary()
    try:
        proc = subprocess.run([adb, "-P", str(server.port), "kill-server"], capture_output=True, text=True,
                              timeout=KILL_TIMEOUT_S, env=_server_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("could not stop private adb server on port %d: %s", server.port, e)
        return
    if proc.returncode != 0 and server.is_running():
        log.warning("private adb server on port %d did not stop: %s exited %d: %s", server.port, adb,
                    proc.returncode, proc.stderr.strip())
    else:
        log.info("private adb server on port %d stopped", server.port)


@contextlib.contextmanager
def private_adb_server(adb_path: str | None = None) -> Iterator[AdbServer]:
    """A private adb server for the block, stopped when it ends (also on errors and interrupts)."""
    adb = adb_path or find_adb_binary()
    server = start_private_server(adb)
    try:
        yield server
    finally:
        stop_private_server(server, adb)
