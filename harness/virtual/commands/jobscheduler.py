"""``cmd jobscheduler`` and ``dumpsys jobscheduler`` in the formats of JobSchedulerShellCommand,
JobSchedulerService.dumpInternal and JobStatus.dump (AOSP apex/jobscheduler/service).

Exit status: ``cmd`` exits with the handler's return code truncated to a byte, so
CMD_ERR_NO_PACKAGE (-1000) is 24, CMD_ERR_NO_JOB (-1001) is 23, CMD_ERR_CONSTRAINTS (-1002) is
22 and -1 is 255.
"""

from __future__ import annotations

from harness.virtual.model.job_info import NO_LATEST_RUNTIME, Constraint, JobStatus, StopReason, dump_constraints
from harness.virtual.model.jobs import (
    CMD_ERR_CONSTRAINTS,
    CMD_ERR_NO_JOB,
    CMD_ERR_NO_PACKAGE,
    RUNTIME_FREE_QUOTA_MAX_LIMIT_MS,
    RUNTIME_MIN_EJ_GUARANTEE_MS,
    RUNTIME_MIN_GUARANTEE_MS,
    JobScheduler,
)
from harness.virtual.model.packages import FIRST_APP_UID
from harness.virtual.model.state import StandbyBucket
from harness.virtual.model.timeutils import format_duration
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

# uids allowed to use the privileged subcommands: root, and shell (holds CHANGE_APP_IDLE_STATE)
PRIVILEGED_UIDS = (0, 1000, 2000)


def register(registry: CommandRegistry) -> None:
    registry.register_service("cmd", "jobscheduler", cmd_jobscheduler)
    registry.register_service("dumpsys", "jobscheduler", dumpsys_jobscheduler)


# ---------------------------------------------------------------------- formatting helpers
def format_uid(uid: int) -> str:
    """UserHandle.formatUid."""
    user, app = divmod(uid, 100_000)
    if app >= FIRST_APP_UID:
        return f"u{user}a{app - FIRST_APP_UID}"
    return f"u{user}s{app}"


def unique_id(js: JobStatus) -> str:
    """JobStatus.printUniqueId."""
    return f"{format_uid(js.uid)}/{js.job_id}"


def short_string(js: JobStatus) -> str:
    """JobStatus.toShortString."""
    return f"{js.ident:x} #{unique_id(js)} {js.info.service}"


_BUCKET_NAMES = {StandbyBucket.ACTIVE: "ACTIVE", StandbyBucket.WORKING_SET: "WORKING_SET",
                 StandbyBucket.FREQUENT: "FREQUENT", StandbyBucket.RARE: "RARE", StandbyBucket.NEVER: "NEVER",
                 StandbyBucket.RESTRICTED: "RESTRICTED", StandbyBucket.EXEMPTED: "EXEMPTED"}


def _result(code: int, out: str = "", err: str = "") -> ShellResult:
    return ShellResult(stdout=out.encode(), stderr=err.encode(), status=code & 0xFF)


class _Args:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.i = 0

    def next_option(self) -> str | None:
        if self.i < len(self.argv) and self.argv[self.i].startswith("-") and self.argv[self.i] != "-":
            opt = self.argv[self.i]
            self.i += 1
            if opt == "--":
                return None
            return opt
        return None

    def next_arg(self) -> str | None:
        if self.i < len(self.argv):
            a = self.argv[self.i]
            self.i += 1
            return a
        return None

    def required(self) -> str:
        a = self.next_arg()
        if a is None:
            raise _Usage("Error: argument required")
        return a


class _Usage(Exception):
    pass


def _parse_user(text: str) -> int:
    if text in ("all", "-1"):
        return -1
    if text in ("current", "cur", "-2"):
        return 0
    return int(text)


# ---------------------------------------------------------------------- cmd jobscheduler
HELP = """Job scheduler (jobscheduler) commands:
  help
  run [-f | --force] [-s | --satisfied] [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE JOB_ID
  timeout [-u | --user USER_ID] [-n | --namespace NAMESPACE] [PACKAGE] [JOB_ID]
  cancel [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE [JOB_ID]
  monitor-battery [on|off]
  get-battery-seq
  get-battery-charging
  get-battery-not-low
  get-storage-seq
  get-storage-not-low
  get-job-state [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE JOB_ID
  reset-execution-quota [-u | --user USER_ID] PACKAGE

"""

_PRIVILEGED_OPS = {"run": "force scheduled jobs", "timeout": "force timeout jobs", "cancel": "cancel jobs",
                   "monitor-battery": "change battery monitoring", "get-job-state": "get job state",
                   "reset-execution-quota": "reset execution quota"}


