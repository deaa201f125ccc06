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
import androidx.work.WorkManager
import androidx.work.WorkRequest
import dev.harness.companion.tasks.Backoff
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.OutOfQuota
import dev.harness.companion.tasks.PlannedSchedule
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskSpec
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.tasks.WorkNetwork
import dev.harness.companion.tasks.WorkParams
import org.json.JSONObject
import java.util.UUID
import java.util.concurrent.TimeUnit

/**
 * WorkManager: one WorkRequest per task, run by [HarnessWorker]. The translation of a task into
 * builder calls and the enqueue form is [WorkRequestPlan] (plain data, tested on the JVM); this
 * class only turns a plan into WorkManager objects. One-time work is enqueued as unique work
 * named after its chain (`unique_name`, or `harness.task.<id>`), so that a later task can chain
 * after it: a task with `after` is appended to its predecessors' chain (ExistingWorkPolicy.APPEND).
 * [chainOf] gives an existing task's chain ([WorkChains.chainOf]); the plan's chain is kept as
 * the record's runtime `chain`.
 */
class WorkBackend(private val context: Context, private val chainOf: (String) -> String?) : MechanismBackend {
    private val workManager: WorkManager get() = WorkManager.getInstance(context)

    override fun plan(spec: TaskSpec): PlannedSchedule {
        val plan = WorkRequestPlan.of(spec.id, spec.params as WorkParams, chainOf)
        val request = request(plan)
        return object : PlannedSchedule {
            override val platform: JSONObject = JSONObject().put("work_id", request.id.toString())

            override val runtime: JSONObject = WorkChains.runtimeOf(plan)

            override fun submit() = enqueue(plan.enqueue, request)
        }
    }

    override fun cancel(record: TaskRecord) {
        workManager.cancelWorkById(UUID.fromString(record.platform.getString("work_id")))
    }

    private fun enqueue(how: WorkEnqueue, request: WorkRequest) {
        val wm = workManager
        when (how) {
            WorkEnqueue.Plain -> wm.enqueue(request)
            is WorkEnqueue.UniquePeriodic ->
                wm.enqueueUniquePeriodicWork(how.name, periodicPolicy(how.policy), request as PeriodicWorkRequest)
            is WorkEnqueue.Unique -> wm.enqueueUniqueWork(how.name, oneTimePolicy(how.policy), request as OneTimeWorkRequest)
            is WorkEnqueue.Append -> wm.enqueueUniqueWork(how.chain, ExistingWorkPolicy.APPEND, request as OneTimeWorkRequest)
        }
    }

    private fun request(plan: WorkRequestPlan): WorkRequest {
        val constraints = Constraints.Builder()
            .setRequiredNetworkType(networkType(plan.network))
            .setRequiresCharging(plan.requiresCharging)
            .setRequiresDeviceIdle(plan.requiresDeviceIdle)
            .setRequiresBatteryNotLow(plan.requiresBatteryNotLow)
            .setRequiresStorageNotLow(plan.requiresStorageNotLow)
            .build()
        return if (!plan.periodic) {
            OneTimeWorkRequest.Builder(HarnessWorker::class.java).common(plan, constraints).build()
        } else {
            val interval = plan.intervalMs!!
            val flex = plan.flexMs
            val builder = if (flex == null) {
                PeriodicWorkRequest.Builder(HarnessWorker::class.java, interval, TimeUnit.MILLISECONDS)
            } else {
                PeriodicWorkRequest.Builder(HarnessWorker::class.java, interval, TimeUnit.MILLISECONDS, flex, TimeUnit.MILLISECONDS)
            }
            builder.common(plan, constraints).build()
        }
    }

    private fun <B : WorkRequest.Builder<B, *>> B.common(plan: WorkRequestPlan, constraints: Constraints): B {
        setConstraints(constraints)
        setInputData(Data.Builder().putString(HarnessWorker.KEY_TASK_ID, plan.taskId).build())
        setInitialDelay(plan.initialDelayMs, TimeUnit.MILLISECONDS)
        setBackoffCriteria(
            if (plan.backoffPolicy == Backoff.LINEAR) BackoffPolicy.LINEAR else BackoffPolicy.EXPONENTIAL,
            plan.backoffDelayMs,
            TimeUnit.MILLISECONDS,
        )
        plan.tags.forEach { addTag(it) }
        plan.expedited?.let { quota ->
            // PeriodicWorkRequest refuses this with IllegalArgumentException: a platform_error.
            setExpedited(
                if (quota == OutOfQuota.DROP) OutOfQuotaPolicy.DROP_WORK_REQUEST else OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST,
            )
        }
        return this
    }

    companion object {
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
