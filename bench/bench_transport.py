"""Transport figures of the virtual device through the REAL adb server.

  python bench/bench_transport.py [--adb debian|bundled] [--rounds 300] [--mb 20]

Prints shell round-trip p50/p99 (adbutils -> adb server -> virtual device) and push/pull MB/s
(adbutils sync and the adb command line). Targets: p50 <= 3 ms, push/pull >= 100 MB/s.
Starts a private adb server and a virtual device, and stops both.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import adbutils  # noqa: E402

from harness.bridge import AdbServer, Device  # noqa: E402
from harness.virtual.testing import AdbCli, private_adb_server, running_sim  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[idx]


def raw_shell(server_port: int, serial: str, command: str) -> bytes:
    """One shell command over a plain socket to the adb server (the smart-socket protocol)."""
    with socket.create_connection(("127.0.0.1", server_port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for request in (f"host:transport:{serial}", f"shell,v2,raw:{command}"):
            s.sendall(f"{len(request):04x}{request}".encode())
            status = s.recv(4)
            if status != b"OKAY":
                raise SystemExit(f"adb server refused {request!r}: {status!r}")
        out = bytearray()
        while chunk := s.recv(65536):
            out += chunk
        return bytes(out)


def bench_raw(server_port: int, serial: str, rounds: int) -> list[float]:
    expected = b"\x01\x03\x00\x00\x00hi\n\x03\x01\x00\x00\x00\x00"
    times: list[float] = []
    for i in range(rounds + 10):
        t0 = time.perf_counter()
        out = raw_shell(server_port, serial, "echo hi")
        if i >= 10:
            times.append((time.perf_counter() - t0) * 1000)
        if out != expected:
            raise SystemExit(f"unexpected shell answer: {out!r}")
    return times


def bench_shell(dev: adbutils.AdbDevice, rounds: int, v2: bool) -> list[float]:
    times: list[float] = []
    for _ in range(10):  # warm up
        dev.shell2("echo warm", v2=v2)
    for _ in range(rounds):
        t0 = time.perf_counter()
        ret = dev.shell2("echo hi", v2=v2)
        times.append((time.perf_counter() - t0) * 1000)
        if ret.returncode != 0 or ret.output != "hi\n":
            raise SystemExit(f"unexpected shell answer: {ret}")
    return times


def bench_bridge(server_port: int, serial: str, rounds: int) -> list[float]:
    """The path the harness itself uses: harness.bridge.Device.shell (adbutils, shell v2)."""
    dev = Device(AdbServer(port=server_port), serial)
    times: list[float] = []
    for i in range(rounds + 10):
        t0 = time.perf_counter()
        ret = dev.shell(["echo", "hi"])
        if i >= 10:
            times.append((time.perf_counter() - t0) * 1000)
        if ret.status != 0 or ret.stdout != "hi\n":
            raise SystemExit(f"unexpected shell answer: {ret}")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adb", default="debian", choices=["debian", "bundled"])
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--mb", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HARNESS_SIM_DIR"] = str(Path(tmp) / "sims")
        with private_adb_server(args.adb) as server, running_sim(server, name="bench") as sim:
            dev = adbutils.AdbClient(port=server.port).device(sim.serial)
            print(f"adb server: {server.kind} ({server.adb_path}), device {sim.serial}")
            t = bench_raw(server.port, sim.serial, args.rounds)
            print(f"shell round trip {'raw socket, shell,v2 (transport)':<34} n={len(t)} "
                  f"p50={statistics.median(t):.2f} ms p99={percentile(t, 99):.2f} ms  (target p50 <= 3 ms)")
            # adbutils sleeps 10 ms in AdbConnection.close() and asks host:version on each call
            # without a transport id: its figures carry ~20 ms of client-side waiting.
            for v2 in (False, True):
                t = bench_shell(dev, args.rounds, v2)
                label = "shell,v2 (shell2 v2=True)" if v2 else "shell: (shell2, legacy + X4EXIT)"
                print(f"shell round trip {label:<34} n={len(t)} p50={statistics.median(t):.2f} ms "
                      f"p99={percentile(t, 99):.2f} ms  (adbutils, incl. its own sleeps)")
            t = bench_bridge(server.port, sim.serial, args.rounds)
            print(f"shell round trip {'harness bridge Device.shell (v2)':<34} n={len(t)} "
                  f"p50={statistics.median(t):.2f} ms p99={percentile(t, 99):.2f} ms  (target p50 <= 3 ms)")
            client = adbutils.AdbClient(port=server.port)
            tid = next(int(i.transport_id) for i in client.list(extended=True) if i.serial == sim.serial)
            t = bench_shell(client.device(transport_id=tid), args.rounds, True)
            print(f"shell round trip {'shell,v2 via transport_id device':<34} n={len(t)} "
                  f"p50={statistics.median(t):.2f} ms p99={percentile(t, 99):.2f} ms  (adbutils, one connection)")
            data = os.urandom(args.mb * 1024 * 1024)
            src = Path(tmp) / "src.bin"
            src.write_bytes(data)
            remote = "/data/local/tmp/bench.bin"
            t0 = time.perf_counter()
            dev.sync.push(data, remote)
            push_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            back = dev.sync.read_bytes(remote)
            pull_s = time.perf_counter() - t0
            assert back == data, "pull mismatch"
            mb = len(data) / 1e6
            print(f"adbutils sync push {mb / push_s:8.1f} MB/s   pull {mb / pull_s:8.1f} MB/s  "
                  f"({args.mb} MiB; target >= 100 MB/s)")
            cli = AdbCli(server)
            t0 = time.perf_counter()
            r = cli.run("push", str(src), remote, serial=sim.serial)
            push_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            r2 = cli.run("pull", remote, str(Path(tmp) / "back.bin"), serial=sim.serial)
            pull_s = time.perf_counter() - t0
            if r.returncode or r2.returncode or (Path(tmp) / "back.bin").read_bytes() != data:
                raise SystemExit("adb CLI push/pull failed")
            print(f"adb CLI push       {mb / push_s:8.1f} MB/s   pull {mb / pull_s:8.1f} MB/s  "
                  f"(wall time incl. process start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
