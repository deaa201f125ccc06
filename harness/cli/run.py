"""`harness run [PATHS] [--device S] [-k EXPR] [--report DIR]`: run behavior specs on a device.

Every spec is loaded and checked first: an invalid spec is refused with ``file:line:col`` before
any device command (exit 2). With no device attached (and none named) a virtual device is started
for the run, announced on stderr, and stopped at the end. While it runs, the current spec and step
show on stderr; each spec ends with one verdict line on stdout. ``results.json`` and
``report.html`` are written to the report directory after every spec, so an interrupted run keeps
what it did. Ctrl-C or SIGTERM: the device is restored, the partial report written, exit 130.

Exit status: 0 every spec passed (or was skipped), 1 some failed, 2 invalid specs or usage,
3 device trouble (a spec ended in ERROR, or the device could not be used), 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from harness.cli.common import add_server_options
from harness.errors import EXIT_DEVICE, EXIT_FAILED, EXIT_USAGE, CompanionNotInstalledError, HarnessError, SpecError
from harness.report.writer import write_report
from harness.runner.clock import Clock, RealTime, VirtualTime
from harness.runner.keywords import compile_keywords
from harness.runner.provision import provide_device
from harness.runner.result import RunResult, SpecResult, Verdict
from harness.runner.runner import Progress, SpecRunner, new_run
from harness.runner.session import REBOOT_TIMEOUT_S, Session
from harness.runner.steps import describe
from harness.runner.trouble import not_run, unreachable_companion
from harness.spec.durations import DurationSyntaxError, parse_duration_ms
from harness.spec.loader import find_spec_files, parse_spec_file
from harness.spec.model import Spec

DEFAULT_PATHS = ["specs"]
DEFAULT_REPORT_DIR = "harness-report"
EXIT_INTERRUPTED = 130


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run", help="run YAML behavior specs on a device (or a virtual device)",
        description="Run behavior specs on a device. With no device attached, a virtual device is started "
                    "for the run. Exit 0 all passed, 1 some failed, 2 invalid specs or usage, 3 device trouble, "
                    "130 interrupted.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=f"spec files or directories (walked for *.yaml, *.yml; default: {' '.join(DEFAULT_PATHS)})")
    p.add_argument("-s", "--device", metavar="SERIAL", default=None,
                   help="device serial, or HOST:PORT to adb-connect (default: $ANDROID_SERIAL, else the only "
                        "device, else a new virtual device)")
    p.add_argument("--virtual", action="store_true", help="start a virtual device for the run even if devices are attached")
    p.add_argument("-k", metavar="EXPR", dest="keyword", default=None,
                   help="only specs whose name or file matches EXPR (words, and, or, not, parentheses)")
    p.add_argument("--report", metavar="DIR", default=DEFAULT_REPORT_DIR,
                   help=f"directory for results.json and report.html (default: {DEFAULT_REPORT_DIR})")
    p.add_argument("--reboot-timeout", metavar="DURATION", type=_duration_s, default=REBOOT_TIMEOUT_S,
                   help="how long a reboot step may take until the device is back, boot completed and the "
                        f"package manager answers (default {REBOOT_TIMEOUT_S:g}s; e.g. 90s, 5m)")
    p.add_argument("--clock", choices=["auto", "virtual", "real"], default="auto",
                   help="how waits pass: virtual time (vdev advance; the virtual device's default) or real "
                        "time with the journal streamed from logcat (a real device's default)")
    add_server_options(p)
    p.set_defaults(func=run)


def _duration_s(text: str) -> float:
    """``--reboot-timeout`` values: a spec duration (``90s``, ``5m``), in seconds."""
    try:
        ms = parse_duration_ms(text)
    except DurationSyntaxError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    if ms <= 0:
        raise argparse.ArgumentTypeError("must be more than 0s")
    return ms / 1000


# ---------------------------------------------------------------- loading

def load_specs(paths: list[str], err: TextIO) -> list[Spec]:
    """Every spec under ``paths``, or :class:`SpecError` after printing every error (file:line:col)."""
    files = find_spec_files(list(paths))
    if not files:
        raise SpecError(f"no spec files (*.yaml, *.yml) found in: {' '.join(paths)}")
    specs: list[Spec] = []
    bad = 0
    for path in files:
        result = parse_spec_file(path)
        if result.errors or result.spec is None:
            bad += 1
            for e in result.errors:
                err.write(e.render() + "\n")
            continue
        specs.append(result.spec)
    if bad:
        raise SpecError(f"{bad} of {len(files)} spec files are invalid; nothing was run")
    return specs


# ---------------------------------------------------------------- terminal output

class Terminal:
    """Progress on stderr (one updating line on a terminal), one verdict line per spec on stdout."""

    def __init__(self, out: TextIO, err: TextIO, total: int) -> None:
        self.out, self.err, self.total = out, err, total
        self.tty = err.isatty()
        self.done = 0
        self._dirty = False

    def _status(self, text: str) -> None:
        if self.tty:
            self.err.write("\r\x1b[K" + text[:200])
            self._dirty = True
        else:
            self.err.write(text + "\n")
        self.err.flush()

    def _clear(self) -> None:
        if self._dirty:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._dirty = False

    def __call__(self, p: Progress) -> None:
        n = f"[{self.done + 1}/{self.total}]"
        if p.kind == "spec_start":
            self._status(f"{n} {p.spec.name}: starting")
        elif p.kind == "step_start" and p.step is not None:
            self._status(f"{n} {p.spec.name}: step {p.index + 1}/{p.total}: {describe(p.step)}")
        elif p.kind == "spec_end" and p.result is not None:
            self.done += 1
            self._clear()
            self.verdict(p.result)

    def verdict(self, r: SpecResult) -> None:
        line = f"{r.verdict.value:<7} {r.name} ({r.location}) {r.host_duration_s:.2f}s"
        if r.verdict is Verdict.FAILED:
            self.out.write(line + "\n" + _indent(r.failure_text()) + "\n")
        elif r.verdict in (Verdict.SKIPPED, Verdict.ERROR):
            self.out.write(f"{line}: {r.reason}\n")
            if r.verdict is Verdict.ERROR and r.restored:
                self.out.write("        device state restored\n")
        else:
            self.out.write(line + "\n")
        for problem in r.restore_problems:
            self.out.write(f"        not restored: {problem}\n")
        self.out.flush()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def summary(run: RunResult) -> str:
    c = run.counts()
    parts = [f"{c[v.value]} {v.value.lower()}" for v in Verdict if c[v.value]]
    text = f"{len(run.specs)} specs: " + (", ".join(parts) or "none run") + f" in {run.host_duration_s:.1f}s"
    return text + (" (interrupted)" if run.interrupted else "")


def exit_status(run: RunResult) -> int:
    if run.interrupted:
        return EXIT_INTERRUPTED
    verdicts = {s.verdict for s in run.specs}
    if Verdict.ERROR in verdicts:
        return EXIT_DEVICE
    if Verdict.FAILED in verdicts:
        return EXIT_FAILED
    return 0


# ---------------------------------------------------------------- signals

def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _make_clock(choice: str) -> Clock | None:
    if choice == "virtual":
        return VirtualTime()
    if choice == "real":
        return RealTime()
    return None


# ---------------------------------------------------------------- run

def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    specs = load_specs(args.paths or DEFAULT_PATHS, err)  # before any device command
    if args.keyword:
        match = compile_keywords(args.keyword)
        specs = [s for s in specs if match([s.name, Path(s.path).stem])]
        if not specs:
            err.write(f"harness: no spec matches -k {args.keyword!r}\n")
            return EXIT_USAGE
    report_dir = Path(args.report)
    previous_term = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    run_result: RunResult = new_run()
    term = Terminal(out, err, len(specs))

    def announce(info: Any) -> None:
        err.write(f"harness: no device attached: started virtual device {info.serial} (pid {info.pid}); "
                  "it is stopped when the run ends\n" if not args.virtual else
                  f"harness: started virtual device {info.serial} (pid {info.pid}) for this run\n")
        err.flush()

    started = time.monotonic()
    session: Session | None = None
    try:
        with provide_device(args.device, adb_host=args.adb_host, adb_port=args.adb_port,
                            virtual=args.virtual, on_virtual=announce) as provided:
            session = Session(provided.device)
            session.reboot_timeout_s = args.reboot_timeout
            clock = _make_clock(args.clock)
            if clock is not None:
                session.clock = clock
            run_result.device = session.device.serial
            run_result.virtual = session.virtual
            err.write(f"harness: running {len(specs)} spec{'s' if len(specs) != 1 else ''} on "
                      f"{session.device.serial} (API {session.api_level}"
                      f"{', virtual device' if session.virtual else ''}); report in {report_dir}/\n")
            err.flush()
            try:
                session.companion.connect()
            except CompanionNotInstalledError as e:  # installed but crash-looping is another matter
                raise unreachable_companion(session, e) from e

            def progress(p: Progress) -> None:
                term(p)
                if p.kind == "spec_end":
                    write_report(run_result if p.result in run_result.specs else _with(run_result, p.result),
                                 report_dir)

            runner = SpecRunner(session, progress=progress)
            runner.run(specs, run_result)
            if runner.device_lost is not None:
                left = sum(1 for r in run_result.specs if r.reason.startswith("not run: "))
                err.write(f"harness: error: device {session.device.serial} went away ({runner.device_lost}); "
                          f"{left} spec{'s' if left != 1 else ''} not run\n")
    except KeyboardInterrupt:
        run_result.interrupted = True
        err.write("\nharness: interrupted: the device was restored; partial report written\n")
    except HarnessError as e:
        err.write(f"harness: error: {e}\n")
        if session is not None:  # the device was chosen: record every spec not run, never drop them
            recorded = {(r.path, r.name) for r in run_result.specs}
            run_result.specs += [not_run(spec, session, f"not run: {e}") for spec in specs
                                 if (str(spec.path), spec.name) not in recorded]
        run_result.host_duration_s = time.monotonic() - started
        write_report(run_result, report_dir)
        return e.exit_status
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    run_result.host_duration_s = time.monotonic() - started
    files = write_report(run_result, report_dir)
    out.write(summary(run_result) + f"; report: {files.html}\n")
    out.flush()
    return exit_status(run_result)


def _with(run: RunResult, extra: SpecResult | None) -> RunResult:
    """The run with a spec result not yet appended (the report is written as each spec ends)."""
    if extra is None:
        return run
    copy = RunResult(**{**run.__dict__, "specs": [*run.specs, extra]})
    return copy
