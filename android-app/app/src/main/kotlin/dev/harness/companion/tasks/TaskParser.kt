package dev.harness.companion.tasks

import dev.harness.companion.rpc.ErrorCode
import dev.harness.companion.rpc.ObjectReader
import dev.harness.companion.rpc.RpcError
import org.json.JSONObject

/**
 * Validates a TASK object (docs/companion-protocol.md, `schedule`) into a [TaskSpec]. Every error
 * names the offending field by its dotted path from the argument (`task.params.interval_ms`).
 * [apiLevel] is the device's API level, for features a level lacks (`not_supported`).
 */
class TaskParser(private val apiLevel: Int) {

    fun parse(task: JSONObject, path: String = "task"): TaskSpec {
        val r = ObjectReader(task, path, TASK_FIELDS)
        val id = r.string("id", required = true)!!
        if (!ID_PATTERN.matches(id)) {
            throw RpcError(ErrorCode.BAD_VALUE, r.pathOf("id"), "${r.pathOf("id")} must be 1-64 characters of [A-Za-z0-9_.-]")
        }
        val mechanism = r.enum("mechanism", Mechanism.BY_WIRE, required = true)!!
        val params = when (mechanism) {
            Mechanism.JOB -> job(r.obj("params", JOB_FIELDS) ?: empty(r, JOB_FIELDS), id)
            Mechanism.WORK -> work(r.obj("params", WORK_FIELDS) ?: empty(r, WORK_FIELDS))
            Mechanism.ALARM -> alarm(r.obj("params", ALARM_FIELDS) ?: empty(r, ALARM_FIELDS))
            Mechanism.FOREGROUND -> foreground(r.obj("params", FOREGROUND_FIELDS) ?: empty(r, FOREGROUND_FIELDS))
            Mechanism.COROUTINE -> {
                r.obj("params", emptySet())
                CoroutineParams
            }
        }
        val behavior = behavior(r.obj("behavior", BEHAVIOR_FIELDS), mechanism)
        return TaskSpec(id, mechanism, params, behavior)
    }

    private fun empty(r: ObjectReader, allowed: Set<String>) = ObjectReader(JSONObject(), r.pathOf("params"), allowed)

    private fun behavior(r: ObjectReader?, mechanism: Mechanism): Behavior {
        if (r == null) return Behavior.DEFAULT
        val duration = r.long("duration_ms", 0, MAX_DURATION_MS) ?: Behavior.DEFAULT.durationMs
        val outcomes = r.array("outcomes")?.let { a ->
            val field = r.pathOf("outcomes")
            if (a.length() == 0) throw RpcError(ErrorCode.BAD_VALUE, field, "$field must list at least one outcome")
            List(a.length()) { i ->
                val item = a.get(i)
                if (item !is String) {
                    throw RpcError(ErrorCode.BAD_TYPE, "$field[$i]", "$field[$i] must be a string, got ${ObjectReader.typeName(item)}")
                }
                val outcome = Outcome.BY_WIRE[item] ?: throw RpcError(
                    ErrorCode.BAD_VALUE,
                    "$field[$i]",
                    "$field[$i] must be one of ${Outcome.BY_WIRE.keys.joinToString("|")}, not \"$item\"",
                )
                // Only a job or a worker has a run that can end in a crash.
                if (outcome == Outcome.CRASH && mechanism !in Outcome.CRASH_MECHANISMS) {
                    throw RpcError(
                        ErrorCode.BAD_VALUE,
                        "$field[$i]",
                        "$field[$i] crash applies only when task.mechanism is job or work, not ${mechanism.wire}",
                    )
                }
                outcome
            }
        } ?: Behavior.DEFAULT.outcomes
        val onStop = r.enum("on_stop", OnStop.BY_WIRE) ?: Behavior.DEFAULT.onStop
        return Behavior(duration, outcomes, onStop)
    }

