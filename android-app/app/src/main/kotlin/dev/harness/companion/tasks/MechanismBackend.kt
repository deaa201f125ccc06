package dev.harness.companion.tasks

import org.json.JSONObject

/** A platform call prepared by [MechanismBackend.plan]: its ids are known before it is made. */
interface PlannedSchedule {
    /** PLATFORM_IDS of the `schedule` answer. */
    val platform: JSONObject

    /** What the app keeps for later (stored as [TaskRecord.runtime]). */
    val runtime: JSONObject get() = JSONObject()

    /** Makes the platform call; a platform refusal is thrown as the platform's exception. */
    fun submit()
}

/** One scheduling mechanism (JobScheduler, WorkManager, AlarmManager, a service, a coroutine). */
interface MechanismBackend {
    fun plan(spec: TaskSpec): PlannedSchedule

    fun cancel(record: TaskRecord)
}

/**
 * Held while a task is being scheduled, so that a callback that starts the task at once waits
 * until the `scheduled` event is journalled and the event order stays true.
 */
class ScheduleGate {
    private val lock = Any()

    fun <T> hold(block: () -> T): T = synchronized(lock) { block() }

    /** Waits for a schedule in progress to finish. */
    fun pass() {
        synchronized(lock) {}
    }
}
