package dev.harness.companion.work

import dev.harness.companion.rpc.ErrorCode
import dev.harness.companion.rpc.RpcError
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import dev.harness.companion.tasks.UniquePolicy
import dev.harness.companion.tasks.WorkKind
import dev.harness.companion.tasks.WorkParams
import org.json.JSONObject

/** What WorkManager does with a one-time work request enqueued into its chain ([WorkChains.join]). */
sealed interface ChainJoin {
    /** ExistingWorkPolicy.KEEP while unfinished work of the chain exists: the request is dropped. */
    data class Kept(val unique: JSONObject) : ChainJoin

    /**
     * The request joins the chain with [state]: `scheduled`, or `failed` / `cancelled` at once when
     * it is appended after a last task that failed / was cancelled (WorkManager never runs it).
     * [replaced] are the chain's unfinished tasks that ExistingWorkPolicy.REPLACE cancels.
     */
    data class Joined(val state: TaskState, val replaced: List<String> = emptyList()) : ChainJoin
}

/**
 * What enqueueUniquePeriodicWork does to the work already under the name ([WorkChains.joinPeriodic]),
 * for `update` / `cancel_and_reenqueue` (`keep` is [ChainJoin.Kept]).
 */
data class PeriodicJoin(
    /** ExistingPeriodicWorkPolicy.UPDATE of the name's periodic work: the work id it keeps. */
    val updatedWorkId: String?,
    /** The tasks whose work the request ends: `cancelled` (no event; their workers never run again). */
    val replaced: List<String>,
) {
    companion object {
        val NONE = PeriodicJoin(null, emptyList())
    }
}

/**
 * The chains of one-time work (docs/companion-protocol.md, "Work chains"), judged from the app's
 * own task records: only the app enqueues into its WorkManager. A chain is a unique-work name;
 * every one-time work task belongs to one (the record's runtime `chain`), and because every task
 * joins its chain as the child of all the chain's current leaves (ExistingWorkPolicy.APPEND), or
 * starts it afresh, a chain is a line: its last task is its only leaf.
 */
class WorkChains(private val registry: TaskRegistry) {

    /** The chain of task [taskId]; null for an unknown task or one that is not one-time work. */
    fun chainOf(taskId: String): String? = registry.get(taskId)?.let(::chainOf)

    fun chainOf(record: TaskRecord): String? {
        val params = record.spec.params as? WorkParams ?: return null
        if (params.kind != WorkKind.ONE_TIME) return null
        return record.runtime.optString(KEY_CHAIN).ifEmpty { null }
            ?: params.uniqueName ?: WorkRequestPlan.implicitName(record.id)
    }

    /**
     * `after` names tasks of one chain only: WorkManager appends to one unique name. (Several
     * chains would need WorkContinuation.combine, whose result belongs to no unique name, so no
     * later task could be appended after it.)
     */
    fun checkAfter(params: WorkParams, field: String) {
        val chains = params.after.map { chainOf(it) }.distinct()
        if (chains.size > 1) {
            throw RpcError(
                ErrorCode.BAD_VALUE,
                field,
                "tasks ${params.after.joinToString(", ")} are in different chains (${chains.joinToString(", ")}); " +
                    "after may name tasks of one chain only",
            )
        }
    }

    /** What enqueueing one-time work task [taskId] into [chain] does (before its record is stored). */
    fun join(taskId: String, params: WorkParams, chain: String): ChainJoin {
        val members = members(chain)
        if (params.after.isEmpty()) {
            // The start of a chain: the unique-work policy applies (KEEP for the implicit name).
            when (params.uniquePolicy) {
                UniquePolicy.KEEP -> return if (members.any { it.state.active && it.id != taskId }) {
                    ChainJoin.Kept(keptDetail(chain))
                } else {
                    ChainJoin.Joined(TaskState.SCHEDULED)
                }
                UniquePolicy.REPLACE -> return ChainJoin.Joined(TaskState.SCHEDULED, members.filter { it.state.active }.map { it.id })
                else -> Unit // APPEND, APPEND_OR_REPLACE: below
            }
        }
        val leaf = members.lastOrNull() ?: return ChainJoin.Joined(TaskState.SCHEDULED)
        val broken = leaf.state == TaskState.FAILED || leaf.state == TaskState.CANCELLED
        return when {
            !broken -> ChainJoin.Joined(TaskState.SCHEDULED)
            params.after.isEmpty() && params.uniquePolicy == UniquePolicy.APPEND_OR_REPLACE -> ChainJoin.Joined(TaskState.SCHEDULED)
            else -> ChainJoin.Joined(leaf.state)
        }
    }

