"""JobScheduler's shell: force-run a job, ask its state, time it out.

``cmd jobscheduler run -f PKG ID`` runs a job now, constraints or not (``Running job [FORCED]``);
``get-job-state PKG ID`` prints the job's state words (``pending``, ``active``, ``ready``,
``user-stopped``, ``backing-up``, ``no-component``... or ``waiting`` when none applies; an
unknown job prints ``unknown(u0aNN/jidID)``); ``timeout PKG ID`` stops a running job as if it
timed out. Errors (``Package not found: ...``, ``Could not find job ...``) go to stderr with a
non-zero exit status.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.companion.protocol import PACKAGE
from harness.controls.base import Commands, run, unexpected

if TYPE_CHECKING:
    from harness.bridge.device import Device

JOBS_FAILURES = ("Package not found", "Could not find job", "has functional constraint", "Error", "Exception")


class JobStateWord(str, enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    USER_STOPPED = "user-stopped"
    SOURCE_USER_STOPPED = "source-user-stopped"
    BACKING_UP = "backing-up"
    NO_COMPONENT = "no-component"
    READY = "ready"
    WAITING = "waiting"


@dataclass(frozen=True)
class JobRunState:
    known: bool
    words: frozenset[JobStateWord]

    @property
    def waiting(self) -> bool:
        return JobStateWord.WAITING in self.words

    @property
    def active(self) -> bool:
        return JobStateWord.ACTIVE in self.words

    @property
    def ready(self) -> bool:
        return JobStateWord.READY in self.words or JobStateWord.PENDING in self.words


def run_commands(job_id: int, package: str = PACKAGE, *, force: bool = True) -> Commands:
    return [["cmd", "jobscheduler", "run"] + (["-f"] if force else []) + [package, str(int(job_id))]]


def get_state_commands(job_id: int, package: str = PACKAGE) -> Commands:
    return [["cmd", "jobscheduler", "get-job-state", package, str(int(job_id))]]


def timeout_commands(job_id: int, package: str = PACKAGE) -> Commands:
    return [["cmd", "jobscheduler", "timeout", package, str(int(job_id))]]


def parse_job_state(text: str) -> JobRunState:
    """The words ``get-job-state`` prints (AOSP prints some with a newline after each)."""
    if re.search(r"\bunknown\(", text):
        return JobRunState(False, frozenset())
    words = set()
    for token in text.split():
        try:
            words.add(JobStateWord(token))
        except ValueError:
            continue
    if not words:
        raise ValueError("no job state words")
    return JobRunState(True, frozenset(words))


def run_job(device: "Device", job_id: int, package: str = PACKAGE, *, force: bool = True) -> None:
    run(device, run_commands(job_id, package, force=force), failure_texts=JOBS_FAILURES)


def get_job_state(device: "Device", job_id: int, package: str = PACKAGE) -> JobRunState:
    # An unknown job exits non-zero and says so on stdout: read it rather than raise.
    result = device.shell(get_state_commands(job_id, package)[0])
    try:
        return parse_job_state(result.stdout)
    except ValueError:
        result.check()
        raise unexpected(result, "no job state words") from None


def timeout_job(device: "Device", job_id: int, package: str = PACKAGE) -> None:
    run(device, timeout_commands(job_id, package), failure_texts=JOBS_FAILURES)
