package dev.harness.companion.tasks

/**
 * Platform ids derived from a task id: FNV-1a (32 bit) over the id's UTF-8 bytes, taken unsigned,
 * mapped to 1000..999999 (docs/companion-protocol.md). Stable across processes and reboots.
 */
object DerivedIds {
    const val MIN = 1000
    const val MAX = 999_999

    fun of(taskId: String): Int {
        var hash = 0x811C9DC5L
        for (b in taskId.toByteArray(Charsets.UTF_8)) {
            hash = hash xor (b.toLong() and 0xFF)
            hash = (hash * 0x01000193L) and 0xFFFFFFFFL
        }
        return (MIN + hash % (MAX - MIN + 1)).toInt()
    }
}
