package androidx.work

import android.app.Notification

class ForegroundInfo {
    constructor(notificationId: Int, notification: Notification) { stub() }
    constructor(notificationId: Int, notification: Notification, foregroundServiceType: Int) { stub() }
    val notificationId: Int get() = stub()
    val foregroundServiceType: Int get() = stub()
    val notification: Notification get() = stub()
}
