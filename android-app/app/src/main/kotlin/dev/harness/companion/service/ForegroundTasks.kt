package dev.harness.companion.service

import dev.harness.companion.journal.Journal
import dev.harness.companion.tasks.Behavior
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.json.JSONObject

/**
 * The tasks running in [HarnessForegroundService], without the service: each runs
 * `behavior.duration_ms` in [scope] and journals `started` / `finished`; when the last one ends,
 * [onIdle] lets the service stop itself. [stopAll] (service destroyed or timed out) journals
 * `stopped` for whatever still runs; a client [cancel] journals nothing here (the dispatcher
 * journals `cancelled`).
 */
class ForegroundTasks(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val gate: ScheduleGate,
    private val scope: CoroutineScope,
) {
    private val lock = Any()
    private val running = LinkedHashMap<String, Pair<Job, String>>()
    private var onIdle: () -> Unit = {}

    fun start(taskId: String, fgsType: String, onIdle: () -> Unit) {
        gate.pass()
        val record = registry.get(taskId)
        val behavior = record?.spec?.behavior ?: Behavior.DEFAULT
        if (record != null) registry.setStateUnlessCancelled(taskId, TaskState.RUNNING)
        journal.append(taskId, MECHANISM, "started", JSONObject().put("fgs_type", fgsType))
        val job = scope.launch(start = CoroutineStart.LAZY) {
            delay(behavior.durationMs)
            if (!remove(taskId, coroutineContext[Job]!!)) return@launch
            if (record != null) registry.setStateUnlessCancelled(taskId, TaskState.FINISHED)
            journal.append(taskId, MECHANISM, "finished", JSONObject().put("fgs_type", fgsType))
            idleCheck()
        }
        synchronized(lock) {
            this.onIdle = onIdle
            running.put(taskId, job to fgsType)?.first?.cancel()
        }
        job.start()
    }

    /**
     * The service could not enter the foreground for [taskId] (e.g.
     * ForegroundServiceStartNotAllowedException): the task fails with `schedule_failed`.
     */
    fun refused(taskId: String, e: RuntimeException) {
        registry.setStateUnlessCancelled(taskId, TaskState.FAILED)
        journal.scheduleFailed(taskId, MECHANISM, e)
    }

    fun cancel(taskId: String): Boolean {
        val entry = synchronized(lock) { running.remove(taskId) } ?: return false
        entry.first.cancel()
        idleCheck()
        return true
    }

    /** The service is going away ([cause]: `destroyed`, `timeout`): journal `stopped` for each task. */
    fun stopAll(cause: String) {
        val stopped = synchronized(lock) { running.toMap().also { running.clear() } }
        for ((taskId, entry) in stopped) {
            entry.first.cancel()
            registry.setStateUnlessCancelled(taskId, TaskState.FAILED)
            journal.append(taskId, MECHANISM, "stopped", JSONObject().put("fgs_type", entry.second).put("cause", cause))
        }
    }

    fun runningTaskIds(): Set<String> = synchronized(lock) { running.keys.toSet() }

    /** The coroutine running [taskId], while it runs (for a bounded join in tests). */
    fun jobOf(taskId: String): Job? = synchronized(lock) { running[taskId]?.first }

    private fun remove(taskId: String, job: Job): Boolean = synchronized(lock) {
        if (running[taskId]?.first === job) {
            running.remove(taskId)
            true
        } else {
            false
        }
    }

    private fun idleCheck() {
        val idle = synchronized(lock) { running.isEmpty() }
        if (idle) onIdle()
    }

    private companion object {
        const val MECHANISM = "foreground"
    }
}
