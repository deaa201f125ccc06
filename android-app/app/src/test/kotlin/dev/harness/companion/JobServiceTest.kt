package dev.harness.companion

import android.os.Looper
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.Fixtures.jobParameters
import dev.harness.companion.jobs.HarnessJobService
import dev.harness.companion.tasks.Crasher
import dev.harness.companion.tasks.MainThreadCrasher
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf

@RunWith(RobolectricTestRunner::class)
class JobServiceTest {
    private val service = Robolectric.buildService(HarnessJobService::class.java).create().get()

    private fun schedule(id: String, behavior: String): Int =
        callOk("schedule", """{"task":{"id":"$id","mechanism":"job","behavior":$behavior}}""")
            .getJSONObject("platform").getInt("job_id")

    /** Waits (bounded) for the offloaded work of [jobId] to end. */
    private fun awaitWork(jobId: Int) = runBlocking {
        val work = checkNotNull(graph().jobRunner.workFor(jobId)) { "no work launched for job $jobId" }
        withTimeout(10_000) { work.join() }
    }

    @Test
    fun onStartJobReturnsOnTheMainThreadAndTheWorkRunsElsewhere() {
        val jobId = schedule("j1", """{"duration_ms":50,"outcomes":["success"]}""")
        val params = jobParameters(jobId, "j1")
        assertTrue(Looper.getMainLooper().isCurrentThread)
        assertTrue(service.onStartJob(params))
        val started = events("j1", "started").single()
        assertEquals(Thread.currentThread().name, started.thread)
        assertEquals(1, started.detail.getInt("run"))
        assertEquals(jobId, started.detail.getInt("job_id"))
        awaitWork(jobId)
        val workStarted = events("j1", "work_started").single()
        assertNotEquals(started.thread, workStarted.thread)
        val finished = events("j1", "finished").single()
        assertEquals("success", finished.detail.getString("outcome"))
        assertFalse(finished.detail.getBoolean("reschedule"))
        assertTrue(shadowOf(service).isJobFinished)
        assertFalse(shadowOf(service).isRescheduleNeeded)
        assertEquals("finished", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
    }

    @Test
    fun retryOutcomeAsksForRescheduleThenTheNextOutcomeApplies() {
        val jobId = schedule("j2", """{"duration_ms":0,"outcomes":["retry","failure"]}""")
        assertTrue(service.onStartJob(jobParameters(jobId, "j2")))
        awaitWork(jobId)
        assertTrue(shadowOf(service).isRescheduleNeeded)
        assertTrue(service.onStartJob(jobParameters(jobId, "j2")))
        awaitWork(jobId)
        assertFalse(shadowOf(service).isRescheduleNeeded)
        val finished = events("j2", "finished")
        assertEquals(listOf("retry", "failure"), finished.map { it.detail.getString("outcome") })
        assertEquals(listOf(1, 2), finished.map { it.detail.getInt("run") })
        assertEquals(2, callOk("list").getJSONArray("tasks").getJSONObject(0).getInt("runs"))
    }

    @Test
    fun onStopJobRecordsTheStopReasonAndAnswersOnStop() {
        val jobId = schedule("j3", """{"duration_ms":600000,"on_stop":"drop"}""")
        val params = jobParameters(jobId, "j3", stopReason = 7)
        assertTrue(service.onStartJob(params))
        assertTrue(graph().jobRunner.isRunning(jobId))
        assertFalse(service.onStopJob(params))
        assertFalse(graph().jobRunner.isRunning(jobId))
        val stopped = events("j3", "stopped").single()
        assertEquals("CONSTRAINT_CONNECTIVITY", stopped.stopReason)
        assertEquals(7, stopped.detail.getInt("stop_reason_code"))
        assertFalse(stopped.detail.getBoolean("reschedule"))
        assertTrue(events("j3", "finished").isEmpty())
        assertFalse(shadowOf(service).isJobFinished)

        val again = schedule("j4", """{"duration_ms":600000}""")
        val p4 = jobParameters(again, "j4", stopReason = 12)
        service.onStartJob(p4)
        assertTrue(service.onStopJob(p4))
        assertEquals("APP_STANDBY", events("j4", "stopped").single().stopReason)
    }

    /**
     * Outcome `crash`: where the run would end, `crashed` is journalled (committed before the crash
     * is asked for), the crasher gets the message, and the job is not finished: the process dies and
     * JobScheduler reschedules the job, whose next run takes the next outcome.
     */
    @Test
    fun crashOutcomeJournalsCrashedThenCrashesWithoutFinishing() {
        val asked = ArrayList<Pair<String, Int>>() // the message, and the `crashed` rows committed when asked
        graph().crashes.crasher = Crasher { message -> asked += message to events("c1", "crashed").size }
        val jobId = schedule("c1", """{"duration_ms":0,"outcomes":["crash","success"]}""")
        assertTrue(service.onStartJob(jobParameters(jobId, "c1")))
        awaitWork(jobId)
        assertEquals(listOf("harness: outcome crash (task c1, run 1)" to 1), asked)
        val crashed = events("c1", "crashed").single()
        assertEquals(setOf("run", "exception", "message"), crashed.detail.keys().asSequence().toSet())
        assertEquals(1, crashed.detail.getInt("run"))
        assertEquals("java.lang.RuntimeException", crashed.detail.getString("exception"))
        assertEquals("harness: outcome crash (task c1, run 1)", crashed.detail.getString("message"))
        assertEquals("job", crashed.mechanism)
        assertEquals(events("c1", "work_started").single().thread, crashed.thread) // the worker thread
        assertEquals(listOf("scheduled", "started", "work_started", "crashed"), events("c1").map { it.kind })
        assertFalse(shadowOf(service).isJobFinished)
        assertEquals("scheduled", graph().registry.get("c1")!!.state.wire)
        // The rescheduled job's second run: outcome success, no crash.
        assertTrue(service.onStartJob(jobParameters(jobId, "c1")))
        awaitWork(jobId)
        assertEquals(1, asked.size)
        assertEquals(2, events("c1", "finished").single().detail.getInt("run"))
        assertTrue(shadowOf(service).isJobFinished)
    }

    /** The real crasher posts an uncaught java.lang.RuntimeException to the main thread. */
    @Test
    fun theMainThreadCrasherThrowsOnTheMainLooper() {
        MainThreadCrasher.crash("harness: outcome crash (task x, run 3)") // returns: the throw comes later
        val thrown = runCatching { shadowOf(Looper.getMainLooper()).idle() }.exceptionOrNull()
        assertEquals(RuntimeException::class.java, thrown?.javaClass)
        assertEquals("harness: outcome crash (task x, run 3)", thrown?.message)
    }
}