def cmd_jobscheduler(ctx: CommandContext, argv: list[str]) -> ShellResult:
    js: JobScheduler = ctx.model.jobs
    sub = argv[1] if len(argv) > 1 else None
    args = _Args(argv[2:])
    if sub is None or sub in ("help", "-h"):
        return ShellResult.ok(HELP)
    op = _PRIVILEGED_OPS.get(sub)
    if op is not None and ctx.uid not in PRIVILEGED_UIDS:
        return _result(-1, f"Exception: java.lang.SecurityException: Uid {ctx.uid} not permitted to {op}\n")
    try:
        handler = _SUBCOMMANDS.get(sub)
        if handler is None:
            return _result(-1, f"Unknown command: {sub}\n")
        return handler(ctx, js, args)
    except _Usage as e:
        return _result(-1, "", f"{e}\n")
    except ValueError as e:
        return _result(-1, f"Exception: java.lang.NumberFormatException: {e}\n")


def _options(args: _Args, allowed: tuple[str, ...]) -> tuple[dict[str, bool], int, ShellResult | None]:
    flags: dict[str, bool] = {}
    user = 0
    while (opt := args.next_option()) is not None:
        if opt in ("-f", "--force") and "-f" in allowed:
            flags["force"] = True
        elif opt in ("-s", "--satisfied") and "-s" in allowed:
            flags["satisfied"] = True
        elif opt in ("-u", "--user"):
            user = _parse_user(args.required())
        elif opt in ("-n", "--namespace"):
            args.required()
        else:
            return flags, user, _result(-1, f"Error: unknown option '{opt}'\n")
    return flags, user, None


def _print_error(code: int, pkg: str, user: int, job_id: int) -> str:
    """JobSchedulerShellCommand.printError."""
    if code == CMD_ERR_NO_PACKAGE:
        return f"Package not found: {pkg} / user {user}\n"
    if code == CMD_ERR_NO_JOB:
        return f"Could not find job {job_id} in package {pkg} / user {user}\n"
    if code == CMD_ERR_CONSTRAINTS:
        return f"Job {job_id} in package {pkg} / user {user} has functional constraints but --force not specified\n"
    return ""


