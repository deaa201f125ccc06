package dev.harness.companion.ui

import dev.harness.companion.journal.Journal
import dev.harness.companion.tasks.Mechanism
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
 * `coroutine` tasks: they run in the Activity's lifecycle scope while it is started (the scope
 * the Activity opens in onStart and cancels in onStop, as `repeatOnLifecycle(STARTED)` would).
 * A task scheduled while no Activity is started waits for the next [onStarted]. [onStopped]
 * journals `cancelled` (cause `lifecycle`) for every running task before the scope goes, so the
 * row is committed before onStop returns. That cancel is terminal: the task stays `cancelled`
 * and does not run again when the Activity starts again (the work is lost). A task the registry
 * still calls `running` when the process starts (its process died with it, no onStop) is
 * `cancelled` too, without an event.
 */
class CoroutineTasks(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val gate: ScheduleGate,
) {
    private val lock = Any()
    private var scope: CoroutineScope? = null
    private val running = LinkedHashMap<String, Job>()

    init {
        registry.all()
            .filter { it.spec.mechanism == Mechanism.COROUTINE && it.state == TaskState.RUNNING }
            .forEach { registry.setStateUnlessCancelled(it.id, TaskState.CANCELLED) }
    }

    fun onStarted(scope: CoroutineScope) {
        synchronized(lock) { this.scope = scope }
        registry.all()
            .filter { it.spec.mechanism == Mechanism.COROUTINE && it.state == TaskState.SCHEDULED }
            .forEach { launch(it.id) }
    }

    fun onStopped() {
        val cancelled = synchronized(lock) {
            scope = null
            running.toMap().also { running.clear() }
        }
        for ((taskId, job) in cancelled) {
            registry.setStateUnlessCancelled(taskId, TaskState.CANCELLED)
            journal.append(taskId, MECHANISM, "cancelled", JSONObject().put("cause", "lifecycle"))
            job.cancel()
        }
    }

    /** A newly scheduled task: runs now if an Activity is started, else waits. */
    fun schedule(taskId: String) {
        launch(taskId)
    }

    /** A client cancel (the dispatcher journals it). */
    fun cancel(taskId: String) {
        synchronized(lock) { running.remove(taskId) }?.cancel()
    }

    fun isRunning(taskId: String): Boolean = synchronized(lock) { running.containsKey(taskId) }

    private fun launch(taskId: String) {
        val job = synchronized(lock) {
            val s = scope ?: return
            if (running.containsKey(taskId)) return
            s.launch(start = CoroutineStart.LAZY) { body(taskId) }.also { running[taskId] = it }
        }
        job.start()
    }

    private suspend fun body(taskId: String) {
        gate.pass()
        val record = registry.get(taskId)
        if (record == null || record.state != TaskState.SCHEDULED) {
            synchronized(lock) { running.remove(taskId) }
            return
        }
        val behavior = record.spec.behavior
        registry.incrementRuns(taskId)
        registry.setStateUnlessCancelled(taskId, TaskState.RUNNING)
        journal.append(taskId, MECHANISM, "started")
        delay(behavior.durationMs)
        val stillMine = synchronized(lock) { running.remove(taskId) != null }
        if (!stillMine) return
        registry.setStateUnlessCancelled(taskId, TaskState.FINISHED)
        journal.append(taskId, MECHANISM, "finished")
    }

    private companion object {
        const val MECHANISM = "coroutine"
    }
}
