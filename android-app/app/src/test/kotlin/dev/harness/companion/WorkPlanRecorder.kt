package dev.harness.companion

import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import dev.harness.companion.tasks.WorkParams
import dev.harness.companion.work.WorkChains
import dev.harness.companion.work.WorkRequestPlan
import org.json.JSONObject
import java.util.UUID

/**
 * The `work` backend of the JVM tests, where WorkManager is absent: it makes the real
 * [WorkRequestPlan] (what WorkBackend hands to WorkManager), stands in for the enqueue with a
 * random work id (as WorkRequest.Builder assigns) and records the plans it is given.
 */
class WorkPlanRecorder : MechanismBackend {
    /** The plan submitted for each task id. */
    val plans = LinkedHashMap<String, WorkRequestPlan>()

    /** The work ids handed to cancelWorkById, in order. */
    val cancelled = ArrayList<String>()

    override fun plan(spec: TaskSpec): PlannedSchedule {
        val plan = WorkRequestPlan.of(spec.id, spec.params as WorkParams, Fixtures.graph().workChains::chainOf)
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject().put("work_id", UUID.randomUUID().toString())

            override val runtime: JSONObject = WorkChains.runtimeOf(plan)

            override fun submit() {
                plans[spec.id] = plan
            }
        }
    }

    override fun cancel(record: TaskRecord) {
        cancelled += record.platform.getString("work_id")
    }
}
