package dev.harness.companion

import android.app.ForegroundServiceStartNotAllowedException
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.tasks.Crasher
import dev.harness.companion.tasks.Outcome
import dev.harness.companion.tasks.TaskParser
import dev.harness.companion.tasks.TaskState
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import kotlin.coroutines.cancellation.CancellationException

/** The worker's logic ([dev.harness.companion.work.WorkRunner]); WorkManager itself is not here. */
@RunWith(RobolectricTestRunner::class)
class WorkRunnerTest {
    private fun register(id: String, params: String, behavior: String) {
        val spec = TaskParser(36).parse(JSONObject("""{"id":"$id","mechanism":"work","params":$params,"behavior":$behavior}"""))
        graph().registry.put(spec, TaskState.SCHEDULED, JSONObject().put("work_id", "00000000-0000-0000-0000-000000000001"))
    }

    @Test
    fun outcomesFollowTheRunsAndTheLastRepeats() = runBlocking {
        register("w1", "{}", """{"duration_ms":0,"outcomes":["retry","failure","success"]}""")
        val runner = graph().workRunner
        val results = (0 until 4).map { attempt -> runner.run("w1", attempt, {}, { -256 }) }
        assertEquals(listOf(Outcome.RETRY, Outcome.FAILURE, Outcome.SUCCESS, Outcome.SUCCESS), results)
        assertEquals(listOf(0, 1, 2, 3), events("w1", "started").map { it.detail.getInt("run_attempt") })
        assertEquals(listOf("retry", "failure", "success", "success"), events("w1", "finished").map { it.detail.getString("result") })
        // `run`: the app's 1-based run count of this task, on both started and finished
        assertEquals(listOf(1, 2, 3, 4), events("w1", "started").map { it.detail.getInt("run") })
        assertEquals(listOf(1, 2, 3, 4), events("w1", "finished").map { it.detail.getInt("run") })
        assertEquals(setOf("run_attempt", "run"), events("w1", "started").first().detail.keys().asSequence().toSet())
        assertEquals(setOf("result", "run"), events("w1", "finished").first().detail.keys().asSequence().toSet())
        assertEquals("finished", graph().registry.get("w1")!!.state.wire)
    }

    @Test
    fun foregroundWorkCallsSetForegroundFirst() = runBlocking {
        register("w2", """{"foreground":true}""", """{"duration_ms":0}""")
        var calls = 0
        graph().workRunner.run("w2", 0, { calls++ }, { -256 })
        assertEquals(1, calls)
        val kinds = events("w2").map { it.kind }
        assertEquals(listOf("started", "foreground", "finished"), kinds)
    }

    @Test
    fun aStoppedWorkerJournalsItsStopReason() = runBlocking {
        register("w3", "{}", """{"duration_ms":600000}""")
        val work = async(Dispatchers.Default) {
            graph().workRunner.run("w3", 0, {}, { 7 })
        }
        // Bounded wait for the worker to be inside its work (the `started` row is committed).
        withTimeout(10_000) {
            while (events("w3", "started").isEmpty()) kotlinx.coroutines.yield()
        }
        work.cancel()
        val thrown = runCatching { withTimeout(10_000) { work.await() } }.exceptionOrNull()
        assertTrue(thrown is CancellationException)
        val stopped = events("w3", "stopped").single()
        assertEquals("CONSTRAINT_CONNECTIVITY", stopped.stopReason)
        assertEquals(7, stopped.detail.getInt("stop_reason_code"))
        assertTrue(events("w3", "finished").isEmpty())
        assertEquals("scheduled", graph().registry.get("w3")!!.state.wire)
    }

    /** HarnessWorker.doWork's logic: a request without a task id fails, else [WorkRunner.run]. */
    @Test
    fun theWorkerInputDecidesWhatRuns() = runBlocking {
        val runner = graph().workRunner
        var foreground = 0
        assertEquals(Outcome.FAILURE, runner.doWork(null, 0, { foreground++ }, { -256 }))
        assertTrue(events().none { it.mechanism == "work" })
        register("w4", """{"foreground":true}""", """{"duration_ms":0,"outcomes":["retry"]}""")
        assertEquals(Outcome.RETRY, runner.doWork("w4", 3, { foreground++ }, { -256 }))
        assertEquals(1, foreground)
        assertEquals(3, events("w4", "started").single().detail.getInt("run_attempt"))
        assertEquals("retry", events("w4", "finished").single().detail.getString("result"))
        // A retry leaves the task scheduled for WorkManager's next attempt.
        assertEquals("scheduled", graph().registry.get("w4")!!.state.wire)
    }

