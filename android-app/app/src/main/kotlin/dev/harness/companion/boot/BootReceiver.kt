package dev.harness.companion.boot

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import dev.harness.companion.app.CompanionGraph

/**
 * LOCKED_BOOT_COMPLETED, BOOT_COMPLETED, MY_PACKAGE_REPLACED, TIME_SET. Direct-boot aware: the
 * database is in device-protected storage, so this runs before the user unlocks.
 */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val event = BootEvent.ofAction(intent.action) ?: return
        CompanionGraph.get(context).bootHandler.onBroadcast(event)
    }
}
