"""Runner benchmarks: harness overhead per step, and one versus two virtual devices.

    python bench/bench_runner.py [--repeat 5] [--specs 30] [--rounds 3] [--no-xdist] [--no-per-step]
                                 [--shared-adb]

Prints (never fails on timing):

1. Per step type: adb round trips and host milliseconds per step, from ``bench/specs/every_step.yaml``
   run ``--repeat`` times on one virtual device; and the average round trips per action step
   (every step but ``wait`` and ``reboot``). Target: <= 1.
2. A run of ``--specs`` specs on one virtual device versus split over two, as the product runs
   them: one ``harness run``-like worker process per device (a Session and a SpecRunner on its
   own virtual device), started and connected first, then released together through a pipe, and
   timed until the last one printed its verdicts (the workers exit afterwards), so the figure is
   the spec execution itself (interpreter start-up and teardown, device start-up excluded). Each of
   ``--rounds`` rounds prints the load average it started at (other processes on a small machine
   skew it); the speed-up is best against best. Also printed: the CPU each process (harness
   worker, virtual device, adb server) spends per adb round trip in the one-device run, and the
   speed-up two devices could reach on two idle cores from those figures.
   Target: two devices >= 1.6x as fast as one. Each virtual device sits on an adb server of its
   own, as the pytest plugin arranges under pytest-xdist (``provide_device(private_adb=True)``:
   :mod:`harness.bridge.private_server`, then ``start_virtual``). ``--shared-adb`` (an experiment,
   not the figure) puts both devices on one adb server instead, to show what sharing it costs.
3. The same specs through ``pytest --virtual`` with ``-n 1`` and ``-n 2`` (pytest-xdist), wall
   time including interpreter start-up and starting the virtual devices.

Everything runs against private adb servers on free ports and virtual devices started here,
all stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.bridge.select import select_device  # noqa: E402
from harness.runner.runner import SpecRunner  # noqa: E402
from harness.runner.session import Session  # noqa: E402
from harness.spec.loader import load_spec  # noqa: E402

EVERY_STEP = ROOT / "bench" / "specs" / "every_step.yaml"
WORKLOAD = [ROOT / "tests" / "runner" / "specs" / "pass" / "job_runs.yaml",
            ROOT / "tests" / "runner" / "specs" / "pass" / "alarm_fires.yaml",
            ROOT / "tests" / "runner" / "specs" / "fail" / "offline_job.yaml",
            EVERY_STEP]
NON_ACTION = {"wait", "reboot"}
WALL_CLOCK_STEPS = ("reboot", "swipe_from_recents")  # left out of the timed workload (see workload())
RUN_TIMEOUT_S = 600.0  # bound on one timed run (release to the last result line)


# ---------------------------------------------------------------- worker process

def worker(serial: str, adb_port: int, spec_paths: list[str]) -> int:
    specs = [load_spec(p) for p in spec_paths]
    session = Session(select_device(serial, adb_port=adb_port))
    session.companion.connect()
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2
    t0, cpu0 = time.perf_counter(), time.process_time()
    rt0 = session.round_trips
    run = SpecRunner(session).run(specs)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"elapsed": elapsed, "cpu": time.process_time() - cpu0,
                      "round_trips": session.round_trips - rt0,
                      "spec_round_trips": [s.round_trips for s in run.specs],
                      "verdicts": [s.verdict.value for s in run.specs]}), flush=True)
    # Exit only when told: the interpreter's teardown (tens of ms of CPU) must not run inside
    # another worker's timed run.
    sys.stdin.readline()
    return 0


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None if it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def adb_server_pid(port: int) -> int | None:
    """The adb server process listening on ``port`` (``adb -L tcp:PORT fork-server server ...``)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fork-server" in argv and f"tcp:{port}".encode() in argv:
            return int(proc.name)
    return None


