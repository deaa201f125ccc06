"""Benchmark of the virtual device model: 24 simulated hours of a busy scenario.

Scenario (in-process, through the same shell commands and companion RPC the harness uses):
one periodic work request (15 min), one periodic job needing a network, one inexact repeating
alarm (15 min), one exact allow-while-idle alarm (scheduled anew every hour, 30 min ahead), Doze entered and left
every 2 hours (screen off + unplugged, then screen on), one reboot at 12 h, one force-stop followed by
a relaunch at 18 h. Prints wall time, events per second (trace records / wall s), timers fired and peak
memory (tracemalloc). Targets: <= 1 s wall, <= 200 MB.

    python bench/bench_model.py [--seed N] [--hours H]
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
import tracemalloc

from harness.virtual.commands import build_registry
from harness.virtual.model.device import DeviceModel
from harness.virtual.shell.registry import CommandContext

PKG = "dev.harness.companion"
HOUR = 3_600_000


def run(seed: int, hours: int) -> dict[str, float]:
    m = DeviceModel(seed=seed)
    reg = build_registry()
    ctx = CommandContext(m)

    def sh(cmd: str) -> str:
        res = reg.dispatch(ctx, shlex.split(cmd))
        return res.stdout.decode()

    def rpc(method: str, arg: dict[str, object]) -> str:
        res = reg.dispatch(ctx, ["content", "call", "--uri", f"content://{PKG}.rpc", "--method", method,
                                 "--arg", json.dumps(arg)])
        return res.stdout.decode()

    sh(f"appops set {PKG} SCHEDULE_EXACT_ALARM allow")
    sh(f"am start -n {PKG}/.MainActivity")
    sh("input keyevent KEYCODE_HOME")
    tasks = [
        {"id": "work15", "mechanism": "work", "params": {"kind": "periodic", "interval_ms": 15 * 60_000}},
        {"id": "jobnet", "mechanism": "job", "params": {"periodic_ms": 15 * 60_000, "network": "any"}},
        {"id": "alarm15", "mechanism": "alarm", "params": {"method": "set_inexact_repeating",
                                                          "trigger_in_ms": 15 * 60_000, "interval_ms": 15 * 60_000}},
    ]

    def schedule_all() -> None:
        for t in tasks:
            rpc("schedule", {"task": t})

    def exact_alarm(i: int) -> None:
        rpc("schedule", {"task": {"id": f"exact{i}", "mechanism": "alarm",
                                  "params": {"method": "set_exact_and_allow_while_idle", "trigger_in_ms": 30 * 60_000,
                                             "type": "elapsed_wakeup"}}})

    schedule_all()
    fired = 0
    for hour in range(hours):
        exact_alarm(hour)
        if hour % 4 == 0:
            sh("cmd battery unplug")
            sh("input keyevent KEYCODE_SLEEP")  # Doze on its own: INACTIVE -> IDLE_PENDING -> IDLE
        if hour % 4 == 2:
            sh("input keyevent KEYCODE_WAKEUP")  # leave Doze
            sh("cmd battery reset")
        if hour == hours // 2:
            m.shutdown()
            m.boot()
            schedule_all()
        if hour == (3 * hours) // 4:
            sh(f"am force-stop {PKG}")
            sh(f"am start -n {PKG}/.MainActivity")
            sh("input keyevent KEYCODE_HOME")
            schedule_all()
        fired += m.advance(HOUR)
    lines = m.trace_lines()
    return {"trace_records": float(len(lines)), "timers_fired": float(fired),
            "journal_events": float(sum(1 for x in lines if '"kind":"journal"' in x)),
            # model B: JobScheduler starts (companion jobs + WorkManager's SystemJobService jobs), worker runs
            "job_starts": float(sum(1 for x in lines if '"kind":"job_start"' in x)),
            "work_runs": float(sum(1 for x in lines if '"kind":"work_start"' in x))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=int, default=24)
    args = ap.parse_args()
    tracemalloc.start()
    t0 = time.perf_counter()
    res = run(args.seed, args.hours)
    wall = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # a second run without tracemalloc for the wall time (tracemalloc slows Python down)
    t1 = time.perf_counter()
    run(args.seed, args.hours)
    wall_plain = time.perf_counter() - t1
    print(f"simulated: {args.hours} h")
    print(f"wall time: {wall_plain:.3f} s (with tracemalloc: {wall:.3f} s)   target <= 1 s")
    print(f"trace records: {int(res['trace_records'])}  timers fired: {int(res['timers_fired'])}  "
          f"journal events: {int(res['journal_events'])}")
    print(f"job starts: {int(res['job_starts'])}  work runs: {int(res['work_runs'])}")
    print(f"events per second (trace records / wall s): {res['trace_records'] / wall_plain:,.0f}")
    print(f"peak memory (tracemalloc): {peak / 1e6:.1f} MB   target <= 200 MB")


if __name__ == "__main__":
    main()