    private fun job(r: ObjectReader, taskId: String): JobParams {
        val periodic = r.long("periodic_ms", 1)
        val flex = r.long("flex_ms", 1)
        if (flex != null && periodic == null) throw onlyWith(r, "flex_ms", "periodic_ms")
        val expedited = r.bool("expedited") ?: false
        if (expedited && apiLevel < 31) {
            throw RpcError(ErrorCode.NOT_SUPPORTED, r.pathOf("expedited"), "expedited jobs need API 31, the device has $apiLevel")
        }
        val network = r.enum("network", JobNetwork.BY_WIRE) ?: JobNetwork.NONE
        if (network == JobNetwork.CELLULAR && apiLevel < 28) {
            throw RpcError(ErrorCode.NOT_SUPPORTED, r.pathOf("network"), "network cellular needs API 28, the device has $apiLevel")
        }
        return JobParams(
            jobId = r.int("job_id", Int.MIN_VALUE, Int.MAX_VALUE) ?: DerivedIds.of(taskId),
            minLatencyMs = r.long("min_latency_ms", 0),
            overrideDeadlineMs = r.long("override_deadline_ms", 0),
            periodicMs = periodic,
            flexMs = flex,
            network = network,
            requiresCharging = r.bool("requires_charging") ?: false,
            requiresDeviceIdle = r.bool("requires_device_idle") ?: false,
            requiresBatteryNotLow = r.bool("requires_battery_not_low") ?: false,
            requiresStorageNotLow = r.bool("requires_storage_not_low") ?: false,
            persisted = r.bool("persisted") ?: false,
            backoffPolicy = r.enum("backoff_policy", Backoff.BY_WIRE) ?: Backoff.EXPONENTIAL,
            backoffInitialMs = r.long("backoff_initial_ms", 0) ?: 30_000,
            expedited = expedited,
            backoffGiven = r.has("backoff_policy") || r.has("backoff_initial_ms"),
        )
    }

    private fun work(r: ObjectReader): WorkParams {
        val kind = r.enum("kind", WorkKind.BY_WIRE) ?: WorkKind.ONE_TIME
        val periodic = kind == WorkKind.PERIODIC
        val interval = r.long("interval_ms", 1, required = periodic)
        if (interval != null && !periodic) throw onlyWhen(r, "interval_ms", "kind is periodic")
        val flex = r.long("flex_ms", 1)
        if (flex != null && !periodic) throw onlyWhen(r, "flex_ms", "kind is periodic")
        val uniqueName = r.string("unique_name")
        if (uniqueName != null && uniqueName.isEmpty()) {
            throw RpcError(ErrorCode.BAD_VALUE, r.pathOf("unique_name"), "${r.pathOf("unique_name")} must not be empty")
        }
        val policies = if (periodic) UniquePolicy.PERIODIC else UniquePolicy.ONE_TIME
        val policy = r.enum("unique_policy", policies)
        if (policy != null && uniqueName == null) throw onlyWith(r, "unique_policy", "unique_name")
        val after = r.stringList("after") ?: emptyList()
        if (after.isNotEmpty() && periodic) throw onlyWhen(r, "after", "kind is one_time")
        after.forEachIndexed { i, id ->
            if (!ID_PATTERN.matches(id)) {
                throw RpcError(ErrorCode.BAD_VALUE, "${r.pathOf("after")}[$i]", "${r.pathOf("after")}[$i] is not a task id")
            }
        }
        // A task with `after` is appended to its predecessors' chain, whose name is theirs.
        if (after.isNotEmpty() && uniqueName != null) throw onlyWhen(r, "unique_name", "after is not given")
        return WorkParams(
            kind = kind,
            intervalMs = interval,
            flexMs = flex,
            initialDelayMs = r.long("initial_delay_ms", 0) ?: 0,
            network = r.enum("network", WorkNetwork.BY_WIRE) ?: WorkNetwork.NONE,
            requiresCharging = r.bool("requires_charging") ?: false,
            requiresDeviceIdle = r.bool("requires_device_idle") ?: false,
            requiresBatteryNotLow = r.bool("requires_battery_not_low") ?: false,
            requiresStorageNotLow = r.bool("requires_storage_not_low") ?: false,
            backoffPolicy = r.enum("backoff_policy", Backoff.BY_WIRE) ?: Backoff.EXPONENTIAL,
            backoffDelayMs = r.long("backoff_delay_ms", 0) ?: 30_000,
            expedited = r.bool("expedited") ?: false,
            outOfQuota = r.enum("out_of_quota", OutOfQuota.BY_WIRE) ?: OutOfQuota.RUN_AS_NON_EXPEDITED,
            uniqueName = uniqueName,
            uniquePolicy = policy ?: UniquePolicy.KEEP,
            after = after,
            foreground = r.bool("foreground") ?: false,
            tags = r.stringList("tags") ?: emptyList(),
        )
    }

