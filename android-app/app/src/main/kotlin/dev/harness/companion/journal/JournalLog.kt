package dev.harness.companion.journal

import android.util.Log

/** Where each journalled event is echoed (logcat on a device). */
fun interface JournalLog {
    fun write(json: String)

    companion object {
        const val TAG = "HarnessJournal"

        /** Logcat at INFO under [TAG], the JSON document alone. */
        val LOGCAT = JournalLog { json -> Log.i(TAG, json) }
    }
}
