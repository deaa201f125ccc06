"""``logcat`` on the model's LogBuffer.

Options: ``-d`` dump and exit, ``-c`` clear, ``-t N`` last N lines and exit, ``-T N`` last N
lines then follow, ``-t TIME`` / ``-T TIME`` the lines from the first one logged at or after TIME
(then exit / follow), TIME being ``MM-DD hh:mm:ss.mmm``, ``YYYY-MM-DD hh:mm:ss.mmm`` (the
device's time zone, UTC here; without a year, the current one) or ``sssss.mmm`` (seconds since
the epoch), as AOSP logcat's ``parseTime``; ``-m N`` stop after N lines, ``-s`` (silence every tag not named),
``-v brief|threadtime|time|tag|process|raw`` (default threadtime), ``-b BUFFER`` (accepted; one
buffer, ``main``), ``-g`` ring buffer size, ``--pid=PID``, filter specs ``TAG:P`` and ``*:P``
(P one of V D I W E F S). Without ``-d``/``-t``/``-c``/``-g`` logcat follows: the result's
``stream`` yields new lines as they are appended, until the client closes the stream.

Line formats are those of liblog's logprint.c; ``--------- beginning of main`` precedes the
first line printed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from harness.virtual.model.logbuffer import RING_BYTES, LogBuffer, LogEntry, LogPriority
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

FORMATS = ("brief", "threadtime", "time", "tag", "process", "raw", "long")
BEGINNING = "--------- beginning of main\n"


def register(registry: CommandRegistry) -> None:
    registry.register("logcat", logcat)


@dataclass
class LogFilter:
    default: LogPriority = LogPriority.VERBOSE
    tags: dict[str, LogPriority] = field(default_factory=dict)
    pid: int | None = None

    def accepts(self, entry: LogEntry) -> bool:
        if self.pid is not None and entry.pid != self.pid:
            return False
        minimum = self.tags.get(entry.tag, self.default)
        return minimum != LogPriority.SILENT and entry.priority >= minimum


@dataclass
class LogcatOptions:
    dump: bool = False
    clear: bool = False
    size: bool = False
    tail: int | None = None  # -t N / -T N
    since_flag: str = "-t"
    since: str | None = None  # -t TIME / -T TIME, resolved against the device clock by parse_time
    max_count: int | None = None
    fmt: str = "threadtime"
    filter: LogFilter = field(default_factory=LogFilter)


class UsageError(Exception):
    pass


def parse_args(args: list[str]) -> LogcatOptions:
    opts = LogcatOptions()
    silent_default = False
    specs: list[str] = []
    i = 0

    def value() -> str:
        nonlocal i
        if i + 1 >= len(args):
            raise UsageError(f"option requires an argument -- '{args[i].lstrip('-')}'")
        i += 1
        return args[i]

    while i < len(args):
        a = args[i]
        if a == "-d":
            opts.dump = True
        elif a == "-c":
            opts.clear = True
        elif a == "-g":
            opts.size = True
        elif a == "-s":
            silent_default = True
        elif a in ("-t", "-T") or a.startswith("-t") or a.startswith("-T"):
            text = value() if len(a) == 2 else a[2:]
            if text.isdigit():
                opts.tail, opts.since = int(text), None
            else:
                opts.since, opts.tail = text, None
                opts.since_flag = a[:2]
            opts.dump = opts.dump or a[1] == "t"
        elif a == "-m":
            text = value()
            if not text.isdigit():
                raise UsageError(f"bad count {text!r}")
            opts.max_count = int(text)
        elif a == "-v":
            fmt = value()
            if fmt not in FORMATS and fmt not in ("color", "epoch", "uid", "usec", "UTC", "year", "zone",
                                                   "printable", "descriptive", "monotonic"):
                raise UsageError(f"Invalid parameter \"{fmt}\" to -v.")
            if fmt in FORMATS:
                opts.fmt = fmt
        elif a.startswith("-v") and len(a) > 2:
            opts.fmt = a[2:] if a[2:] in FORMATS else opts.fmt
        elif a == "-b":
            value()
        elif a.startswith("--pid="):
            opts.filter.pid = int(a.split("=", 1)[1])
        elif a == "--pid":
            opts.filter.pid = int(value())
        elif a.startswith("-"):
            raise UsageError(f"unknown option -- '{a.lstrip('-')}'")
        else:
            specs.append(a)
        i += 1
    if silent_default:
        opts.filter.default = LogPriority.SILENT
    for spec in specs:
        tag, _, prio = spec.rpartition(":") if ":" in spec else (spec, "", "V")
        try:
            level = LogPriority.from_letter(prio or "V")
        except ValueError:
            raise UsageError(f"Invalid filter expression '{spec}'") from None
        if tag == "*":
            opts.filter.default = level
        else:
            opts.filter.tags[tag] = level
    return opts


_TIME_FORMATS = (
    re.compile(r"\s*(?P<mon>\d{1,2})-(?P<day>\d{1,2})\s+(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2})\.(?P<frac>\d+)"),
    re.compile(r"\s*(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})\s+(?P<h>\d{1,2}):(?P<m>\d{1,2}):"
               r"(?P<s>\d{1,2})\.(?P<frac>\d+)"),
    re.compile(r"\s*(?P<epoch>\d+)\.(?P<frac>\d+)"),
)


def parse_time(text: str, now_wall_ms: int) -> tuple[int, str] | None:
    """``-t TIME``: (wall ms, text left over after the time) or None if it is not a time.

    The formats are tried in logcat's order; a date without a year takes the device's current
    one. The fraction keeps its first three digits (milliseconds, the log's precision here).
    """
    for fmt in _TIME_FORMATS:
        m = fmt.match(text)
        if m is None:
            continue
        ms = int((m["frac"] + "00")[:3])
        if m.groupdict().get("epoch") is not None:
            return int(m["epoch"]) * 1000 + ms, text[m.end():]
        year = int(m["year"]) if m.groupdict().get("year") else \
            dt.datetime.fromtimestamp(now_wall_ms / 1000, tz=dt.timezone.utc).year
        try:
            t = dt.datetime(year, int(m["mon"]), int(m["day"]), int(m["h"]), int(m["m"]), int(m["s"]),
                            tzinfo=dt.timezone.utc)
        except ValueError:
            continue
        return int(t.timestamp()) * 1000 + ms, text[m.end():]
    return None


def _stamp(wall_ms: int) -> str:
    t = dt.datetime.fromtimestamp(wall_ms / 1000, tz=dt.timezone.utc)
    return t.strftime("%m-%d %H:%M:%S") + f".{wall_ms % 1000:03d}"


def format_entry(entry: LogEntry, fmt: str) -> str:
    p = entry.priority.letter
    if fmt == "brief":
        prefix, suffix = f"{p}/{entry.tag:<8}({entry.pid:5d}): ", ""
    elif fmt == "time":
        prefix, suffix = f"{_stamp(entry.wall_ms)} {p}/{entry.tag:<8}({entry.pid:5d}): ", ""
    elif fmt == "tag":
        prefix, suffix = f"{p}/{entry.tag:<8}: ", ""
    elif fmt == "process":
        prefix, suffix = f"{p}({entry.pid:5d}) ", f"  ({entry.tag})"
    elif fmt == "raw":
        prefix, suffix = "", ""
    elif fmt == "long":
        head = f"[ {_stamp(entry.wall_ms)} {entry.pid:5d}:{entry.tid:5d} {p}/{entry.tag} ]\n"
        return head + entry.message + "\n\n"
    else:  # threadtime
        prefix, suffix = f"{_stamp(entry.wall_ms)} {entry.pid:5d} {entry.tid:5d} {p} {entry.tag:<8}: ", ""
    lines = entry.message.split("\n") or [""]
    return "".join(f"{prefix}{line}{suffix}\n" for line in lines)


def logcat(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    env_tags = str(ctx.extra.get("env", {}).get("ANDROID_LOG_TAGS", "")).strip().strip("'\"").strip()
    if env_tags and not any(a for a in args if not a.startswith("-")):
        args = args + env_tags.split()  # like logcat: the environment's filters when none are given
    try:
        opts = parse_args(args)
    except UsageError as e:
        return ShellResult.error(f"logcat: {e}", 1)
    buffer: LogBuffer = ctx.model.logcat
    if opts.clear:
        buffer.clear()
        return ShellResult()
    if opts.size:
        used = buffer.size_bytes()
        return ShellResult.ok(f"main: ring buffer is {RING_BYTES // 1024} KiB ({used // 1024} KiB consumed), "
                              f"max entry is 5120 B, max payload is 4068 B\n")
    warning = ""
    if opts.since is not None:
        parsed = parse_time(opts.since, ctx.model.clock.wall_ms)
        if parsed is None:
            return ShellResult.error(f"logcat: {opts.since_flag} '{opts.since}' not in time format.", 1)
        since_ms, rest = parsed
        if rest:
            cut = len(opts.since) - len(rest)
            warning = (f"WARNING: {opts.since_flag} '{opts.since[:cut]}' '{rest}' time truncated\n")
        chosen = buffer.entries_from_wall(since_ms)
    else:
        chosen = buffer.entries()
    entries = [e for e in chosen if opts.filter.accepts(e)]
    if opts.tail is not None:
        entries = entries[-opts.tail:] if opts.tail else []
    if opts.max_count is not None:
        entries = entries[:opts.max_count]
    text = "".join(format_entry(e, opts.fmt) for e in entries)
    header = BEGINNING if entries else ""
    if opts.dump or (opts.max_count is not None and len(entries) >= opts.max_count):
        return ShellResult(stdout=(header + text).encode(), stderr=warning.encode())
    remaining = None if opts.max_count is None else opts.max_count - len(entries)
    return ShellResult(stdout=(header + text).encode(), stderr=warning.encode(),
                       stream=follow(buffer, opts, buffer.last_seq, remaining, need_header=not entries))


async def follow(buffer: LogBuffer, opts: LogcatOptions, after_seq: int, remaining: int | None,
                 need_header: bool) -> AsyncIterator[bytes]:
    """New matching lines as they are logged; ends after ``remaining`` lines (None: never)."""
    last = after_seq
    while remaining is None or remaining > 0:
        await buffer.wait_for_new(last)
        new = buffer.entries(after_seq=last)
        if not new:
            last = buffer.last_seq
            continue
        last = new[-1].seq
        chosen = [e for e in new if opts.filter.accepts(e)]
        if remaining is not None:
            chosen = chosen[:remaining]
            remaining -= len(chosen)
        if chosen:
            text = "".join(format_entry(e, opts.fmt) for e in chosen)
            if need_header:
                text, need_header = BEGINNING + text, False
            yield text.encode()
