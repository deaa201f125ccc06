package dev.harness.companion.journal

import org.json.JSONObject

/** One journal row; [toJson] is the protocol's EVENT object. */
data class JournalEvent(
    val seq: Long,
    val boot: Int,
    val elapsedMs: Long,
    val wallMs: Long,
    val taskId: String?,
    val mechanism: String,
    val kind: String,
    val thread: String,
    val stopReason: String?,
    val detail: JSONObject,
) {
    fun toJson(): JSONObject = JSONObject()
        .put("seq", seq)
        .put("boot", boot)
        .put("elapsed_ms", elapsedMs)
        .put("wall_ms", wallMs)
        .put("task_id", taskId ?: JSONObject.NULL)
        .put("mechanism", mechanism)
        .put("kind", kind)
        .put("thread", thread)
        .put("stop_reason", stopReason ?: JSONObject.NULL)
        .put("detail", detail)
}
