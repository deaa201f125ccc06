package dev.harness.companion

import android.os.Looper
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.ui.CompanionActivity
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf

@RunWith(RobolectricTestRunner::class)
class ActivityCoroutineTest {

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
