"""App-standby job quotas (QuotaController) and expedited-job quotas.

Defaults of QuotaController.QcConstants (aosp-mirror platform_frameworks_base, Android 13/14):
  allowed_time_per_period 10 min in a bucket window of ACTIVE 10 min, WORKING_SET 2 h,
  FREQUENT 8 h, RARE 24 h, RESTRICTED 24 h; max job count per window ACTIVE 75, WORKING 120,
  FREQUENT 200, RARE 48, RESTRICTED 10; max session count ACTIVE 75, WORKING 10, FREQUENT 8,
  RARE 3, RESTRICTED 1; sessions closer than timing_session_coalescing_duration (5 s) are one
  session; at most max_execution_time (4 h) in any 24 h; in_quota_buffer 30 s.
  Expedited jobs: ej_limit ACTIVE 30 min, WORKING 30 min, FREQUENT 10 min, RARE 10 min,
  RESTRICTED 5 min within ej_window_size 24 h.
Quota is not applied while charging (except RESTRICTED), to jobs started while the app was TOP,
or while the app is in the foreground (TOP / foreground service): isWithinQuotaLocked.
NEVER-bucket apps never run jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.virtual.model.job_info import HOUR_MS, MINUTE_MS
from harness.virtual.model.state import StandbyBucket

ALLOWED_TIME_PER_PERIOD_MS = 10 * MINUTE_MS
IN_QUOTA_BUFFER_MS = 30_000
MAX_EXECUTION_TIME_MS = 4 * HOUR_MS
MAX_EXECUTION_WINDOW_MS = 24 * HOUR_MS
TIMING_SESSION_COALESCING_DURATION_MS = 5_000
EJ_WINDOW_SIZE_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class BucketQuota:
    window_ms: int
    max_jobs: int
    max_sessions: int
    ej_limit_ms: int


BUCKET_QUOTAS: dict[StandbyBucket, BucketQuota] = {
    StandbyBucket.EXEMPTED: BucketQuota(10 * MINUTE_MS, 75, 75, 30 * MINUTE_MS),
    StandbyBucket.ACTIVE: BucketQuota(10 * MINUTE_MS, 75, 75, 30 * MINUTE_MS),
    StandbyBucket.WORKING_SET: BucketQuota(2 * HOUR_MS, 120, 10, 30 * MINUTE_MS),
    StandbyBucket.FREQUENT: BucketQuota(8 * HOUR_MS, 200, 8, 10 * MINUTE_MS),
    StandbyBucket.RARE: BucketQuota(24 * HOUR_MS, 48, 3, 10 * MINUTE_MS),
    StandbyBucket.RESTRICTED: BucketQuota(24 * HOUR_MS, 10, 1, 5 * MINUTE_MS),
}


def quota_for(bucket: StandbyBucket) -> BucketQuota | None:
    """None for NEVER (no quota at all)."""
    return BUCKET_QUOTAS.get(bucket)


@dataclass
class Session:
    start_ms: int
    end_ms: int | None  # None while a job still runs
    jobs: int = 1


@dataclass
class PackageStats:
    sessions: list[Session] = field(default_factory=list)
    job_starts: list[int] = field(default_factory=list)  # elapsed times of counted job starts
    ej_sessions: list[Session] = field(default_factory=list)
    running_regular: int = 0
    running_ej: int = 0


def _used(sessions: list[Session], since: int, now: int) -> int:
    total = 0
    for s in sessions:
        end = now if s.end_ms is None else s.end_ms
        if end <= since:
            continue
        total += end - max(s.start_ms, since)
    return total


class QuotaTracker:
    """Per-package execution history; answers "within quota?" and "when again?"."""

    def __init__(self) -> None:
        self.stats: dict[str, PackageStats] = {}

    def _get(self, package: str) -> PackageStats:
        return self.stats.setdefault(package, PackageStats())

    def clear(self, package: str | None = None) -> None:
        """`cmd jobscheduler reset-execution-quota` (one package) or a reboot (all)."""
        if package is None:
            self.stats.clear()
        else:
            self.stats.pop(package, None)

    # ------------------------------------------------------------------ regular quota
    def note_start(self, package: str, now: int) -> None:
        st = self._get(package)
        st.job_starts.append(now)
        if st.running_regular == 0:
            last = st.sessions[-1] if st.sessions else None
            if (last is not None and last.end_ms is not None
                    and now - last.end_ms <= TIMING_SESSION_COALESCING_DURATION_MS):
                last.end_ms = None
                last.jobs += 1
            else:
                st.sessions.append(Session(now, None))
        else:
            st.sessions[-1].jobs += 1
        st.running_regular += 1

    def note_stop(self, package: str, now: int) -> None:
        st = self._get(package)
        if st.running_regular <= 0:
            return
        st.running_regular -= 1
        if st.running_regular == 0 and st.sessions and st.sessions[-1].end_ms is None:
            st.sessions[-1].end_ms = now

    def used_ms(self, package: str, bucket: StandbyBucket, now: int) -> int:
        q = quota_for(bucket)
        if q is None:
            return 0
        return _used(self._get(package).sessions, now - q.window_ms, now)

    def within_quota(self, package: str, bucket: StandbyBucket, now: int) -> bool:
        q = quota_for(bucket)
        if q is None:
            return False
        st = self._get(package)
        since = now - q.window_ms
        if _used(st.sessions, since, now) >= ALLOWED_TIME_PER_PERIOD_MS:
            return False
        if _used(st.sessions, now - MAX_EXECUTION_WINDOW_MS, now) >= MAX_EXECUTION_TIME_MS:
            return False
        if sum(1 for t in st.job_starts if t > since) >= q.max_jobs:
            return False
        sessions = sum(1 for s in st.sessions if (s.end_ms is None or s.end_ms > since))
        # the session a new job would open counts too, unless one is open (or coalescable) now
        last = st.sessions[-1] if st.sessions else None
        opens_new = not (last is not None and (last.end_ms is None
                                               or now - last.end_ms <= TIMING_SESSION_COALESCING_DURATION_MS))
        return sessions + (1 if opens_new else 0) <= q.max_sessions

    def in_quota_at(self, package: str, bucket: StandbyBucket, now: int) -> int | None:
        """The earliest elapsed time >= now at which the package is back in quota (None: never)."""
        q = quota_for(bucket)
        if q is None:
            return None
        if self.within_quota(package, bucket, now):
            return now
        st = self._get(package)
        if st.running_regular:
            return None  # usage still growing; re-evaluated when the job stops
        candidates = set()
        for s in st.sessions:
            candidates.add(s.start_ms + q.window_ms)
            if s.end_ms is not None:
                candidates.add(s.end_ms + q.window_ms - ALLOWED_TIME_PER_PERIOD_MS + IN_QUOTA_BUFFER_MS)
                candidates.add(s.end_ms + q.window_ms)
        for t in st.job_starts:
            candidates.add(t + q.window_ms + 1)
        for t in sorted(c for c in candidates if c > now):
            if self.within_quota(package, bucket, t):
                return t
        return None

    # ------------------------------------------------------------------ expedited quota
    def ej_note_start(self, package: str, now: int) -> None:
        st = self._get(package)
        if st.running_ej == 0:
            st.ej_sessions.append(Session(now, None))
        st.running_ej += 1

    def ej_note_stop(self, package: str, now: int) -> None:
        st = self._get(package)
        if st.running_ej <= 0:
            return
        st.running_ej -= 1
        if st.running_ej == 0 and st.ej_sessions and st.ej_sessions[-1].end_ms is None:
            st.ej_sessions[-1].end_ms = now

    def ej_remaining_ms(self, package: str, bucket: StandbyBucket, now: int) -> int:
        q = quota_for(bucket)
        if q is None:
            return 0
        used = _used(self._get(package).ej_sessions, now - EJ_WINDOW_SIZE_MS, now)
        return max(0, q.ej_limit_ms - used)
