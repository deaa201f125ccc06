package dev.harness.companion.rpc

/** What `hello` and `list` report about the app and the device. Android side: AndroidDeviceFacts. */
interface DeviceFacts {
    val apiLevel: Int

    fun app(): AppFacts

    fun bootCount(): Int

    fun elapsedMs(): Long

    fun wallMs(): Long

    fun permissions(): PermissionFacts

    fun ignoringBatteryOptimizations(): Boolean

    /** UsageStatsManager.getAppStandbyBucket() (API 28+), null below. */
    fun standbyBucket(): Int?

    /** JobScheduler.getAllPendingJobs() ids. */
    fun pendingJobIds(): List<Int>
}

data class AppFacts(val packageName: String, val versionName: String, val versionCode: Long, val targetSdk: Int)

data class PermissionFacts(
    val scheduleExactAlarm: Boolean,
    val useExactAlarm: Boolean,
    val canScheduleExactAlarms: Boolean,
    val postNotifications: Boolean,
)
