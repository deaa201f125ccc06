package dev.harness.companion

import android.os.Looper
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.Fixtures.jobParameters
import dev.harness.companion.jobs.HarnessJobService
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
}
