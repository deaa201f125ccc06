"""App standby buckets (AppStandbyController), the power-save allowlist and the temporary allowlist.

Rules (docs/fidelity.md, section "Standby buckets"):
  * a user-visible usage (``am start`` bringing an activity to the top) puts the app in ACTIVE;
  * without usage an app times out bucket by bucket when both the elapsed time and the
    screen-on time since its last use pass AppStandbyController DEFAULT_ELAPSED_TIME_THRESHOLDS
    {0, 12 h, 24 h, 48 h, 8 d} and DEFAULT_SCREEN_TIME_THRESHOLDS {0, 0, 1 h, 2 h, 6 h} for
    THRESHOLD_BUCKETS {ACTIVE, WORKING_SET, FREQUENT, RARE, RESTRICTED}; elapsed and screen time
    keep counting across reboots (AppIdleHistory persists them);
  * ``am set-standby-bucket`` forces a bucket (REASON_MAIN_FORCED_BY_USER) that timeouts do not
    change; the next usage replaces it;
  * ``am set-inactive PKG true`` forces RARE, ``false`` forces ACTIVE; ``am get-inactive`` is
    ``bucket >= RARE``;
  * apps on the power-save allowlist (``cmd deviceidle whitelist +PKG``) are EXEMPTED;
  * ``cmd deviceidle tempwhitelist [-d MS] PKG`` adds a temporary allowlist entry (default 10 s,
    capped at DeviceIdleController MAX_TEMP_APP_ALLOWLIST_DURATION_MS = 5 min).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from harness.virtual.model.clock import Timer
from harness.virtual.model.state import StandbyBucket
from harness.virtual.model.subsystem import Subsystem

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# AppStandbyController.DEFAULT_ELAPSED_TIME_THRESHOLDS / DEFAULT_SCREEN_TIME_THRESHOLDS / THRESHOLD_BUCKETS
ELAPSED_TIME_THRESHOLDS_MS = (0, 12 * HOUR_MS, 24 * HOUR_MS, 48 * HOUR_MS, 8 * DAY_MS)
SCREEN_TIME_THRESHOLDS_MS = (0, 0, 1 * HOUR_MS, 2 * HOUR_MS, 6 * HOUR_MS)
THRESHOLD_BUCKETS = (StandbyBucket.ACTIVE, StandbyBucket.WORKING_SET, StandbyBucket.FREQUENT,
                     StandbyBucket.RARE, StandbyBucket.RESTRICTED)
# DeviceIdleController: `tempwhitelist` default duration and the cap on any temp allowlist entry.
TEMP_ALLOWLIST_DEFAULT_MS = 10_000
MAX_TEMP_APP_ALLOWLIST_DURATION_MS = 5 * 60_000



def parse_bucket(name: str) -> StandbyBucket | None:
    """ActivityManagerShellCommand.bucketNameToBucketValue: prefixes ac/wo/fr/ra/re/ne or a number."""
    lower = name.lower()
    for prefix, bucket in (("ac", StandbyBucket.ACTIVE), ("wo", StandbyBucket.WORKING_SET),
                           ("fr", StandbyBucket.FREQUENT), ("ra", StandbyBucket.RARE),
                           ("re", StandbyBucket.RESTRICTED), ("ne", StandbyBucket.NEVER)):
        if lower.startswith(prefix):
            return bucket
    try:
        return StandbyBucket(int(lower))
    except ValueError:
        return None


@dataclass
class _History:
    last_used_total_ms: int  # device elapsed (across boots) at the last usage
    last_used_screen_ms: int  # screen-on time (across boots) at the last usage
    forced: StandbyBucket | None = None
    reported: StandbyBucket = StandbyBucket.ACTIVE


class Standby(Subsystem):
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self._history: dict[str, _History] = {}
        self._elapsed_before_boot = 0  # device elapsed time of earlier boots
        self._screen_total_ms = 0  # screen-on time up to _screen_since
        self._screen_since: int | None = 0 if model.state.screen_on else None
        self.power_save_allowlist: set[str] = set()
        self._temp: dict[str, tuple[int, str]] = {}  # package -> (end elapsed, reason)
        self._temp_timers: dict[str, Timer] = {}
        self._check_timer: Timer | None = None

    # ---------------------------------------------------------------- time accounting
    def total_elapsed_ms(self) -> int:
        return self._elapsed_before_boot + self.model.clock.elapsed_ms

    def screen_time_ms(self) -> int:
        extra = 0
        if self._screen_since is not None:
            extra = self.model.clock.elapsed_ms - self._screen_since
        return self._screen_total_ms + extra

    def _hist(self, package: str) -> _History:
        h = self._history.get(package)
        if h is None:
            # Installed apps count as used at install (the installer launches them).
            h = _History(self.total_elapsed_ms(), self.screen_time_ms())
            self._history[package] = h
        return h

    # ---------------------------------------------------------------- buckets
    def bucket(self, package: str) -> StandbyBucket:
        """UsageStatsManager.getAppStandbyBucket for ``package`` now."""
        if package in self.power_save_allowlist:
            return StandbyBucket.EXEMPTED
        h = self._hist(package)
        if h.forced is not None:
            return h.forced
        return self._timed_bucket(h)

    def _timed_bucket(self, h: _History) -> StandbyBucket:
        since = self.total_elapsed_ms() - h.last_used_total_ms
        screen = self.screen_time_ms() - h.last_used_screen_ms
        result = THRESHOLD_BUCKETS[0]
        for i in range(len(THRESHOLD_BUCKETS)):
            if since >= ELAPSED_TIME_THRESHOLDS_MS[i] and screen >= SCREEN_TIME_THRESHOLDS_MS[i]:
                result = THRESHOLD_BUCKETS[i]
        return result

    def set_bucket(self, package: str, bucket: StandbyBucket, reason: str = "shell") -> None:
        h = self._hist(package)
        h.forced = StandbyBucket(bucket)
        self.model.trace("standby_bucket", package=package, bucket=int(bucket), reason=reason)
        self._publish()

    def report_usage(self, package: str) -> None:
        """A user-visible usage (activity resumed): ACTIVE, and any forced bucket is replaced."""
        h = self._hist(package)
        h.last_used_total_ms = self.total_elapsed_ms()
        h.last_used_screen_ms = self.screen_time_ms()
        h.forced = None
        self._publish()

    def set_inactive(self, package: str, inactive: bool) -> None:
        """``am set-inactive``: AppIdleHistory.setIdle forces RARE (true) or ACTIVE (false)."""
        self.set_bucket(package, StandbyBucket.RARE if inactive else StandbyBucket.ACTIVE, reason="set-inactive")

    def is_inactive(self, package: str) -> bool:
        b = self.bucket(package)
        return b != StandbyBucket.EXEMPTED and b >= StandbyBucket.RARE

    def all_buckets(self) -> list[tuple[str, StandbyBucket]]:
        return [(p, self.bucket(p)) for p in self.model.packages.list_packages()]

    def _publish(self) -> None:
        """Report bucket changes (trace + state_changed) and arm the next timeout check."""
        changed = False
        for pkg in self.model.packages.list_packages():
            h = self._hist(pkg)
            b = self.bucket(pkg)
            if b != h.reported:
                h.reported = b
                changed = True
                self.model.trace("standby_bucket_now", package=pkg, bucket=int(b))
        self._arm_check()
        if changed:
            self.model.state_changed()

    def _arm_check(self) -> None:
        """Next time an elapsed threshold is crossed (screen time can only delay it further)."""
        if self._check_timer is not None:
            self._check_timer.cancel()
            self._check_timer = None
        now_total = self.total_elapsed_ms()
        best: int | None = None
        for pkg in self.model.packages.list_packages():
            h = self._hist(pkg)
            if h.forced is not None or pkg in self.power_save_allowlist:
                continue
            since = now_total - h.last_used_total_ms
            for t in ELAPSED_TIME_THRESHOLDS_MS:
                if t > since:
                    wait = t - since
                    best = wait if best is None else min(best, wait)
                    break
        if best is not None:
            self._check_timer = self.model.clock.call_later(best, self._publish, "standby:check")

    # ---------------------------------------------------------------- allowlists
    def add_power_save_allowlist(self, package: str) -> bool:
        if not self.model.packages.is_installed(package):
            return False
        self.power_save_allowlist.add(package)
        self.model.trace("power_save_allowlist", package=package, added=True)
        self._publish()
        self.model.state_changed()
        return True

    def remove_power_save_allowlist(self, package: str) -> bool:
        if package not in self.power_save_allowlist:
            return False
        self.power_save_allowlist.discard(package)
        self.model.trace("power_save_allowlist", package=package, added=False)
        self._publish()
        self.model.state_changed()
        return True

    def is_power_save_allowlisted(self, package: str) -> bool:
        return package in self.power_save_allowlist

    def temp_allowlist(self, package: str, duration_ms: int = TEMP_ALLOWLIST_DEFAULT_MS,
                       reason: str = "shell") -> None:
        duration_ms = min(duration_ms, MAX_TEMP_APP_ALLOWLIST_DURATION_MS)
        end = self.model.clock.elapsed_ms + duration_ms
        self._temp[package] = (end, reason)
        old = self._temp_timers.pop(package, None)
        if old is not None:
            old.cancel()
        self._temp_timers[package] = self.model.clock.call_at(
            end, lambda: self._temp_expired(package), f"standby:temp:{package}")
        self.model.trace("temp_allowlist", package=package, duration_ms=duration_ms, reason=reason)
        self.model.state_changed()

    def remove_temp_allowlist(self, package: str) -> None:
        if self._temp.pop(package, None) is not None:
            t = self._temp_timers.pop(package, None)
            if t is not None:
                t.cancel()
            self.model.trace("temp_allowlist_end", package=package)
            self.model.state_changed()

    def _temp_expired(self, package: str) -> None:
        self._temp_timers.pop(package, None)
        if self._temp.pop(package, None) is not None:
            self.model.trace("temp_allowlist_end", package=package)
            self.model.state_changed()

    def is_temp_allowlisted(self, package: str) -> bool:
        return package in self._temp

    def temp_allowlist_entries(self) -> list[tuple[str, int, str]]:
        return [(p, end, reason) for p, (end, reason) in sorted(self._temp.items())]

    # ---------------------------------------------------------------- hooks
    def on_state_changed(self) -> None:
        on = self.model.state.screen_on
        now = self.model.clock.elapsed_ms
        if on and self._screen_since is None:
            self._screen_since = now
        elif not on and self._screen_since is not None:
            self._screen_total_ms += now - self._screen_since
            self._screen_since = None

    def on_process_started(self, package: str, reason: str) -> None:
        self._hist(package)

    def on_shutdown(self) -> None:
        if self._screen_since is not None:
            self._screen_total_ms += self.model.clock.elapsed_ms - self._screen_since
            self._screen_since = None
        self._elapsed_before_boot += self.model.clock.elapsed_ms
        # the temporary allowlist lives in RAM only
        self._temp.clear()
        self._temp_timers.clear()
        self._check_timer = None

    def on_boot(self) -> None:
        if self.model.state.screen_on:
            self._screen_since = self.model.clock.elapsed_ms
        self._arm_check()
