package dev.harness.companion.work

import android.app.ForegroundServiceStartNotAllowedException
import android.os.Build
import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.ReasonNames
import dev.harness.companion.tasks.Behavior
import dev.harness.companion.tasks.Crashes
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.Outcome
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import dev.harness.companion.tasks.WorkKind
import dev.harness.companion.tasks.WorkParams
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import org.json.JSONObject

/**
 * What [HarnessWorker.doWork] does, without WorkManager: journals `started`, calls setForeground
 * when the task asks (`foreground` event), runs `behavior.duration_ms`, journals `finished` and
 * returns the outcome for this run. When WorkManager stops the worker the coroutine is cancelled:
 * `stopped` is journalled with the worker's stop reason and the cancellation goes on. When the
 * platform refuses setForeground (API 31+, the app in the background:
 * ForegroundServiceStartNotAllowedException) the run fails: `finished` with result `failure`,
 * `exception` and `message`, and Result.failure(). Outcome `crash`: [crashes] journals `crashed`
 * and has the process crash; the run returns [Outcome.CRASH], for which the worker returns no
 * Result (it waits for the process to die).
 */
class WorkRunner(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val gate: ScheduleGate,
    private val crashes: Crashes,
) {
    private val chains = WorkChains(registry)

    /**
     * HarnessWorker.doWork with the worker's input data: a request without a task id fails;
     * anything else is [run]. The worker maps the outcome to Result.success / failure / retry.
     */
    suspend fun doWork(
        taskId: String?,
        runAttemptCount: Int,
        setForeground: suspend () -> Unit,
        stopReason: () -> Int,
    ): Outcome = when (taskId) {
        null -> Outcome.FAILURE
        else -> run(taskId, runAttemptCount, setForeground, stopReason)
    }

    suspend fun run(
        taskId: String,
        runAttemptCount: Int,
        setForeground: suspend () -> Unit,
        stopReason: () -> Int,
    ): Outcome {
        gate.pass()
        val record = registry.get(taskId)
        val params = record?.spec?.params as? WorkParams
        val behavior = record?.spec?.behavior ?: Behavior.DEFAULT
        val periodic = params?.kind == WorkKind.PERIODIC
        val run = if (record != null) registry.incrementRuns(taskId) else 1
        if (record != null) registry.setStateUnlessCancelled(taskId, TaskState.RUNNING)
        journal.append(taskId, MECHANISM, "started", JSONObject().put("run_attempt", runAttemptCount).put("run", run))
        try {
            if (params?.foreground == true) {
                try {
                    setForeground()
                } catch (e: IllegalStateException) {
                    if (!foregroundRefused(e)) throw e
                    return finish(taskId, true, periodic, Outcome.FAILURE, run, Journal.exceptionDetail(e)) // params came from the record
                }
                journal.append(taskId, MECHANISM, "foreground")
            }
            delay(behavior.durationMs)
        } catch (e: CancellationException) {
            withContext(NonCancellable) {
                val code = stopReason()
                if (record != null) registry.setStateUnlessCancelled(taskId, TaskState.SCHEDULED)
                journal.append(
                    taskId,
                    MECHANISM,
                    "stopped",
                    JSONObject().put("stop_reason_code", code),
                    stopReason = ReasonNames.workStop(code),
                )
            }
            throw e
        }
        val outcome = behavior.outcomeFor(run)
        if (outcome == Outcome.CRASH) {
            crashes.crash(taskId, Mechanism.WORK, run)
            return Outcome.CRASH
        }
        return finish(taskId, record != null, periodic, outcome, run, JSONObject())
    }

    /** The run ends with [outcome]: the task's state, `finished` ([extra] added to its detail). */
    private fun finish(taskId: String, known: Boolean, periodic: Boolean, outcome: Outcome, run: Int, extra: JSONObject): Outcome {
        if (known) {
            val state = TaskState.afterRun(outcome, periodic)
            registry.setStateUnlessCancelled(taskId, state)
            // A failed one-time task fails the rest of its chain (WorkManager never runs it).
            if (state == TaskState.FAILED && registry.get(taskId)?.state == TaskState.FAILED) {
                chains.propagate(taskId, TaskState.FAILED)
            }
        }
        val detail = JSONObject().put("result", outcome.wire).put("run", run)
        for (key in extra.keys()) detail.put(key, extra.get(key))
        journal.append(taskId, MECHANISM, "finished", detail)
        return outcome
    }

    /** setForeground refused because the app may not start a foreground service now (API 31+). */
    private fun foregroundRefused(e: IllegalStateException): Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && e is ForegroundServiceStartNotAllowedException

    private companion object {
        const val MECHANISM = "work"
    }
}
