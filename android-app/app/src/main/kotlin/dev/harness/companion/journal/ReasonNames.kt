package dev.harness.companion.journal

/**
 * Names of the platform's reason constants, without their prefix, as the journal reports them.
 * Values are the public constants of API 36 (JobParameters.STOP_REASON_*, WorkInfo.STOP_REASON_*,
 * ApplicationExitInfo.REASON_*, ApplicationStartInfo.START_REASON_*); an unknown code is named
 * `UNKNOWN_<code>` so that a newer platform's reason still shows.
 */
object ReasonNames {
    private val JOB_STOP = mapOf(
        0 to "UNDEFINED",
        1 to "CANCELLED_BY_APP",
        2 to "PREEMPT",
        3 to "TIMEOUT",
        4 to "DEVICE_STATE",
        5 to "CONSTRAINT_BATTERY_NOT_LOW",
        6 to "CONSTRAINT_CHARGING",
        7 to "CONSTRAINT_CONNECTIVITY",
        8 to "CONSTRAINT_DEVICE_IDLE",
        9 to "CONSTRAINT_STORAGE_NOT_LOW",
        10 to "QUOTA",
        11 to "BACKGROUND_RESTRICTION",
        12 to "APP_STANDBY",
        13 to "USER",
        14 to "SYSTEM_PROCESSING",
        15 to "ESTIMATED_APP_LAUNCH_TIME_CHANGED",
        16 to "TIMEOUT_ABANDONED",
    )

    private val WORK_STOP = JOB_STOP - 0 + mapOf(
        -128 to "FOREGROUND_SERVICE_TIMEOUT",
        -256 to "NOT_STOPPED",
        -512 to "UNKNOWN",
    )

    private val EXIT = mapOf(
        0 to "UNKNOWN",
        1 to "EXIT_SELF",
        2 to "SIGNALED",
        3 to "LOW_MEMORY",
        4 to "CRASH",
        5 to "CRASH_NATIVE",
        6 to "ANR",
        7 to "INITIALIZATION_FAILURE",
        8 to "PERMISSION_CHANGE",
        9 to "EXCESSIVE_RESOURCE_USAGE",
        10 to "USER_REQUESTED",
        11 to "USER_STOPPED",
        12 to "DEPENDENCY_DIED",
        13 to "OTHER",
        14 to "FREEZER",
        15 to "PACKAGE_STATE_CHANGE",
        16 to "PACKAGE_UPDATED",
    )

    private val START = mapOf(
        0 to "ALARM",
        1 to "BACKUP",
        2 to "BOOT_COMPLETE",
        3 to "BROADCAST",
        4 to "CONTENT_PROVIDER",
        5 to "JOB",
        6 to "LAUNCHER",
        7 to "LAUNCHER_RECENTS",
        8 to "OTHER",
        9 to "PUSH",
        10 to "SERVICE",
        11 to "START_ACTIVITY",
    )

    fun jobStop(code: Int): String = JOB_STOP[code] ?: "UNKNOWN_$code"

    fun workStop(code: Int): String = WORK_STOP[code] ?: "UNKNOWN_$code"

    fun exit(code: Int): String = EXIT[code] ?: "UNKNOWN_$code"

    /** ApplicationStartInfo reasons in the journal's lower-case form (`content_provider`). */
    fun start(code: Int): String = (START[code] ?: "UNKNOWN_$code").lowercase()
}
