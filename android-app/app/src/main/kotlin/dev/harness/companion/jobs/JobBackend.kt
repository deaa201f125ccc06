package dev.harness.companion.jobs

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.os.Build
import android.os.PersistableBundle
import dev.harness.companion.tasks.Backoff
import dev.harness.companion.tasks.JobNetwork
import dev.harness.companion.tasks.JobParams
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import org.json.JSONObject

/** JobScheduler: one JobInfo per task, run by [HarnessJobService]. */
class JobBackend(private val context: Context) : MechanismBackend {
    private val scheduler: JobScheduler get() = context.getSystemService(JobScheduler::class.java)

    override fun plan(spec: TaskSpec): PlannedSchedule {
        val params = spec.params as JobParams
        val info = jobInfo(context, spec.id, params)
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject().put("job_id", params.jobId)

            override fun submit() {
                val result = scheduler.schedule(info)
                if (result != JobScheduler.RESULT_SUCCESS) {
                    throw IllegalStateException("JobScheduler.schedule returned RESULT_FAILURE for job ${params.jobId}")
                }
            }
        }
    }

    override fun cancel(record: TaskRecord) {
        scheduler.cancel((record.spec.params as JobParams).jobId)
    }

    companion object {
        const val EXTRA_TASK_ID = "task_id"

        /** The JobInfo for [params]; the builder's own checks throw for impossible combinations. */
        fun jobInfo(context: Context, taskId: String, params: JobParams): JobInfo {
            val builder = JobInfo.Builder(params.jobId, ComponentName(context, HarnessJobService::class.java))
                .setExtras(PersistableBundle().apply { putString(EXTRA_TASK_ID, taskId) })
                .setRequiredNetworkType(networkType(params.network))
                .setRequiresCharging(params.requiresCharging)
                .setRequiresDeviceIdle(params.requiresDeviceIdle)
                .setRequiresBatteryNotLow(params.requiresBatteryNotLow)
                .setRequiresStorageNotLow(params.requiresStorageNotLow)
                .setPersisted(params.persisted)
            // Only when the task asks: the builder refuses backoff criteria on an idle job, and
            // without the call the platform's defaults (30 s, exponential) apply, as documented.
            if (params.backoffGiven) {
                builder.setBackoffCriteria(
                    params.backoffInitialMs,
                    if (params.backoffPolicy == Backoff.LINEAR) JobInfo.BACKOFF_POLICY_LINEAR else JobInfo.BACKOFF_POLICY_EXPONENTIAL,
                )
            }
            params.minLatencyMs?.let { builder.setMinimumLatency(it) }
            params.overrideDeadlineMs?.let { builder.setOverrideDeadline(it) }
            params.periodicMs?.let { interval ->
                val flex = params.flexMs
                if (flex == null) builder.setPeriodic(interval) else builder.setPeriodic(interval, flex)
            }
            if (params.expedited && Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) builder.setExpedited(true)
            return builder.build()
        }

        private fun networkType(network: JobNetwork): Int = when (network) {
            JobNetwork.NONE -> JobInfo.NETWORK_TYPE_NONE
            JobNetwork.ANY -> JobInfo.NETWORK_TYPE_ANY
            JobNetwork.UNMETERED -> JobInfo.NETWORK_TYPE_UNMETERED
            JobNetwork.NOT_ROAMING -> JobInfo.NETWORK_TYPE_NOT_ROAMING
            JobNetwork.CELLULAR -> JobInfo.NETWORK_TYPE_CELLULAR
        }
    }
}
