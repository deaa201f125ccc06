package dev.harness.companion

import android.app.job.JobScheduler
import dev.harness.companion.Fixtures.call
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.tasks.DerivedIds
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment

@RunWith(RobolectricTestRunner::class)
class RpcDispatcherTest {

    private fun error(method: String, arg: String?): Pair<String, Any?> {
        val answer = call(method, arg)
        assertFalse(answer.toString(), answer.getBoolean("ok"))
        val e = answer.getJSONObject("error")
        return e.getString("code") to (if (e.isNull("field")) null else e.getString("field"))
    }

    @Test
    fun helloReportsProtocolAppDeviceAndJournal() {
        val hello = callOk("hello", """{"protocol": {"major": 1, "minor": 0}}""")
        assertEquals(1, hello.getJSONObject("protocol").getInt("major"))
        assertEquals(RuntimeEnvironment.getApplication().packageName, hello.getJSONObject("app").getString("package"))
        assertEquals(36, hello.getJSONObject("device").getInt("api"))
        assertTrue(hello.getJSONObject("permissions").has("can_schedule_exact_alarms"))
        // Application.onCreate journalled process_start, so the journal is not empty.
        assertEquals(graph().journal.lastSeq(), hello.getJSONObject("journal").getLong("last_seq"))
        assertTrue(graph().journal.lastSeq() >= 1)
        assertFalse(hello.getJSONObject("config").getBoolean("reregister_alarms_on_boot"))
    }

