package dev.harness.companion.tasks

import org.json.JSONArray
import org.json.JSONObject

enum class Mechanism(val wire: String) {
    JOB("job"), WORK("work"), ALARM("alarm"), FOREGROUND("foreground"), COROUTINE("coroutine");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

enum class TaskState(val wire: String) {
    SCHEDULED("scheduled"), RUNNING("running"), FINISHED("finished"), CANCELLED("cancelled"), FAILED("failed");

    val active: Boolean get() = this == SCHEDULED || this == RUNNING

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }

        /** A job's or a worker's state after a run that ended with [outcome]: periodic work and a retry run again. */
        fun afterRun(outcome: Outcome, periodic: Boolean): TaskState = when {
            periodic || outcome == Outcome.RETRY -> SCHEDULED
            outcome == Outcome.SUCCESS -> FINISHED
            else -> FAILED
        }
    }
}

enum class Outcome(val wire: String) {
    SUCCESS("success"), FAILURE("failure"), RETRY("retry"),

    /** The app crashes where the run would end ([dev.harness.companion.tasks.Crashes]): job and work only. */
    CRASH("crash");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }

        /** The mechanisms whose runs may end in [CRASH] (docs/companion-protocol.md, `behavior.outcomes`). */
        val CRASH_MECHANISMS = setOf(Mechanism.JOB, Mechanism.WORK)
    }
}

enum class OnStop(val wire: String) {
    RESCHEDULE("reschedule"), DROP("drop");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

/** What a task does when it runs. */
data class Behavior(
    val durationMs: Long = 100,
    val outcomes: List<Outcome> = listOf(Outcome.SUCCESS),
    val onStop: OnStop = OnStop.RESCHEDULE,
) {
    /** The outcome of run [run] (1-based); the last listed outcome repeats. */
    fun outcomeFor(run: Int): Outcome = outcomes[(run - 1).coerceIn(0, outcomes.size - 1)]

    fun toJson(): JSONObject = JSONObject()
        .put("duration_ms", durationMs)
        .put("outcomes", JSONArray(outcomes.map { it.wire }))
        .put("on_stop", onStop.wire)

    companion object {
        val DEFAULT = Behavior()
    }
}

/** Mechanism parameters, each with the defaults of docs/companion-protocol.md applied. */
sealed interface Params {
    /** The stored form: parses back ([TaskParser]) to the same params. */
    fun toJson(): JSONObject

    /** The effective params echoed on the `scheduled` event: every default applied. */
    fun echoJson(): JSONObject = toJson()
}

enum class JobNetwork(val wire: String) {
    NONE("none"), ANY("any"), UNMETERED("unmetered"), NOT_ROAMING("not_roaming"), CELLULAR("cellular");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

enum class Backoff(val wire: String) {
    LINEAR("linear"), EXPONENTIAL("exponential");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

data class JobParams(
    val jobId: Int,
    val minLatencyMs: Long? = null,
    val overrideDeadlineMs: Long? = null,
    val periodicMs: Long? = null,
    val flexMs: Long? = null,
    val network: JobNetwork = JobNetwork.NONE,
    val requiresCharging: Boolean = false,
    val requiresDeviceIdle: Boolean = false,
    val requiresBatteryNotLow: Boolean = false,
    val requiresStorageNotLow: Boolean = false,
    val persisted: Boolean = false,
    val backoffPolicy: Backoff = Backoff.EXPONENTIAL,
    val backoffInitialMs: Long = 30_000,
    val expedited: Boolean = false,
    /**
     * Whether the task gave `backoff_policy` or `backoff_initial_ms`. Only then does the app call
     * setBackoffCriteria: JobInfo.Builder.build() refuses backoff criteria on an idle job.
     */
    val backoffGiven: Boolean = false,
) : Params {
    val periodic: Boolean get() = periodicMs != null

    override fun toJson(): JSONObject = json(withBackoff = backoffGiven)

    override fun echoJson(): JSONObject = json(withBackoff = true)

    private fun json(withBackoff: Boolean): JSONObject {
        val o = JSONObject()
            .put("job_id", jobId)
            .putOpt("min_latency_ms", minLatencyMs)
            .putOpt("override_deadline_ms", overrideDeadlineMs)
            .putOpt("periodic_ms", periodicMs)
            .putOpt("flex_ms", flexMs)
            .put("network", network.wire)
            .put("requires_charging", requiresCharging)
            .put("requires_device_idle", requiresDeviceIdle)
            .put("requires_battery_not_low", requiresBatteryNotLow)
            .put("requires_storage_not_low", requiresStorageNotLow)
            .put("persisted", persisted)
        if (withBackoff) o.put("backoff_policy", backoffPolicy.wire).put("backoff_initial_ms", backoffInitialMs)
        return o.put("expedited", expedited)
    }
}

enum class WorkKind(val wire: String) {
    ONE_TIME("one_time"), PERIODIC("periodic");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

enum class WorkNetwork(val wire: String) {
    NONE("none"), CONNECTED("connected"), UNMETERED("unmetered"), NOT_ROAMING("not_roaming"), METERED("metered");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

enum class OutOfQuota(val wire: String) {
    RUN_AS_NON_EXPEDITED("run_as_non_expedited"), DROP("drop");

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

/** `unique_policy` values; which ones a kind accepts is in [ONE_TIME] and [PERIODIC]. */
enum class UniquePolicy(val wire: String) {
    REPLACE("replace"), KEEP("keep"), APPEND("append"), APPEND_OR_REPLACE("append_or_replace"),
    UPDATE("update"), CANCEL_AND_REENQUEUE("cancel_and_reenqueue");

