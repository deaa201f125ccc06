package dev.harness.companion.alarms

import dev.harness.companion.journal.Clock
import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.JournalEvent
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import org.json.JSONObject

/** What [AlarmReceiver] does with an alarm: journal `fired` with how late it came. */
class AlarmFirings(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val clock: Clock,
    private val gate: ScheduleGate,
) {
    fun onFired(taskId: String): JournalEvent {
        gate.pass()
        val record = registry.get(taskId)
        val params = record?.spec?.params as? AlarmParams
            ?: return journal.append(taskId, MECHANISM, "fired", JSONObject().put("known", false))
        val run = registry.incrementRuns(taskId)
        val now = AlarmTiming.now(params, clock)
        val first = record.runtime.optLong(AlarmBackend.RUNTIME_TRIGGER, now)
        val due = AlarmTiming.due(params, first, now)
        registry.setStateUnlessCancelled(taskId, if (params.method.repeating) TaskState.SCHEDULED else TaskState.FINISHED)
        return journal.append(
            taskId,
            MECHANISM,
            "fired",
            JSONObject()
                .put("type", params.type.wire)
                .put("method", params.method.wire)
                .put("scheduled_ms", due)
                .put("delay_ms", now - due)
                .put("run", run),
        )
    }

    private companion object {
        const val MECHANISM = "alarm"
    }
}
