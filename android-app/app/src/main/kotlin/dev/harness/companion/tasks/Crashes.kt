package dev.harness.companion.tasks

import android.os.Handler
import android.os.Looper
import dev.harness.companion.journal.Journal
import org.json.JSONObject

/** Ends the app's process the way a real app crashes. */
fun interface Crasher {
    /** Arranges an uncaught exception with [message]; returns at once (the process dies later). */
    fun crash(message: String)
}

/**
 * The real [Crasher]: an uncaught [RuntimeException] thrown on the main thread, so the platform
 * records ApplicationExitInfo REASON_CRASH and JobScheduler / WorkManager see the process die. (A
 * throw from the worker itself would be caught: WorkManager turns it into a failed run.)
 */
object MainThreadCrasher : Crasher {
    override fun crash(message: String) {
        Handler(Looper.getMainLooper()).post { throw RuntimeException(message) }
    }
}

/**
 * Behavior outcome `crash` (docs/companion-protocol.md): where a job's or a worker's run would
 * end, [crash] journals `crashed` {run, exception, message} on the caller's (worker) thread, a
 * committed row and its logcat line, leaves the task `scheduled` (the platform runs it again: the
 * job is rescheduled with backoff, WorkManager re-enqueues the worker), and only then asks
 * [crasher] to crash the process. The run never finishes: no `finished`, no jobFinished, no Result.
 */
class Crashes(private val journal: Journal, private val registry: TaskRegistry) {
    /** [MainThreadCrasher] in the app; the JVM tests put a recorder here. */
    @Volatile var crasher: Crasher = MainThreadCrasher

    fun crash(taskId: String, mechanism: Mechanism, run: Int) {
        val message = message(taskId, run)
        journal.append(
            taskId,
            mechanism.wire,
            KIND,
            JSONObject().put("run", run).put("exception", EXCEPTION).put("message", message),
        )
        registry.setStateUnlessCancelled(taskId, TaskState.SCHEDULED)
        crasher.crash(message)
    }

    companion object {
        const val KIND = "crashed"

        /** The class of the exception thrown ([MainThreadCrasher] throws exactly this class). */
        val EXCEPTION: String = RuntimeException::class.java.name

        fun message(taskId: String, run: Int) = "harness: outcome crash (task $taskId, run $run)"
    }
}
