package dev.harness.companion.jobs

import android.app.job.JobParameters
import android.app.job.JobService
import android.os.Build
import dev.harness.companion.app.CompanionGraph

/** Runs the app's jobs; all logic is in [JobRunner]. onStartJob/onStopJob run on the main thread. */
class HarnessJobService : JobService() {

    private val runner: JobRunner get() = CompanionGraph.get(this).jobRunner

    override fun onStartJob(params: JobParameters): Boolean =
        runner.onStart(params.jobId, params.extras.getString(JobBackend.EXTRA_TASK_ID)) { reschedule ->
            jobFinished(params, reschedule)
        }

    override fun onStopJob(params: JobParameters): Boolean {
        val reason = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) params.stopReason else STOP_REASON_UNDEFINED
        return runner.onStop(params.jobId, params.extras.getString(JobBackend.EXTRA_TASK_ID), reason)
    }

    private companion object {
        /** JobParameters.STOP_REASON_UNDEFINED (API 31); below 31 the platform gives no reason. */
        const val STOP_REASON_UNDEFINED = 0
    }
}
