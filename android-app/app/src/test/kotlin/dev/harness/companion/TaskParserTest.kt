package dev.harness.companion

import dev.harness.companion.app.PreviousExit
import dev.harness.companion.app.ProcessStarts
import dev.harness.companion.rpc.RpcError
import dev.harness.companion.rpc.parseArgument
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.AlarmType
import dev.harness.companion.tasks.DerivedIds
import dev.harness.companion.tasks.JobParams
import dev.harness.companion.tasks.Outcome
import dev.harness.companion.tasks.TaskParser
import dev.harness.companion.tasks.WorkParams
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner

@RunWith(RobolectricTestRunner::class)
class TaskParserTest {
    /** Parses TASK the way the app reads ARG ([parseArgument]: strict JSON). */
    private fun parse(json: String, api: Int = 36) = TaskParser(api).parse(parseArgument(json))

    private fun refused(json: String, api: Int = 36): RpcError = try {
        parse(json, api)
        fail("expected a refusal of $json")
        throw AssertionError()
    } catch (e: RpcError) {
        e
    }

    @Test
    fun defaultsAreApplied() {
        val job = parse("""{"id":"j","mechanism":"job"}""")
        val p = job.params as JobParams
        assertEquals(DerivedIds.of("j"), p.jobId)
        assertEquals(30_000L, p.backoffInitialMs)
        assertEquals(100L, job.behavior.durationMs)
        val alarm = parse("""{"id":"a","mechanism":"alarm","params":{"method":"set_alarm_clock","trigger_in_ms":5}}""")
        assertEquals(AlarmType.RTC_WAKEUP, (alarm.params as AlarmParams).type)
        val work = parse("""{"id":"w","mechanism":"work","params":{"kind":"periodic","interval_ms":900000}}""")
        assertEquals("keep", (work.params as WorkParams).uniquePolicy.wire)
        // The stored form parses back to the same task.
        assertEquals(work, parse(work.toJson().toString()))
        assertEquals(job, parse(job.toJson().toString()))
    }

    /** Outcome `crash` ends a job's or a worker's run; the other mechanisms refuse it. */
    @Test
    fun crashIsAnOutcomeOfJobsAndWorkOnly() {
        for (mechanism in listOf("job", "work")) {
            val spec = parse("""{"id":"c","mechanism":"$mechanism","behavior":{"outcomes":["success","crash"]}}""")
            assertEquals(listOf(Outcome.SUCCESS, Outcome.CRASH), spec.behavior.outcomes)
            assertEquals(Outcome.CRASH, spec.behavior.outcomeFor(5))
            assertEquals(spec, parse(spec.toJson().toString())) // the stored form
        }
        for (task in listOf(
            """{"id":"c","mechanism":"alarm","params":{"trigger_in_ms":5},"behavior":{"outcomes":["success","crash"]}}""",
            """{"id":"c","mechanism":"foreground","behavior":{"outcomes":["success","crash"]}}""",
            """{"id":"c","mechanism":"coroutine","behavior":{"outcomes":["success","crash"]}}""",
        )) {
            val e = refused(task)
            assertEquals("bad_value" to "task.behavior.outcomes[1]", e.code.wire to e.field)
            assertTrue(e.message!!, e.message!!.contains("job or work"))
        }
    }

    @Test
    fun apiLevelLimitsAreNotSupported() {
        val e = refused("""{"id":"j","mechanism":"job","params":{"expedited":true}}""", api = 30)
        assertEquals("not_supported" to "task.params.expedited", e.code.wire to e.field)
        val f = refused("""{"id":"f","mechanism":"foreground","params":{"type":"shortService"}}""", api = 33)
        assertEquals("not_supported" to "task.params.type", f.code.wire to f.field)
    }

    @Test
    fun variantFieldsAreCheckedAgainstTheVariant() {
        assertEquals("task.params.interval_ms", refused("""{"id":"w","mechanism":"work","params":{"interval_ms":5}}""").field)
        assertEquals("task.params.unique_policy", refused("""{"id":"w","mechanism":"work","params":{"unique_policy":"keep"}}""").field)
        val p = refused("""{"id":"w","mechanism":"work","params":{"kind":"periodic","interval_ms":5,"unique_name":"u","unique_policy":"append"}}""")
        assertEquals("bad_value" to "task.params.unique_policy", p.code.wire to p.field)
        assertEquals("task.params.flex_ms", refused("""{"id":"j","mechanism":"job","params":{"flex_ms":5}}""").field)
        assertEquals("task.params", refused("""{"id":"c","mechanism":"coroutine","params":[]}""").field)
        assertEquals("unknown_field", refused("""{"id":"c","mechanism":"coroutine","params":{"x":1}}""").code.wire)
        val big = refused("""{"id":"j","mechanism":"job","params":{"min_latency_ms":123456789012345678901234567890}}""")
        assertEquals("out_of_range", big.code.wire)
    }

    @Test
    fun derivedIdsAreStableAndInRange() {
        val ids = (0 until 2000).map { DerivedIds.of("task-$it") }
        assertTrue(ids.all { it in 1000..999_999 })
        assertEquals(DerivedIds.of("sync-1"), DerivedIds.of("sync-1"))
        // FNV-1a of the empty string is 0x811C9DC5 = 2166136261.
        assertEquals(1000 + (2166136261L % 999_000).toInt(), DerivedIds.of(""))
    }

    @Test
    fun processStartNamesTheReasons() {
        val event = ProcessStarts(Fixtures.graph().journal).record(4, PreviousExit(10, 22, "remove task", 123L, 4242))
        assertEquals("content_provider", event.detail.getString("reason"))
        val exit = event.detail.getJSONObject("previous_exit")
        // Exactly the documented fields (docs/companion-protocol.md, process_start).
        assertEquals(setOf("reason", "subreason", "description", "timestamp_ms", "pid"), exit.keys().asSequence().toSet())
        assertEquals("USER_REQUESTED", exit.getString("reason"))
        assertEquals("REMOVE_TASK", exit.getString("subreason"))
        assertEquals("remove task", exit.getString("description"))
        assertEquals(123L, exit.getLong("timestamp_ms"))
        assertEquals(4242, exit.getInt("pid"))
        val unprinted = ProcessStarts(Fixtures.graph().journal).record(null, PreviousExit(13, null, null, 5L, 1))
        val other = unprinted.detail.getJSONObject("previous_exit")
        assertTrue(other.isNull("subreason") && other.isNull("description"))
        assertEquals("UNKNOWN_99", ProcessStarts(Fixtures.graph().journal).record(null, PreviousExit(10, 99, null, 5L, 1))
            .detail.getJSONObject("previous_exit").getString("subreason"))
        val first = ProcessStarts(Fixtures.graph().journal).record(null, null)
        assertEquals("unknown", first.detail.getString("reason"))
        assertTrue(first.detail.isNull("previous_exit"))
    }

    @Test
    fun subreasonIsReadFromTheExitInfoText() {
        // The shape of ApplicationExitInfo.toString() (API 30+): "... reason=10 (USER REQUESTED) subreason=22 (REMOVE TASK) ..."
        val text = "ApplicationExitInfo(timestamp=1/1/26 1:00 AM pid=4242 realUid=10123 packageUid=10123 definingUid=10123 " +
            "user=0 process=dev.harness.companion reason=10 (USER REQUESTED) subreason=22 (REMOVE TASK) status=0 importance=400)"
        assertEquals(22, PreviousExit.subreasonIn(text))
        assertNull(PreviousExit.subreasonIn("ApplicationExitInfo(pid=1 reason=13 (OTHER) status=0)"))
    }
}
