package androidx.work

import android.content.Context
import java.util.UUID

abstract class ListenableWorker(appContext: Context, workerParams: WorkerParameters) {
    val applicationContext: Context get() = stub()
    val id: UUID get() = stub()
    val inputData: Data get() = stub()
    val tags: Set<String> get() = stub()
    val runAttemptCount: Int get() = stub()
    val isStopped: Boolean get() = stub()
    val stopReason: Int get() = stub()

    open fun onStopped() {}

    abstract class Result internal constructor() {
        abstract val outputData: Data

        companion object {
            @JvmStatic fun success(): Result = stub()
            @JvmStatic fun success(outputData: Data): Result = stub()
            @JvmStatic fun retry(): Result = stub()
            @JvmStatic fun failure(): Result = stub()
            @JvmStatic fun failure(outputData: Data): Result = stub()
        }
    }
}
