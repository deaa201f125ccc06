package dev.harness.companion.work

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.Data
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.OutOfQuotaPolicy
import androidx.work.PeriodicWorkRequest
import androidx.work.WorkContinuation
import androidx.work.WorkManager
import androidx.work.WorkRequest
import dev.harness.companion.tasks.Backoff
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.OutOfQuota
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.tasks.WorkKind
import dev.harness.companion.tasks.WorkNetwork
import dev.harness.companion.tasks.WorkParams
import org.json.JSONObject
import java.util.UUID
import java.util.concurrent.TimeUnit

/**
 * WorkManager: one WorkRequest per task, run by [HarnessWorker]. One-time work is enqueued as
 * unique work named `unique_name`, or `harness.task.<id>` when none is given, so that a later
 * task can chain after it (`after`): with one predecessor it is appended to that chain
 * (ExistingWorkPolicy.APPEND); with several, the chains are combined (WorkContinuation.combine)
 * through one pass-through barrier per predecessor.
 */
class WorkBackend(private val context: Context, private val uniqueNameOf: (String) -> String?) : MechanismBackend {
    private val workManager: WorkManager get() = WorkManager.getInstance(context)

    override fun plan(spec: TaskSpec): PlannedSchedule {
        val params = spec.params as WorkParams
        val request = request(spec.id, params)
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject().put("work_id", request.id.toString())

            override fun submit() = enqueue(spec.id, params, request)
        }
    }

    override fun cancel(record: TaskRecord) {
        workManager.cancelWorkById(UUID.fromString(record.platform.getString("work_id")))
    }

    private fun enqueue(taskId: String, params: WorkParams, request: WorkRequest) {
        val wm = workManager
        if (request is PeriodicWorkRequest) {
            val name = params.uniqueName
            if (name == null) wm.enqueue(request) else wm.enqueueUniquePeriodicWork(name, periodicPolicy(params.uniquePolicy), request)
            return
        }
        request as OneTimeWorkRequest
        val after = params.after
        when {
            after.isEmpty() -> wm.enqueueUniqueWork(chainName(taskId, params), oneTimePolicy(params), request)
            after.size == 1 -> wm.enqueueUniqueWork(chainOf(after[0]), ExistingWorkPolicy.APPEND, request)
            else -> {
                val parents: List<WorkContinuation> = after.map { before ->
                    wm.beginUniqueWork(chainOf(before), ExistingWorkPolicy.APPEND, barrier(before))
                }
                WorkContinuation.combine(parents).then(request).enqueue()
            }
        }
    }

    private fun chainName(taskId: String, params: WorkParams): String = params.uniqueName ?: implicitName(taskId)

    private fun chainOf(taskId: String): String = uniqueNameOf(taskId) ?: implicitName(taskId)

    private fun oneTimePolicy(params: WorkParams): ExistingWorkPolicy =
        if (params.uniqueName == null) ExistingWorkPolicy.KEEP else oneTimePolicy(params.uniquePolicy)

    private fun barrier(before: String): OneTimeWorkRequest =
        OneTimeWorkRequest.Builder(HarnessWorker::class.java)
            .setInputData(Data.Builder().putString(HarnessWorker.KEY_BARRIER_FOR, before).build())
            .addTag(TAG)
            .build()

    private fun request(taskId: String, params: WorkParams): WorkRequest {
        val constraints = Constraints.Builder()
            .setRequiredNetworkType(networkType(params.network))
            .setRequiresCharging(params.requiresCharging)
            .setRequiresDeviceIdle(params.requiresDeviceIdle)
            .setRequiresBatteryNotLow(params.requiresBatteryNotLow)
            .setRequiresStorageNotLow(params.requiresStorageNotLow)
            .build()
        val input = Data.Builder().putString(HarnessWorker.KEY_TASK_ID, taskId).build()
        val backoff = if (params.backoffPolicy == Backoff.LINEAR) BackoffPolicy.LINEAR else BackoffPolicy.EXPONENTIAL
        return when (params.kind) {
            WorkKind.ONE_TIME -> OneTimeWorkRequest.Builder(HarnessWorker::class.java)
                .common(taskId, params, constraints, input, backoff)
                .build()
            WorkKind.PERIODIC -> {
                val interval = params.intervalMs!!
                val flex = params.flexMs
                val builder = if (flex == null) {
                    PeriodicWorkRequest.Builder(HarnessWorker::class.java, interval, TimeUnit.MILLISECONDS)
                } else {
                    PeriodicWorkRequest.Builder(HarnessWorker::class.java, interval, TimeUnit.MILLISECONDS, flex, TimeUnit.MILLISECONDS)
                }
                builder.common(taskId, params, constraints, input, backoff).build()
            }
        }
    }

    private fun <B : WorkRequest.Builder<B, *>> B.common(
        taskId: String,
        params: WorkParams,
        constraints: Constraints,
        input: Data,
        backoff: BackoffPolicy,
    ): B {
        setConstraints(constraints)
        setInputData(input)
        setInitialDelay(params.initialDelayMs, TimeUnit.MILLISECONDS)
        setBackoffCriteria(backoff, params.backoffDelayMs, TimeUnit.MILLISECONDS)
        addTag(TAG)
        addTag("$TAG.task.$taskId")
        params.tags.forEach { addTag(it) }
        if (params.expedited) {
            // PeriodicWorkRequest refuses this with IllegalArgumentException: a platform_error.
            setExpedited(
                if (params.outOfQuota == OutOfQuota.DROP) OutOfQuotaPolicy.DROP_WORK_REQUEST else OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST,
            )
        }
        return this
    }

    companion object {
        const val TAG = "harness"

        fun implicitName(taskId: String) = "harness.task.$taskId"

        fun networkType(network: WorkNetwork): NetworkType = when (network) {
            WorkNetwork.NONE -> NetworkType.NOT_REQUIRED
            WorkNetwork.CONNECTED -> NetworkType.CONNECTED
            WorkNetwork.UNMETERED -> NetworkType.UNMETERED
            WorkNetwork.NOT_ROAMING -> NetworkType.NOT_ROAMING
            WorkNetwork.METERED -> NetworkType.METERED
        }

        fun oneTimePolicy(policy: UniquePolicy): ExistingWorkPolicy = when (policy) {
            UniquePolicy.REPLACE -> ExistingWorkPolicy.REPLACE
            UniquePolicy.APPEND -> ExistingWorkPolicy.APPEND
            UniquePolicy.APPEND_OR_REPLACE -> ExistingWorkPolicy.APPEND_OR_REPLACE
            else -> ExistingWorkPolicy.KEEP
        }

        fun periodicPolicy(policy: UniquePolicy): ExistingPeriodicWorkPolicy = when (policy) {
            UniquePolicy.UPDATE -> ExistingPeriodicWorkPolicy.UPDATE
            UniquePolicy.CANCEL_AND_REENQUEUE -> ExistingPeriodicWorkPolicy.CANCEL_AND_REENQUEUE
            else -> ExistingPeriodicWorkPolicy.KEEP
        }
    }
}
