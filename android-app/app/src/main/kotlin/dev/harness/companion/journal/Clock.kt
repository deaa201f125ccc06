package dev.harness.companion.journal

/** The device clocks an event is stamped with. The Android implementation is [AndroidClock]. */
interface Clock {
    /** `Settings.Global.BOOT_COUNT`, or -1 when the platform does not say. */
    fun bootCount(): Int

    /** `SystemClock.elapsedRealtime()`. */
    fun elapsedMs(): Long

    /** `System.currentTimeMillis()`. */
    fun wallMs(): Long
}
