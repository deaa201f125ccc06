package dev.harness.companion.work

import android.content.Context
import android.content.pm.ServiceInfo
import android.os.Build
import androidx.work.CoroutineWorker
import androidx.work.ForegroundInfo
import androidx.work.WorkerParameters
import dev.harness.companion.app.CompanionGraph
import dev.harness.companion.service.Notifications
import dev.harness.companion.tasks.Outcome
import kotlinx.coroutines.awaitCancellation

/** The app's worker; all logic is in [WorkRunner]. doWork runs on Dispatchers.Default. */
class HarnessWorker(appContext: Context, params: WorkerParameters) : CoroutineWorker(appContext, params) {

    override suspend fun doWork(): Result {
        val outcome = CompanionGraph.get(applicationContext).workRunner.doWork(
            taskId = inputData.getString(KEY_TASK_ID),
            runAttemptCount = runAttemptCount,
            setForeground = { setForeground(foregroundInfo(inputData.getString(KEY_TASK_ID) ?: "work")) },
            stopReason = { stopReason },
        )
        return when (outcome) {
            Outcome.SUCCESS -> Result.success()
            Outcome.FAILURE -> Result.failure()
            Outcome.RETRY -> Result.retry()
            // The app is crashing (an uncaught exception posted to the main thread): a Result
            // would end the run normally, so none is returned; the process dies first.
            Outcome.CRASH -> awaitCancellation()
        }
    }

    override suspend fun getForegroundInfo(): ForegroundInfo =
        foregroundInfo(inputData.getString(KEY_TASK_ID) ?: "work")

    private fun foregroundInfo(taskId: String): ForegroundInfo {
        val notification = Notifications.running(applicationContext, "work $taskId")
        return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            ForegroundInfo(Notifications.WORK_NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC)
        } else {
            ForegroundInfo(Notifications.WORK_NOTIFICATION_ID, notification)
        }
    }

    companion object {
        const val KEY_TASK_ID = "task_id"
    }
}
