package dev.harness.companion

import android.app.ForegroundServiceStartNotAllowedException
import android.app.Notification
import android.content.ComponentName
import android.content.Context
import android.content.ContextWrapper
import android.content.Intent
import android.content.pm.ServiceInfo
import dev.harness.companion.Fixtures.call
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.dispatcherWith
import dev.harness.companion.Fixtures.events
import dev.harness.companion.Fixtures.graph
import dev.harness.companion.service.ForegroundBackend
import dev.harness.companion.service.HarnessForegroundService
import dev.harness.companion.service.Notifications
import dev.harness.companion.tasks.Mechanism
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.android.controller.ServiceController

/** The foreground service: start from `schedule`, notification, journal, self-stop, timeout, refusals. */
@RunWith(RobolectricTestRunner::class)
class ForegroundServiceTest {
    private val app get() = RuntimeEnvironment.getApplication()

    private fun state(id: String): String {
        val tasks = callOk("list").getJSONArray("tasks")
        return (0 until tasks.length()).map { tasks.getJSONObject(it) }.single { it.getString("task_id") == id }.getString("state")
    }

    /** Schedules [id] and returns the service the app asked the platform to start, created but not yet started. */
    private fun scheduleAndCreate(id: String, durationMs: Long, type: String = "dataSync"): ServiceController<HarnessForegroundService> {
        val answer = callOk("schedule", """{"task":{"id":"$id","mechanism":"foreground","params":{"type":"$type"},"behavior":{"duration_ms":$durationMs}}}""")
        assertEquals(0, answer.getJSONObject("platform").length())
        val intent = checkNotNull(shadowOf(app).nextStartedService) { "schedule started no service" }
        assertEquals(ComponentName(app, HarnessForegroundService::class.java), intent.component)
        assertEquals(id, intent.getStringExtra(HarnessForegroundService.EXTRA_TASK_ID))
        assertEquals(type, intent.getStringExtra(HarnessForegroundService.EXTRA_FGS_TYPE))
        return Robolectric.buildService(HarnessForegroundService::class.java, intent).create()
    }

    private fun awaitEnd(id: String) = runBlocking {
        val job = graph().foregroundTasks.jobOf(id) ?: return@runBlocking
        withTimeout(10_000) { job.join() }
    }

    @Test
    fun theServiceGoesForegroundRunsTheTaskAndStopsItself() {
        val controller = scheduleAndCreate("fg1", 100)
        val service = controller.get()
        controller.startCommand(0, 1)
        val shadow = shadowOf(service)
        assertEquals(Notifications.SERVICE_NOTIFICATION_ID, shadow.lastForegroundNotificationId)
        val notification = shadow.lastForegroundNotification
        assertNotNull(notification)
        assertEquals(Notifications.CHANNEL_ID, notification.channelId)
        assertTrue(notification.flags and Notification.FLAG_ONGOING_EVENT != 0)
        assertEquals("Running task fg1", notification.extras.getCharSequence(Notification.EXTRA_TEXT).toString())
        val started = events("fg1", "started").single()
        assertEquals("dataSync", started.detail.getString("fgs_type"))
        assertEquals(Thread.currentThread().name, started.thread) // onStartCommand runs on the main thread
        assertFalse(shadow.isStoppedBySelf)

        awaitEnd("fg1")
        assertEquals("dataSync", events("fg1", "finished").single().detail.getString("fgs_type"))
        assertEquals("finished", state("fg1"))
        assertTrue(shadow.isStoppedBySelf)
        assertTrue(shadow.isForegroundStopped)
        assertTrue(shadow.notificationShouldRemoved)
        assertEquals(listOf("scheduled", "started", "finished"), events("fg1").map { it.kind })
    }

    @Test
    fun aTimeoutOrDestroyStopsWhatStillRuns() {
        val controller = scheduleAndCreate("fg2", 600_000, type = "shortService")
        controller.startCommand(0, 1)
        assertEquals("running", state("fg2"))
        controller.get().onTimeout(1, ServiceInfo.FOREGROUND_SERVICE_TYPE_SHORT_SERVICE)
        val stopped = events("fg2", "stopped").single()
        assertEquals("timeout", stopped.detail.getString("cause"))
        assertEquals("shortService", stopped.detail.getString("fgs_type"))
        assertEquals("failed", state("fg2"))
        assertTrue(shadowOf(controller.get()).isStoppedBySelf)

        val other = scheduleAndCreate("fg3", 600_000)
        other.startCommand(0, 1)
        other.destroy()
        assertEquals("destroyed", events("fg3", "stopped").single().detail.getString("cause"))
        assertTrue(events("fg3", "finished").isEmpty())
        assertEquals("failed", state("fg3"))
    }

    @Test
    fun aClientCancelEndsTheTaskAndTheIdleServiceStops() {
        val controller = scheduleAndCreate("fg4", 600_000)
        controller.startCommand(0, 1)
        assertEquals("running", callOk("cancel", """{"task_id":"fg4"}""").getString("was"))
        assertEquals("client", events("fg4", "cancelled").single().detail.getString("cause"))
        assertTrue(events("fg4", "stopped").isEmpty())
        assertEquals("cancelled", state("fg4"))
        assertTrue(shadowOf(controller.get()).isStoppedBySelf)
    }

    @Test
    fun startForegroundRefusedInTheServiceIsJournalled() {
        val controller = scheduleAndCreate("fg5", 100)
        shadowOf(controller.get()).setThrowInStartForeground(
            ForegroundServiceStartNotAllowedException("startForeground() not allowed due to mAllowStartForeground false"),
        )
        controller.startCommand(0, 1)
        val failed = events("fg5", "schedule_failed").single()
        assertEquals("android.app.ForegroundServiceStartNotAllowedException", failed.detail.getString("exception"))
        assertTrue(events("fg5", "started").isEmpty())
        assertEquals("failed", state("fg5"))
        assertTrue(shadowOf(controller.get()).isStoppedBySelf)
    }

    @Test
    fun startForegroundServiceRefusedFromTheBackgroundIsAPlatformError() {
        // What the platform does on API 31+ when the app is in the background and not exempted.
        val background = object : ContextWrapper(app) {
            override fun startForegroundService(service: Intent): ComponentName =
                throw ForegroundServiceStartNotAllowedException("startForegroundService() not allowed due to mAllowStartForeground false")
        }
        val dispatcher = dispatcherWith(Mechanism.FOREGROUND, ForegroundBackend(background as Context, graph().foregroundTasks))
        val answer = JSONObject(dispatcher.call("schedule", """{"task":{"id":"fg6","mechanism":"foreground"}}"""))
        assertFalse(answer.getBoolean("ok"))
        val error = answer.getJSONObject("error")
        assertEquals("platform_error", error.getString("code"))
        assertEquals("android.app.ForegroundServiceStartNotAllowedException", error.getString("exception"))
        assertEquals("android.app.ForegroundServiceStartNotAllowedException", events("fg6", "schedule_failed").single().detail.getString("exception"))
        assertTrue(events("fg6", "scheduled").isEmpty())
        assertEquals("failed", state("fg6"))
        // A failed task id may be scheduled again (through the app's own dispatcher this time).
        assertTrue(call("schedule", """{"task":{"id":"fg6","mechanism":"foreground"}}""").getBoolean("ok"))
    }
}