def machine_busy_s() -> float:
    """CPU seconds all processes on the machine have used (every core, /proc/stat), 0 if unknown."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min), {five:.2f} (5 min)"


def start_worker(serial: str, adb_port: int, paths: list[Path]) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, __file__, "--worker", serial, "--adb-port", str(adb_port),
                          *map(str, paths)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert p.stdout is not None
    line = p.stdout.readline().strip()
    if line != "ready":
        p.kill()
        raise RuntimeError(f"worker for {serial} did not get ready: {line!r}")
    return p


def release(workers: list[subprocess.Popen[str]]) -> tuple[float, list[dict[str, Any]]]:
    """Start the released workers' runs together; wall time until the last one printed its verdicts.

    The clock stops at the last worker's result line, not at its exit: start-up is left out of
    the figure, and so is the interpreter's teardown (about 45 ms here, which would count once in
    either figure and, with two workers, run during the other one's timed run). The workers exit
    when told, after the clock stopped.
    """
    t0 = time.perf_counter()
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    outs = []
    deadline = t0 + RUN_TIMEOUT_S
    for w in workers:
        assert w.stdout is not None
        ready, _, _ = select.select([w.stdout], [], [], max(0.0, deadline - time.perf_counter()))
        line = w.stdout.readline() if ready else ""
        if not line:
            w.kill()
            raise RuntimeError(f"worker {w.args[3]} gave no result within {RUN_TIMEOUT_S:g}s")
        outs.append(json.loads(line))
    elapsed = time.perf_counter() - t0
    for w in workers:
        w.communicate("quit\n", timeout=600)
    return elapsed, outs


# ---------------------------------------------------------------- benchmarks

def per_step(serial: str, adb_port: int, repeat: int) -> None:
    session = Session(select_device(serial, adb_port=adb_port))
    session.companion.connect()
    spec = load_spec(EVERY_STEP)
    trips: dict[str, list[int]] = defaultdict(list)
    millis: dict[str, list[float]] = defaultdict(list)
    spec_trips = []
    for _ in range(repeat):
        result = SpecRunner(session).run_spec(spec)
        if result.verdict.value != "PASSED":
            print(f"  warning: {spec.name} ended {result.verdict.value}: {result.reason}")
        spec_trips.append(result.round_trips)
        for st in result.steps:
            trips[st.kind].append(st.round_trips)
            millis[st.kind].append(st.host_duration_s * 1000)
    print(f"1. harness overhead per step ({spec.name}, {repeat} runs, virtual device {serial})")
    print(f"   {'step':<20}{'n':>4}{'round trips':>13}{'ms (median)':>13}{'ms (max)':>10}")
    for kind in sorted(trips):
        print(f"   {kind:<20}{len(trips[kind]):>4}{statistics.mean(trips[kind]):>13.2f}"
              f"{statistics.median(millis[kind]):>13.2f}{max(millis[kind]):>10.2f}")
    action = [t for k, ts in trips.items() if k not in NON_ACTION for t in ts]
    action_ms = [m for k, ms in millis.items() if k not in NON_ACTION for m in ms]
    avg = statistics.mean(action)
    print(f"   action steps: {avg:.2f} adb round trips per step on average "
          f"(target <= 1: {'met' if avg <= 1 else 'NOT met'}), {statistics.median(action_ms):.2f} ms median")
    print(f"   per spec, setup and restore included: {statistics.mean(spec_trips):.1f} round trips "
          f"for {len(spec.steps)} steps")


def workload(n_specs: int, workdir: Path) -> tuple[list[Path], list[int]]:
    """``n_specs`` copies of the workload specs (renamed), and the kind of each.

    Steps whose time is mostly wall-clock waiting are left out, as it would hide the harness' own
    cost (and waiting in parallel flatters two devices): ``reboot`` (the virtual device's simulated
    boot delay) and ``swipe_from_recents`` (through uiautomator2 when installed: starting its
    server on the device). Section 1 still times both.
    """
    paths: list[Path] = []
    kinds: list[int] = []
    for i in range(n_specs):
        kind = i % len(WORKLOAD)
        text = WORKLOAD[kind].read_text()
        for step in WALL_CLOCK_STEPS:
            text = text.replace(f"  - {step}\n", "")
        name = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("spec:"))
        dst = workdir / f"spec_{i:02d}.yaml"
        dst.write_text(text.replace(f"spec: {name}", f"spec: {name}-{i:02d}", 1))
        paths.append(dst)
        kinds.append(kind)
    return paths, kinds


def split_in_two(paths: list[Path], cost: list[int]) -> list[list[Path]]:
    """Two halves of about equal cost (heaviest first to the lighter half), in file order."""
    halves: list[list[Path]] = [[], []]
    totals = [0, 0]
    for i in sorted(range(len(paths)), key=lambda i: (-cost[i], i)):
        h = 0 if totals[0] <= totals[1] else 1
        halves[h].append(paths[i])
        totals[h] += cost[i]
    return [sorted(h) for h in halves]


def one_vs_two(serials: list[str], pids: list[int], adb_port: int, n_specs: int, workdir: Path,
               rounds: int, adb_port_b: int) -> None:
    """The first device on adb server ``adb_port``, the second on ``adb_port_b`` (the same port
    for the ``--shared-adb`` experiment)."""
    ports = [adb_port, adb_port_b]
    paths, _kinds = workload(n_specs, workdir)
    # An untimed run first (warm-up) gives each spec's round trips, to split the work evenly.
    _, (warm,) = release([start_worker(serials[0], adb_port, paths)])
    halves = split_in_two(paths, warm["spec_round_trips"])
    adb_pid = adb_server_pid(adb_port)
    ones, twos = [], []
    out1: dict[str, Any] = {}
    outs: list[dict[str, Any]] = []
    cpu: dict[str, list[float]] = defaultdict(list)
    print(f"2. {n_specs} specs on one virtual device versus split {len(halves[0])}/{len(halves[1])} over two "
          f"(even in round trips; {len(WORKLOAD)} kinds; no {', no '.join(WALL_CLOCK_STEPS)}); one worker process per device, "
          f"timed from release to the last verdict")
    if adb_port_b != adb_port:
        print("   each device on an adb server of its own, as the pytest plugin runs virtual devices under "
              "pytest-xdist")
    else:
        print("   EXPERIMENT --shared-adb: both devices on one adb server (not how the pytest plugin runs "
              "virtual devices under xdist)")
    adb_pid_b = adb_server_pid(adb_port_b) if adb_port_b != adb_port else None
    ours = [*pids, *([adb_pid] if adb_pid else []), *([adb_pid_b] if adb_pid_b else [])]

    def own_cpu() -> float:
        return sum(process_cpu_s(pid) or 0.0 for pid in ours)

    def others(t: float, machine0: float, own0: float, workers: list[dict[str, Any]]) -> str:
        """Cores the rest of the machine kept busy meanwhile (machine CPU minus this bench's)."""
        used = machine_busy_s() - machine0 - (own_cpu() - own0) - sum(o["cpu"] for o in workers)
        return f"{max(0.0, used) / t:.2f}"

    for r in range(rounds):
        load = load_average()
        worker1 = start_worker(serials[0], adb_port, paths)
        dev0, adb0 = process_cpu_s(pids[0]), process_cpu_s(adb_pid) if adb_pid else None
        m0, own0 = machine_busy_s(), own_cpu()
        t1, (out1,) = release([worker1])
        busy1 = others(t1, m0, own0, [out1])
        dev1, adb1 = process_cpu_s(pids[0]), process_cpu_s(adb_pid) if adb_pid else None
        ones.append(t1)
        n = out1["round_trips"]
        cpu["harness"].append(out1["cpu"] / n)
        if dev0 is not None and dev1 is not None:
            cpu["virtual device"].append((dev1 - dev0) / n)
        if adb0 is not None and adb1 is not None:
            cpu["adb server"].append((adb1 - adb0) / n)
        workers2 = [start_worker(s, port, h) for s, port, h in zip(serials, ports, halves)]
        m0, own0 = machine_busy_s(), own_cpu()
        t2, outs = release(workers2)
        busy2 = others(t2, m0, own0, outs)
        twos.append(t2)
        each = ", ".join(f"{o['elapsed']:.3f}" for o in outs)
        print(f"   round {r + 1}: one {t1:6.3f} s, two {t2:6.3f} s (workers {each} s): {t1 / t2:.2f}x   "
              f"[{load}; other processes busy {busy1}/{busy2} cores]")
    verdicts = out1["verdicts"]
    n = out1["round_trips"]
    print(f"   {verdicts.count('PASSED')} passed, {verdicts.count('FAILED')} failed by design; "
          f"{n} adb round trips on one device")
    print(f"   one virtual device : {min(ones):7.3f} s best, {statistics.median(ones):7.3f} s median "
          f"({min(ones) / n * 1000:.2f} ms per round trip)")
    print(f"   two virtual devices: {min(twos):7.3f} s best, {statistics.median(twos):7.3f} s median")
    speedup = min(ones) / min(twos)
    print(f"   speed-up {speedup:.2f}x best-to-best, {statistics.median(ones) / statistics.median(twos):.2f}x "
          f"median (target >= 1.6x: {'met' if speedup >= 1.6 else 'NOT met'}); {os.cpu_count()} CPUs shared by "
          f"the workers, {'the adb server' if ports[0] == ports[1] else 'the adb servers'}, both virtual devices "
          "and whatever else runs")
    if cpu:
        per = {k: min(v) * 1000 for k, v in cpu.items()}  # least disturbed round
        total = sum(per.values())
        wall = min(ones) / n * 1000
        print("   CPU per adb round trip, one device (least of the rounds; 10 ms clock ticks): "
              + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items()) + f"; total {total:.2f} ms "
              f"of {wall:.2f} ms wall")
        cores = os.cpu_count() or 1
        busy = total / wall if wall else 0.0
        bound = min(2.0, cores / busy) if busy else 2.0  # the same CPU work spread over the cores
        print(f"   one device keeps {busy:.2f} cores busy; two devices on {cores} idle cores could reach "
              f"{bound:.2f}x")


