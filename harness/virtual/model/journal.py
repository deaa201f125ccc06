"""The companion app's event journal (docs/companion-protocol.md, "The event journal").

The journal belongs to the app's data directory, so it outlives process death, force-stop and
reboot; only ``clear_events`` (and a ``vdev reset``, which is a new device) empties it. Sequence
numbers start at 1 and are never reused. Every event is also written to logcat at INFO under the
tag ``HarnessJournal``, the JSON document alone, from the thread that produced it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.companion.protocol import JOURNAL_TAG

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

LOG_TAG = JOURNAL_TAG


def dumps(doc: Any) -> str:
    """Compact one-line JSON, as the app writes it (no newline can appear in the text)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class JournalEvent:
    seq: int
    boot: int
    elapsed_ms: int
    wall_ms: int
    task_id: str | None
    mechanism: str
    kind: str
    thread: str
    stop_reason: str | None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "boot": self.boot, "elapsed_ms": self.elapsed_ms, "wall_ms": self.wall_ms,
                "task_id": self.task_id, "mechanism": self.mechanism, "kind": self.kind,
                "thread": self.thread, "stop_reason": self.stop_reason, "detail": self.detail}


class Journal:
    def __init__(self, model: "DeviceModel") -> None:
        self.model = model
        self.events: list[JournalEvent] = []
        self.last_seq = 0

    def append(self, task_id: str | None, mechanism: str, kind: str, thread: str, *,
               stop_reason: str | None = None, detail: dict[str, Any] | None = None,
               pid: int = 0, tid: int | None = None) -> JournalEvent:
        clock = self.model.clock
        self.last_seq += 1
        ev = JournalEvent(self.last_seq, clock.boot_count, clock.elapsed_ms, clock.wall_ms, task_id, mechanism,
                          kind, thread, stop_reason, dict(detail or {}))
        self.events.append(ev)
        self.model.logcat.append("I", LOG_TAG, dumps(ev.to_json()), pid=pid, tid=tid)
        self.model.trace("journal", seq=ev.seq, task_id=task_id, mechanism=mechanism, event=kind)
        return ev

    def since(self, seq: int, limit: int) -> tuple[list[JournalEvent], bool]:
        """Events with a sequence number above ``seq`` (at most ``limit``) and whether more exist."""
        newer = [e for e in self.events if e.seq > seq]
        return newer[:limit], len(newer) > limit

    def clear(self) -> int:
        n = len(self.events)
        self.events.clear()
        return n

    def of_task(self, task_id: str) -> list[JournalEvent]:
        return [e for e in self.events if e.task_id == task_id]
