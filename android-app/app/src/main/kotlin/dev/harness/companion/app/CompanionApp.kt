package dev.harness.companion.app

import android.app.ActivityManager
import android.app.Application
import android.os.Build

/** Records each process start (`process_start`) with the previous process's exit reason. */
class CompanionApp : Application() {
    override fun onCreate() {
        super.onCreate()
        val am = getSystemService(ActivityManager::class.java)
        val startReason = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.VANILLA_ICE_CREAM) {
            am.getHistoricalProcessStartReasons(1).firstOrNull()?.reason
        } else {
            null
        }
        val previous = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            am.getHistoricalProcessExitReasons(packageName, 0, 1).firstOrNull()?.let {
                PreviousExit(it.reason, PreviousExit.subreasonIn(it.toString()), it.description, it.timestamp, it.pid)
            }
        } else {
            null
        }
        CompanionGraph.get(this).processStarts.record(startReason, previous)
    }
}
