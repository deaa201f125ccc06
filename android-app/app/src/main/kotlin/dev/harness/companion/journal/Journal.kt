package dev.harness.companion.journal

import android.content.ContentValues
import android.database.sqlite.SQLiteOpenHelper
import org.json.JSONObject

/** A page of events for the `events` method. */
data class EventPage(val events: List<JournalEvent>, val lastSeq: Long, val more: Boolean)

/**
 * The event journal: one committed SQLite row per event, echoed to [log]. The thread name is the
 * thread that calls [append], so callers append from the callback they report on.
 */
class Journal(
    private val helper: SQLiteOpenHelper,
    private val clock: Clock,
    private val log: JournalLog = JournalLog.LOGCAT,
) {
    fun append(
        taskId: String?,
        mechanism: String,
        kind: String,
        detail: JSONObject = JSONObject(),
        stopReason: String? = null,
    ): JournalEvent {
        val boot = clock.bootCount()
        val elapsed = clock.elapsedMs()
        val wall = clock.wallMs()
        val thread = Thread.currentThread().name
        val values = ContentValues().apply {
            put("boot", boot)
            put("elapsed_ms", elapsed)
            put("wall_ms", wall)
            put("task_id", taskId)
            put("mechanism", mechanism)
            put("kind", kind)
            put("thread", thread)
            put("stop_reason", stopReason)
            put("detail", detail.toString())
        }
        // A single INSERT outside a transaction is committed when it returns.
        val seq = helper.writableDatabase.insertOrThrow("events", null, values)
        val event = JournalEvent(seq, boot, elapsed, wall, taskId, mechanism, kind, thread, stopReason, detail)
        log.write(event.toJson().toString())
        return event
    }

    /**
     * `schedule_failed` {exception, message}: the platform refused to schedule (or to start) task
     * [taskId] with [e].
     */
    fun scheduleFailed(taskId: String, mechanism: String, e: Throwable): JournalEvent =
        append(taskId, mechanism, "schedule_failed", exceptionDetail(e))

    /** Events with seq > [since], oldest first, at most [limit]. */
    fun page(since: Long, limit: Int): EventPage {
        val rows = ArrayList<JournalEvent>()
        helper.readableDatabase.query(
            "events",
            COLUMNS,
            "seq > ?",
            arrayOf(since.toString()),
            null,
            null,
            "seq ASC",
            (limit + 1).toString(),
        ).use { c ->
            while (c.moveToNext()) {
                rows += JournalEvent(
                    seq = c.getLong(0),
                    boot = c.getInt(1),
                    elapsedMs = c.getLong(2),
                    wallMs = c.getLong(3),
                    taskId = if (c.isNull(4)) null else c.getString(4),
                    mechanism = c.getString(5),
                    kind = c.getString(6),
                    thread = c.getString(7),
                    stopReason = if (c.isNull(8)) null else c.getString(8),
                    detail = JSONObject(c.getString(9)),
                )
            }
        }
        val more = rows.size > limit
        val events = if (more) rows.subList(0, limit).toList() else rows
        val lastSeq = events.lastOrNull()?.seq ?: lastSeq()
        return EventPage(events, lastSeq, more)
    }

    /** The highest sequence number ever assigned (0 before the first event), cleared or not. */
    fun lastSeq(): Long =
        helper.readableDatabase.rawQuery("SELECT seq FROM sqlite_sequence WHERE name = 'events'", null).use { c ->
            if (c.moveToFirst()) c.getLong(0) else 0L
        }

    /** Deletes every event; sequence numbers keep increasing. Returns how many were deleted. */
    fun clear(): Int = helper.writableDatabase.delete("events", "1", null)

    /** The newest [count] events, newest last (for the Activity's journal tail). */
    fun tail(count: Int): List<JournalEvent> {
        val since = (lastSeq() - count).coerceAtLeast(0)
        return page(since, count).events
    }

    companion object {
        /** The detail fields naming an exception: `exception` (its class) and `message`. */
        fun exceptionDetail(e: Throwable): JSONObject =
            JSONObject().put("exception", e.javaClass.name).put("message", e.message ?: JSONObject.NULL)

        private val COLUMNS = arrayOf(
            "seq", "boot", "elapsed_ms", "wall_ms", "task_id", "mechanism", "kind", "thread", "stop_reason", "detail",
        )
    }
}
