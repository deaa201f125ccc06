package androidx.work

import android.content.Context
import java.util.UUID

abstract class WorkManager internal constructor() {
    fun enqueue(request: WorkRequest): Operation = stub()
    abstract fun enqueue(requests: List<WorkRequest>): Operation
    fun beginWith(request: OneTimeWorkRequest): WorkContinuation = stub()
    abstract fun beginWith(requests: List<OneTimeWorkRequest>): WorkContinuation
    fun beginUniqueWork(
        uniqueWorkName: String,
        existingWorkPolicy: ExistingWorkPolicy,
        request: OneTimeWorkRequest,
    ): WorkContinuation = stub()
    abstract fun beginUniqueWork(
        uniqueWorkName: String,
        existingWorkPolicy: ExistingWorkPolicy,
        requests: List<OneTimeWorkRequest>,
    ): WorkContinuation
    open fun enqueueUniqueWork(
        uniqueWorkName: String,
        existingWorkPolicy: ExistingWorkPolicy,
        request: OneTimeWorkRequest,
    ): Operation = stub()
    abstract fun enqueueUniqueWork(
        uniqueWorkName: String,
        existingWorkPolicy: ExistingWorkPolicy,
        requests: List<OneTimeWorkRequest>,
    ): Operation
    abstract fun enqueueUniquePeriodicWork(
        uniqueWorkName: String,
        existingPeriodicWorkPolicy: ExistingPeriodicWorkPolicy,
        request: PeriodicWorkRequest,
    ): Operation
    abstract fun cancelWorkById(id: UUID): Operation
    abstract fun cancelAllWorkByTag(tag: String): Operation
    abstract fun cancelUniqueWork(uniqueWorkName: String): Operation

    companion object {
        @JvmStatic fun getInstance(context: Context): WorkManager = stub()
    }
}

abstract class WorkContinuation {
    fun then(work: OneTimeWorkRequest): WorkContinuation = stub()
    abstract fun then(work: List<OneTimeWorkRequest>): WorkContinuation
    abstract fun enqueue(): Operation

    companion object {
        @JvmStatic fun combine(continuations: List<WorkContinuation>): WorkContinuation = stub()
    }
}
