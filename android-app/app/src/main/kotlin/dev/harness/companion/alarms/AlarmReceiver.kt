package dev.harness.companion.alarms

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import dev.harness.companion.app.CompanionGraph

/** Receives the app's alarms; the journal row is committed before onReceive returns. */
class AlarmReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        // The action is ACTION_ALARM_PREFIX + the task id; any other action is not ours.
        val taskId = AlarmBackend.taskIdOf(intent.action) ?: return
        CompanionGraph.get(context).alarmFirings.onFired(taskId)
    }
}
