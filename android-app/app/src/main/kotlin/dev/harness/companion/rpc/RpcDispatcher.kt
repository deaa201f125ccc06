package dev.harness.companion.rpc

import dev.harness.companion.journal.Journal
import dev.harness.companion.tasks.ConfigStore
import dev.harness.companion.tasks.JobParams
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.MechanismBackend
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskParser
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskSpec
import dev.harness.companion.tasks.TaskState
import dev.harness.companion.tasks.WorkKind
import dev.harness.companion.tasks.WorkParams
import dev.harness.companion.work.ChainJoin
import dev.harness.companion.work.PeriodicJoin
import dev.harness.companion.work.WorkChains
import dev.harness.companion.work.WorkRequestPlan
import org.json.JSONArray
import org.json.JSONObject

/**
 * The protocol (docs/companion-protocol.md): parses ARG, checks the protocol version and every
 * field, runs the method and renders the answer. Never throws: every failure is an answer.
 */
class RpcDispatcher(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val config: ConfigStore,
    private val parser: TaskParser,
    private val backends: Map<Mechanism, MechanismBackend>,
    private val device: DeviceFacts,
    private val gate: ScheduleGate,
) {
    private val chains = WorkChains(registry)

    private val methods: Map<String, (ObjectReader) -> JSONObject> = mapOf(
        "hello" to ::hello,
        "schedule" to ::schedule,
        "cancel" to ::cancel,
        "cancel_all" to ::cancelAll,
        "list" to ::list,
        "events" to ::events,
        "clear_events" to ::clearEvents,
        "configure" to ::configure,
    )

    private val fields: Map<String, Set<String>> = mapOf(
        "hello" to emptySet(),
        "schedule" to setOf("task"),
        "cancel" to setOf("task_id"),
        "cancel_all" to emptySet(),
        "list" to emptySet(),
        "events" to setOf("since", "limit"),
        "clear_events" to emptySet(),
        "configure" to setOf("reregister_alarms_on_boot"),
    )

    /** Runs [method] with [arg] and returns the answer document (one line of JSON). */
    fun call(method: String?, arg: String?): String = try {
        val json = parseArgument(arg)
        val run = methods[method]
            ?: throw RpcError(ErrorCode.UNKNOWN_METHOD, null, "unknown method \"$method\"; methods: ${methods.keys.joinToString(", ")}")
        val reader = ObjectReader(json, "", fields.getValue(method!!) + "protocol")
        checkProtocol(reader)
        run(reader).toString()
    } catch (e: RpcError) {
        e.toJson().toString()
    } catch (e: RuntimeException) {
        RpcError.platform(e).toJson().toString()
    }

    private fun checkProtocol(r: ObjectReader) {
        val p = r.obj("protocol", setOf("major", "minor")) ?: return
        val major = p.int("major", 0, Int.MAX_VALUE, required = true)!!
        p.int("minor", 0, Int.MAX_VALUE)
        if (major != PROTOCOL_MAJOR) {
            throw RpcError(
                ErrorCode.PROTOCOL_MISMATCH,
                p.pathOf("major"),
                "client protocol major $major differs from the app's $PROTOCOL_MAJOR.$PROTOCOL_MINOR; " +
                    "install the matching app (harness companion install)",
            )
        }
    }

    private fun ok(): JSONObject = JSONObject().put("ok", true)

    private fun hello(r: ObjectReader): JSONObject {
        val app = device.app()
        val perms = device.permissions()
        return ok()
            .put("protocol", protocolJson())
            .put(
                "app",
                JSONObject()
                    .put("package", app.packageName)
                    .put("version_name", app.versionName)
                    .put("version_code", app.versionCode)
                    .put("target_sdk", app.targetSdk),
            )
            .put(
                "device",
                JSONObject()
                    .put("api", device.apiLevel)
                    .put("boot_count", device.bootCount())
                    .put("elapsed_ms", device.elapsedMs())
                    .put("wall_ms", device.wallMs()),
            )
            .put(
                "permissions",
                JSONObject()
                    .put("schedule_exact_alarm", perms.scheduleExactAlarm)
                    .put("use_exact_alarm", perms.useExactAlarm)
                    .put("can_schedule_exact_alarms", perms.canScheduleExactAlarms)
                    .put("post_notifications", perms.postNotifications),
            )
            .put("battery_optimization", JSONObject().put("ignoring", device.ignoringBatteryOptimizations()))
            .put("standby_bucket", device.standbyBucket() ?: JSONObject.NULL)
            .put("journal", JSONObject().put("last_seq", journal.lastSeq()))
            .put("config", config.get().toJson())
    }

    private fun schedule(r: ObjectReader): JSONObject {
        val spec = parser.parse(r.jsonObject("task", required = true)!!)
        val existing = registry.get(spec.id)
        if (existing != null && existing.state.active) {
            throw RpcError(ErrorCode.DUPLICATE_TASK, "task.id", "task ${spec.id} is already ${existing.state.wire}; cancel it first")
        }
        checkAgainstOtherTasks(spec.id, spec.params)
        val backend = backends.getValue(spec.mechanism)
        val planned = try {
            backend.plan(spec)
        } catch (e: RpcError) {
            throw e
        } catch (e: RuntimeException) {
            registry.put(spec, TaskState.FAILED)
            refused(spec.id, spec.mechanism, e)
        }
        val join = chainJoin(spec.id, spec.params)
        val kept = (join as? ChainJoin.Kept)?.unique ?: (spec.params as? WorkParams)?.let { chains.keptPeriodic(spec.id, it) }
        kept?.let { unique ->
            // WorkManager drops a KEEP request while unfinished work of that name exists: the
            // task is recorded and journalled, and is cancelled at once (it never runs).
            registry.put(spec, TaskState.CANCELLED, planned.platform, WorkChains.notJoined(planned.runtime))
            journalScheduled(spec, planned.platform, unique)
            return ok().put("task_id", spec.id).put("platform", planned.platform)
        }
        // Unique periodic work: `update` keeps the existing work's id, `cancel_and_reenqueue` ends it.
        val periodicJoin = (spec.params as? WorkParams)?.let { chains.joinPeriodic(spec.id, it) } ?: PeriodicJoin.NONE
        val platform = periodicJoin.updatedWorkId?.let { JSONObject(planned.platform.toString()).put("work_id", it) }
            ?: planned.platform
        return gate.hold {
            // Appended after a failed / cancelled last task of its chain, WorkManager fails /
            // cancels the new work at once.
            val joined = join as? ChainJoin.Joined
            registry.put(spec, joined?.state ?: TaskState.SCHEDULED, platform, planned.runtime)
            try {
                planned.submit()
            } catch (e: RuntimeException) {
                registry.setState(spec.id, TaskState.FAILED)
                registry.setRuntime(spec.id, WorkChains.notJoined(planned.runtime))
                refused(spec.id, spec.mechanism, e)
            }
            joined?.replaced?.forEach { registry.setState(it, TaskState.CANCELLED) }
            periodicJoin.replaced.forEach { id ->
                registry.setState(id, TaskState.CANCELLED)
                if (periodicJoin.updatedWorkId != null) {
                    registry.get(id)?.let { registry.setRuntime(id, WorkChains.handedOver(it.runtime)) }
                }
            }
            journalScheduled(spec, platform)
            ok().put("task_id", spec.id).put("platform", platform)
        }
    }

    /** `scheduled` with the effective params; [unique] is the `keep` of a dropped request. */
    private fun journalScheduled(spec: TaskSpec, platform: JSONObject, unique: JSONObject? = null) {
        val detail = JSONObject().put("platform", platform).put("params", spec.params.echoJson()).put("behavior", spec.behavior.toJson())
        unique?.let { detail.put("unique", it) }
        journal.append(spec.id, spec.mechanism.wire, "scheduled", detail)
    }

    /**
     * Cross-task checks: a job id in use by another task, `after` naming no one-time work task or
     * tasks of different chains.
     */
    private fun checkAgainstOtherTasks(id: String, params: Any) {
        when (params) {
            is JobParams -> {
                val other = registry.all().firstOrNull {
                    it.id != id && it.state.active && (it.spec.params as? JobParams)?.jobId == params.jobId
                }
                if (other != null) {
                    throw RpcError(ErrorCode.BAD_VALUE, "task.params.job_id", "job id ${params.jobId} is in use by task ${other.id}")
                }
            }
            is WorkParams -> {
                params.after.forEachIndexed { i, before ->
                    val record = registry.get(before)
                    val field = "task.params.after[$i]"
                    if (record == null) throw RpcError(ErrorCode.UNKNOWN_TASK, field, "no task $before")
                    val p = record.spec.params
                    if (p !is WorkParams || p.kind != WorkKind.ONE_TIME) {
                        throw RpcError(ErrorCode.BAD_VALUE, field, "task $before is not one_time work")
                    }
                }
                chains.checkAfter(params, "task.params.after")
            }
            else -> Unit
        }
    }

    /** What enqueueing one-time work does in its chain ([WorkChains.join]); null for anything else. */
    private fun chainJoin(id: String, params: Any): ChainJoin? {
        if (params !is WorkParams || params.kind != WorkKind.ONE_TIME) return null
        val chain = WorkRequestPlan.chainFor(id, params, chains::chainOf)!!
        return chains.join(id, params, chain)
    }

    private fun refused(taskId: String, mechanism: Mechanism, e: RuntimeException): Nothing {
        journal.scheduleFailed(taskId, mechanism.wire, e)
        throw RpcError.platform(e)
    }

    private fun cancel(r: ObjectReader): JSONObject {
        val id = r.string("task_id", required = true)!!
        val record = registry.get(id) ?: throw RpcError(ErrorCode.UNKNOWN_TASK, "task_id", "no task $id")
        cancelRecord(record)
        return ok().put("task_id", id).put("was", record.state.wire)
    }

    private fun cancelRecord(record: TaskRecord) {
        // The registry first: a callback racing with the cancel then sees it and stays quiet.
        registry.setState(record.id, TaskState.CANCELLED)
        try {
            // Work handed over to another task (periodic `update`) is that task's to cancel.
            if (!WorkChains.isHandedOver(record.runtime)) backends.getValue(record.spec.mechanism).cancel(record)
        } catch (e: RuntimeException) {
            registry.setState(record.id, record.state)
            throw RpcError.platform(e)
        }
        // cancelWorkById cancels the unfinished work that depends on it: the rest of its chain.
        if (record.state.active) chains.propagate(record.id, TaskState.CANCELLED)
        journal.append(record.id, record.spec.mechanism.wire, "cancelled", JSONObject().put("cause", "client"))
    }

    private fun cancelAll(r: ObjectReader): JSONObject {
        val cancelled = JSONArray()
        for (id in registry.all().map { it.id }) {
            // Read afresh: cancelling a chain's task has cancelled the rest of its chain.
            val record = registry.get(id) ?: continue
            if (!record.state.active) continue
            cancelRecord(record)
            cancelled.put(record.id)
        }
        return ok().put("cancelled", cancelled)
    }

    private fun list(r: ObjectReader): JSONObject = ok()
        .put("tasks", JSONArray(registry.all().map { it.toListJson() }))
        .put("pending_jobs", JSONArray(device.pendingJobIds()))

    private fun events(r: ObjectReader): JSONObject {
        val since = r.long("since", 0) ?: 0
        val limit = r.int("limit", 1, MAX_EVENTS) ?: DEFAULT_EVENTS
        val page = journal.page(since, limit)
        return ok()
            .put("events", JSONArray(page.events.map { it.toJson() }))
            .put("last_seq", page.lastSeq)
            .put("more", page.more)
    }

    private fun clearEvents(r: ObjectReader): JSONObject = ok().put("cleared", journal.clear())

    private fun configure(r: ObjectReader): JSONObject {
        var current = config.get()
        r.bool("reregister_alarms_on_boot")?.let { current = current.copy(reregisterAlarmsOnBoot = it) }
        config.set(current)
        return ok().put("config", current.toJson())
    }

    companion object {
        const val PROTOCOL_MAJOR = 1
        const val PROTOCOL_MINOR = 0
        const val MAX_EVENTS = 1000
        const val DEFAULT_EVENTS = 200

        fun protocolJson(): JSONObject = JSONObject().put("major", PROTOCOL_MAJOR).put("minor", PROTOCOL_MINOR)
    }
}
