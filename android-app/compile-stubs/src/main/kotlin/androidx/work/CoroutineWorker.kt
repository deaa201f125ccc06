package androidx.work

import android.content.Context

abstract class CoroutineWorker(appContext: Context, params: WorkerParameters) :
    ListenableWorker(appContext, params) {
    abstract suspend fun doWork(): Result
    open suspend fun getForegroundInfo(): ForegroundInfo = stub()
    suspend fun setProgress(data: Data): Unit = stub()
    suspend fun setForeground(foregroundInfo: ForegroundInfo): Unit = stub()
    final override fun onStopped() {}
}
