package dev.harness.companion.tasks

import android.content.ContentValues
import android.database.sqlite.SQLiteDatabase
import android.database.sqlite.SQLiteOpenHelper
import org.json.JSONObject

/** The app's configuration (method `configure`), persisted in table `config`. */
data class Config(val reregisterAlarmsOnBoot: Boolean = false) {
    fun toJson(): JSONObject = JSONObject().put("reregister_alarms_on_boot", reregisterAlarmsOnBoot)
}

class ConfigStore(private val helper: SQLiteOpenHelper) {
    fun get(): Config = Config(reregisterAlarmsOnBoot = read(REREGISTER) == "true")

    fun set(config: Config) = write(REREGISTER, config.reregisterAlarmsOnBoot.toString())

    /** The boot count at which alarms were last re-registered (so a boot re-registers once). */
    fun lastReregisterBoot(): Int? = read(LAST_REREGISTER_BOOT)?.toIntOrNull()

    fun setLastReregisterBoot(boot: Int) = write(LAST_REREGISTER_BOOT, boot.toString())

    private fun read(key: String): String? =
        helper.readableDatabase.query("config", arrayOf("value"), "key = ?", arrayOf(key), null, null, null).use { c ->
            if (c.moveToFirst()) c.getString(0) else null
        }

    private fun write(key: String, value: String) {
        val values = ContentValues().apply {
            put("key", key)
            put("value", value)
        }
        helper.writableDatabase.insertWithOnConflict("config", null, values, SQLiteDatabase.CONFLICT_REPLACE)
    }

    private companion object {
        const val REREGISTER = "reregister_alarms_on_boot"
        const val LAST_REREGISTER_BOOT = "last_reregister_boot"
    }
}
