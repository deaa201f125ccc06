"""The companion app (dev.harness.companion), emulated to docs/companion-protocol.md.

What the Kotlin app does, done here against the device model:
  * its ContentProvider answers ``content call`` (companion_rpc.py validates and dispatches);
  * its JobService journals ``started`` on the main thread, offloads the work to a coroutine on
    Dispatchers.Default ("DefaultDispatcher-worker-N": ``work_started``), calls jobFinished after
    ``behavior.duration_ms`` of virtual time (``finished``) and answers onStopJob (``stopped``);
  * its CoroutineWorker runs on Dispatchers.Default too (``started`` / ``finished`` / ``stopped``);
  * its AlarmReceiver and BootReceiver run on the main thread (``fired``, boot kinds);
  * its foreground service and Activity-scoped coroutines follow the platform's rules.
Every event goes to the journal (journal.py), which survives process death and reboot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.companion import protocol
from harness.companion.protocol import OutOfQuota, UniquePolicy, WorkNetwork
from harness.virtual.model import companion_rpc
from harness.virtual.model.clock import Timer
from harness.virtual.model.companion_rpc import RpcFailure, TaskRequest
from harness.virtual.model.job_info import BACKOFF_POLICIES, NETWORK_TYPES, InvalidJob, JobInfo, StopReason
from harness.virtual.model.jobs import RESULT_SUCCESS, JobParams, JobSchedulerError
from harness.virtual.model.journal import Journal
from harness.virtual.model.packages import COMPANION_PACKAGE
from harness.virtual.model.processes import ProcState
from harness.virtual.model.subsystem import Subsystem
from harness.virtual.model.work import WorkRequest, WorkSpec

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel

log = logging.getLogger(__name__)

PROVIDER_AUTHORITY = protocol.AUTHORITY
JOB_SERVICE = f"{COMPANION_PACKAGE}/.jobs.HarnessJobService"
FOREGROUND_SERVICE = f"{COMPANION_PACKAGE}/.HarnessForegroundService"
VERSION_NAME = "0.1.0"
SHORT_SERVICE_TIMEOUT_MS = 3 * 60_000  # ActivityManagerConstants DEFAULT_SHORT_FGS_TIMEOUT_DURATION
ALLOWED_CALLER_UIDS = (0, 2000)  # root, shell

BOOT_ACTIONS = {
    "android.intent.action.LOCKED_BOOT_COMPLETED": "locked_boot_completed",
    "android.intent.action.BOOT_COMPLETED": "boot_completed",
    "android.intent.action.MY_PACKAGE_REPLACED": "package_replaced",
    "android.intent.action.TIME_SET": "time_set",
}
FGS_NOT_ALLOWED = "android.app.ForegroundServiceStartNotAllowedException"
IMPLICIT_CHAIN_PREFIX = "harness.task."  # the chain of one-time work without unique_name or after

ACTIVE_STATES = ("scheduled", "running")
# the model's process-start causes -> ApplicationStartInfo.START_REASON_* names in lower case
START_REASONS = {"activity": "start_activity", "content_provider": "content_provider", "job": "job",
                 "broadcast": "broadcast", "service": "service", "alarm": "alarm"}


CRASH_EXCEPTION = "java.lang.RuntimeException"  # what outcome `crash` throws (docs/companion-protocol.md)


class ProviderNotFound(Exception):
    """`content` could not find the provider (the app is not installed)."""


class CallerNotAllowed(Exception):
    """The provider refused the caller's uid (SecurityException)."""

    exception = "java.lang.SecurityException"


@dataclass
class Task:
    req: TaskRequest
    platform: dict[str, Any]
    order: int
    state: str = "scheduled"
    runs: int = 0
    terminal: str | None = None  # the app's final word once the platform forgot the task
    timers: list[Timer] = field(default_factory=list)
    thread: str | None = None
    work_id: str | None = None
    chain: str | None = None  # one-time work: the unique-work name of its chain
    alarm_handle: Any = None

    @property
    def id(self) -> str:
        return self.req.id

    def cancel_timers(self) -> None:
        for t in self.timers:
            t.cancel()
        self.timers.clear()


