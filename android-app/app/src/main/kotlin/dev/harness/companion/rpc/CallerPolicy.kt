package dev.harness.companion.rpc

/** Who may call the RPC provider: the shell (uid 2000) and root (uid 0), no one else. */
object CallerPolicy {
    const val ROOT_UID = 0
    const val SHELL_UID = 2000

    fun allowed(uid: Int): Boolean = uid == ROOT_UID || uid == SHELL_UID

    /** Throws the SecurityException that `content call` prints for a refused caller. */
    fun check(uid: Int) {
        if (!allowed(uid)) throw SecurityException("caller uid $uid is not shell or root")
    }
}