    companion object {
        val ONE_TIME = listOf(REPLACE, KEEP, APPEND, APPEND_OR_REPLACE).associateBy { it.wire }
        val PERIODIC = listOf(KEEP, UPDATE, CANCEL_AND_REENQUEUE).associateBy { it.wire }
    }
}

data class WorkParams(
    val kind: WorkKind = WorkKind.ONE_TIME,
    val intervalMs: Long? = null,
    val flexMs: Long? = null,
    val initialDelayMs: Long = 0,
    val network: WorkNetwork = WorkNetwork.NONE,
    val requiresCharging: Boolean = false,
    val requiresDeviceIdle: Boolean = false,
    val requiresBatteryNotLow: Boolean = false,
    val requiresStorageNotLow: Boolean = false,
    val backoffPolicy: Backoff = Backoff.EXPONENTIAL,
    val backoffDelayMs: Long = 30_000,
    val expedited: Boolean = false,
    val outOfQuota: OutOfQuota = OutOfQuota.RUN_AS_NON_EXPEDITED,
    val uniqueName: String? = null,
    val uniquePolicy: UniquePolicy = UniquePolicy.KEEP,
    val after: List<String> = emptyList(),
    val foreground: Boolean = false,
    val tags: List<String> = emptyList(),
) : Params {
    override fun toJson(): JSONObject = JSONObject()
        .put("kind", kind.wire)
        .putOpt("interval_ms", intervalMs)
        .putOpt("flex_ms", flexMs)
        .put("initial_delay_ms", initialDelayMs)
        .put("network", network.wire)
        .put("requires_charging", requiresCharging)
        .put("requires_device_idle", requiresDeviceIdle)
        .put("requires_battery_not_low", requiresBatteryNotLow)
        .put("requires_storage_not_low", requiresStorageNotLow)
        .put("backoff_policy", backoffPolicy.wire)
        .put("backoff_delay_ms", backoffDelayMs)
        .put("expedited", expedited)
        .put("out_of_quota", outOfQuota.wire)
        .putOpt("unique_name", uniqueName)
        .putOpt("unique_policy", if (uniqueName != null) uniquePolicy.wire else null)
        .put("after", JSONArray(after))
        .put("foreground", foreground)
        .put("tags", JSONArray(tags))
}

enum class AlarmType(val wire: String, val wallClock: Boolean) {
    RTC("rtc", true), RTC_WAKEUP("rtc_wakeup", true),
    ELAPSED("elapsed", false), ELAPSED_WAKEUP("elapsed_wakeup", false);

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

enum class AlarmMethod(val wire: String, val exact: Boolean = false, val repeating: Boolean = false) {
    SET("set"),
    SET_WINDOW("set_window"),
    SET_EXACT("set_exact", exact = true),
    SET_AND_ALLOW_WHILE_IDLE("set_and_allow_while_idle"),
    SET_EXACT_AND_ALLOW_WHILE_IDLE("set_exact_and_allow_while_idle", exact = true),
    SET_REPEATING("set_repeating", repeating = true),
    SET_INEXACT_REPEATING("set_inexact_repeating", repeating = true),
    SET_ALARM_CLOCK("set_alarm_clock", exact = true);

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

data class AlarmParams(
    val type: AlarmType = AlarmType.ELAPSED_WAKEUP,
    val method: AlarmMethod = AlarmMethod.SET,
    val triggerInMs: Long,
    val windowMs: Long? = null,
    val intervalMs: Long? = null,
) : Params {
    override fun toJson(): JSONObject = JSONObject()
        .put("type", type.wire)
        .put("method", method.wire)
        .put("trigger_in_ms", triggerInMs)
        .putOpt("window_ms", windowMs)
        .putOpt("interval_ms", intervalMs)
}

enum class FgsType(val wire: String, val minApi: Int) {
    DATA_SYNC("dataSync", 29), SHORT_SERVICE("shortService", 34), SPECIAL_USE("specialUse", 34);

    companion object {
        val BY_WIRE = entries.associateBy { it.wire }
    }
}

data class ForegroundParams(val type: FgsType = FgsType.DATA_SYNC) : Params {
    override fun toJson(): JSONObject = JSONObject().put("type", type.wire)
}

data object CoroutineParams : Params {
    override fun toJson(): JSONObject = JSONObject()
}

/** A validated task, with every default applied. */
data class TaskSpec(val id: String, val mechanism: Mechanism, val params: Params, val behavior: Behavior) {
    fun toJson(): JSONObject = JSONObject()
        .put("id", id)
        .put("mechanism", mechanism.wire)
        .put("params", params.toJson())
        .put("behavior", behavior.toJson())
}