class CompanionApp(Subsystem):
    package = COMPANION_PACKAGE

    def __init__(self, model: "DeviceModel") -> None:
        super().__init__(model)
        self.journal = Journal(model)
        self.config: dict[str, Any] = {"reregister_alarms_on_boot": False}
        self.tasks: dict[str, Task] = {}
        self._order = 0
        self._threads: set[int] = set()
        self.activity_started = False
        model.jobs.register_service(JOB_SERVICE, self)
        model.work.executor = self
        for action in BOOT_ACTIONS:
            model.packages.register_receiver(self.package, action, self._on_boot_broadcast)

    # ------------------------------------------------------------------ process / threads
    @property
    def pid(self) -> int:
        return self.model.processes.pid(self.package) or 0

    def _tid(self, thread: str) -> int:
        if thread == "main":
            return self.pid
        try:
            return self.pid + 20 + int(thread.rsplit("-", 1)[1])
        except (ValueError, IndexError):
            return self.pid

    def _acquire_thread(self) -> str:
        n = 1
        while n in self._threads:
            n += 1
        self._threads.add(n)
        return f"DefaultDispatcher-worker-{n}"

    def _release_thread(self, task: Task) -> None:
        if task.thread is not None:
            try:
                self._threads.discard(int(task.thread.rsplit("-", 1)[1]))
            except (ValueError, IndexError):
                pass
            task.thread = None

    def _log(self, task_id: str | None, mechanism: str, kind: str, thread: str, *,
             stop_reason: str | None = None, detail: dict[str, Any] | None = None) -> None:
        self.journal.append(task_id, mechanism, kind, thread, stop_reason=stop_reason, detail=detail,
                            pid=self.pid, tid=self._tid(thread))

    def _after(self, task: Task, delay_ms: int, fn: Any, tag: str) -> None:
        t = self.model.clock.call_later(delay_ms, fn, f"companion:{tag}:{task.id}")
        task.timers.append(t)

    def _stop_reason_code(self, reason: StopReason) -> int:
        """What the app can read: JobParameters.getStopReason() exists from API 31; below, 0."""
        return int(reason) if self.model.api >= 31 else 0

    def _stop_reason_name(self, reason: StopReason) -> str:
        return StopReason(self._stop_reason_code(reason)).name

    # ------------------------------------------------------------------ the provider
    def provider_call(self, method: str, arg: str | None, uid: int) -> dict[str, Any]:
        """ContentProvider.call as reached from `content call`: start the app, check the caller."""
        pk = self.model.packages
        if not pk.is_installed(self.package):
            raise ProviderNotFound(PROVIDER_AUTHORITY)
        if pk.is_stopped(self.package):
            pk.set_stopped(self.package, False)
        if not self.model.processes.is_running(self.package):
            self.model.processes.start(self.package, "content_provider")
        if uid not in ALLOWED_CALLER_UIDS:
            raise CallerNotAllowed(f"caller uid {uid} is not shell or root")
        return companion_rpc.call(self, method, arg)

    # ------------------------------------------------------------------ RPC methods
    def hello(self) -> dict[str, Any]:
        m = self.model
        pk = m.packages
        info = pk.info(self.package)
        api = m.api
        exact = pk.has_permission(self.package, "android.permission.SCHEDULE_EXACT_ALARM")
        use_exact = pk.has_permission(self.package, "android.permission.USE_EXACT_ALARM")
        post = api < 33 or pk.has_permission(self.package, "android.permission.POST_NOTIFICATIONS")
        return {
            "ok": True,
            "protocol": {"major": protocol.PROTOCOL_MAJOR, "minor": protocol.PROTOCOL_MINOR},
            "app": {"package": self.package, "version_name": info.version_name or VERSION_NAME,
                    "version_code": info.version_code, "target_sdk": info.target_sdk},
            "device": {"api": api, "boot_count": m.clock.boot_count, "elapsed_ms": m.clock.elapsed_ms,
                       "wall_ms": m.clock.wall_ms},
            "permissions": {"schedule_exact_alarm": exact, "use_exact_alarm": use_exact,
                            "can_schedule_exact_alarms": api < 31 or exact or use_exact,
                            "post_notifications": post},
            "battery_optimization": {"ignoring": bool(m.standby.is_power_save_allowlisted(self.package))},
            "standby_bucket": int(m.standby.bucket(self.package)) if api >= 28 else None,
            "journal": {"last_seq": self.journal.last_seq},
            "config": dict(self.config),
        }

    def events(self, since: int, limit: int) -> dict[str, Any]:
        evs, more = self.journal.since(since, limit)
        last = evs[-1].seq if evs else self.journal.last_seq
        return {"ok": True, "events": [e.to_json() for e in evs], "last_seq": last, "more": more}

    def list_tasks(self) -> dict[str, Any]:
        tasks = [{"task_id": t.id, "mechanism": t.req.mechanism, "state": self.task_state(t),
                  "platform": dict(t.platform), "runs": t.runs}
                 for t in sorted(self.tasks.values(), key=lambda t: t.order)]
        pending = [j.job_id for j in self.model.jobs.pending_jobs(self.package)]
        return {"ok": True, "tasks": tasks, "pending_jobs": pending}

    def task_state(self, t: Task) -> str:
        if t.req.mechanism == "job" and t.terminal is None:
            job_id = t.platform["job_id"]
            if self.model.jobs.is_running(self.package, job_id):
                return "running"
            return "scheduled"
        if t.req.mechanism == "work" and t.work_id is not None and t.terminal is None:
            spec = self.model.work.specs.get(t.work_id)
            if spec is None:
                return "scheduled"
            return {"ENQUEUED": "scheduled", "BLOCKED": "scheduled", "RUNNING": "running",
                    "SUCCEEDED": "finished", "FAILED": "failed", "CANCELLED": "cancelled"}[spec.state.value]
        return t.terminal or t.state

    def schedule(self, req: TaskRequest) -> dict[str, Any]:
        old = self.tasks.get(req.id)
        if old is not None and self.task_state(old) in ACTIVE_STATES:
            raise RpcFailure("duplicate_task", f"task {req.id} is already {self.task_state(old)}; cancel it first",
                             "task.id")
        self._check_against_other_tasks(req)
        self._order += 1
        mech = req.mechanism
        # Exit order: WorkManager's in-process (greedy) starts, then JobScheduler's evaluation.
        with self.model.jobs.hold(), self.model.work.hold():
            if mech == "job":
                task = self._schedule_job(req)
            elif mech == "work":
                task = self._schedule_work(req)
            elif mech == "alarm":
                task = self._schedule_alarm(req)
            elif mech == "foreground":
                task = self._schedule_foreground(req)
            else:
                task = self._schedule_coroutine(req)
        return {"ok": True, "task_id": req.id, "platform": dict(task.platform)}

    def _check_against_other_tasks(self, req: TaskRequest) -> None:
        """The app's cross-task checks: a job id another active task uses; ``after`` naming no one-time
        work, or tasks of different chains (WorkManager appends to one unique name only)."""
        if req.mechanism == "job":
            job_id = req.params["job_id"]
            for other in sorted(self.tasks.values(), key=lambda t: t.order):
                if (other.id != req.id and other.req.mechanism == "job" and other.platform.get("job_id") == job_id
                        and self.task_state(other) in ACTIVE_STATES):
                    raise RpcFailure("bad_value", f"job id {job_id} is in use by task {other.id}",
                                     "task.params.job_id")
        elif req.mechanism == "work":
            for i, dep in enumerate(req.params["after"]):
                f = f"task.params.after[{i}]"
                other = self.tasks.get(dep)
                if other is None:
                    raise RpcFailure("unknown_task", f"no task {dep}", f)
                if other.req.mechanism != "work" or other.req.params.get("kind") != "one_time":
                    raise RpcFailure("bad_value", f"task {dep} is not one_time work", f)
            chains = list(dict.fromkeys(self._chain_of(self.tasks[dep]) for dep in req.params["after"]))
            if len(chains) > 1:
                raise RpcFailure("bad_value", f"tasks {', '.join(req.params['after'])} are in different chains "
                                 f"({', '.join(chains)}); after may name tasks of one chain only",
                                 "task.params.after")

    @staticmethod
    def _chain_of(task: Task) -> str:
        """The chain (unique-work name) of a one-time work task (docs/companion-protocol.md, "Work chains")."""
        return task.chain or task.req.params.get("unique_name") or f"{IMPLICIT_CHAIN_PREFIX}{task.id}"

    def _accepted(self, task: Task, extra: dict[str, Any] | None = None) -> None:
        self.tasks[task.id] = task
        detail: dict[str, Any] = {"platform": dict(task.platform), "params": task.req.params_json(),
                                  "behavior": task.req.behavior_json()}
        detail.update(extra or {})
        self._log(task.id, task.req.mechanism, "scheduled", "main", detail=detail)

    def _refused(self, req: TaskRequest, exception: str, message: str) -> RpcFailure:
        """A platform refusal: the task is recorded as failed, ``schedule_failed`` is journalled."""
        task = Task(req, {}, self._order, state="failed", terminal="failed")
        self.tasks[req.id] = task
        self._log(req.id, req.mechanism, "schedule_failed", "main",
                  detail={"exception": exception, "message": message})
        return RpcFailure("platform_error", message, None, {"exception": exception})

    # ------------------------------------------------------------------ job
    def _job_info(self, req: TaskRequest) -> JobInfo:
        p = req.params
        return JobInfo(
            job_id=p["job_id"], service=JOB_SERVICE, min_latency_ms=p["min_latency_ms"] or 0,
            override_deadline_ms=p["override_deadline_ms"], periodic_ms=p["periodic_ms"], flex_ms=p["flex_ms"],
            network=NETWORK_TYPES[protocol.JobNetwork(p["network"])],
            requires_charging=p["requires_charging"], requires_device_idle=p["requires_device_idle"],
            requires_battery_not_low=p["requires_battery_not_low"],
            requires_storage_not_low=p["requires_storage_not_low"], persisted=p["persisted"],
            backoff_policy=BACKOFF_POLICIES[protocol.BackoffPolicy(p["backoff_policy"])],
            backoff_initial_ms=p["backoff_initial_ms"], expedited=p["expedited"],
            backoff_set=bool(p.get("_backoff_set")),
            # JobInfo.Builder.setExpedited requires PRIORITY_HIGH or MAX; the app sets MAX.
            extras={"task_id": req.id},
        )

    def _schedule_job(self, req: TaskRequest) -> Task:
        info = self._job_info(req)
        try:
            result = self.model.jobs.schedule(self.package, info)
        except InvalidJob as e:
            raise self._refused(req, InvalidJob.exception, str(e)) from None
        except JobSchedulerError as e:
            raise self._refused(req, e.exception, str(e)) from None
        if result != RESULT_SUCCESS:  # e.g. an expedited job without EJ quota (JobBackend.submit)
            raise self._refused(req, "java.lang.IllegalStateException",
                                f"JobScheduler.schedule returned RESULT_FAILURE for job {info.job_id}")
        task = Task(req, {"job_id": info.job_id}, self._order)
        self._accepted(task)
        return task

    def _task_for_job(self, job_id: int) -> Task | None:
        for t in sorted(self.tasks.values(), key=lambda t: -t.order):
            if t.req.mechanism == "job" and t.platform.get("job_id") == job_id:
                return t
        return None

    # JobServiceClient for JOB_SERVICE
    def on_start_job(self, params: JobParams) -> None:
        task = self._task_for_job(params.job_id)
        if task is None:
            self.model.jobs.job_finished(self.package, params.job_id, False)
            return
        task.runs += 1
        run = task.runs
        task.state = "running"
        task.terminal = None
        self._log(task.id, "job", "started", "main", detail={"job_id": params.job_id, "run": run})
        task.thread = self._acquire_thread()
        self._log(task.id, "job", "work_started", task.thread, detail={"run": run})
        self._after(task, task.req.duration_ms, lambda: self._job_done(task, params, run), "job")

    def _job_done(self, task: Task, params: JobParams, run: int) -> None:
        if not self.model.jobs.is_running(self.package, params.job_id):
            return
        outcome = task.req.outcome(run)
        if outcome == "crash":
            self._crash(task, "job", run)
            return
        reschedule = outcome == "retry"
        thread = task.thread or "main"
        self._log(task.id, "job", "finished", thread,
                  detail={"reschedule": reschedule, "outcome": outcome, "run": run})
        self._release_thread(task)
        task.timers.clear()
        task.state = "scheduled"
        self.model.jobs.job_finished(self.package, params.job_id, reschedule)
        if self.model.jobs.get(self.package, params.job_id) is None:
            task.terminal = "finished" if outcome == "success" else "failed"

    def on_stop_job(self, params: JobParams) -> bool:
        task = self._task_for_job(params.job_id)
        if task is None:
            return False
        task.cancel_timers()
        self._release_thread(task)
        reschedule = task.req.on_stop == "reschedule"
        self._log(task.id, "job", "stopped", "main", stop_reason=self._stop_reason_name(params.stop_reason),
                  detail={"stop_reason_code": self._stop_reason_code(params.stop_reason), "reschedule": reschedule})
        task.state = "scheduled"
        if not reschedule and not self._job_is_periodic(params.job_id):
            task.terminal = "failed"
        return reschedule

    def _job_is_periodic(self, job_id: int) -> bool:
        js = self.model.jobs.get(self.package, job_id)
        return js is not None and js.info.is_periodic

    # ------------------------------------------------------------------ work
    def _schedule_work(self, req: TaskRequest) -> Task:
        p = req.params
        wreq = WorkRequest(
            periodic=p["kind"] == "periodic", interval_ms=p["interval_ms"] or 0, flex_ms=p["flex_ms"] or 0,
            initial_delay_ms=p["initial_delay_ms"], network=WorkNetwork(p["network"]),
            requires_charging=p["requires_charging"], requires_device_idle=p["requires_device_idle"],
            requires_battery_not_low=p["requires_battery_not_low"],
            requires_storage_not_low=p["requires_storage_not_low"],
            backoff_policy=BACKOFF_POLICIES[protocol.BackoffPolicy(p["backoff_policy"])],
            backoff_delay_ms=p["backoff_delay_ms"], expedited=p["expedited"],
            out_of_quota=OutOfQuota(p["out_of_quota"]), tags=tuple(p["tags"]), foreground=p["foreground"],
            owner=req.id)
        # the request (and its id) exists before enqueue; the platform entry follows
        task = Task(req, {}, self._order)
        if p["kind"] == "periodic":
            chain = p["unique_name"]
            policy = UniquePolicy(p["unique_policy"]) if chain is not None else None
        elif p["after"]:
            # appended to the predecessors' chain: a child of every current leaf of that name
            chain, policy = self._chain_of(self.tasks[p["after"][0]]), UniquePolicy.APPEND
        else:
            chain = p["unique_name"] or f"{IMPLICIT_CHAIN_PREFIX}{req.id}"
            policy = UniquePolicy(p["unique_policy"])
        task.chain = chain if p["kind"] == "one_time" else None
        res = self.model.work.enqueue(wreq, None, chain, policy)
        if res.spec is None:
            # ExistingWorkPolicy.KEEP with unfinished work of that name: this request is dropped.
            dropped_id = self.model.work.build_spec(wreq).id
            task.platform = {"work_id": dropped_id}
            task.terminal = "cancelled"
            self._accepted(task, {"unique": {"name": chain, "policy": "keep", "kept_existing": True}})
            return task
        task.work_id = res.spec.id
        task.platform = {"work_id": res.spec.id}
        if res.updated is not None:
            for other in self.tasks.values():
                if other.work_id == res.updated and other.id != req.id:
                    other.terminal = "cancelled"
                    other.work_id = None
            res.spec.request.owner = req.id
        for replaced in res.replaced:
            for other in self.tasks.values():
                if other.work_id == replaced and other.terminal is None:
                    other.terminal = "cancelled"
        self._accepted(task)
        return task

    def _task_for_work(self, spec: WorkSpec) -> Task | None:
        t = self.tasks.get(spec.request.owner)
        return t if t is not None and t.work_id == spec.id else None

    # WorkExecutor
    def start_work(self, spec: WorkSpec, run_attempt: int) -> None:
        task = self._task_for_work(spec)
        if task is None:
            self.model.work.work_done(spec.id, "success")
            return
        task.runs += 1
        run = task.runs
        task.thread = self._acquire_thread()
        self._log(task.id, "work", "started", task.thread, detail={"run_attempt": run_attempt, "run": run})
        if task.req.params.get("foreground"):
            if self._fgs_allowed():
                self.model.work.set_foreground(spec.id)
                self._log(task.id, "work", "foreground", task.thread)
            else:
                msg = (f"startForegroundService() not allowed due to mAllowStartForeground false: service"
                       f" {COMPANION_PACKAGE}/androidx.work.impl.foreground.SystemForegroundService")
                self._log(task.id, "work", "finished", task.thread,
                          detail={"result": "failure", "run": run, "exception": FGS_NOT_ALLOWED, "message": msg})
                self._release_thread(task)
                self.model.work.work_done(spec.id, "failure")
                return
        self._after(task, task.req.duration_ms, lambda: self._work_done(task, spec, run), "work")

    def _work_done(self, task: Task, spec: WorkSpec, run: int) -> None:
        result = task.req.outcome(run)
        if result == "crash":
            self._crash(task, "work", run)
            return
        self._log(task.id, "work", "finished", task.thread or "main", detail={"result": result, "run": run})
        self._release_thread(task)
        task.timers.clear()
        self.model.work.work_done(spec.id, result)

    def _crash(self, task: Task, mechanism: str, run: int) -> None:
        """Outcome ``crash``: the app journals ``crashed`` and throws an uncaught RuntimeException on its
        main thread; the process dies (ApplicationExitInfo REASON_CRASH) with the run unfinished, so
        JobScheduler sees the JobService's process die (jobs.on_process_died)."""
        message = f"harness: outcome crash (task {task.id}, run {run})"
        self._log(task.id, mechanism, "crashed", task.thread or "main",
                  detail={"run": run, "exception": CRASH_EXCEPTION, "message": message})
        self.model.processes.kill(self.package, "crash")

    def stop_work(self, spec: WorkSpec, reason: StopReason) -> None:
        task = self._task_for_work(spec)
        if task is None:
            return
        task.cancel_timers()
        self._log(task.id, "work", "stopped", task.thread or "main", stop_reason=self._stop_reason_name(reason),
                  detail={"stop_reason_code": self._stop_reason_code(reason)})
        self._release_thread(task)

    # ------------------------------------------------------------------ alarm
    def _alarm_request(self, task_req: TaskRequest) -> Any:
        from harness.virtual.model.alarms import ALARM_TYPES, AlarmMethod, AlarmRequest, AlarmType

        p = task_req.params
        method = AlarmMethod(p["method"])
        if method == AlarmMethod.SET_ALARM_CLOCK:
            atype = AlarmType.RTC_WAKEUP
        else:
            atype = ALARM_TYPES[protocol.AlarmType(p["type"])]
        clock = self.model.clock
        base = clock.wall_ms if atype in (AlarmType.RTC, AlarmType.RTC_WAKEUP) else clock.elapsed_ms
        task_id = task_req.id
        return AlarmRequest(type=atype, method=method, trigger_at=base + p["trigger_in_ms"],
                            window_ms=p["window_ms"] or 0, interval_ms=p["interval_ms"] or 0,
                            request_code=p["_request_code"], tag=protocol.alarm_action(task_id),
                            on_fire=lambda fired: self._on_alarm(task_id, fired))

    def _register_alarm(self, req: TaskRequest) -> Any:
        from harness.virtual.model.alarms import ExactAlarmDenied

        try:
            return self.model.alarms.schedule(self.package, self._alarm_request(req))
        except ExactAlarmDenied as e:
            raise self._refused(req, ExactAlarmDenied.exception, str(e)) from None
        except NotImplementedError:
            raise RpcFailure("not_supported", "alarms are not modelled on this virtual device yet") from None

    def _schedule_alarm(self, req: TaskRequest) -> Task:
        handle = self._register_alarm(req)
        task = Task(req, {"request_code": req.params["_request_code"]}, self._order, alarm_handle=handle)
        self._accepted(task)
        return task

    def _on_alarm(self, task_id: str, fired: Any) -> None:
        task = self.tasks.get(task_id)
        if task is None or task.terminal is not None:
            return
        if not self.model.processes.is_running(self.package):
            self.model.processes.start(self.package, "alarm")
        task.runs += 1
        p = task.req.params
        self._log(task_id, "alarm", "fired", "main",
                  detail={"type": p["type"], "method": p["method"], "scheduled_ms": fired.scheduled_ms,
                          "delay_ms": fired.delay_ms})
        if p["method"] not in ("set_repeating", "set_inexact_repeating"):
            task.terminal = "finished"

    # ------------------------------------------------------------------ foreground service
    def _fgs_allowed(self) -> bool:
        """Android 12+ background FGS-start restriction (apps targeting 31+) and its exemptions."""
        m = self.model
        if m.api < 31 or m.packages.target_sdk(self.package) < 31:
            return True
        if m.processes.is_foreground(self.package):
            return True
        return bool(m.standby.is_power_save_allowlisted(self.package)
                    or m.standby.is_temp_allowlisted(self.package))

    def _schedule_foreground(self, req: TaskRequest) -> Task:
        if not self._fgs_allowed():
            raise self._refused(req, FGS_NOT_ALLOWED,
                                "startForegroundService() not allowed due to mAllowStartForeground false:"
                                f" service {FOREGROUND_SERVICE}")
        task = Task(req, {}, self._order)
        self._accepted(task)
        self.model.processes.set_foreground_service(self.package, True)
        task.state = "running"
        task.runs = 1
        fgs_type = req.params["type"]
        self._log(task.id, "foreground", "started", "main", detail={"fgs_type": fgs_type})
        if fgs_type == "shortService" and req.duration_ms > SHORT_SERVICE_TIMEOUT_MS:
            self._after(task, SHORT_SERVICE_TIMEOUT_MS, lambda: self._fgs_end(task, "stopped"), "fgs-timeout")
        else:
            self._after(task, req.duration_ms, lambda: self._fgs_end(task, "finished"), "fgs")
        return task

    def _fgs_end(self, task: Task, kind: str) -> None:
        task.timers.clear()
        detail: dict[str, Any] = {"fgs_type": task.req.params["type"]}
        if kind == "stopped":
            detail["cause"] = "timeout"
        self._log(task.id, "foreground", kind, "main", detail=detail)
        task.terminal = "finished" if kind == "finished" else "failed"
        self._update_fgs()

    def _update_fgs(self) -> None:
        active = any(t.req.mechanism == "foreground" and t.terminal is None and t.state == "running"
                     for t in self.tasks.values())
        work_fg = any(s.in_foreground for s in self.model.work.specs.values())
        if not active and not work_fg and self.model.processes.is_running(self.package):
            self.model.processes.set_foreground_service(self.package, False)

    # ------------------------------------------------------------------ coroutine
    def _schedule_coroutine(self, req: TaskRequest) -> Task:
        task = Task(req, {}, self._order)
        self._accepted(task)
        if self.activity_started:
            self._coroutine_start(task)
        return task

    def _coroutine_start(self, task: Task) -> None:
        task.state = "running"
        task.runs += 1
        self._log(task.id, "coroutine", "started", "main")
        self._after(task, task.req.duration_ms, lambda: self._coroutine_done(task), "coroutine")

    def _coroutine_done(self, task: Task) -> None:
        task.timers.clear()
        self._log(task.id, "coroutine", "finished", "main")
        task.state = "finished"
        task.terminal = "finished"

    def _activity_is_started(self) -> bool:
        return self.model.processes.state(self.package) == ProcState.TOP

    def _check_activity(self) -> None:
        started = self._activity_is_started()
        if started == self.activity_started:
            return
        self.activity_started = started
        self._log(None, "app", "activity", "main", detail={"state": "resumed" if started else "stopped"})
        for task in sorted(self.tasks.values(), key=lambda t: t.order):
            if task.req.mechanism != "coroutine" or task.terminal is not None:
                continue
            if started and task.state == "scheduled":
                self._coroutine_start(task)
            elif not started and task.state == "running":
                # docs/companion-protocol.md: a lifecycle cancel is terminal; the work is lost and
                # the task does not run again when the activity starts again.
                task.cancel_timers()
                task.state = "cancelled"
                task.terminal = "cancelled"
                self._log(task.id, "coroutine", "cancelled", "main", detail={"cause": "lifecycle"})

    # ------------------------------------------------------------------ activity
    def on_permission_result(self, permission: str, granted: bool) -> None:
        """CompanionActivity.onRequestPermissionsResult for its REQUEST_PERMISSION request."""
        self._log(None, "app", "permission_result", "main", detail={"permission": permission, "granted": granted})

    # ------------------------------------------------------------------ cancel
    def cancel(self, task_id: str) -> dict[str, Any]:
        task = self.tasks.get(task_id)
        if task is None:
            raise RpcFailure("unknown_task", f"no task {task_id}", "task_id")
        was = self.task_state(task)
        self._cancel_task(task)  # the app cancels (and journals) whatever the task's state
        return {"ok": True, "task_id": task_id, "was": was}

    def cancel_all(self) -> dict[str, Any]:
        done: list[str] = []
        for task in sorted(self.tasks.values(), key=lambda t: t.order):
            if self.task_state(task) in ACTIVE_STATES:
                self._cancel_task(task)
                done.append(task.id)
        return {"ok": True, "cancelled": done}

    def _cancel_task(self, task: Task) -> None:
        mech = task.req.mechanism
        if mech == "job":
            self.model.jobs.cancel(self.package, task.platform["job_id"])
        elif mech == "work" and task.work_id is not None:
            self.model.work.cancel(task.work_id)
        elif mech == "alarm":
            try:
                self.model.alarms.cancel(self.package, task.req.params["_request_code"])
            except NotImplementedError:
                pass
        task.cancel_timers()
        self._release_thread(task)
        task.terminal = "cancelled"
        task.state = "cancelled"
        self._log(task.id, mech, "cancelled", "main", detail={"cause": "client"})
        if mech == "foreground":
            self._update_fgs()

    # ------------------------------------------------------------------ receivers
    def _on_boot_broadcast(self, action: str, extras: dict[str, Any]) -> None:
        kind = BOOT_ACTIONS[action]
        reregistered: list[str] = []
        if kind == "boot_completed" and self.config.get("reregister_alarms_on_boot"):
            for task in sorted(self.tasks.values(), key=lambda t: t.order):
                if task.req.mechanism == "alarm" and task.terminal is None:
                    try:
                        task.alarm_handle = self.model.alarms.schedule(self.package, self._alarm_request(task.req))
                        reregistered.append(task.id)
                    except Exception as e:  # noqa: BLE001 - a refusal is journalled, the receiver goes on
                        self._log(task.id, "alarm", "schedule_failed", "main",
                                  detail={"exception": getattr(e, "exception", type(e).__name__),
                                          "message": str(e)})
        self._log(None, "boot", kind, "main", detail={"reregistered_alarms": reregistered})

    # ------------------------------------------------------------------ subsystem hooks
    def on_process_started(self, package: str, reason: str) -> None:
        if package != self.package:
            return
        self._threads.clear()
        previous: dict[str, Any] | None = None
        if self.model.api >= 30:
            last = self.model.processes.last_exit(self.package)
            if last is not None:
                previous = last.to_json()
        self._log(None, "app", "process_start", "main",
                  detail={"reason": START_REASONS.get(reason, reason), "previous_exit": previous})
        self.model.work.initialize()

    def on_process_died(self, package: str, reason: str) -> None:
        if package != self.package:
            return
        for task in self.tasks.values():
            if not task.timers and task.state != "running":
                continue
            task.cancel_timers()
            self._release_thread(task)
            if task.req.mechanism == "foreground" and task.terminal is None:
                task.terminal = "failed"
            elif task.req.mechanism == "coroutine" and task.terminal is None:
                task.terminal = "cancelled"
            if task.state == "running":
                task.state = "scheduled"
        self._threads.clear()
        self.activity_started = False

    def on_state_changed(self) -> None:
        self._check_activity()
