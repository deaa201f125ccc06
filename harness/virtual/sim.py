"""Process management of virtual devices (``harness sim``).

A sim is ``python -m harness.virtual`` started as a detached background process (its own
session, stdin from /dev/null, output to a log file). The starter learns the port through a
pipe the child writes once it listens (``--ready-fd``): a bounded wait, no polling. The sim is
then ``adb connect``-ed through adbutils so it shows in ``adb devices``.

State files (one JSON per sim, named by port) live in ``$HARNESS_SIM_DIR``, else
``$XDG_RUNTIME_DIR/harness/sims`` or ``~/.cache/harness/sims``; entries whose process is gone are pruned when listed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import adbutils

from harness.errors import AdbServerError, DeviceError, DeviceNotFoundError
from harness.virtual.model.device import DEFAULT_API
from harness.virtual.server import DEFAULT_BOOT_DELAY, EMULATOR_PORTS, LOCALHOST

log = logging.getLogger(__name__)

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
CONNECT_TIMEOUT = 10.0
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the ``harness`` package


class SimError(DeviceError):
    """A virtual device could not be started, connected or stopped."""


@dataclass
class SimInfo:
    serial: str  # "127.0.0.1:PORT", what adb shows
    port: int
    pid: int
    api: int
    name: str
    log_path: str
    adb_port: int | None = None  # the adb server it was connected to (None: not connected)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SimInfo":
        data = json.loads(text)
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


# ---------------------------------------------------------------------------- state files

def state_dir() -> Path:
    """``$HARNESS_SIM_DIR`` if set (tests isolate themselves with it), else the runtime/cache dir."""
    override = os.environ.get("HARNESS_SIM_DIR")
    if override:
        path = Path(override)
        path.mkdir(parents=True, exist_ok=True)
        return path
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "harness" if runtime and os.path.isdir(runtime) else Path.home() / ".cache" / "harness"
    path = base / "sims"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state_file(port: int) -> Path:
    return state_dir() / f"{port}.json"


def sim_process_alive(pid: int) -> bool:
    """True if ``pid`` runs and is a virtual device (guards against pid reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid check
    if not cmdline:
        return False  # a zombie
    return b"harness.virtual" in cmdline


def list_sims() -> list[SimInfo]:
    """Running sims; state files of dead ones are removed."""
    sims: list[SimInfo] = []
    for path in sorted(state_dir().glob("*.json")):
        try:
            info = SimInfo.from_json(path.read_text())
        except (OSError, ValueError, TypeError) as e:
            log.warning("removing unreadable sim state %s: %s", path, e)
            path.unlink(missing_ok=True)
            continue
        if sim_process_alive(info.pid):
            sims.append(info)
        else:
            log.info("pruning stale sim %s (pid %d gone)", info.serial, info.pid)
            path.unlink(missing_ok=True)
    return sims


def find_sim(serial: str) -> SimInfo:
    for info in list_sims():
        if serial in (info.serial, str(info.port), f"localhost:{info.port}"):
            return info
    raise DeviceNotFoundError(f"no running virtual device {serial!r} (see `harness sim list`)", serial)


# ---------------------------------------------------------------------------- adb server

def adb_server_port() -> int:
    return int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))


