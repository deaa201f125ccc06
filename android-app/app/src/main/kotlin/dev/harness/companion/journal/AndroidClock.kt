package dev.harness.companion.journal

import android.content.ContentResolver
import android.os.SystemClock
import android.provider.Settings

class AndroidClock(private val resolver: ContentResolver) : Clock {
    override fun bootCount(): Int = Settings.Global.getInt(resolver, Settings.Global.BOOT_COUNT, -1)

    override fun elapsedMs(): Long = SystemClock.elapsedRealtime()

    override fun wallMs(): Long = System.currentTimeMillis()
}
