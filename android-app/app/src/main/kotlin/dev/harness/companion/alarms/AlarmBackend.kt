package dev.harness.companion.alarms

import android.app.AlarmManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import dev.harness.companion.journal.Clock
import dev.harness.companion.tasks.AlarmMethod
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.AlarmType
import dev.harness.companion.tasks.DerivedIds
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import dev.harness.companion.ui.CompanionActivity
import org.json.JSONObject

/**
 * AlarmManager: every set* variant and type, delivered to [AlarmReceiver] through an immutable
 * PendingIntent. Exact variants throw SecurityException on API 31+ when exact alarms are not
 * allowed; the dispatcher turns that into `schedule_failed` + `platform_error`.
 */
class AlarmBackend(private val context: Context, private val clock: Clock) : MechanismBackend {
    private val alarmManager: AlarmManager get() = context.getSystemService(AlarmManager::class.java)

    override fun plan(spec: TaskSpec): PlannedSchedule = plan(spec.id, spec.params as AlarmParams, null)

    /** [firstTrigger] overrides the computed trigger time (re-registration after boot). */
    fun plan(taskId: String, params: AlarmParams, firstTrigger: Long?): PlannedSchedule {
        val requestCode = DerivedIds.of(taskId)
        val trigger = firstTrigger ?: AlarmTiming.trigger(params, clock)
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject().put("request_code", requestCode)
            override val runtime: JSONObject = JSONObject().put(RUNTIME_TRIGGER, trigger)

            override fun submit() = set(params, trigger, pendingIntent(taskId, requestCode))
        }
    }

    override fun cancel(record: TaskRecord) {
        val pi = pendingIntent(record.id, record.platform.optInt("request_code", DerivedIds.of(record.id)))
        alarmManager.cancel(pi)
        pi.cancel()
    }

    private fun set(params: AlarmParams, trigger: Long, operation: PendingIntent) {
        val am = alarmManager
        val type = platformType(params.type)
        when (params.method) {
            AlarmMethod.SET -> am.set(type, trigger, operation)
            AlarmMethod.SET_WINDOW -> am.setWindow(type, trigger, params.windowMs!!, operation)
            AlarmMethod.SET_EXACT -> am.setExact(type, trigger, operation)
            AlarmMethod.SET_AND_ALLOW_WHILE_IDLE -> am.setAndAllowWhileIdle(type, trigger, operation)
            AlarmMethod.SET_EXACT_AND_ALLOW_WHILE_IDLE -> am.setExactAndAllowWhileIdle(type, trigger, operation)
            AlarmMethod.SET_REPEATING -> am.setRepeating(type, trigger, params.intervalMs!!, operation)
            AlarmMethod.SET_INEXACT_REPEATING -> am.setInexactRepeating(type, trigger, params.intervalMs!!, operation)
            AlarmMethod.SET_ALARM_CLOCK -> {
                val show = PendingIntent.getActivity(
                    context,
                    0,
                    Intent(context, CompanionActivity::class.java),
                    PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
                )
                am.setAlarmClock(AlarmManager.AlarmClockInfo(trigger, show), operation)
            }
        }
    }

    private fun pendingIntent(taskId: String, requestCode: Int): PendingIntent = PendingIntent.getBroadcast(
        context,
        requestCode,
        intent(context, taskId),
        PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
    )

    companion object {
        /**
         * An alarm's broadcast action is this prefix followed by the whole task id. The platform
         * names an alarm by its PendingIntent's action (`dumpsys alarm` prints
         * `tag=*walarm*:<action>`, or `*alarm*:` for non-wakeup types), so each task's alarm is
         * told apart there; the intent is explicit, so the receiver needs no intent filter.
         */
        const val ACTION_ALARM_PREFIX = "dev.harness.companion.action.ALARM."
        const val RUNTIME_TRIGGER = "trigger_ms"

        fun action(taskId: String): String = ACTION_ALARM_PREFIX + taskId

        /** The task id an alarm action names, or null for any other action. */
        fun taskIdOf(action: String?): String? {
            if (action == null || !action.startsWith(ACTION_ALARM_PREFIX)) return null
            return action.substring(ACTION_ALARM_PREFIX.length).takeIf { it.isNotEmpty() }
        }

        /** The alarm's broadcast: the per-task action keeps intents of different tasks distinct. */
        fun intent(context: Context, taskId: String): Intent = Intent(action(taskId))
            .setClass(context, AlarmReceiver::class.java)

        fun platformType(type: AlarmType): Int = when (type) {
            AlarmType.RTC -> AlarmManager.RTC
            AlarmType.RTC_WAKEUP -> AlarmManager.RTC_WAKEUP
            AlarmType.ELAPSED -> AlarmManager.ELAPSED_REALTIME
            AlarmType.ELAPSED_WAKEUP -> AlarmManager.ELAPSED_REALTIME_WAKEUP
        }
    }
}