def _adb_server_running(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((LOCALHOST, port), timeout=1.0):
        return True
    return False


def adb_connect(serial: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """``adb connect SERIAL`` through adbutils (starts the adb server if needed)."""
    client = adbutils.AdbClient(port=adb_server_port())
    try:
        answer = client.connect(serial, timeout=timeout)
    except adbutils.AdbError as e:
        raise AdbServerError(f"adb connect failed: {e}", serial) from e
    if "connected to" not in answer:
        raise SimError(f"adb connect answered: {answer.strip()}", serial)
    log.info("adb: %s", answer.strip())


def adb_disconnect(serial: str, port: int | None = None) -> None:
    """``adb disconnect SERIAL`` if that adb server runs (never starts one)."""
    port = port or adb_server_port()
    if not _adb_server_running(port):
        return
    with contextlib.suppress(adbutils.AdbError, OSError):
        adbutils.AdbClient(port=port).disconnect(serial)


# ---------------------------------------------------------------------------- start / stop

def _log_tail(path: str, lines: int = 8) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").strip().splitlines()[-lines:])
    return ""


def start_sim(*, port: int | None = None, api: int = DEFAULT_API, name: str = "harness_virtual", seed: int = 0,
              boot_delay: float = DEFAULT_BOOT_DELAY, connect: bool = True, log_level: str = "INFO",
              timeout: float = START_TIMEOUT) -> SimInfo:
    """Start a virtual device in the background and (by default) ``adb connect`` it."""
    if port is not None and port in EMULATOR_PORTS:
        raise SimError(f"port {port} is in 5555-5585, which the adb server probes for emulators")
    logs = state_dir() / "logs"
    logs.mkdir(exist_ok=True)
    log_path = str(logs / f"sim-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log")
    read_fd, write_fd = os.pipe()
    cmd = [sys.executable, "-m", "harness.virtual", "--port", str(port or 0), "--api", str(api), "--name", name,
           "--seed", str(seed), "--boot-delay", str(boot_delay), "--log", log_path, "--log-level", log_level,
           "--ready-fd", str(write_fd)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    try:
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                                    pass_fds=(write_fd,), start_new_session=True, close_fds=True)
    finally:
        os.close(write_fd)
    try:
        ready = _read_ready(read_fd, proc, timeout)
    except SimError:
        _terminate(proc.pid, STOP_TIMEOUT, proc)
        raise
    finally:
        os.close(read_fd)
    info = SimInfo(serial=str(ready["serial"]), port=int(ready["port"]), pid=proc.pid, api=api, name=name,
                   log_path=log_path)
    _state_file(info.port).write_text(info.to_json())
    log.info("virtual device %s started (pid %d, log %s)", info.serial, info.pid, log_path)
    if connect:
        try:
            adb_connect(info.serial)
        except DeviceError:
            stop_sim(info)
            raise
        info.adb_port = adb_server_port()
        _state_file(info.port).write_text(info.to_json())
    return info


def _read_ready(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SimError(f"virtual device did not start listening within {timeout:g}s; "
                           f"log: {_log_tail(_proc_log(proc))}")
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        if data.endswith(b"\n"):
            break
    if not data:
        status = proc.wait(timeout=STOP_TIMEOUT)
        raise SimError(f"virtual device exited with status {status} before listening: {_log_tail(_proc_log(proc))}")
    ready: dict[str, object] = json.loads(data)
    return ready


def _proc_log(proc: subprocess.Popen[bytes]) -> str:
    args = [str(a) for a in proc.args] if isinstance(proc.args, list) else []
    return args[args.index("--log") + 1] if "--log" in args else ""


def _terminate(pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM, bounded wait, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout, proc):
        return
    log.warning("virtual device pid %d ignored SIGTERM; killing it", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, timeout, proc)


def _wait_gone(pid: int, timeout: float, proc: subprocess.Popen[bytes] | None) -> bool:
    if proc is not None:
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap if it is our child
        if not sim_process_alive(pid):
            return True
        time.sleep(0.02)  # bounded poll of another process's exit (no pidfd in all Pythons)
    return not sim_process_alive(pid)


def stop_sim(info: SimInfo, timeout: float = STOP_TIMEOUT) -> None:
    """Disconnect from adb, terminate the process (kill if needed), remove the state file."""
    adb_disconnect(info.serial, info.adb_port)
    if sim_process_alive(info.pid):
        _terminate(info.pid, timeout)
    _state_file(info.port).unlink(missing_ok=True)
    log.info("virtual device %s stopped", info.serial)


def stop_all(timeout: float = STOP_TIMEOUT) -> list[SimInfo]:
    sims = list_sims()
    for info in sims:
        stop_sim(info, timeout)
    return sims
