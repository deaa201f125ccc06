package dev.harness.companion

import dev.harness.companion.rpc.parseArgument
import dev.harness.companion.tasks.Backoff
import dev.harness.companion.tasks.OutOfQuota
import dev.harness.companion.tasks.TaskParser
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.tasks.WorkNetwork
import dev.harness.companion.tasks.WorkParams
import dev.harness.companion.work.WorkEnqueue
import dev.harness.companion.work.WorkRequestPlan
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner

/** A work task as WorkRequest builder calls and an enqueue form ([WorkRequestPlan]). */
@RunWith(RobolectricTestRunner::class)
class WorkRequestPlanTest {
    /** The chains of tasks scheduled before: `b` was appended after `a`, `named` started `nightly-sync`. */
    private val chains = mapOf("named" to "nightly-sync", "a" to "harness.task.a", "b" to "harness.task.a")

    private fun plan(id: String, params: String): WorkRequestPlan {
        val spec = TaskParser(36).parse(parseArgument("""{"id":"$id","mechanism":"work","params":$params}"""))
        return WorkRequestPlan.of(id, spec.params as WorkParams) { chains[it] }
    }

    @Test
    fun oneTimeDefaultsAreUniqueWorkNamedAfterTheTask() {
        val p = plan("w1", "{}")
        assertFalse(p.periodic)
        assertNull(p.intervalMs)
        assertEquals(0L, p.initialDelayMs)
        assertEquals(WorkNetwork.NONE, p.network)
        assertFalse(p.requiresCharging || p.requiresDeviceIdle || p.requiresBatteryNotLow || p.requiresStorageNotLow)
        assertEquals(Backoff.EXPONENTIAL, p.backoffPolicy)
        assertEquals(30_000L, p.backoffDelayMs)
        assertNull(p.expedited)
        assertEquals(listOf("harness", "harness.task.w1"), p.tags)
        assertEquals("w1", p.taskId)
        assertEquals(WorkEnqueue.Unique("harness.task.w1", UniquePolicy.KEEP), p.enqueue)
        assertEquals("harness.task.w1", p.chain)
    }

    @Test
    fun everyParamReachesItsBuilderCall() {
        val p = plan(
            "w2",
            """{"initial_delay_ms":5000,"network":"unmetered","requires_charging":true,"requires_device_idle":true,
               "requires_battery_not_low":true,"requires_storage_not_low":true,"backoff_policy":"linear",
               "backoff_delay_ms":12000,"expedited":true,"out_of_quota":"drop","unique_name":"u","unique_policy":"append_or_replace",
               "tags":["a","b"]}""",
        )
        assertEquals(5000L, p.initialDelayMs)
        assertEquals(WorkNetwork.UNMETERED, p.network)
        assertTrue(p.requiresCharging && p.requiresDeviceIdle && p.requiresBatteryNotLow && p.requiresStorageNotLow)
        assertEquals(Backoff.LINEAR, p.backoffPolicy)
        assertEquals(12_000L, p.backoffDelayMs)
        assertEquals(OutOfQuota.DROP, p.expedited)
        assertEquals(listOf("harness", "harness.task.w2", "a", "b"), p.tags)
        assertEquals(WorkEnqueue.Unique("u", UniquePolicy.APPEND_OR_REPLACE), p.enqueue)
        assertEquals("u", p.chain)
        assertEquals(OutOfQuota.RUN_AS_NON_EXPEDITED, plan("w3", """{"expedited":true}""").expedited)
    }

    @Test
    fun periodicWorkIsPlainOrUniquePeriodic() {
        val plain = plan("p1", """{"kind":"periodic","interval_ms":900000,"flex_ms":300000}""")
        assertTrue(plain.periodic)
        assertEquals(900_000L, plain.intervalMs)
        assertEquals(300_000L, plain.flexMs)
        assertEquals(WorkEnqueue.Plain, plain.enqueue)
        assertNull(plain.chain)
        val unique = plan("p2", """{"kind":"periodic","interval_ms":900000,"unique_name":"sync","unique_policy":"update"}""")
        assertNull(unique.flexMs)
        assertEquals(WorkEnqueue.UniquePeriodic("sync", UniquePolicy.UPDATE), unique.enqueue)
        assertEquals(WorkEnqueue.UniquePeriodic("sync", UniquePolicy.KEEP), plan("p3", """{"kind":"periodic","interval_ms":1,"unique_name":"sync"}""").enqueue)
    }

    @Test
    fun afterAppendsToThePredecessorsChain() {
        // A chain of three: c after b after a is appended to a's chain, where b is, not to a name of b's own.
        val c = plan("c", """{"after":["b"]}""")
        assertEquals(WorkEnqueue.Append("harness.task.a"), c.enqueue)
        assertEquals("harness.task.a", c.chain)
        assertEquals(WorkEnqueue.Append("harness.task.a"), plan("c1", """{"after":["a","b"]}""").enqueue)
        assertEquals(WorkEnqueue.Append("nightly-sync"), plan("c2", """{"after":["named"]}""").enqueue)
        // A predecessor the lookup does not know (a stale record) names the implicit chain.
        assertEquals(WorkEnqueue.Append("harness.task.first"), plan("c3", """{"after":["first"]}""").enqueue)
    }
}