    private fun alarm(r: ObjectReader): AlarmParams {
        val method = r.enum("method", AlarmMethod.BY_WIRE) ?: AlarmMethod.SET
        var type = r.enum("type", AlarmType.BY_WIRE)
        if (method == AlarmMethod.SET_ALARM_CLOCK) {
            if (type != null && type != AlarmType.RTC_WAKEUP) {
                throw RpcError(ErrorCode.BAD_VALUE, r.pathOf("type"), "set_alarm_clock alarms are rtc_wakeup alarms")
            }
            type = AlarmType.RTC_WAKEUP
        }
        val trigger = r.long("trigger_in_ms", 0, required = true)!!
        val window = r.long("window_ms", 1, required = method == AlarmMethod.SET_WINDOW)
        if (window != null && method != AlarmMethod.SET_WINDOW) throw onlyWhen(r, "window_ms", "method is set_window")
        val interval = r.long("interval_ms", 1, required = method.repeating)
        if (interval != null && !method.repeating) {
            throw onlyWhen(r, "interval_ms", "method is set_repeating or set_inexact_repeating")
        }
        return AlarmParams(type ?: AlarmType.ELAPSED_WAKEUP, method, trigger, window, interval)
    }

    private fun foreground(r: ObjectReader): ForegroundParams {
        val type = r.enum("type", FgsType.BY_WIRE) ?: FgsType.DATA_SYNC
        if (apiLevel < type.minApi) {
            throw RpcError(ErrorCode.NOT_SUPPORTED, r.pathOf("type"), "${type.wire} needs API ${type.minApi}, the device has $apiLevel")
        }
        return ForegroundParams(type)
    }

    private fun onlyWith(r: ObjectReader, field: String, needs: String) =
        RpcError(ErrorCode.BAD_VALUE, r.pathOf(field), "${r.pathOf(field)} needs ${r.pathOf(needs)}")

    private fun onlyWhen(r: ObjectReader, field: String, condition: String) =
        RpcError(ErrorCode.BAD_VALUE, r.pathOf(field), "${r.pathOf(field)} applies only when $condition")

    companion object {
        const val MAX_DURATION_MS = 86_400_000L
        val ID_PATTERN = Regex("[A-Za-z0-9_.-]{1,64}")
        val TASK_FIELDS = setOf("id", "mechanism", "params", "behavior")
        val BEHAVIOR_FIELDS = setOf("duration_ms", "outcomes", "on_stop")
        val JOB_FIELDS = setOf(
            "job_id", "min_latency_ms", "override_deadline_ms", "periodic_ms", "flex_ms", "network",
            "requires_charging", "requires_device_idle", "requires_battery_not_low", "requires_storage_not_low",
            "persisted", "backoff_policy", "backoff_initial_ms", "expedited",
        )
        val WORK_FIELDS = setOf(
            "kind", "interval_ms", "flex_ms", "initial_delay_ms", "network", "requires_charging",
            "requires_device_idle", "requires_battery_not_low", "requires_storage_not_low", "backoff_policy",
            "backoff_delay_ms", "expedited", "out_of_quota", "unique_name", "unique_policy", "after", "foreground", "tags",
        )
        val ALARM_FIELDS = setOf("type", "method", "trigger_in_ms", "window_ms", "interval_ms")
        val FOREGROUND_FIELDS = setOf("type")
    }
}
