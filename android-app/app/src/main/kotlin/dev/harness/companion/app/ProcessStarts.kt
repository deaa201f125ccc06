package dev.harness.companion.app

import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.JournalEvent
import dev.harness.companion.journal.ReasonNames
import org.json.JSONObject

/**
 * The previous process's end, from ApplicationExitInfo (API 30+). [subreasonCode] is
 * ApplicationExitInfo's sub-reason (no public getter: read from its toString by [subreasonIn]),
 * null when the platform does not print it.
 */
data class PreviousExit(
    val reasonCode: Int,
    val subreasonCode: Int?,
    val description: String?,
    val timestampMs: Long,
    val pid: Int,
) {
    companion object {
        private val SUBREASON = Regex(""" subreason=(-?\d+)\b""")

        /** The number after ` subreason=` in ApplicationExitInfo.toString(), or null. */
        fun subreasonIn(exitInfoText: String): Int? = SUBREASON.find(exitInfoText)?.groupValues?.get(1)?.toIntOrNull()
    }
}

/** Journals `process_start` (Application.onCreate) with the start reason and the previous exit. */
class ProcessStarts(private val journal: Journal) {
    /** [startReasonCode]: ApplicationStartInfo.START_REASON_* (API 35+), null when unknown. */
    fun record(startReasonCode: Int?, previous: PreviousExit?): JournalEvent {
        val exit: Any = previous?.let {
            JSONObject()
                .put("reason", ReasonNames.exit(it.reasonCode))
                .put("subreason", it.subreasonCode?.let(ReasonNames::exitSub) ?: JSONObject.NULL)
                .put("description", it.description ?: JSONObject.NULL)
                .put("timestamp_ms", it.timestampMs)
                .put("pid", it.pid)
        } ?: JSONObject.NULL
        val reason = startReasonCode?.let(ReasonNames::start) ?: "unknown"
        return journal.append(null, "app", "process_start", JSONObject().put("reason", reason).put("previous_exit", exit))
    }
}
