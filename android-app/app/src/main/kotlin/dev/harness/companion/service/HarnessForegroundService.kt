package dev.harness.companion.service

import android.app.Service
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.IBinder
import dev.harness.companion.app.CompanionGraph
import dev.harness.companion.tasks.FgsType

/**
 * The foreground service for immediate long-running work (types dataSync, shortService,
 * specialUse). The tasks themselves are in [ForegroundTasks]; the service stops itself when the
 * last one ends.
 */
class HarnessForegroundService : Service() {
    private val graph get() = CompanionGraph.get(this)

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val taskId = intent?.getStringExtra(EXTRA_TASK_ID)
        val type = FgsType.BY_WIRE[intent?.getStringExtra(EXTRA_FGS_TYPE)] ?: FgsType.DATA_SYNC
        try {
            val notification = Notifications.running(this, "task ${taskId ?: "?"}")
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
                startForeground(Notifications.SERVICE_NOTIFICATION_ID, notification, serviceType(type))
            } else {
                startForeground(Notifications.SERVICE_NOTIFICATION_ID, notification)
            }
        } catch (e: RuntimeException) {
            // e.g. ForegroundServiceStartNotAllowedException, or a type without its permission.
            if (taskId != null) graph.foregroundTasks.refused(taskId, e)
            stopIfIdle()
            return START_NOT_STICKY
        }
        if (taskId == null) {
            stopIfIdle()
            return START_NOT_STICKY
        }
        graph.foregroundTasks.start(taskId, type.wire) { stopIfIdle() }
        return START_NOT_STICKY
    }

    /** shortService ran out of time (API 35 signature; API 34 calls [onTimeout] with one int). */
    override fun onTimeout(startId: Int, fgsType: Int) {
        graph.foregroundTasks.stopAll("timeout")
        stopSelf()
    }

    @Deprecated("API 34 form; API 35+ calls onTimeout(startId, fgsType)")
    override fun onTimeout(startId: Int) {
        graph.foregroundTasks.stopAll("timeout")
        stopSelf()
    }

    override fun onDestroy() {
        graph.foregroundTasks.stopAll("destroyed")
        super.onDestroy()
    }

    private fun stopIfIdle() {
        if (graph.foregroundTasks.runningTaskIds().isEmpty()) {
            stopForeground(STOP_FOREGROUND_REMOVE)
            stopSelf()
        }
    }

    companion object {
        const val EXTRA_TASK_ID = "task_id"
        const val EXTRA_FGS_TYPE = "fgs_type"

        fun serviceType(type: FgsType): Int = when (type) {
            FgsType.DATA_SYNC -> ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC
            FgsType.SHORT_SERVICE -> ServiceInfo.FOREGROUND_SERVICE_TYPE_SHORT_SERVICE
            FgsType.SPECIAL_USE -> ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE
        }
    }
}
