package dev.harness.companion.service

import android.content.Context
import android.content.Intent
import dev.harness.companion.tasks.ForegroundParams
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import org.json.JSONObject

/**
 * Starts [HarnessForegroundService] for a task. On API 31+ a start from the background throws
 * ForegroundServiceStartNotAllowedException, which becomes `platform_error`.
 */
class ForegroundBackend(private val context: Context, private val tasks: ForegroundTasks) : MechanismBackend {
    override fun plan(spec: TaskSpec): PlannedSchedule {
        val params = spec.params as ForegroundParams
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject()

            override fun submit() {
                context.startForegroundService(
                    Intent(context, HarnessForegroundService::class.java)
                        .putExtra(HarnessForegroundService.EXTRA_TASK_ID, spec.id)
                        .putExtra(HarnessForegroundService.EXTRA_FGS_TYPE, params.type.wire),
                )
            }
        }
    }

    override fun cancel(record: TaskRecord) {
        tasks.cancel(record.id)
    }
}
