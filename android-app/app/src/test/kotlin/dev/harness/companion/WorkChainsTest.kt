package dev.harness.companion

import dev.harness.companion.Fixtures.dispatcherWith
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.rpc.RpcDispatcher
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.Outcome
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.work.WorkEnqueue
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner

/**
 * Work chains (docs/companion-protocol.md, "Work chains"): the enqueue form the app's dispatcher
 * plans for each task (what WorkBackend hands to WorkManager) and the task states the app derives
 * from its records. WorkManager is absent on the JVM: the backend records the plans it is given.
 */
@RunWith(RobolectricTestRunner::class)
class WorkChainsTest {
    private val recorder = WorkPlanRecorder()

    private val dispatcher: RpcDispatcher by lazy { dispatcherWith(Mechanism.WORK, recorder) }

    private fun call(method: String, arg: String): JSONObject = JSONObject(dispatcher.call(method, arg))

    private fun schedule(id: String, params: String = "{}", behavior: String = """{"duration_ms":0}"""): JSONObject =
        call("schedule", """{"task":{"id":"$id","mechanism":"work","params":$params,"behavior":$behavior}}""")

    private fun state(id: String): String = graph().registry.get(id)!!.state.wire

    private fun errorOf(answer: JSONObject): Pair<String, String> {
        assertFalse(answer.toString(), answer.getBoolean("ok"))
        val e = answer.getJSONObject("error")
        return e.getString("code") to e.getString("field")
    }

    @Test
    fun aChainOfThreeIsAppendedToTheFirstTasksChain() {
        schedule("a")
        schedule("b", """{"after":["a"]}""")
        schedule("c", """{"after":["b"]}""")
        schedule("d", """{"after":["a","c"]}""") // one chain: allowed
        assertEquals(WorkEnqueue.Unique("harness.task.a", UniquePolicy.KEEP), recorder.plans.getValue("a").enqueue)
        for (id in listOf("b", "c", "d")) {
            assertEquals(id, WorkEnqueue.Append("harness.task.a"), recorder.plans.getValue(id).enqueue)
        }
        assertEquals(listOf("a", "b", "c", "d").map { "harness.task.a" }, listOf("a", "b", "c", "d").map { graph().workChains.chainOf(it) })
    }

    @Test
    fun aNamedChainTakesItsUniqueName() {
        schedule("p1", """{"unique_name":"sync"}""")
        schedule("p2", """{"unique_name":"sync","unique_policy":"append"}""")
        schedule("p3", """{"after":["p1"]}""")
        assertEquals(WorkEnqueue.Unique("sync", UniquePolicy.APPEND), recorder.plans.getValue("p2").enqueue)
        assertEquals(WorkEnqueue.Append("sync"), recorder.plans.getValue("p3").enqueue)
    }

    @Test
    fun afterNamingTasksOfDifferentChainsIsRefused() {
        schedule("a")
        schedule("x")
        schedule("b", """{"after":["a"]}""")
        assertEquals("bad_value" to "task.params.after", errorOf(schedule("c", """{"after":["b","x"]}""")))
        assertTrue(graph().registry.get("c") == null && events("c").isEmpty())
        assertEquals("bad_value" to "task.params.unique_name", errorOf(schedule("d", """{"after":["a"],"unique_name":"u"}""")))
    }

    @Test
    fun keepJudgesTheWholeChainAndReportsItsName() = runBlocking {
        schedule("a")
        schedule("b", """{"unique_name":"harness.task.a","unique_policy":"keep"}""")
        assertEquals("cancelled", state("b"))
        val unique = events("b", "scheduled").single().detail.getJSONObject("unique")
        assertEquals("""{"name":"harness.task.a","policy":"keep","kept_existing":true}""", unique.toString())
        assertFalse(recorder.plans.containsKey("b")) // never enqueued
        // A task appended into a named chain is work of that name: while it is unfinished, keep
        // drops the request even though the task that gave the name has finished.
        schedule("n1", """{"unique_name":"n"}""")
        schedule("n2", """{"after":["n1"]}""")
        assertEquals(Outcome.SUCCESS, graph().workRunner.run("n1", 0, {}, { -256 }))
        schedule("n3", """{"unique_name":"n"}""")
        assertEquals(listOf("finished", "scheduled", "cancelled"), listOf("n1", "n2", "n3").map(::state))
        assertEquals(
            """{"name":"n","policy":"keep","kept_existing":true}""",
            events("n3", "scheduled").single().detail.getJSONObject("unique").toString(),
        )
    }

    @Test
    fun cancellingATaskCancelsTheRestOfItsChainWithoutEvents() {
        schedule("a")
        schedule("b", """{"after":["a"]}""")
        schedule("c", """{"after":["b"]}""")
        schedule("other")
        val answer = call("cancel_all", "{}")
        // cancel_all cancelled a (and with it b and c) and other; b and c got no `cancelled` event.
        assertEquals("""["a","other"]""", answer.getJSONArray("cancelled").toString())
        assertEquals(listOf("cancelled", "cancelled", "cancelled"), listOf("a", "b", "c").map(::state))
        assertTrue(events("b", "cancelled").isEmpty() && events("c", "cancelled").isEmpty())
        // Appended after a cancelled last task: cancelled at once, though journalled as scheduled.
        schedule("d", """{"after":["c"]}""")
        assertEquals("cancelled", state("d"))
        assertEquals(listOf("scheduled"), events("d").map { it.kind })
    }

