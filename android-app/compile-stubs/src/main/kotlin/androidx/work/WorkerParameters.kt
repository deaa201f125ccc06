package androidx.work

/** Constructed by WorkManager only; the app never builds one. */
class WorkerParameters private constructor()
