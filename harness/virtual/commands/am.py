"""``am`` / ``cmd activity``, ``dumpsys activity processes|lru|exit-info``, ``pidof``.

Output formats follow ActivityManagerShellCommand and ProcessList / AppExitInfoTracker dumps;
docs/virtual-device.md lists what the harness parses.
"""

from __future__ import annotations

import datetime as _dt
import logging

from harness.virtual.commands.common import settled, without_user
from harness.virtual.model.processes import LAUNCHER_PACKAGE, ProcState, ProcessRecord
from harness.virtual.model.standby import parse_bucket
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

log = logging.getLogger(__name__)

FLAG_RECEIVER_FROM_SHELL = 0x00400000
FLAG_INCLUDE_STOPPED_PACKAGES = 0x00000020
# Broadcasts only the system may send (AMS isProtectedBroadcast for uid 2000).
PROTECTED_ACTIONS = frozenset({
    "android.intent.action.BOOT_COMPLETED", "android.intent.action.LOCKED_BOOT_COMPLETED",
    "android.intent.action.MY_PACKAGE_REPLACED", "android.intent.action.PACKAGE_REPLACED",
    "android.intent.action.ACTION_POWER_CONNECTED", "android.intent.action.ACTION_POWER_DISCONNECTED",
    "android.intent.action.BATTERY_CHANGED", "android.intent.action.SCREEN_ON", "android.intent.action.SCREEN_OFF",
    "android.intent.action.TIME_SET",
})


def _uid_label(uid: int) -> str:
    return f"u0a{uid - 10000}" if uid >= 10000 else str(uid)


def _parse_intent(args: list[str]) -> tuple[dict[str, object], list[str]]:
    """Intent options of `am start` / `am broadcast`; returns (intent, leftover positional args)."""
    intent: dict[str, object] = {"flags": 0, "extras": {}}
    left: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if a == "-a" and nxt is not None:
            intent["action"] = nxt
            i += 2
        elif a == "-n" and nxt is not None:
            intent["component"] = nxt
            i += 2
        elif a == "-p" and nxt is not None:
            intent["package"] = nxt
            i += 2
        elif a == "-c" and nxt is not None:
            intent.setdefault("categories", []).append(nxt)  # type: ignore[union-attr]
            i += 2
        elif a == "-d" and nxt is not None:
            intent["data"] = nxt
            i += 2
        elif a == "-f" and nxt is not None:
            intent["flags"] = int(intent["flags"]) | int(nxt, 0)  # type: ignore[arg-type]
            i += 2
        elif a == "--include-stopped-packages":
            intent["flags"] = int(intent["flags"]) | FLAG_INCLUDE_STOPPED_PACKAGES  # type: ignore[arg-type]
            i += 1
        elif a in ("--es", "--ei", "--ez", "--el") and i + 2 < len(args):
            key, val = args[i + 1], args[i + 2]
            conv: object = val
            if a in ("--ei", "--el"):
                conv = int(val)
            elif a == "--ez":
                conv = val.lower() == "true"
            intent["extras"][key] = conv  # type: ignore[index]
            i += 3
        elif a in ("--user",) and nxt is not None:
            i += 2
        elif a in ("-W", "-S", "-D", "-R", "--receiver-foreground", "--activity-clear-task",
                   "--activity-new-task", "--receiver-registered-only"):
            intent.setdefault("opts", set()).add(a)  # type: ignore[union-attr]
            i += 1
        else:
            left.append(a)
            i += 1
    return intent, left


def _intent_text(intent: dict[str, object], flags: int) -> str:
    parts = []
    if "action" in intent:
        parts.append(f"act={intent['action']}")
    for c in intent.get("categories", []) or []:  # type: ignore[union-attr]
        parts.append(f"cat=[{c}]")
    if "data" in intent:
        parts.append(f"dat={intent['data']}")
    if flags:
        parts.append(f"flg=0x{flags:x}")
    if "package" in intent:
        parts.append(f"pkg={intent['package']}")
    if "component" in intent:
        parts.append(f"cmp={intent['component']}")
    if intent.get("extras"):
        parts.append("(has extras)")
    return "Intent { " + " ".join(parts) + " }"


