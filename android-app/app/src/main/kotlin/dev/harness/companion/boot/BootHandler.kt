package dev.harness.companion.boot

import dev.harness.companion.journal.Clock
import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.JournalEvent
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.ConfigStore
import dev.harness.companion.tasks.TaskRecord
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import org.json.JSONArray
import org.json.JSONObject

/** The broadcasts the boot receiver handles, and the journal kind of each. */
enum class BootEvent(val action: String, val kind: String, val rearmsAlarms: Boolean) {
    LOCKED_BOOT_COMPLETED("android.intent.action.LOCKED_BOOT_COMPLETED", "locked_boot_completed", true),
    BOOT_COMPLETED("android.intent.action.BOOT_COMPLETED", "boot_completed", true),
    PACKAGE_REPLACED("android.intent.action.MY_PACKAGE_REPLACED", "package_replaced", false),
    TIME_SET("android.intent.action.TIME_SET", "time_set", false);

    companion object {
        fun ofAction(action: String?): BootEvent? = entries.firstOrNull { it.action == action }
    }
}

/**
 * Journals a boot-time broadcast. A reboot clears every alarm; when `reregister_alarms_on_boot`
 * is configured, the first boot broadcast of a boot (LOCKED_BOOT_COMPLETED, else BOOT_COMPLETED)
 * sets every still-scheduled alarm task again through [reregister] (the app that remembers);
 * otherwise the alarms stay lost (the app that forgets). Package updates and clock changes do not
 * clear alarms, so they only journal.
 */
class BootHandler(
    private val journal: Journal,
    private val registry: TaskRegistry,
    private val config: ConfigStore,
    private val clock: Clock,
    private val reregister: (TaskRecord) -> Unit,
) {
    fun onBroadcast(event: BootEvent): JournalEvent {
        val reregistered = JSONArray()
        val boot = clock.bootCount()
        if (event.rearmsAlarms && config.get().reregisterAlarmsOnBoot && config.lastReregisterBoot() != boot) {
            config.setLastReregisterBoot(boot)
            for (record in registry.all()) {
                if (record.spec.params !is AlarmParams || record.state != TaskState.SCHEDULED) continue
                try {
                    reregister(record)
                    reregistered.put(record.id)
                } catch (e: RuntimeException) {
                    registry.setState(record.id, TaskState.FAILED)
                    journal.scheduleFailed(record.id, "alarm", e)
                }
            }
        }
        return journal.append(null, "boot", event.kind, JSONObject().put("reregistered_alarms", reregistered))
    }
}