    /**
     * The unfinished (`scheduled` / `running`) tasks whose work is under unique-work [name]: periodic
     * work enqueued with that `unique_name`, one-time work of the chain [name].
     */
    fun holders(name: String, exceptTaskId: String): List<TaskRecord> = registry.all().filter { r ->
        val p = r.spec.params as? WorkParams
        r.id != exceptTaskId && r.state.active && p != null &&
            (if (p.kind == WorkKind.PERIODIC) p.uniqueName == name else joined(r) && chainOf(r) == name)
    }

    /**
     * `keep` for unique periodic work: `detail.unique` when the request is dropped (unfinished work
     * of the name exists), else null.
     */
    fun keptPeriodic(taskId: String, params: WorkParams): JSONObject? {
        val name = params.uniqueName ?: return null
        if (params.kind != WorkKind.PERIODIC || params.uniquePolicy != UniquePolicy.KEEP) return null
        if (holders(name, taskId).isEmpty()) return null
        return keptDetail(name)
    }

    /**
     * What unique periodic work task [taskId] does to the work under its name (docs/companion-protocol.md,
     * "Two outcomes of `work` tasks"). `update` (WorkManager's WorkerUpdater.enqueueUniquelyNamedPeriodic):
     * the name's one unfinished periodic work keeps its id and takes the new request's spec, input data
     * (this task id) included, so this task owns that work id and the old task is `cancelled`.
     * `cancel_and_reenqueue` (EnqueueRunnable, as REPLACE): the name's unfinished work is cancelled and
     * the request is enqueued afresh. With nothing unfinished under the name both just enqueue.
     * (`update` of a name held by one-time work or by several works fails in WorkManager; not modelled.)
     */
    fun joinPeriodic(taskId: String, params: WorkParams): PeriodicJoin {
        val name = params.uniqueName ?: return PeriodicJoin.NONE
        if (params.kind != WorkKind.PERIODIC) return PeriodicJoin.NONE
        val holders = holders(name, taskId)
        return when (params.uniquePolicy) {
            UniquePolicy.UPDATE -> {
                val only = holders.singleOrNull()
                val periodic = (only?.spec?.params as? WorkParams)?.kind == WorkKind.PERIODIC
                val workId = only?.platform?.optString("work_id")?.ifEmpty { null }
                if (only != null && periodic && workId != null) PeriodicJoin(workId, listOf(only.id)) else PeriodicJoin.NONE
            }
            UniquePolicy.CANCEL_AND_REENQUEUE -> PeriodicJoin(null, holders.map { it.id })
            else -> PeriodicJoin.NONE
        }
    }

    /**
     * Task [taskId] of a chain failed (a one-time task's final run) or was cancelled while
     * unfinished: WorkManager marks every later unfinished task of its chain [state] too. No
     * event is journalled for them: their workers never run.
     */
    fun propagate(taskId: String, state: TaskState) {
        val all = registry.all()
        val index = all.indexOfFirst { it.id == taskId }
        if (index < 0) return
        val chain = chainOf(all[index]) ?: return
        for (r in all.drop(index + 1)) {
            if (r.state.active && joined(r) && chainOf(r) == chain) registry.setState(r.id, state)
        }
    }

    /** The tasks that joined [chain], in the order they were scheduled. */
    private fun members(chain: String): List<TaskRecord> = registry.all().filter { joined(it) && chainOf(it) == chain }

    /** `detail.unique` of a request `keep` dropped because unfinished work of [name] exists. */
    private fun keptDetail(name: String): JSONObject =
        JSONObject().put("name", name).put("policy", UniquePolicy.KEEP.wire).put("kept_existing", true)

    private fun joined(record: TaskRecord): Boolean = record.runtime.optBoolean(KEY_JOINED, false)

    companion object {
        private const val KEY_CHAIN = "chain"
        private const val KEY_JOINED = "joined"

        /** The record's runtime for a planned work task: its chain, joined (a kept request is [notJoined]). */
        fun runtimeOf(plan: WorkRequestPlan): JSONObject =
            plan.chain?.let { JSONObject().put(KEY_CHAIN, it).put(KEY_JOINED, true) } ?: JSONObject()

        private const val KEY_HANDED_OVER = "handed_over"

        /**
         * [runtime] of a task whose work another task took over (periodic `update`): the work id in
         * its platform is no longer its work, so cancelling the task leaves that work alone.
         */
        fun handedOver(runtime: JSONObject): JSONObject = JSONObject(runtime.toString()).put(KEY_HANDED_OVER, true)

        fun isHandedOver(runtime: JSONObject): Boolean = runtime.optBoolean(KEY_HANDED_OVER, false)

        /** [runtime] of a request WorkManager dropped: it names the chain but never joined it. */
        fun notJoined(runtime: JSONObject): JSONObject = JSONObject(runtime.toString()).put(KEY_JOINED, false)
    }
}
