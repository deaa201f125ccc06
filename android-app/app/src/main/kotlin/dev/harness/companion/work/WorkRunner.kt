package dev.harness.companion.work

import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.ReasonNames
import dev.harness.companion.tasks.Behavior
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
 * `stopped` is journalled with the worker's stop reason and the cancellation goes on.
 */
class WorkRunner(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val gate: ScheduleGate,
) {
    /**
     * HarnessWorker.doWork with the worker's input data: a chain barrier ([barrierFor] set)
     * succeeds at once and journals nothing; a request without a task id fails; anything else
     * is [run]. The worker maps the outcome to Result.success / failure / retry.
     */
    suspend fun doWork(
        taskId: String?,
        barrierFor: String?,
        runAttemptCount: Int,
        setForeground: suspend () -> Unit,
        stopReason: () -> Int,
    ): Outcome = when {
        barrierFor != null -> Outcome.SUCCESS
        taskId == null -> Outcome.FAILURE
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
                setForeground()
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
        if (record != null) {
            val state = when {
                periodic || outcome == Outcome.RETRY -> TaskState.SCHEDULED
                outcome == Outcome.SUCCESS -> TaskState.FINISHED
                else -> TaskState.FAILED
            }
            registry.setStateUnlessCancelled(taskId, state)
        }
        journal.append(taskId, MECHANISM, "finished", JSONObject().put("result", outcome.wire).put("run", run))
        return outcome
    }

    private companion object {
        const val MECHANISM = "work"
    }
}
