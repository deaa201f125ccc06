package dev.harness.companion

import android.app.AlarmManager
import android.content.Intent
import android.os.SystemClock
import android.provider.Settings
import dev.harness.companion.Fixtures.call
import dev.harness.companion.Fixtures.callOk
import dev.harness.companion.Fixtures.events
import dev.harness.companion.alarms.AlarmBackend
import dev.harness.companion.alarms.AlarmReceiver
import dev.harness.companion.boot.BootReceiver
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.DerivedIds
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowAlarmManager
import org.robolectric.shadows.ShadowSystemClock
import java.time.Duration

@RunWith(RobolectricTestRunner::class)
class AlarmAndBootTest {
    private val app = RuntimeEnvironment.getApplication()
    private val alarmManager = app.getSystemService(AlarmManager::class.java)

    private fun scheduleAlarm(id: String, params: String) =
        callOk("schedule", """{"task":{"id":"$id","mechanism":"alarm","params":$params}}""")

    private fun fire(taskId: String) = AlarmReceiver().onReceive(app, AlarmBackend.intent(app, taskId))

    private fun reboot() {
        // A reboot clears every alarm and counts one more boot.
        for (alarm in shadowOf(alarmManager).scheduledAlarms) alarm.operation?.let(alarmManager::cancel)
        val boots = Settings.Global.getInt(app.contentResolver, Settings.Global.BOOT_COUNT, 0)
        Settings.Global.putInt(app.contentResolver, Settings.Global.BOOT_COUNT, boots + 1)
    }

    private fun boot(action: String) = BootReceiver().onReceive(app, Intent(action))

    @Test
    fun alarmIsSetWithAnImmutablePendingIntentAndFiringRecordsTheDelay() {
        val answer = scheduleAlarm("a1", """{"type":"elapsed_wakeup","method":"set_exact_and_allow_while_idle","trigger_in_ms":60000}""")
        assertEquals(DerivedIds.of("a1"), answer.getJSONObject("platform").getInt("request_code"))
        val alarm = shadowOf(alarmManager).peekNextScheduledAlarm()!!
        assertEquals(AlarmManager.ELAPSED_REALTIME_WAKEUP, alarm.type)
        val due = alarm.triggerAtMs
        assertEquals(SystemClock.elapsedRealtime() + 60_000, due)
        assertTrue(shadowOf(alarm.operation).isImmutable)
        assertTrue(alarm.isAllowWhileIdle)

        ShadowSystemClock.advanceBy(Duration.ofMillis(61_500))
        fire("a1")
        val fired = events("a1", "fired").single()
        assertEquals("elapsed_wakeup", fired.detail.getString("type"))
        assertEquals("set_exact_and_allow_while_idle", fired.detail.getString("method"))
        assertEquals(due, fired.detail.getLong("scheduled_ms"))
        assertEquals(1_500L, fired.detail.getLong("delay_ms"))
        assertEquals("finished", callOk("list").getJSONArray("tasks").getJSONObject(0).getString("state"))
    }

    @Test
    fun everyMethodAndTypeIsAccepted() {
        val methods = listOf(
            """"method":"set"""", """"method":"set_window","window_ms":1000""", """"method":"set_exact"""",
            """"method":"set_and_allow_while_idle"""", """"method":"set_exact_and_allow_while_idle"""",
            """"method":"set_repeating","interval_ms":900000""", """"method":"set_inexact_repeating","interval_ms":900000""",
        )
        var n = 0
        for (type in listOf("rtc", "rtc_wakeup", "elapsed", "elapsed_wakeup")) {
            for (m in methods) scheduleAlarm("m${n++}", """{"type":"$type",$m,"trigger_in_ms":1000}""")
        }
        scheduleAlarm("clock", """{"method":"set_alarm_clock","trigger_in_ms":1000}""")
        assertEquals(n + 1, shadowOf(alarmManager).scheduledAlarms.size)
        assertNotNull(alarmManager.nextAlarmClock)
        callOk("cancel", """{"task_id":"m0"}""")
        assertEquals(n, shadowOf(alarmManager).scheduledAlarms.size)
    }

    @Test
    fun exactAlarmRefusalIsJournalledAndAnsweredAsPlatformError() {
        ShadowAlarmManager.setCanScheduleExactAlarms(false)
        assertFalse(callOk("hello").getJSONObject("permissions").getBoolean("can_schedule_exact_alarms"))
        // Robolectric's AlarmManager does not throw for exact alarms, so the refusal the platform
        // makes on API 31+ (SecurityException from setExact) is played by a wrapping backend.
        val g = Fixtures.graph()
        val refusing = object : MechanismBackend {
            override fun plan(spec: TaskSpec): PlannedSchedule {
                val real = g.alarmBackend.plan(spec)
                return object : PlannedSchedule {
                    override val platform = real.platform
                    override fun submit() {
                        if ((spec.params as AlarmParams).method.exact) {
                            throw SecurityException("Caller needs SCHEDULE_EXACT_ALARM")
                        }
                        real.submit()
                    }
                }
            }
            override fun cancel(record: TaskRecord) = g.alarmBackend.cancel(record)
        }
        val dispatcher = Fixtures.dispatcherWith(Mechanism.ALARM, refusing)
        val answer = JSONObject(
            dispatcher.call("schedule", """{"task":{"id":"x","mechanism":"alarm","params":{"method":"set_exact","trigger_in_ms":10}}}"""),
        )
        assertEquals("platform_error", answer.getJSONObject("error").getString("code"))
        assertEquals("java.lang.SecurityException", answer.getJSONObject("error").getString("exception"))
        assertEquals("java.lang.SecurityException", events("x", "schedule_failed").single().detail.getString("exception"))
        assertTrue(events("x", "scheduled").isEmpty())
        assertNull(shadowOf(alarmManager).peekNextScheduledAlarm())
        // Inexact alarms need no permission.
        assertTrue(JSONObject(dispatcher.call("schedule", """{"task":{"id":"y","mechanism":"alarm","params":{"trigger_in_ms":10}}}""")).getBoolean("ok"))
    }

