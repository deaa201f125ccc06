package dev.harness.companion.service

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context

/** The notification channel and the "running" notification of foreground work. */
object Notifications {
    const val CHANNEL_ID = "harness.running"
    const val SERVICE_NOTIFICATION_ID = 1
    const val WORK_NOTIFICATION_ID = 2

    fun createChannel(context: Context) {
        val channel = NotificationChannel(CHANNEL_ID, "Harness background work", NotificationManager.IMPORTANCE_LOW)
        context.getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }

    fun running(context: Context, what: String): Notification = Notification.Builder(context, CHANNEL_ID)
        .setContentTitle("Harness companion")
        .setContentText("Running $what")
        .setSmallIcon(android.R.drawable.stat_notify_sync)
        .setOngoing(true)
        .build()
}
