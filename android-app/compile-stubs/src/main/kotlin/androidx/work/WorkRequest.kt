package androidx.work

import java.util.UUID
import java.util.concurrent.TimeUnit

abstract class WorkRequest internal constructor() {
    open val id: UUID get() = stub()
    val tags: Set<String> get() = stub()
    val stringId: String get() = stub()

    abstract class Builder<B : Builder<B, *>, W : WorkRequest> internal constructor(
        workerClass: Class<out ListenableWorker>,
    ) {
        fun setId(id: UUID): B = stub()
        fun setBackoffCriteria(backoffPolicy: BackoffPolicy, backoffDelay: Long, timeUnit: TimeUnit): B = stub()
        fun setConstraints(constraints: Constraints): B = stub()
        fun setInputData(inputData: Data): B = stub()
        fun addTag(tag: String): B = stub()
        open fun setInitialDelay(duration: Long, timeUnit: TimeUnit): B = stub()
        open fun setExpedited(policy: OutOfQuotaPolicy): B = stub()
        fun build(): W = stub()
    }
}

class OneTimeWorkRequest private constructor() : WorkRequest() {
    class Builder(workerClass: Class<out ListenableWorker>) :
        WorkRequest.Builder<Builder, OneTimeWorkRequest>(workerClass)
}

class PeriodicWorkRequest private constructor() : WorkRequest() {
    class Builder : WorkRequest.Builder<Builder, PeriodicWorkRequest> {
        constructor(
            workerClass: Class<out ListenableWorker>,
            repeatInterval: Long,
            repeatIntervalTimeUnit: TimeUnit,
        ) : super(workerClass)

        constructor(
            workerClass: Class<out ListenableWorker>,
            repeatInterval: Long,
            repeatIntervalTimeUnit: TimeUnit,
            flexInterval: Long,
            flexIntervalTimeUnit: TimeUnit,
        ) : super(workerClass)
    }
}
