package dev.harness.companion.tasks

import android.content.ContentValues
import android.database.sqlite.SQLiteOpenHelper
import org.json.JSONObject

/**
 * One scheduled task as the app remembers it. [platform] is the PLATFORM_IDS object of the
 * `schedule` answer; [runtime] holds what the app needs later (e.g. an alarm's trigger time).
 */
data class TaskRecord(
    val spec: TaskSpec,
    val state: TaskState,
    val platform: JSONObject,
    val runtime: JSONObject,
    val runs: Int,
) {
    val id: String get() = spec.id

    fun toListJson(): JSONObject = JSONObject()
        .put("task_id", spec.id)
        .put("mechanism", spec.mechanism.wire)
        .put("state", state.wire)
        .put("platform", platform)
        .put("runs", runs)
}

/** The persisted task registry (table `tasks` of [dev.harness.companion.journal.CompanionDatabase]). */
class TaskRegistry(private val helper: SQLiteOpenHelper, private val parser: TaskParser) {

    /** Inserts or replaces the task (as the newest one), with its run count reset. */
    fun put(spec: TaskSpec, state: TaskState, platform: JSONObject = JSONObject(), runtime: JSONObject = JSONObject()) {
        val values = ContentValues().apply {
            put("task_id", spec.id)
            put("mechanism", spec.mechanism.wire)
            put("spec", spec.toJson().toString())
            put("state", state.wire)
            put("platform", platform.toString())
            put("runtime", runtime.toString())
            put("runs", 0)
        }
        helper.writableDatabase.insertWithOnConflict("tasks", null, values, android.database.sqlite.SQLiteDatabase.CONFLICT_REPLACE)
    }

    fun get(taskId: String): TaskRecord? = query("task_id = ?", arrayOf(taskId)).firstOrNull()

    /** Every task, in the order they were scheduled. */
    fun all(): List<TaskRecord> = query(null, null)

    fun setState(taskId: String, state: TaskState) = update(taskId, ContentValues().apply { put("state", state.wire) })

    /** Moves the task to [state] unless it is cancelled (a client cancel is final). */
    fun setStateUnlessCancelled(taskId: String, state: TaskState) {
        helper.writableDatabase.update(
            "tasks",
            ContentValues().apply { put("state", state.wire) },
            "task_id = ? AND state != ?",
            arrayOf(taskId, TaskState.CANCELLED.wire),
        )
    }

    fun setPlatform(taskId: String, platform: JSONObject) =
        update(taskId, ContentValues().apply { put("platform", platform.toString()) })

    fun setRuntime(taskId: String, runtime: JSONObject) =
        update(taskId, ContentValues().apply { put("runtime", runtime.toString()) })

    /** Counts one more run of the task and returns its number (1 for the first run), 0 if unknown. */
    fun incrementRuns(taskId: String): Int {
        val db = helper.writableDatabase
        db.beginTransaction()
        try {
            db.execSQL("UPDATE tasks SET runs = runs + 1 WHERE task_id = ?", arrayOf(taskId))
            val runs = db.rawQuery("SELECT runs FROM tasks WHERE task_id = ?", arrayOf(taskId)).use { c ->
                if (c.moveToFirst()) c.getInt(0) else 0
            }
            db.setTransactionSuccessful()
            return runs
        } finally {
            db.endTransaction()
        }
    }

    private fun update(taskId: String, values: ContentValues) {
        helper.writableDatabase.update("tasks", values, "task_id = ?", arrayOf(taskId))
    }

    private fun query(where: String?, args: Array<String>?): List<TaskRecord> {
        val out = ArrayList<TaskRecord>()
        helper.readableDatabase.query(
            "tasks",
            arrayOf("spec", "state", "platform", "runtime", "runs"),
            where,
            args,
            null,
            null,
            "rowid ASC",
        ).use { c ->
            while (c.moveToNext()) {
                out += TaskRecord(
                    spec = parser.parse(JSONObject(c.getString(0))),
                    state = TaskState.BY_WIRE.getValue(c.getString(1)),
                    platform = JSONObject(c.getString(2)),
                    runtime = JSONObject(c.getString(3)),
                    runs = c.getInt(4),
                )
            }
        }
        return out
    }
}