def _split_component(comp: str) -> tuple[str, str]:
    pkg, _, cls = comp.partition("/")
    if cls.startswith("."):
        cls = pkg + cls
    return pkg, cls


def am_start(ctx: CommandContext, args: list[str]) -> ShellResult:
    intent, _left = _parse_intent(args)
    m = ctx.model
    opts = intent.get("opts", set()) or set()
    flags = int(intent["flags"])  # type: ignore[arg-type]
    text = _intent_text(intent, flags)
    comp = intent.get("component")
    pkg: str | None = None
    cls: str | None = None
    if isinstance(comp, str):
        pkg, cls = _split_component(comp)
    elif isinstance(intent.get("package"), str):
        pkg = str(intent["package"])
        info = m.packages.installed.get(pkg)
        cls = info.activities[0] if info is not None and info.activities else None
    if pkg is None or cls is None or not m.packages.is_installed(pkg) or \
            cls not in m.packages.info(pkg).activities:
        out = f"Starting: {text}\n"
        if isinstance(comp, str):
            err = f"Error type 3\nError: Activity class {{{comp}}} does not exist.\n"
        else:
            err = "Error: Activity not started, unable to resolve " + text + "\n"
        return ShellResult(stdout=out.encode(), stderr=err.encode(), status=0)
    if "-S" in opts:
        m.processes.force_stop(pkg)
    cold = not m.processes.is_running(pkg)
    warm = not cold and m.processes.top != pkg
    was_top = m.processes.top == pkg
    m.processes.start_activity(pkg)
    out = f"Starting: {text}\n"
    if was_top:
        out += ("Warning: Activity not started, intent has been delivered to currently running top-most "
                "instance.\n")
    if "-W" in opts:
        short = cls[len(pkg):] if cls.startswith(pkg + ".") else cls
        state = "COLD" if cold else ("WARM" if warm else "HOT")
        status = "delivered_to_top" if was_top else "ok"
        total = 412 if cold else 120
        out += (f"Status: {status}\nLaunchState: {state}\nActivity: {pkg}/{short}\nTotalTime: {total}\n"
                f"WaitTime: {total + 6}\nComplete\n")
    return ShellResult.ok(out)


def am_broadcast(ctx: CommandContext, args: list[str]) -> ShellResult:
    intent, _left = _parse_intent(args)
    flags = int(intent["flags"]) | FLAG_RECEIVER_FROM_SHELL  # type: ignore[arg-type]
    text = _intent_text(intent, flags)
    out = f"Broadcasting: {text}\n"
    action = intent.get("action")
    if isinstance(action, str) and action in PROTECTED_ACTIONS and ctx.uid not in (0, 1000):
        err = (f"Security exception: Permission Denial: not allowed to send broadcast {action} from pid=4242,"
               f" uid={ctx.uid}\n")
        return ShellResult(stdout=out.encode(), stderr=err.encode(), status=255)
    pkg: str | None = None
    comp = intent.get("component")
    if isinstance(comp, str):
        pkg = _split_component(comp)[0]
    elif isinstance(intent.get("package"), str):
        pkg = str(intent["package"])
    include_stopped = bool(flags & FLAG_INCLUDE_STOPPED_PACKAGES)
    if isinstance(action, str):
        ctx.model.packages.broadcast(action, dict(intent["extras"]), package=pkg,  # type: ignore[arg-type]
                                     explicit=include_stopped)
    return ShellResult.ok(out + "Broadcast completed: result=0\n")


