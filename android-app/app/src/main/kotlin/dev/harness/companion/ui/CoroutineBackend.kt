package dev.harness.companion.ui

import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import org.json.JSONObject

/** `coroutine` tasks have no platform side: they run in the Activity's scope ([CoroutineTasks]). */
class CoroutineBackend(private val tasks: CoroutineTasks) : MechanismBackend {
    override fun plan(spec: TaskSpec): PlannedSchedule = object : PlannedSchedule {
        override val platform: JSONObject = JSONObject()

        override fun submit() = tasks.schedule(spec.id)
    }

    override fun cancel(record: TaskRecord) = tasks.cancel(record.id)
}