    /**
     * setForeground refused in the background (API 31+): the worker catches
     * ForegroundServiceStartNotAllowedException, journals `finished` {result: failure, run,
     * exception, message} and fails; no `foreground` event, the task is `failed`.
     */
    @Test
    fun foregroundRefusedInTheBackgroundFinishesWithFailure() = runBlocking {
        register("fg1", """{"foreground":true}""", """{"duration_ms":600000}""")
        val message = "startForegroundService() not allowed due to mAllowStartForeground false: " +
            "service dev.harness.companion/androidx.work.impl.foreground.SystemForegroundService"
        val outcome = graph().workRunner.doWork("fg1", 0, { throw ForegroundServiceStartNotAllowedException(message) }, { -256 })
        assertEquals(Outcome.FAILURE, outcome)
        assertEquals(listOf("started", "finished"), events("fg1").map { it.kind })
        val finished = events("fg1", "finished").single().detail
        assertEquals("failure", finished.getString("result"))
        assertEquals(1, finished.getInt("run"))
        assertEquals("android.app.ForegroundServiceStartNotAllowedException", finished.getString("exception"))
        assertEquals(message, finished.getString("message"))
        assertEquals(setOf("result", "run", "exception", "message"), finished.keys().asSequence().toSet())
        assertEquals("failed", graph().registry.get("fg1")!!.state.wire)
    }

    /** Periodic foreground work refused in the background fails this period only: still `scheduled`. */
    @Test
    fun refusedPeriodicForegroundWorkStaysScheduled() = runBlocking {
        register("fg2", """{"kind":"periodic","interval_ms":900000,"foreground":true}""", """{"duration_ms":0}""")
        val outcome = graph().workRunner.run("fg2", 0, { throw ForegroundServiceStartNotAllowedException("refused") }, { -256 })
        assertEquals(Outcome.FAILURE, outcome)
        assertEquals("failure", events("fg2", "finished").single().detail.getString("result"))
        assertEquals("scheduled", graph().registry.get("fg2")!!.state.wire)
    }

    /** Any other setForeground failure is not the refusal: it propagates (WorkManager fails the worker). */
    @Test
    fun otherSetForegroundFailuresPropagate() = runBlocking {
        register("fg3", """{"foreground":true}""", """{"duration_ms":0}""")
        val thrown = runCatching {
            graph().workRunner.run("fg3", 0, { throw IllegalStateException("not this one") }, { -256 })
        }.exceptionOrNull()
        assertTrue(thrown is IllegalStateException)
        assertTrue(events("fg3", "finished").isEmpty())
    }

    /**
     * Outcome `crash`: `crashed` {run, exception, message} is journalled on the worker's thread before
     * the crasher is asked; the run returns [Outcome.CRASH] (HarnessWorker returns no Result), no
     * `finished`, and the task stays `scheduled` for WorkManager to run again.
     */
    @Test
    fun crashOutcomeJournalsCrashedThenCrashes() = runBlocking {
        register("wc", "{}", """{"duration_ms":0,"outcomes":["retry","crash","success"]}""")
        val asked = ArrayList<Pair<String, Int>>()
        graph().crashes.crasher = Crasher { message -> asked += message to events("wc", "crashed").size }
        val runner = graph().workRunner
        assertEquals(Outcome.RETRY, runner.run("wc", 0, {}, { -256 }))
        assertEquals(Outcome.CRASH, runner.doWork("wc", 1, {}, { -256 }))
        assertEquals(listOf("harness: outcome crash (task wc, run 2)" to 1), asked)
        val crashed = events("wc", "crashed").single()
        assertEquals("work", crashed.mechanism)
        assertEquals(
            """{"run":2,"exception":"java.lang.RuntimeException","message":"harness: outcome crash (task wc, run 2)"}""",
            crashed.detail.toString(),
        )
        assertEquals(Thread.currentThread().name, crashed.thread)
        assertEquals(listOf("started", "finished", "started", "crashed"), events("wc").map { it.kind })
        assertEquals("scheduled", graph().registry.get("wc")!!.state.wire)
        assertEquals(Outcome.SUCCESS, runner.run("wc", 0, {}, { -256 }))
        assertEquals(1, asked.size)
        assertEquals("finished", graph().registry.get("wc")!!.state.wire)
    }
}
