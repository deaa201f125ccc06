package dev.harness.companion.jobs

import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.ReasonNames
import dev.harness.companion.tasks.Behavior
import dev.harness.companion.tasks.Crashes
import dev.harness.companion.tasks.JobParams
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.OnStop
import dev.harness.companion.tasks.Outcome
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.json.JSONObject
import java.util.concurrent.ConcurrentHashMap

/**
 * What [HarnessJobService] does, without the service: [onStart] runs on the caller's thread (the
 * main thread in the service), journals `started`, and offloads the work to [scope]; the work
 * journals `work_started`, runs `behavior.duration_ms`, journals `finished` and calls `finish`
 * (JobService.jobFinished) with reschedule = (outcome is retry); outcome `crash` instead hands
 * the run to [crashes] (journals `crashed`, then the process crashes: no `finished`, no
 * jobFinished). [onStop] cancels the work and answers `behavior.on_stop`.
 */
class JobRunner(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val gate: ScheduleGate,
    private val scope: CoroutineScope,
    private val crashes: Crashes,
) {
    private val running = ConcurrentHashMap<Int, Job>()
    private val lastLaunched = ConcurrentHashMap<Int, Job>()

    fun onStart(jobId: Int, taskId: String?, finish: (reschedule: Boolean) -> Unit): Boolean {
        gate.pass()
        val record = taskId?.let(registry::get)
        val run = if (record != null) registry.incrementRuns(record.id) else 1
        val behavior = record?.spec?.behavior ?: Behavior.DEFAULT
        val periodic = (record?.spec?.params as? JobParams)?.periodic ?: false
        if (record != null) registry.setStateUnlessCancelled(record.id, TaskState.RUNNING)
        journal.append(taskId, MECHANISM, "started", JSONObject().put("job_id", jobId).put("run", run))
        val job = scope.launch(start = CoroutineStart.LAZY) {
            journal.append(taskId, MECHANISM, "work_started", JSONObject().put("run", run))
            delay(behavior.durationMs)
            val self = coroutineContext[Job]!!
            if (!running.remove(jobId, self)) return@launch // stopped meanwhile
            val outcome = behavior.outcomeFor(run)
            if (outcome == Outcome.CRASH && taskId != null) {
                // The process dies with the job unfinished: JobScheduler reschedules it (backoff).
                crashes.crash(taskId, Mechanism.JOB, run)
                return@launch
            }
            val reschedule = outcome == Outcome.RETRY
            if (record != null) registry.setStateUnlessCancelled(record.id, TaskState.afterRun(outcome, periodic))
            journal.append(
                taskId,
                MECHANISM,
                "finished",
                JSONObject().put("reschedule", reschedule).put("outcome", outcome.wire).put("run", run),
            )
            finish(reschedule)
        }
        running[jobId] = job
        lastLaunched[jobId] = job
        job.start()
        return true
    }

    /** Returns what onStopJob returns: whether the platform should reschedule the job. */
    fun onStop(jobId: Int, taskId: String?, stopReasonCode: Int): Boolean {
        running.remove(jobId)?.cancel()
        val record = taskId?.let(registry::get)
        val reschedule = (record?.spec?.behavior ?: Behavior.DEFAULT).onStop == OnStop.RESCHEDULE
        val periodic = (record?.spec?.params as? JobParams)?.periodic ?: false
        if (record != null) {
            registry.setStateUnlessCancelled(record.id, if (reschedule || periodic) TaskState.SCHEDULED else TaskState.FAILED)
        }
        journal.append(
            taskId,
            MECHANISM,
            "stopped",
            JSONObject().put("stop_reason_code", stopReasonCode).put("reschedule", reschedule),
            stopReason = ReasonNames.jobStop(stopReasonCode),
        )
        return reschedule
    }

    /** Whether the work for [jobId] is still running. */
    fun isRunning(jobId: Int): Boolean = running.containsKey(jobId)

    /** The coroutine of the latest run of [jobId] (completes after jobFinished), to wait for it. */
    fun workFor(jobId: Int): Job? = lastLaunched[jobId]

    private companion object {
        const val MECHANISM = "job"
    }
}