def xdist(adb_port: int, workdir: Path) -> None:
    env = dict(os.environ, ANDROID_ADB_SERVER_PORT=str(adb_port))
    times = {}
    for n in (1, 2):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--virtual", "-n", str(n),
                            str(workdir)], capture_output=True, text=True, env=env, cwd=workdir, timeout=600)
        times[n] = time.perf_counter() - t0
        last = (p.stdout.strip().splitlines() or ["?"])[-1]
        print(f"   pytest -n {n} --virtual: {times[n]:6.2f} s wall  ({last})")
    print(f"   speed-up {times[1] / times[2]:.2f}x end to end (start-up of Python, xdist and the devices included)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--specs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of the one/two device comparison")
    parser.add_argument("--no-xdist", action="store_true", help="skip the pytest -n 1 / -n 2 comparison")
    parser.add_argument("--no-per-step", action="store_true", help="skip the per-step table (section 1)")
    parser.add_argument("--shared-adb", action="store_true",
                        help="experiment: both devices on one adb server (section 2)")
    parser.add_argument("--worker", metavar="SERIAL", help=argparse.SUPPRESS)
    parser.add_argument("--adb-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.adb_port, args.paths)

    from harness.bridge.private_server import private_adb_server
    from harness.bridge.server import AdbServer
    from harness.runner.provision import start_virtual, stop_virtual
    from harness.virtual.sim import SimInfo

    state = Path(tempfile.mkdtemp(prefix="bench_runner_"))
    os.environ["HARNESS_SIM_DIR"] = str(state / "sims")
    try:
        with contextlib.ExitStack() as stack:
            print(f"bench_runner: {os.cpu_count()} CPUs, {load_average()} at start")

            def virtual(on: AdbServer, name: str) -> SimInfo:  # as provide_device(private_adb=True) does
                _, info = start_virtual(on, name=name)
                stack.callback(stop_virtual, on, info)
                return info

            server = stack.enter_context(private_adb_server())
            a = virtual(server, "bench_a")
            server_b = server if args.shared_adb else stack.enter_context(private_adb_server())
            b = virtual(server_b, "bench_b")
            if not args.no_per_step:
                per_step(a.serial, server.port, args.repeat)
            work = state / "specs"
            work.mkdir()
            one_vs_two([a.serial, b.serial], [a.pid, b.pid], server.port, args.specs, work, args.rounds,
                       server_b.port)
            if not args.no_xdist:
                print("3. the same specs through the pytest plugin")
                xdist(server.port, work)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
