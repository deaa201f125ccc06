package androidx.work

/** The result of an enqueue or cancel; the app does not observe it. */
interface Operation