    @Test
    fun eachTaskHasItsOwnActionOnAnExplicitIntent() {
        scheduleAlarm("exact", """{"trigger_in_ms":3600000}""")
        scheduleAlarm("inexact", """{"trigger_in_ms":3600000}""")
        val intents = shadowOf(alarmManager).scheduledAlarms.map { shadowOf(it.operation).savedIntent }
        // The platform names an alarm by its PendingIntent's action (dumpsys alarm: tag=*walarm*:ACTION).
        assertEquals(
            setOf("dev.harness.companion.action.ALARM.exact", "dev.harness.companion.action.ALARM.inexact"),
            intents.map { it.action }.toSet(),
        )
        for (intent in intents) {
            assertEquals(AlarmReceiver::class.java.name, intent.component!!.className)
            assertEquals(app.packageName, intent.component!!.packageName)
        }
        assertEquals("inexact", AlarmBackend.taskIdOf(AlarmBackend.action("inexact")))
        assertEquals("a.b-c_1", AlarmBackend.taskIdOf("dev.harness.companion.action.ALARM.a.b-c_1"))
        // Cancelling one task removes its alarm only.
        callOk("cancel", """{"task_id":"exact"}""")
        assertEquals(
            listOf("dev.harness.companion.action.ALARM.inexact"),
            shadowOf(alarmManager).scheduledAlarms.map { shadowOf(it.operation).savedIntent.action },
        )
    }

    @Test
    fun receiverAcceptsTheAlarmsOwnIntent() {
        scheduleAlarm("exact", """{"trigger_in_ms":10}""")
        scheduleAlarm("inexact", """{"trigger_in_ms":10}""")
        val delivered = shadowOf(alarmManager).scheduledAlarms
            .map { shadowOf(it.operation).savedIntent }
            .single { it.action == "dev.harness.companion.action.ALARM.inexact" }
        AlarmReceiver().onReceive(app, delivered)
        assertEquals(1, events("inexact", "fired").size)
        assertTrue(events("exact", "fired").isEmpty())
    }

    @Test
    fun receiverIgnoresOtherActions() {
        scheduleAlarm("a2", """{"trigger_in_ms":10}""")
        for (action in listOf(
            "something.else",
            "dev.harness.companion.action.ALARM", // the bare prefix without a task id
            "dev.harness.companion.action.ALARM.", // an empty task id
            "dev.harness.companion.action.ALARMa2",
            "xdev.harness.companion.action.ALARM.a2",
        )) {
            AlarmReceiver().onReceive(app, Intent(action).putExtra("task_id", "a2"))
        }
        AlarmReceiver().onReceive(app, Intent().setClass(app, AlarmReceiver::class.java))
        assertTrue(events("a2", "fired").isEmpty())
        assertNull(AlarmBackend.taskIdOf(null))
        assertNull(AlarmBackend.taskIdOf("dev.harness.companion.action.ALARM."))
    }

    @Test
    fun theAppThatRemembersReregistersOncePerBoot() {
        callOk("configure", """{"reregister_alarms_on_boot":true}""")
        scheduleAlarm("keep", """{"trigger_in_ms":3600000}""")
        scheduleAlarm("done", """{"trigger_in_ms":10}""")
        fire("done")
        reboot()
        assertNull(shadowOf(alarmManager).peekNextScheduledAlarm())
        boot(Intent.ACTION_LOCKED_BOOT_COMPLETED)
        boot(Intent.ACTION_BOOT_COMPLETED)
        val locked = events(kind = "locked_boot_completed").single()
        assertEquals("boot", locked.mechanism)
        assertEquals("keep", locked.detail.getJSONArray("reregistered_alarms").getString(0))
        assertEquals(1, locked.detail.getJSONArray("reregistered_alarms").length())
        assertEquals(0, events(kind = "boot_completed").single().detail.getJSONArray("reregistered_alarms").length())
        assertEquals(1, shadowOf(alarmManager).scheduledAlarms.size)
    }

    @Test
    fun theAppThatForgetsLeavesAlarmsLost() {
        scheduleAlarm("lost", """{"trigger_in_ms":3600000}""")
        reboot()
        boot(Intent.ACTION_BOOT_COMPLETED)
        boot(Intent.ACTION_TIME_CHANGED) // TIME_SET
        boot("android.intent.action.UNKNOWN")
        assertEquals(0, events(kind = "boot_completed").single().detail.getJSONArray("reregistered_alarms").length())
        assertEquals(1, events(kind = "time_set").size)
        assertNull(shadowOf(alarmManager).peekNextScheduledAlarm())
    }
}
