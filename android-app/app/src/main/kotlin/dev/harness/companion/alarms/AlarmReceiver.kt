package dev.harness.companion.alarms

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import dev.harness.companion.app.CompanionGraph

/** Receives the app's alarms; the journal row is committed before onReceive returns. */
class AlarmReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != AlarmBackend.ACTION_ALARM) return
        val taskId = intent.getStringExtra(AlarmBackend.EXTRA_TASK_ID) ?: return
        CompanionGraph.get(context).alarmFirings.onFired(taskId)
    }
}
