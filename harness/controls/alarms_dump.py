"""Reading ``dumpsys alarm``: the alarms AlarmManagerService holds, per package.

Each pending alarm is printed by AlarmManagerService.dumpAlarmList and Alarm.dump::

    RTC_WAKEUP #0: Alarm{5c1e2a0 type 0 origWhen 1767229200000 whenElapsed 3600000 dev.harness.companion}
      tag=*walarm*:dev.harness.companion.action.ALARM.sync
      type=RTC_WAKEUP origWhen=2026-01-01 01:00:00.000 window=0 repeatInterval=0 count=0 flags=0x1
      policyWhenElapsed: requester=+1h0m0s0ms app_standby=-1m0s0ms device_idle=-- battery_saver=--
      whenElapsed=+1h0m0s0ms maxWhenElapsed=+1h0m0s0ms
      operation=PendingIntent{1a2b3c4: PendingIntentRecord{5d6e7f8 dev.harness.companion broadcastIntent}}

The header's ``Alarm{hash type T origWhen W whenElapsed E PACKAGE}`` is API 31+; API 26-30 print
``Alarm{hash type T when W PACKAGE}`` inside ``Batch{...}:`` groups under
``Pending alarm batches:``, and the body lines differ (``type=2 whenElapsed=... when=...``,
``window=... repeatInterval=... count=... flags=0x...``). The parser reads the header and
the ``key=value`` words of the body, whatever their order, and records which section (the
nearest less-indented heading, e.g. ``Pending alarm batches: 3``, ``5 pending alarms:``,
``Pending user blocked background alarms:``) each alarm was listed under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(
    r"^(?P<indent>\s*)(?P<label>[A-Z_]+) #(?P<index>\d+): Alarm\{(?P<hash>[0-9a-f]+) type (?P<type>-?\d+) "
    r"(?:origWhen|when) (?P<when>-?\d+)\s+(?:whenElapsed (?P<when_elapsed>-?\d+)\s+)?(?P<package>[^\s}]+)\}"
)
_PAIR = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\S+)")
_BATCH = re.compile(r"^\s*Batch\{")

TAG_PREFIXES = ("*walarm*:", "*alarm*:")  # Alarm.makeTag: wakeup / non-wakeup


@dataclass
class AlarmRecord:
    hash: str  # identity hash: the same alarm listed twice (e.g. in two sections) is read once
    label: str  # RTC_WAKEUP, RTC, ELAPSED_WAKEUP, ELAPSED
    type: int  # AlarmManager type constant
    package: str
    when: int  # origWhen (API 31+) / when: on the type's clock, in ms
    when_elapsed: int | None
    section: str
    tag: str | None = None
    window: str | None = None
    repeat_interval: int | None = None
    flags: int | None = None
    operation: str | None = None
    listener: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def wakeup(self) -> bool:
        return self.type in (0, 2)

    @property
    def repeating(self) -> bool:
        return bool(self.repeat_interval)

    @property
    def intent_tag(self) -> str | None:
        """The tag without its ``*walarm*:``/``*alarm*:`` prefix: the PendingIntent's action (or component)."""
        if self.tag is None:
            return None
        for prefix in TAG_PREFIXES:
            if self.tag.startswith(prefix):
                return self.tag[len(prefix):]
        return self.tag


@dataclass
class AlarmDump:
    alarms: list[AlarmRecord] = field(default_factory=list)

    def alarms_of(self, package: str) -> list[AlarmRecord]:
        return [a for a in self.alarms if a.package == package]

    def is_registered(self, package: str, action: str | None = None) -> bool:
        """An alarm of the package is set (with ``action``: one whose PendingIntent has exactly that action)."""
        return any(action is None or a.intent_tag == action for a in self.alarms_of(package))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def parse_alarm_dump(text: str) -> AlarmDump:
    dump = AlarmDump()
    headings: list[tuple[int, str]] = []  # (indent, text) of lines that may head a list
    current: AlarmRecord | None = None
    body_indent = -1
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip():
            current = None
            continue
        m = _HEADER.match(line)
        if m:
            indent = len(m["indent"])
            section = next((t for i, t in reversed(headings) if i < indent), "")
            if any(a.hash == m["hash"] for a in dump.alarms):
                current, body_indent = None, len(m["indent"])
                continue
            current = AlarmRecord(
                hash=m["hash"], label=m["label"], type=int(m["type"]), package=m["package"], when=int(m["when"]),
                when_elapsed=int(m["when_elapsed"]) if m["when_elapsed"] is not None else None,
                section=section.strip(),
            )
            body_indent = indent
            dump.alarms.append(current)
            continue
        indent = _indent(line)
        if current is not None and indent > body_indent:
            _read_body(current, line.strip())
            continue
        current = None
        if _BATCH.match(line):
            continue  # API 26-30 print "Batch{...}:" at column 0, inside "Pending alarm batches"
        headings = [(i, t) for i, t in headings if i < indent]
        headings.append((indent, line))
    return dump


def _read_body(alarm: AlarmRecord, text: str) -> None:
    if text.startswith("tag="):
        alarm.tag = text[len("tag="):]
        return
    if text.startswith("operation="):
        alarm.operation = text[len("operation="):]
        return
    if text.startswith("listener="):
        alarm.listener = text[len("listener="):]
        return
    for key, value in _PAIR.findall(text):
        alarm.fields.setdefault(key, value)
        if key == "window" and alarm.window is None:
            alarm.window = value
        elif key == "repeatInterval" and value.lstrip("-").isdigit():
            alarm.repeat_interval = int(value)
        elif key == "flags" and value.startswith("0x"):
            try:
                alarm.flags = int(value, 16)
            except ValueError:
                pass