def _run(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    flags, user, bad = _options(args, ("-f", "-s"))
    if bad is not None:
        return bad
    force, satisfied = flags.get("force", False), flags.get("satisfied", False)
    if force and satisfied:
        return _result(-1, "Cannot specify both --force and --satisfied\n")
    pkg = args.required()
    job_id = int(args.required())
    user = 0 if user == -1 else user
    code = js.run_command(pkg, job_id, force, satisfied)
    err = _print_error(code, pkg, user, job_id)
    if err:
        return _result(code, "", err)
    return _result(0, "Running job [FORCED]\n" if force else "Running job\n")


def _timeout(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    _, _, bad = _options(args, ())
    if bad is not None:
        return bad
    pkg = args.next_arg()
    job_s = args.next_arg()
    stopped = js.stop_command(pkg, int(job_s) if job_s is not None else None, StopReason.TIMEOUT)
    if not stopped:
        return _result(0, "No matching executing jobs found.\n")
    return _result(0, "".join(f"Timing out: {unique_id(s)} {s.info.service}\n" for s in stopped))


def _cancel(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    _, user, bad = _options(args, ())
    if bad is not None:
        return bad
    if user < 0:
        return _result(-1, "Error: must specify a concrete user ID\n")
    pkg = args.next_arg()
    job_s = args.next_arg()
    if pkg is None or not ctx.model.packages.is_installed(pkg):
        return _result(CMD_ERR_NO_PACKAGE, f"Package {pkg} not found.\n")
    if job_s is None:
        out = f"Canceling all jobs for {pkg} in user {user}\n"
        if js.cancel_all(pkg, StopReason.USER) == 0:
            out += "No matching jobs found.\n"
        return _result(0, out)
    job_id = int(job_s)
    out = f"Canceling job {pkg}/#{job_id} in user {user}\n"
    if not js.cancel(pkg, job_id, StopReason.USER):
        out += "No matching job found.\n"
    return _result(0, out)


def _monitor_battery(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    opt = args.required()
    if opt not in ("on", "off"):
        return _result(1, "", f"Error: unknown option {opt}\n")
    js.set_monitor_battery(opt == "on")
    return _result(0, "Battery monitoring enabled\n" if opt == "on" else "Battery monitoring disabled\n")


def _get_job_state(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    _, user, bad = _options(args, ())
    if bad is not None:
        return bad
    pkg = args.required()
    job_id = int(args.required())
    user = 0 if user == -1 else user
    if not ctx.model.packages.is_installed(pkg):
        return _result(CMD_ERR_NO_PACKAGE, f"unknown({pkg})\n", _print_error(CMD_ERR_NO_PACKAGE, pkg, user, job_id))
    job = js.get(pkg, job_id)
    if job is None:
        uid = ctx.model.packages.uid_of(pkg)
        return _result(CMD_ERR_NO_JOB, f"unknown({format_uid(uid)}/jid{job_id})\n",
                       _print_error(CMD_ERR_NO_JOB, pkg, user, job_id))
    # Reproduce JobSchedulerService.getJobState's print/println mix.
    out = ""
    printed = False
    for word in js.job_state(job):
        if word == "waiting":
            continue
        if printed:
            out += " "
        out += word if word == "pending" else word + "\n"
        printed = True
    if not printed:
        out += "waiting"
    return _result(0, out + "\n")


def _reset_quota(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
    _, _, bad = _options(args, ())
    if bad is not None:
        return bad
    js.reset_execution_quota(args.required())
    return _result(0)


def _simple(fn):  # type: ignore[no-untyped-def]
    def handler(ctx: CommandContext, js: JobScheduler, args: _Args) -> ShellResult:
        return _result(0, f"{fn(js)}\n")
    return handler


_SUBCOMMANDS = {
    "run": _run,
    "timeout": _timeout,
    "cancel": _cancel,
    "monitor-battery": _monitor_battery,
    "get-battery-seq": _simple(lambda js: js.conditions.battery_seq),
    # JobSchedulerService.getBatteryCharging answers BatteryTracker.isOnStablePower (charging and not low)
    "get-battery-charging": _simple(lambda js: str(js.conditions.charging and js.conditions.battery_not_low).lower()),
    "get-battery-not-low": _simple(lambda js: str(js.conditions.battery_not_low).lower()),
    "get-storage-seq": _simple(lambda js: js.conditions.storage_seq),
    "get-storage-not-low": _simple(lambda js: str(js.conditions.storage_not_low).lower()),
    "get-job-state": _get_job_state,
    "reset-execution-quota": _reset_quota,
}


# ---------------------------------------------------------------------- dumpsys jobscheduler
def _job_block(js_sched: JobScheduler, job: JobStatus, now: int, full: bool, indent: str) -> list[str]:
    info = job.info
    i2 = indent + "  "
    lines = [f"{indent}{format_uid(job.uid)} tag=*job*/{info.service}",
             f"{indent}Source: uid={format_uid(job.uid)} user=0 pkg={job.package}"]
    if full:
        lines.append(f"{indent}JobInfo:")
        lines.append(f"{i2}Service: {info.service}")
        if info.is_periodic:
            lines.append(f"{i2}PERIODIC: interval={format_duration(info.interval_ms)}"
                         f" flex={format_duration(info.effective_flex_ms)}")
        if info.persisted:
            lines.append(f"{i2}PERSISTED")
        lines.append(f"{i2}Priority: {'500 [MAX]' if info.expedited else '300 [DEFAULT]'}")
        flags = (16 if info.expedited else 0) | (2 if info.important_while_foreground else 0)
        if flags:
            lines.append(f"{i2}Flags: {flags:x}")
        lines.append(f"{i2}Requires: charging={str(info.requires_charging).lower()}"
                     f" batteryNotLow={str(info.requires_battery_not_low).lower()}"
                     f" deviceIdle={str(info.requires_device_idle).lower()}")
        if info.network.value:
            lines.append(f"{i2}Network type: {info.network.name}")
        if info.min_latency_ms:
            lines.append(f"{i2}Minimum latency: {format_duration(info.min_latency_ms)}")
        if info.override_deadline_ms:
            lines.append(f"{i2}Max execution delay: {format_duration(info.override_deadline_ms)}")
        lines.append(f"{i2}Backoff: policy={int(info.backoff_policy)} initial={format_duration(info.backoff_initial_ms)}")
        if info.has_early_constraint:
            lines.append(f"{i2}Has early constraint")
        if info.has_late_constraint:
            lines.append(f"{i2}Has late constraint")
    r = js_sched.readiness(job)
    required = job.required_bits()
    sat = r.satisfied
    lines.append(f"{indent}Required constraints:{dump_constraints(required)}")
    lines.append(f"{indent}Dynamic constraints:")
    if full:
        lines.append(f"{indent}Satisfied constraints:{dump_constraints(sat)}")
        unsat = (required | Constraint.WITHIN_QUOTA) & ~sat
        lines.append(f"{indent}Unsatisfied constraints:{dump_constraints(unsat)}")
        if js_sched._power_allowlisted(job.package):
            lines.append(f"{indent}Doze whitelisted: true")
        if js_sched._uid_active(job.package):
            lines.append(f"{indent}Uid: active")
    lines.append(f"{indent}Implicit constraints:")
    lines.append(f"{i2}readyNotDozing: {str(bool(sat & Constraint.DEVICE_NOT_DOZING)).lower()}")
    lines.append(f"{i2}readyNotRestrictedInBg: {str(bool(sat & Constraint.BACKGROUND_NOT_RESTRICTED)).lower()}")
    if not info.is_periodic and job.has_deadline:
        lines.append(f"{i2}readyDeadlineSatisfied: {str(now >= job.latest_ms).lower()}")
    lines.append(f"{i2}readyComponentEnabled: true")
    bucket = js_sched._bucket(job.package)
    lines.append(f"{indent}Standby bucket: {_BUCKET_NAMES.get(bucket, str(int(bucket)))}")
    lines.append(f"{indent}Enqueue time: {format_duration(job.enqueue_elapsed_ms - now)}")
    earliest = "none" if not job.has_delay else format_duration(job.earliest_ms - now)
    latest = "none" if job.latest_ms == NO_LATEST_RUNTIME else format_duration(job.latest_ms - now)
    orig = "none" if job.original_latest_ms == NO_LATEST_RUNTIME else format_duration(job.original_latest_ms - now)
    lines.append(f"{indent}Run time: earliest={earliest}, latest={latest}, original latest={orig}")
    if job.num_failures:
        lines.append(f"{indent}Num failures: {job.num_failures}")
    return lines


def dumpsys_jobscheduler(ctx: CommandContext, argv: list[str]) -> ShellResult:
    model = ctx.model
    sched: JobScheduler = model.jobs
    now = model.clock.elapsed_ms
    filter_pkg: str | None = None
    for a in argv[1:]:
        if a == "-h":
            return ShellResult.ok("Job Scheduler (jobscheduler) dump options:\n  [-h] [package] ...\n"
                                  "    -h: print this help\n"
                                  "  [package] is an optional package name to limit the output to.\n")
        if a == "-a":
            continue
        if a.startswith("-"):
            return ShellResult.ok(f"Unknown option: {a}\n")
        filter_pkg = a
        break
    if filter_pkg is not None and not model.packages.is_installed(filter_pkg):
        return ShellResult.ok(f"Invalid package: {filter_pkg}\n")
    out: list[str] = ["Settings:",
                      "  min_linear_backoff_time_ms=10000",
                      "  min_exp_backoff_time_ms=10000",
                      f"  runtime_min_guarantee_ms={RUNTIME_MIN_GUARANTEE_MS}",
                      f"  runtime_min_ej_guarantee_ms={RUNTIME_MIN_EJ_GUARANTEE_MS}",
                      f"  runtime_free_quota_max_limit_ms={RUNTIME_FREE_QUOTA_MAX_LIMIT_MS}",
                      "", "Started users: [0]"]
    jobs = [j for j in sorted(sched.jobs.values(), key=lambda j: (j.uid, j.job_id))
            if filter_pkg is None or j.package == filter_pkg]
    out.append(f"Registered {len(sched.jobs)} jobs:")
    for job in jobs:
        out.append(f"  JOB #{unique_id(job)}: {job.ident:x} {job.info.service}")
        out.extend(_job_block(sched, job, now, True, "    "))
        r = sched.readiness(job)
        key = (job.package, job.job_id)
        active = key in sched.running
        out.append("    Restricted due to: none.")
        out.append(f"    Ready: {str(r.ready and not active).lower()} (job={str(r.ready).lower()} user=true"
                   f" !restricted=true !pending=true !active={str(not active).lower()} !backingup=true comp=true)")
    if not jobs:
        out.append("  None.")
    out.append("")
    out.append("Pending queue:")
    pending = [j for j in jobs if j.state.value == "pending"]
    for i, job in enumerate(pending):
        out.append(f"  Pending #{i}: {short_string(job)}")
    if not pending:
        out.append("  None")
    out.append("")
    out.append("Active jobs:")
    slot = 0
    for key in sorted(sched.running):
        run = sched.running[key]
        if filter_pkg is not None and key[0] != filter_pkg:
            continue
        out.append(f"  Slot #{slot}: {short_string(run.js)}")
        out.append(f"    Running for: {format_duration(now - run.started_ms)},"
                   f" timeout at: {format_duration(run.started_ms + run.limit_ms - now)}")
        out.extend(_job_block(sched, run.js, now, False, "      "))
        out.append("    Evaluated bias: 0 [DEFAULT]")
        slot += 1
    if slot == 0:
        out.append("  Slot #0: inactive")
    out.append("")
    out.append("Recently completed jobs:")
    recent = [c for c in reversed(sched.completed) if filter_pkg is None or c.js.package == filter_pkg]
    for c in recent:
        out.append(f"  {format_duration(c.at_elapsed_ms - now)}")
        out.append(f"      {short_string(c.js)}")
    if not recent:
        out.append("  None")
    return ShellResult.ok("\n".join(out) + "\n")
