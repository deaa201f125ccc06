package dev.harness.companion.journal

import android.content.Context
import android.database.sqlite.SQLiteDatabase
import android.database.sqlite.SQLiteOpenHelper

/**
 * The app's one SQLite database: the event journal, the task registry and the configuration.
 * It lives in device-protected storage so that the boot receiver can write to it on
 * LOCKED_BOOT_COMPLETED, before the user unlocks. Every write is its own committed statement or
 * transaction, finished before the caller returns.
 */
class CompanionDatabase(context: Context, name: String? = NAME) :
    SQLiteOpenHelper(context.deviceProtected(), name, null, VERSION) {

    override fun onConfigure(db: SQLiteDatabase) {
        db.setForeignKeyConstraintsEnabled(false)
    }

    override fun onCreate(db: SQLiteDatabase) {
        // AUTOINCREMENT: sequence numbers are never reused, even after every row is deleted.
        db.execSQL(
            """CREATE TABLE events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                boot INTEGER NOT NULL,
                elapsed_ms INTEGER NOT NULL,
                wall_ms INTEGER NOT NULL,
                task_id TEXT,
                mechanism TEXT NOT NULL,
                kind TEXT NOT NULL,
                thread TEXT NOT NULL,
                stop_reason TEXT,
                detail TEXT NOT NULL)""",
        )
        db.execSQL(
            """CREATE TABLE tasks (
                task_id TEXT PRIMARY KEY,
                mechanism TEXT NOT NULL,
                spec TEXT NOT NULL,
                state TEXT NOT NULL,
                platform TEXT NOT NULL,
                runtime TEXT NOT NULL,
                runs INTEGER NOT NULL)""",
        )
        db.execSQL("CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    }

    override fun onUpgrade(db: SQLiteDatabase, oldVersion: Int, newVersion: Int) {
        // Version 1 is the only schema so far.
    }

    companion object {
        const val NAME = "companion.db"
        const val VERSION = 1

        private fun Context.deviceProtected(): Context = createDeviceProtectedStorageContext()
    }
}