    @Test
    fun malformedCallsGetOneStructuredErrorEach() {
        assertEquals("bad_json" to null, error("hello", "{nope"))
        assertEquals("bad_json" to null, error("hello", "[1]"))
        assertEquals("bad_json" to null, error("hello", """{"a":1} trailing"""))
        assertEquals("unknown_method" to null, error("launch", "{}"))
        assertEquals("protocol_mismatch" to "protocol.major", error("hello", """{"protocol":{"major":2,"minor":0}}"""))
        assertEquals("unknown_field" to "verbose", error("hello", """{"verbose":true}"""))
        assertEquals("missing_field" to "task", error("schedule", "{}"))
        assertEquals("bad_type" to "task", error("schedule", """{"task":"x"}"""))
        assertEquals("missing_field" to "task.mechanism", error("schedule", """{"task":{"id":"a"}}"""))
        assertEquals("bad_value" to "task.id", error("schedule", """{"task":{"id":"has space","mechanism":"job"}}"""))
        assertEquals("bad_value" to "task.mechanism", error("schedule", """{"task":{"id":"a","mechanism":"cron"}}"""))
        assertEquals(
            "unknown_field" to "task.params.intervl_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"work","params":{"kind":"periodic","intervl_ms":1}}}"""),
        )
        assertEquals(
            "missing_field" to "task.params.interval_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"work","params":{"kind":"periodic"}}}"""),
        )
        assertEquals(
            "bad_type" to "task.params.min_latency_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"job","params":{"min_latency_ms":"5"}}}"""),
        )
        assertEquals(
            "bad_type" to "task.params.min_latency_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"job","params":{"min_latency_ms":1.5}}}"""),
        )
        assertEquals(
            "out_of_range" to "task.behavior.duration_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"job","behavior":{"duration_ms":-1}}}"""),
        )
        assertEquals(
            "bad_value" to "task.behavior.outcomes[1]",
            error("schedule", """{"task":{"id":"a","mechanism":"job","behavior":{"outcomes":["success","maybe"]}}}"""),
        )
        assertEquals(
            "missing_field" to "task.params.trigger_in_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"alarm","params":{}}}"""),
        )
        assertEquals(
            "bad_value" to "task.params.window_ms",
            error("schedule", """{"task":{"id":"a","mechanism":"alarm","params":{"trigger_in_ms":1,"window_ms":5}}}"""),
        )
        assertEquals("out_of_range" to "limit", error("events", """{"limit":0}"""))
        assertEquals("unknown_task" to "task_id", error("cancel", """{"task_id":"ghost"}"""))
        assertEquals("bad_type" to "reregister_alarms_on_boot", error("configure", """{"reregister_alarms_on_boot":"yes"}"""))
        // The app still answers after all of that.
        callOk("hello")
        assertTrue(events(kind = "scheduled").isEmpty())
    }

    @Test
    fun scheduleJobThenDuplicateThenCancel() {
        val task = """{"task":{"id":"sync-1","mechanism":"job","params":{"min_latency_ms":60000,"network":"unmetered"}}}"""
        val answer = callOk("schedule", task)
        val jobId = DerivedIds.of("sync-1")
        assertEquals(jobId, answer.getJSONObject("platform").getInt("job_id"))
        val scheduler = RuntimeEnvironment.getApplication().getSystemService(JobScheduler::class.java)
        val pending = scheduler.getPendingJob(jobId)!!
        assertEquals(60_000L, pending.minLatencyMillis)
        val scheduled = events("sync-1", "scheduled").single()
        assertEquals("unmetered", scheduled.detail.getJSONObject("params").getString("network"))
        assertEquals(30_000L, scheduled.detail.getJSONObject("params").getLong("backoff_initial_ms"))

        assertEquals("duplicate_task" to "task.id", error("schedule", task))

        val list = callOk("list")
        val row = list.getJSONArray("tasks").getJSONObject(0)
        assertEquals("scheduled", row.getString("state"))
        assertEquals(jobId, list.getJSONArray("pending_jobs").getInt(0))

        val cancelled = callOk("cancel", """{"task_id":"sync-1"}""")
        assertEquals("scheduled", cancelled.getString("was"))
        assertEquals(null, scheduler.getPendingJob(jobId))
        assertEquals("client", events("sync-1", "cancelled").single().detail.getString("cause"))
        // A cancelled task id can be scheduled again.
        callOk("schedule", task)
        assertEquals(listOf("sync-1"), callOk("cancel_all").getJSONArray("cancelled").let { a -> List(a.length()) { a.getString(it) } })
    }

    @Test
    fun platformRefusalIsJournalledAndAnsweredAsPlatformError() {
        // JobInfo.Builder refuses a periodic job with a minimum latency.
        val answer = call("schedule", """{"task":{"id":"p","mechanism":"job","params":{"periodic_ms":900000,"min_latency_ms":5}}}""")
        assertFalse(answer.getBoolean("ok"))
        val error = answer.getJSONObject("error")
        assertEquals("platform_error", error.getString("code"))
        assertEquals("java.lang.IllegalArgumentException", error.getString("exception"))
        assertEquals("java.lang.IllegalArgumentException", events("p", "schedule_failed").single().detail.getString("exception"))
        assertTrue(events("p", "scheduled").isEmpty())
        assertEquals("failed", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
    }

    @Test
    fun eventsPagesAndClearKeepsSequence() {
        repeat(3) { callOk("schedule", """{"task":{"id":"c$it","mechanism":"coroutine"}}""") }
        val all = callOk("events", """{"since":0,"limit":1000}""")
        val n = all.getJSONArray("events").length()
        assertTrue(n >= 4)
        val firstTwo = callOk("events", """{"limit":2}""")
        assertEquals(2, firstTwo.getJSONArray("events").length())
        assertTrue(firstTwo.getBoolean("more"))
        val last = all.getLong("last_seq")
        assertEquals(n, callOk("clear_events").getInt("cleared"))
        val after = callOk("events", """{"since":0}""")
        assertEquals(0, after.getJSONArray("events").length())
        assertEquals(last, after.getLong("last_seq"))
        callOk("cancel", """{"task_id":"c0"}""")
        assertTrue(callOk("events").getJSONArray("events").getJSONObject(0).getLong("seq") > last)
    }

    @Test
    fun configureIsPersisted() {
        assertTrue(callOk("configure", """{"reregister_alarms_on_boot":true}""").getJSONObject("config").getBoolean("reregister_alarms_on_boot"))
        assertTrue(graph().config.get().reregisterAlarmsOnBoot)
        assertTrue(callOk("configure").getJSONObject("config").getBoolean("reregister_alarms_on_boot"))
    }
}
