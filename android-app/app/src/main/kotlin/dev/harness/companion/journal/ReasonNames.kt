package dev.harness.companion.journal

/**
 * Names of the platform's reason constants, without their prefix, as the journal reports them.
 * Values are the public constants of API 36 (JobParameters.STOP_REASON_*, WorkInfo.STOP_REASON_*,
 * ApplicationExitInfo.REASON_* and SUBREASON_*, ApplicationStartInfo.START_REASON_*); an unknown code is named
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

    /** ApplicationExitInfo.SUBREASON_* (@hide constants, numbered as in API 36). */
    private val EXIT_SUB = mapOf(
        0 to "UNKNOWN",
        1 to "WAIT_FOR_DEBUGGER",
        2 to "TOO_MANY_CACHED",
        3 to "TOO_MANY_EMPTY",
        4 to "TRIM_EMPTY",
        5 to "LARGE_CACHED",
        6 to "MEMORY_PRESSURE",
        7 to "EXCESSIVE_CPU",
        8 to "SYSTEM_UPDATE_DONE",
        9 to "KILL_ALL_FG",
        10 to "KILL_ALL_BG_EXCEPT",
        11 to "KILL_UID",
        12 to "KILL_PID",
        13 to "INVALID_START",
        14 to "INVALID_STATE",
        15 to "IMPERCEPTIBLE",
        16 to "REMOVE_LRU",
        17 to "ISOLATED_NOT_NEEDED",
        18 to "CACHED_IDLE_FORCED_APP_STANDBY",
        19 to "FREEZER_BINDER_IOCTL",
        20 to "FREEZER_BINDER_TRANSACTION",
        21 to "FORCE_STOP",
        22 to "REMOVE_TASK",
        23 to "STOP_APP",
        24 to "KILL_BACKGROUND",
        25 to "PACKAGE_UPDATE",
        26 to "UNDELIVERED_BROADCAST",
        27 to "SDK_SANDBOX_DIED",
        28 to "SDK_SANDBOX_NOT_NEEDED",
        29 to "EXCESSIVE_BINDER_OBJECTS",
        30 to "OOM_KILL",
        31 to "FREEZER_BINDER_ASYNC_FULL",
        32 to "EXCESSIVE_OUTGOING_BROADCASTS_WHILE_CACHED",
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

    fun exitSub(code: Int): String = EXIT_SUB[code] ?: "UNKNOWN_$code"

    /** ApplicationStartInfo reasons in the journal's lower-case form (`content_provider`). */
    fun start(code: Int): String = (START[code] ?: "UNKNOWN_$code").lowercase()
}
