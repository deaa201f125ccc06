package dev.harness.companion

import android.app.job.JobInfo
import android.app.job.JobScheduler
import dev.harness.companion.Fixtures.call
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.jobs.JobBackend
import dev.harness.companion.rpc.parseArgument
import dev.harness.companion.tasks.JobParams
import dev.harness.companion.tasks.TaskParser
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment

/** JobInfo built from a job task: setBackoffCriteria only when the task gives a backoff. */
@RunWith(RobolectricTestRunner::class)
class JobBackendTest {
    private val app get() = RuntimeEnvironment.getApplication()

    private fun params(json: String): JobParams =
        TaskParser(36).parse(parseArgument("""{"id":"j","mechanism":"job","params":$json}""")).params as JobParams

    @Test
    fun anIdleJobWithoutBackoffIsBuiltWithThePlatformDefaults() {
        val p = params("""{"requires_device_idle":true}""")
        assertFalse(p.backoffGiven)
        val info = JobBackend.jobInfo(app, "j", p) // JobInfo.Builder.build() throws if backoff was set
        assertTrue(info.isRequireDeviceIdle)
        assertEquals(JobInfo.DEFAULT_INITIAL_BACKOFF_MILLIS, info.initialBackoffMillis)
        assertEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, info.backoffPolicy)

        val answer = callOk("schedule", """{"task":{"id":"idle","mechanism":"job","params":{"requires_device_idle":true}}}""")
        val jobId = answer.getJSONObject("platform").getInt("job_id")
        assertTrue(app.getSystemService(JobScheduler::class.java).getPendingJob(jobId)!!.isRequireDeviceIdle)
        // The echo still shows the effective (default) backoff.
        val echoed = events("idle", "scheduled").single().detail.getJSONObject("params")
        assertEquals("exponential", echoed.getString("backoff_policy"))
        assertEquals(30_000L, echoed.getLong("backoff_initial_ms"))
    }

    @Test
    fun aGivenBackoffIsSet() {
        val linear = JobBackend.jobInfo(app, "j", params("""{"backoff_policy":"linear","backoff_initial_ms":60000}"""))
        assertEquals(JobInfo.BACKOFF_POLICY_LINEAR, linear.backoffPolicy)
        assertEquals(60_000L, linear.initialBackoffMillis)
        // Either field alone means setBackoffCriteria, with the documented default for the other.
        val onlyDelay = params("""{"backoff_initial_ms":45000}""")
        assertTrue(onlyDelay.backoffGiven)
        val info = JobBackend.jobInfo(app, "j", onlyDelay)
        assertEquals(45_000L, info.initialBackoffMillis)
        assertEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, info.backoffPolicy)
        assertTrue(params("""{"backoff_policy":"exponential"}""").backoffGiven)
    }

    @Test
    fun anIdleJobWithABackoffIsRefusedByThePlatform() {
        val answer = call("schedule", """{"task":{"id":"i2","mechanism":"job","params":{"requires_device_idle":true,"backoff_policy":"linear"}}}""")
        assertFalse(answer.getBoolean("ok"))
        assertEquals("platform_error", answer.getJSONObject("error").getString("code"))
        assertEquals("java.lang.IllegalArgumentException", answer.getJSONObject("error").getString("exception"))
        assertEquals(1, events("i2", "schedule_failed").size)
    }

    @Test
    fun theStoredFormKeepsWhetherABackoffWasGiven() {
        val parser = TaskParser(36)
        for (json in listOf("""{"requires_device_idle":true}""", """{"backoff_initial_ms":45000}""")) {
            val spec = parser.parse(parseArgument("""{"id":"j","mechanism":"job","params":$json}"""))
            assertEquals(spec, parser.parse(spec.toJson()))
        }
    }
}
