package dev.harness.companion.alarms

import dev.harness.companion.journal.Clock
import dev.harness.companion.tasks.AlarmParams

/** Alarm times on the alarm type's clock (wall clock for rtc types, elapsedRealtime otherwise). */
object AlarmTiming {
    fun now(params: AlarmParams, clock: Clock): Long = if (params.type.wallClock) clock.wallMs() else clock.elapsedMs()

    /** The trigger time for an alarm set now. */
    fun trigger(params: AlarmParams, clock: Clock): Long = now(params, clock) + params.triggerInMs

    /**
     * The time this firing was due: the first trigger, or for a repeating alarm the latest
     * repetition (first + k * interval) not after [now].
     */
    fun due(params: AlarmParams, firstTrigger: Long, now: Long): Long {
        val interval = params.intervalMs
        if (interval == null || now <= firstTrigger) return firstTrigger
        return firstTrigger + (now - firstTrigger) / interval * interval
    }
}
