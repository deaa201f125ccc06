package dev.harness.companion.app

import android.Manifest
import android.app.AlarmManager
import android.app.job.JobScheduler
import android.app.usage.UsageStatsManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.os.PowerManager
import dev.harness.companion.journal.Clock
import dev.harness.companion.rpc.AppFacts
import dev.harness.companion.rpc.DeviceFacts
import dev.harness.companion.rpc.PermissionFacts

class AndroidDeviceFacts(private val context: Context, private val clock: Clock) : DeviceFacts {
    override val apiLevel: Int get() = Build.VERSION.SDK_INT

    override fun app(): AppFacts {
        val info = context.packageManager.getPackageInfo(context.packageName, 0)
        val code = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) info.longVersionCode else @Suppress("DEPRECATION") info.versionCode.toLong()
        return AppFacts(context.packageName, info.versionName ?: "", code, context.applicationInfo.targetSdkVersion)
    }

    override fun bootCount(): Int = clock.bootCount()

    override fun elapsedMs(): Long = clock.elapsedMs()

    override fun wallMs(): Long = clock.wallMs()

    override fun permissions(): PermissionFacts {
        val canExact = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            context.getSystemService(AlarmManager::class.java).canScheduleExactAlarms()
        } else {
            true
        }
        val exactPermission = Build.VERSION.SDK_INT < Build.VERSION_CODES.S || granted(Manifest.permission.SCHEDULE_EXACT_ALARM)
        val useExact = Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU && granted(Manifest.permission.USE_EXACT_ALARM)
        val notifications = Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU || granted(Manifest.permission.POST_NOTIFICATIONS)
        return PermissionFacts(exactPermission, useExact, canExact, notifications)
    }

    override fun ignoringBatteryOptimizations(): Boolean =
        context.getSystemService(PowerManager::class.java).isIgnoringBatteryOptimizations(context.packageName)

    override fun standbyBucket(): Int? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
        context.getSystemService(UsageStatsManager::class.java).appStandbyBucket
    } else {
        null
    }

    override fun pendingJobIds(): List<Int> =
        context.getSystemService(JobScheduler::class.java).allPendingJobs.map { it.id }

    private fun granted(permission: String): Boolean =
        context.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED
}