    @Test
    fun replaceCancelsTheUnfinishedChain() {
        schedule("r1", """{"unique_name":"r"}""")
        schedule("r2", """{"after":["r1"]}""")
        schedule("r3", """{"unique_name":"r","unique_policy":"replace"}""")
        assertEquals(listOf("cancelled", "cancelled", "scheduled"), listOf("r1", "r2", "r3").map(::state))
    }

    @Test
    fun aFailedTaskFailsTheRestOfItsChain() = runBlocking {
        schedule("x", behavior = """{"duration_ms":0,"outcomes":["failure"]}""")
        schedule("y", """{"after":["x"]}""")
        schedule("z", """{"after":["y"]}""")
        schedule("free")
        assertEquals(Outcome.FAILURE, graph().workRunner.run("x", 0, {}, { -256 }))
        assertEquals(listOf("failed", "failed", "failed", "scheduled"), listOf("x", "y", "z", "free").map(::state))
        assertTrue(events("y").none { it.kind == "started" })
        // append_or_replace after a failed chain starts it afresh; append fails at once.
        schedule("w", """{"after":["z"]}""")
        assertEquals("failed", state("w"))
        schedule("q1", """{"unique_name":"harness.task.x","unique_policy":"append_or_replace"}""")
        assertEquals("scheduled", state("q1"))
    }

    /**
     * Periodic `update` (WorkerUpdater.enqueueUniquelyNamedPeriodic): the name's work keeps its id and
     * now runs the new task; the old task is `cancelled` without an event, and cancelling it later
     * leaves the work (the new task's) alone.
     */
    @Test
    fun periodicUpdateHandsTheWorkToTheNewTask() {
        val periodic = """{"kind":"periodic","interval_ms":3600000,"unique_name":"p""""
        val w1 = schedule("v1", "$periodic}").getJSONObject("platform").getString("work_id")
        val answer = schedule("v2", """$periodic,"unique_policy":"update"}""")
        assertEquals(WorkEnqueue.UniquePeriodic("p", UniquePolicy.UPDATE), recorder.plans.getValue("v2").enqueue)
        assertEquals(w1, answer.getJSONObject("platform").getString("work_id"))
        assertEquals(w1, events("v2", "scheduled").single().detail.getJSONObject("platform").getString("work_id"))
        assertEquals(listOf("cancelled", "scheduled"), listOf("v1", "v2").map(::state))
        assertTrue(events("v1", "cancelled").isEmpty())
        assertTrue(call("cancel", """{"task_id":"v1"}""").getBoolean("ok"))
        assertEquals(emptyList<String>(), recorder.cancelled)
        assertEquals("scheduled", state("v2"))
        assertTrue(call("cancel", """{"task_id":"v2"}""").getBoolean("ok"))
        assertEquals(listOf(w1), recorder.cancelled)
    }

    /**
     * Periodic `cancel_and_reenqueue` (EnqueueRunnable, as REPLACE) ends every unfinished work of the
     * name, a one-time chain of that name included; `update` or `keep` over nothing unfinished enqueue anew.
     */
    @Test
    fun periodicCancelAndReenqueueEndsTheWorkOfTheName() {
        schedule("c1", """{"unique_name":"p","initial_delay_ms":3600000}""")
        schedule("c2", """{"after":["c1"]}""")
        schedule("other", """{"kind":"periodic","interval_ms":3600000,"unique_name":"q"}""")
        val w3 = schedule("c3", """{"kind":"periodic","interval_ms":3600000,"unique_name":"p","unique_policy":"cancel_and_reenqueue"}""")
            .getJSONObject("platform").getString("work_id")
        assertEquals(listOf("cancelled", "cancelled", "scheduled", "scheduled"), listOf("c1", "c2", "other", "c3").map(::state))
        assertTrue(events("c1", "cancelled").isEmpty() && events("c2", "cancelled").isEmpty())
        val w4 = schedule("c4", """{"kind":"periodic","interval_ms":3600000,"unique_name":"p","unique_policy":"cancel_and_reenqueue"}""")
            .getJSONObject("platform").getString("work_id")
        assertFalse(w3 == w4)
        assertEquals(listOf("cancelled", "scheduled"), listOf("c3", "c4").map(::state))
        call("cancel", """{"task_id":"c4"}""")
        val w5 = schedule("c5", """{"kind":"periodic","interval_ms":3600000,"unique_name":"p","unique_policy":"update"}""")
            .getJSONObject("platform").getString("work_id")
        assertFalse(w4 == w5)
        assertEquals("scheduled", state("c5"))
    }
}
