package dev.harness.companion.work

import dev.harness.companion.tasks.Backoff
import dev.harness.companion.tasks.OutOfQuota
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.tasks.WorkKind
import dev.harness.companion.tasks.WorkNetwork
import dev.harness.companion.tasks.WorkParams

/** How [WorkBackend] hands a request to WorkManager. */
sealed interface WorkEnqueue {
    /** `WorkManager.enqueue(request)` (periodic work without a unique name). */
    data object Plain : WorkEnqueue

    /** `enqueueUniquePeriodicWork(name, policy, request)`. */
    data class UniquePeriodic(val name: String, val policy: UniquePolicy) : WorkEnqueue

    /** `enqueueUniqueWork(name, policy, request)`: one-time work starts (or joins) its own chain. */
    data class Unique(val name: String, val policy: UniquePolicy) : WorkEnqueue

    /** `enqueueUniqueWork(chain, APPEND, request)`: after one predecessor, at the end of its chain. */
    data class Append(val chain: String) : WorkEnqueue

    /**
     * After several predecessors: one pass-through barrier appended to each chain
     * (`beginUniqueWork(chain, APPEND, barrier)`), then `WorkContinuation.combine(...).then(request)`.
     */
    data class Combine(val chains: List<String>) : WorkEnqueue
}

/**
 * A work task as WorkRequest builder calls, in plain data: what [WorkBackend] builds, without
 * WorkManager types (so the translation is testable on the JVM, where WorkManager is absent).
 */
data class WorkRequestPlan(
    val periodic: Boolean,
    /** PeriodicWorkRequest.Builder(interval[, flex]); null for one-time work. */
    val intervalMs: Long?,
    val flexMs: Long?,
    val initialDelayMs: Long,
    val network: WorkNetwork,
    val requiresCharging: Boolean,
    val requiresDeviceIdle: Boolean,
    val requiresBatteryNotLow: Boolean,
    val requiresStorageNotLow: Boolean,
    val backoffPolicy: Backoff,
    val backoffDelayMs: Long,
    /** setExpedited(policy), or null when the work is not expedited. */
    val expedited: OutOfQuota?,
    /** addTag, in order. */
    val tags: List<String>,
    /** The input data: HarnessWorker.KEY_TASK_ID. */
    val taskId: String,
    val enqueue: WorkEnqueue,
) {
    companion object {
        const val TAG = "harness"

        /** The unique-work name of a task's chain when it gives no `unique_name`. */
        fun implicitName(taskId: String) = "harness.task.$taskId"

        /**
         * The plan for task [taskId]; [uniqueNameOf] gives another task's `unique_name` (null when
         * it has none or is unknown), to find the chain a task with `after` joins.
         */
        fun of(taskId: String, params: WorkParams, uniqueNameOf: (String) -> String?): WorkRequestPlan {
            val periodic = params.kind == WorkKind.PERIODIC
            val chainOf = { before: String -> uniqueNameOf(before) ?: implicitName(before) }
            val enqueue = when {
                periodic -> params.uniqueName?.let { WorkEnqueue.UniquePeriodic(it, params.uniquePolicy) } ?: WorkEnqueue.Plain
                params.after.isEmpty() -> if (params.uniqueName == null) {
                    WorkEnqueue.Unique(implicitName(taskId), UniquePolicy.KEEP)
                } else {
                    WorkEnqueue.Unique(params.uniqueName, params.uniquePolicy)
                }
                params.after.size == 1 -> WorkEnqueue.Append(chainOf(params.after[0]))
                else -> WorkEnqueue.Combine(params.after.map(chainOf))
            }
            return WorkRequestPlan(
                periodic = periodic,
                intervalMs = if (periodic) params.intervalMs else null,
                flexMs = if (periodic) params.flexMs else null,
                initialDelayMs = params.initialDelayMs,
                network = params.network,
                requiresCharging = params.requiresCharging,
                requiresDeviceIdle = params.requiresDeviceIdle,
                requiresBatteryNotLow = params.requiresBatteryNotLow,
                requiresStorageNotLow = params.requiresStorageNotLow,
                backoffPolicy = params.backoffPolicy,
                backoffDelayMs = params.backoffDelayMs,
                expedited = if (params.expedited) params.outOfQuota else null,
                tags = listOf(TAG, "$TAG.task.$taskId") + params.tags,
                taskId = taskId,
                enqueue = enqueue,
            )
        }
    }
}
