"""Reading ``dumpsys jobscheduler [PACKAGE]``: registered jobs, the pending queue, running jobs.

The format (JobSchedulerService.dumpInternal and JobStatus.dump in AOSP, stable in the parts
read here from API 26 to 35)::

    Registered 2 jobs:
      JOB #u0a190/1001: 9e3b1f0 dev.harness.companion/.jobs.HarnessJobService
        u0a190 tag=*job*/dev.harness.companion/.jobs.HarnessJobService
        Source: uid=u0a190 user=0 pkg=dev.harness.companion
        JobInfo:
          Service: dev.harness.companion/.jobs.HarnessJobService
          PERIODIC: interval=+15m0s0ms flex=+5m0s0ms
          PERSISTED
        Required constraints: TIMING_DELAY CONNECTIVITY [0x90000000]
        Satisfied constraints: CONNECTIVITY DEVICE_NOT_DOZING [0x12000000]
        Unsatisfied constraints: TIMING_DELAY [0x80000000]
        Standby bucket: ACTIVE
        Run time: earliest=+13m57s997ms, latest=none, original latest=none
        Ready: false (job=false user=true ...)
    ...
    Pending queue:
      Pending #0: 9e3b1f0 #u0a190/1001 dev.harness.companion/.jobs.HarnessJobService
    Active jobs:
      Slot #0: 9e3b1f0 #u0a190/1001 dev.harness.companion/.jobs.HarnessJobService
      Slot #1: inactive since -3m2s1ms, stopped because: ...

API 34 adds job namespaces: ``JOB #{ns} u0a190/1001: ...`` and ``9e3b1f0 {ns} #u0a190/1001 ...``.
Lines the parser does not know are skipped, so other versions' additions do not break it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_REGISTERED = re.compile(r"^\s*Registered (\d+) jobs:")
_JOB = re.compile(r"^(?P<indent>\s*)JOB #(?:\{(?P<ns>[^}]*)\} )?(?P<uid>[^\s/]+)/(?P<id>-?\d+): "
                  r"(?P<hash>[0-9a-f]+) (?P<name>\S+)")
_QUEUED = re.compile(r"^\s*(?P<what>Pending|Slot) #\d+: (?P<hash>[0-9a-f]+) (?:\{(?P<ns>[^}]*)\} )?"
                     r"#(?P<uid>[^\s/]+)/(?P<id>-?\d+) (?P<name>\S+)")
_SOURCE = re.compile(r"Source: uid=(\S+) user=(\d+) pkg=(\S+)")
_CONSTRAINTS = re.compile(r"^\s*(Required|Dynamic|Satisfied|Unsatisfied) constraints:(.*)$")
_READY = re.compile(r"^\s*Ready: (true|false)")
_RUN_TIME = re.compile(r"^\s*Run time: earliest=([^,\s]+), latest=([^,\s]+)")
_BUCKET = re.compile(r"^\s*Standby bucket: (\S+)")
_SERVICE = re.compile(r"^\s*Service: (\S+)")


def _constraint_words(text: str) -> frozenset[str]:
    return frozenset(w for w in text.split() if not w.startswith("[0x"))


def _package_of(name: str) -> str:
    """The package in a battery name: ``pkg/.Service`` or ``sourceTag:pkg``."""
    if "/" in name:
        return name.split("/", 1)[0].rsplit(":", 1)[-1]
    return name.rsplit(":", 1)[-1]


@dataclass
class RegisteredJob:
    uid: str
    job_id: int
    namespace: str | None
    name: str  # JobStatus.batteryName: the service component (or sourceTag:package)
    source_package: str = ""
    source_user: int = 0
    service: str = ""
    periodic: bool = False
    persisted: bool = False
    required: frozenset[str] = frozenset()
    satisfied: frozenset[str] = frozenset()
    unsatisfied: frozenset[str] = frozenset()
    ready: bool | None = None
    standby_bucket: str | None = None
    earliest: str | None = None  # as printed: "+13m57s997ms" relative to now, or "none"
    latest: str | None = None

    @property
    def package(self) -> str:
        return self.source_package or _package_of(self.name)


@dataclass(frozen=True)
class QueuedJob:
    uid: str
    job_id: int
    namespace: str | None
    name: str

    @property
    def package(self) -> str:
        return _package_of(self.name)


@dataclass
class JobSchedulerDump:
    registered: list[RegisteredJob] = field(default_factory=list)
    registered_count: int | None = None
    pending: list[QueuedJob] = field(default_factory=list)
    active: list[QueuedJob] = field(default_factory=list)

    def jobs_of(self, package: str) -> list[RegisteredJob]:
        return [j for j in self.registered if j.package == package]

    def job(self, package: str, job_id: int, namespace: str | None = None) -> RegisteredJob | None:
        return next((j for j in self.registered if j.package == package and j.job_id == job_id
                     and j.namespace == namespace), None)

    def is_registered(self, package: str, job_id: int) -> bool:
        """The "job pending" expectation: JobScheduler holds the job (scheduled, not finished)."""
        return any(j.package == package and j.job_id == job_id for j in self.registered)

    def is_queued(self, package: str, job_id: int) -> bool:
        return any(j.package == package and j.job_id == job_id for j in self.pending)

    def is_running(self, package: str, job_id: int) -> bool:
        return any(j.package == package and j.job_id == job_id for j in self.active)


def parse_jobscheduler_dump(text: str) -> JobSchedulerDump:
    dump = JobSchedulerDump()
    section = ""
    current: RegisteredJob | None = None
    job_indent = -1
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        stripped = line.strip()
        m = _REGISTERED.match(line)
        if m:
            section, current = "registered", None
            dump.registered_count = int(m.group(1))
            continue
        if stripped == "Pending queue:":
            section, current = "pending", None
            continue
        if stripped == "Active jobs:":
            section, current = "active", None
            continue
        if section == "registered":
            m = _JOB.match(line)
            if m:
                current = RegisteredJob(m["uid"], int(m["id"]), m["ns"], m["name"])
                job_indent = len(m["indent"])
                dump.registered.append(current)
                continue
            indent = len(line) - len(line.lstrip())
            if not stripped or (current is not None and indent <= job_indent and not stripped.startswith("JOB #")):
                # the end of the registered jobs (a blank line or the controllers' sections)
                if not stripped or not line.startswith(" "):
                    section, current = "", None
                continue
            if current is not None:
                _read_job_line(current, line, stripped)
            continue
        if section in ("pending", "active"):
            # Each entry is followed by a blank line; the section ends at the next top-level line.
            if stripped and not line.startswith((" ", "\t")):
                section = ""
                continue
            m = _QUEUED.match(line)
            if m:
                q = QueuedJob(m["uid"], int(m["id"]), m["ns"], m["name"])
                if section == "pending" and m["what"] == "Pending":
                    dump.pending.append(q)
                elif section == "active" and m["what"] == "Slot":
                    dump.active.append(q)
    return dump


def _read_job_line(job: RegisteredJob, line: str, stripped: str) -> None:
    m = _SOURCE.search(line)
    if m and not job.source_package:
        job.source_user = int(m.group(2))
        job.source_package = m.group(3)
        return
    m = _CONSTRAINTS.match(line)
    if m:
        words = _constraint_words(m.group(2))
        kind = m.group(1)
        if kind == "Required":
            job.required = words
        elif kind == "Satisfied":
            job.satisfied = words
        elif kind == "Unsatisfied":
            job.unsatisfied = words
        return
    m = _READY.match(line)
    if m:
        job.ready = m.group(1) == "true"
        return
    m = _RUN_TIME.match(line)
    if m:
        job.earliest, job.latest = m.group(1), m.group(2)
        return
    m = _BUCKET.match(line)
    if m:
        job.standby_bucket = m.group(1)
        return
    m = _SERVICE.match(line)
    if m and not job.service:
        job.service = m.group(1)
        return
    if stripped.startswith("PERIODIC"):
        job.periodic = True
    elif stripped == "PERSISTED":
        job.persisted = True
