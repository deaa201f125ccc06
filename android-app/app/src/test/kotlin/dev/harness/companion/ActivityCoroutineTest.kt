package dev.harness.companion

import android.os.Looper
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.ui.CompanionActivity
import dev.harness.companion.ui.CoroutineTasks
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import java.time.Duration

@RunWith(RobolectricTestRunner::class)
class ActivityCoroutineTest {
    /** An RPC as the provider gets it: on a binder thread, not the main thread. */
    private fun onBinderThread(block: () -> Unit) {
        var failure: Throwable? = null
        val t = Thread { try { block() } catch (e: Throwable) { failure = e } }
        t.start()
        t.join(10_000)
        check(!t.isAlive) { "the call did not return in 10 s" }
        failure?.let { throw it }
    }

    @Test
    fun leavingTheScreenCancelsTheLifecycleScopedTask() {
        val controller = Robolectric.buildActivity(CompanionActivity::class.java).setup()
        callOk("schedule", """{"task":{"id":"ui","mechanism":"coroutine","behavior":{"duration_ms":600000}}}""")
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals("main thread", Looper.getMainLooper().thread.name, events("ui", "started").single().thread)
        controller.pause().stop()
        val cancelled = events("ui", "cancelled").single()
        assertEquals("lifecycle", cancelled.detail.getString("cause"))
        assertTrue(events("ui", "finished").isEmpty())
        assertEquals("cancelled", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
        val states = events(kind = "activity").map { it.detail.getString("state") }
        assertEquals(listOf("resumed", "stopped"), states)
    }

    @Test
    fun aLifecycleCancelIsTerminalTheTaskDoesNotRunAgainWhenTheScreenReturns() {
        val controller = Robolectric.buildActivity(CompanionActivity::class.java).setup()
        onBinderThread { callOk("schedule", """{"task":{"id":"lost","mechanism":"coroutine","behavior":{"duration_ms":1000}}}""") }
        shadowOf(Looper.getMainLooper()).idle()
        controller.pause().stop()
        controller.restart().resume()
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofMinutes(1))
        assertEquals(listOf("scheduled", "started", "cancelled"), events("lost").map { it.kind })
        val task = callOk("list").getJSONArray("tasks").getJSONObject(0)
        assertEquals("cancelled", task.getString("state"))
        assertEquals(1, task.getInt("runs"))
        val states = events(kind = "activity").map { it.detail.getString("state") }
        assertEquals(listOf("resumed", "stopped", "resumed"), states)
    }

    @Test
    fun aTaskRunningWhenItsProcessDiedIsCancelledAtTheNextProcessStartWithoutAnEvent() {
        Robolectric.buildActivity(CompanionActivity::class.java).setup()
        onBinderThread { callOk("schedule", """{"task":{"id":"died","mechanism":"coroutine","behavior":{"duration_ms":600000}}}""") }
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals("running", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
        val g = graph()
        CoroutineTasks(g.journal, g.registry, g.gate) // what the next process builds (no onStop ran)
        assertEquals("cancelled", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
        assertEquals(listOf("scheduled", "started"), events("died").map { it.kind })
    }

    @Test
    fun aTaskScheduledInTheBackgroundWaitsForTheScreen() {
        callOk("schedule", """{"task":{"id":"later","mechanism":"coroutine","behavior":{"duration_ms":0}}}""")
        assertTrue(events("later", "started").isEmpty())
        Robolectric.buildActivity(CompanionActivity::class.java).setup()
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals(listOf("scheduled", "started", "finished"), events("later").map { it.kind })
        assertEquals("finished", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
    }

    @Test
    fun aClientCancelIsJournalledOnceAsClient() {
        Robolectric.buildActivity(CompanionActivity::class.java).setup()
        callOk("schedule", """{"task":{"id":"c","mechanism":"coroutine","behavior":{"duration_ms":600000}}}""")
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals("running", callOk("cancel", """{"task_id":"c"}""").getString("was"))
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals(listOf("client"), events("c", "cancelled").map { it.detail.getString("cause") })
    }
}
