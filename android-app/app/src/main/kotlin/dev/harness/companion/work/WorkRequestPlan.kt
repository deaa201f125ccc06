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

    /**
     * `enqueueUniqueWork(chain, APPEND, request)`: a task with `after`, at the end of its
     * predecessors' chain (WorkManager makes it a child of every current leaf of that name).
     */
    data class Append(val chain: String) : WorkEnqueue
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
    /** The unique-work name of the chain the task belongs to (one-time work); null for periodic work. */
    val chain: String?,
) {
    companion object {
        const val TAG = "harness"

        /** The unique-work name of a chain started by a task that gives no `unique_name`. */
        fun implicitName(taskId: String) = "harness.task.$taskId"

        /**
         * The chain (unique-work name) one-time work task [taskId] belongs to: its `unique_name`;
         * for a task with `after`, the chain of its predecessors ([chainOf] gives an existing task's
         * chain; the dispatcher has checked that they all share one); else `harness.task.<id>`.
         * Null for periodic work, which is in no chain.
         */
        fun chainFor(taskId: String, params: WorkParams, chainOf: (String) -> String?): String? = when {
            params.kind == WorkKind.PERIODIC -> null
            params.uniqueName != null -> params.uniqueName
            params.after.isNotEmpty() -> chainOf(params.after[0]) ?: implicitName(params.after[0])
            else -> implicitName(taskId)
        }

        /**
         * The plan for task [taskId]; [chainOf] gives an existing task's chain (null when unknown),
         * to find the chain a task with `after` is appended to.
         */
        fun of(taskId: String, params: WorkParams, chainOf: (String) -> String?): WorkRequestPlan {
            val periodic = params.kind == WorkKind.PERIODIC
            val chain = chainFor(taskId, params, chainOf)
            val enqueue = when {
                periodic -> params.uniqueName?.let { WorkEnqueue.UniquePeriodic(it, params.uniquePolicy) } ?: WorkEnqueue.Plain
                params.after.isNotEmpty() -> WorkEnqueue.Append(chain!!)
                params.uniqueName == null -> WorkEnqueue.Unique(chain!!, UniquePolicy.KEEP)
                else -> WorkEnqueue.Unique(params.uniqueName, params.uniquePolicy)
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
                chain = chain,
            )
        }
    }
}