def am(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    if not args:
        return ShellResult.error("Activity manager (activity) commands:\n  help\n", 0)
    verb, rest = args[0], args[1:]
    m = ctx.model
    if verb in ("start", "start-activity"):
        return am_start(ctx, rest)
    if verb == "broadcast":
        return am_broadcast(ctx, rest)
    if verb in ("force-stop", "kill", "make-uid-idle", "set-inactive", "get-inactive", "set-standby-bucket",
                "get-standby-bucket", "kill-all", "stop-app"):
        pos = without_user(rest)
        if verb == "kill-all":
            for r in list(m.processes.running()):
                m.processes.kill_background(r.package)
            return ShellResult()
        if verb == "get-standby-bucket":
            if not pos:
                lines = "".join(f"{p}: {int(b)}\n" for p, b in m.standby.all_buckets())
                return ShellResult.ok(lines)
            if not m.packages.is_installed(pos[0]):
                return ShellResult.ok("50\n")  # STANDBY_BUCKET_NEVER for unknown packages
            return ShellResult.ok(f"{int(m.standby.bucket(pos[0]))}\n")
        if not pos:
            return ShellResult.error("Error: Argument expected after \"" + verb + "\"", 255)
        pkg = pos[0]
        known = m.packages.is_installed(pkg)
        if verb in ("force-stop", "stop-app"):
            if known:
                m.processes.force_stop(pkg)
            return ShellResult()
        if verb == "kill":
            if known:
                m.processes.kill_background(pkg)
            return ShellResult()
        if verb == "make-uid-idle":
            if known:
                m.processes.make_uid_idle(pkg)
            return ShellResult()
        if verb == "set-inactive":
            if len(pos) < 2:
                return ShellResult.error("Error: Argument expected after \"" + pkg + "\"", 255)
            if known:
                m.standby.set_inactive(pkg, pos[1].lower() == "true")
            return ShellResult()
        if verb == "get-inactive":
            return ShellResult.ok(f"Idle={'true' if known and m.standby.is_inactive(pkg) else 'false'}\n")
        if verb == "set-standby-bucket":
            if len(pos) < 2:
                return ShellResult.error("Error: Argument expected after \"" + pkg + "\"", 255)
            bucket = parse_bucket(pos[1])
            if bucket is None:
                return ShellResult.error(f"Error: Unknown bucket: {pos[1]}", 255)
            if not known:
                return ShellResult.error(f"Error: package {pkg} not found", 255)
            m.standby.set_bucket(pkg, bucket)
            return ShellResult()
    return ShellResult.error(f"Unknown command: {verb}", 255)


def _adj(state: ProcState) -> tuple[str, int]:
    """(oom adj label, oom_adj) ProcessList uses for a process state."""
    if state in (ProcState.TOP,):
        return "fg", 0
    if state in (ProcState.FOREGROUND_SERVICE, ProcState.BOUND_FOREGROUND_SERVICE):
        return "prcp", 200
    if state == ProcState.TOP_SLEEPING:
        return "vis", 100
    if state == ProcState.LAST_ACTIVITY:
        return "prev", 700
    if state == ProcState.SERVICE:
        return "svc", 500
    return "cch", 900


def _lru_line(i: int, r: ProcessRecord) -> str:
    label, _adj_val = _adj(r.state)
    extra = "(top-activity)" if r.state == ProcState.TOP else (
        "(fg-service)" if r.state == ProcState.FOREGROUND_SERVICE else (
            "(previous)" if r.state == ProcState.LAST_ACTIVITY else "(cch-empty)" if r.state ==
            ProcState.CACHED_EMPTY else "(cch-act)"))
    return f"    Proc #{i:2d}: {label:<6} F/ /{r.state.short} ---- t: 0 {r.pid}:{r.package}/{_uid_label(r.uid)} {extra}"


def dumpsys_activity(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    m = ctx.model
    section = args[0] if args else "processes"
    procs = m.processes.running()
    if section in ("processes", "p"):
        lines = ["ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)", "  All known processes:"]
        for r in sorted(procs, key=lambda x: x.package):
            lines.append(f"  *APP* UID {r.uid} ProcessRecord{{{r.pid:07x} {r.pid}:{r.package}/{_uid_label(r.uid)}}}")
            lines.append(f"    user #0 uid={r.uid} gids={{50{r.uid % 1000:03d}, 20{r.uid % 1000:03d}, 9997}}")
            lines.append(f"    pid={r.pid} starting=0 lastPss=0.00 lastSwapPss=0.00 lastCachedPss=0.00")
            lines.append(f"    curProcState={int(r.state)} mRepProcState={int(r.state)} mPssProcState={int(r.state)}")
            lines.append(f"    hasShownUi={str(r.has_activity).lower()} hasForegroundServices={str(r.fgs).lower()}")
        lines.append(f"  Process LRU list (sorted by oom_adj, {len(procs)} total, non-act at 0, non-svc at 0):")
        for i, r in enumerate(reversed(procs)):
            lines.append(_lru_line(len(procs) - 1 - i, r))
        lines.append(f"  mHomeProcess: ProcessRecord{{0000abc 900:{LAUNCHER_PACKAGE}/u0a40}}")
        if procs and m.processes.top != LAUNCHER_PACKAGE:
            top = m.processes.procs.get(m.processes.top)
            if top is not None:
                lines.append(f"  mTopProcess: ProcessRecord{{{top.pid:07x} {top.pid}:{top.package}/{_uid_label(top.uid)}}}")
        return ShellResult.ok("\n".join(lines) + "\n")
    if section == "lru":
        lines = ["ACTIVITY MANAGER LRU PROCESSES (dumpsys activity lru)", "  Activities:"]
        for i, r in enumerate(reversed(procs)):
            label, _ = _adj(r.state)
            lines.append(f"  #{len(procs) - 1 - i}: {label:<4} {r.state.short} ---- "
                         f"{r.pid}:{r.package}/{_uid_label(r.uid)} act:activities|recents")
        return ShellResult.ok("\n".join(lines) + "\n")
    if section == "exit-info":
        pkgs = [a for a in args[1:] if not a.startswith("-")]
        lines = ["ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)"]
        for pkg in (pkgs or sorted(m.processes.exits)):
            hist = m.processes.exit_history(pkg)
            if not hist:
                continue
            uid = m.packages.uid_of(pkg) if m.packages.is_installed(pkg) else 0
            lines.append(f"  package: {pkg}")
            lines.append(f"    Historical Process Exit for uid={uid}")
            for i, e in enumerate(hist):
                ts = _dt.datetime.fromtimestamp(e.timestamp_wall_ms / 1000, tz=_dt.timezone.utc)
                lines.append(f"        ApplicationExitInfo #{i}:")
                lines.append(f"          timestamp={ts.strftime('%Y-%m-%d %H:%M:%S.')}{e.timestamp_wall_ms % 1000:03d}"
                             f" pid={e.pid} realUid={uid} packageUid={uid} definingUid={uid} user=0")
                lines.append(f"          process={pkg} reason={int(e.reason)} ({e.reason.name.replace('_', ' ')})"
                             f" subreason={int(e.subreason)} ({e.subreason.name.replace('_', ' ')}) status=0")
                lines.append(f"          importance={e.importance} pss=0.00 rss=0.00 description={e.description}"
                             " state=empty trace=null")
        return ShellResult.ok("\n".join(lines) + "\n")
    return ShellResult.ok(f"ACTIVITY MANAGER {section.upper()} (dumpsys activity {section})\n")


def pidof(ctx: CommandContext, argv: list[str]) -> ShellResult:
    pids = [str(ctx.model.processes.pid(p)) for p in argv[1:] if ctx.model.processes.pid(p) is not None]
    if not pids:
        return ShellResult(status=1)
    return ShellResult.ok(" ".join(pids) + "\n")


def register(registry: CommandRegistry) -> None:
    registry.register("am", settled(am))
    registry.register_service("cmd", "activity", settled(am))
    registry.register_service("dumpsys", "activity", dumpsys_activity)
    registry.register("pidof", pidof)
