package dev.harness.companion.ui

import android.app.Activity
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.Typeface
import android.os.Bundle
import android.widget.ScrollView
import android.widget.TextView
import dev.harness.companion.app.CompanionGraph
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.json.JSONObject

/**
 * The one screen: shows a person the journal tail and hosts `coroutine` tasks. AndroidX
 * lifecycle is not used (the offline build has only the platform), so the lifecycle scope is
 * made by hand: a scope on Dispatchers.Main opened in onStart and cancelled in onStop, which is
 * what `lifecycleScope` + `repeatOnLifecycle(STARTED)` give. Views are built in code (no R class).
 *
 * Started with the string extra [EXTRA_REQUEST_PERMISSION] (`am start -n ... --es
 * dev.harness.companion.REQUEST_PERMISSION android.permission.POST_NOTIFICATIONS`), it calls
 * requestPermissions so the system dialog shows; the answer is journalled as `app` /
 * `permission_result`. The activity is `singleTop`, so a start while it is on top reaches
 * [onNewIntent] instead of being dropped.
 */
class CompanionActivity : Activity() {
    private var startedScope: CoroutineScope? = null
    private lateinit var text: TextView

    private val graph get() = CompanionGraph.get(this)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        text = TextView(this).apply {
            typeface = Typeface.MONOSPACE
            textSize = 11f
            setPadding(24, 24, 24, 24)
        }
        setContentView(ScrollView(this).apply { addView(text) })
        // A recreated activity (saved state) or a relaunch from Recents repeats its old intent: no new request.
        if (savedInstanceState == null) requestPermissionFrom(intent)
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        requestPermissionFrom(intent)
    }

    private fun requestPermissionFrom(intent: Intent?) {
        if (intent == null || intent.flags and Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY != 0) return
        val permission = intent.getStringExtra(EXTRA_REQUEST_PERMISSION)?.takeIf { it.isNotEmpty() } ?: return
        requestPermissions(arrayOf(permission), REQUEST_PERMISSION_CODE)
    }

    /**
     * One `permission_result` event per permission answered. An interrupted request (the
     * platform passes empty arrays) has no answer and journals nothing.
     */
    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode != REQUEST_PERMISSION_CODE) return
        permissions.forEachIndexed { i, permission ->
            val granted = grantResults.getOrNull(i) == PackageManager.PERMISSION_GRANTED
            graph.journal.append(
                null,
                "app",
                "permission_result",
                JSONObject().put("permission", permission).put("granted", granted),
            )
        }
    }

    override fun onStart() {
        super.onStart()
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
        startedScope = scope
        graph.coroutineTasks.onStarted(scope)
        scope.launch {
            while (isActive) {
                val lines = withContext(Dispatchers.IO) { graph.journal.tail(TAIL).map { it.toJson().toString(1) } }
                text.text = if (lines.isEmpty()) "journal is empty" else lines.asReversed().joinToString("\n")
                delay(REFRESH_MS)
            }
        }
    }

    override fun onResume() {
        super.onResume()
        lifecycle("resumed")
    }

    override fun onStop() {
        graph.coroutineTasks.onStopped()
        startedScope?.cancel()
        startedScope = null
        lifecycle("stopped")
        super.onStop()
    }

    override fun onDestroy() {
        lifecycle("destroyed")
        super.onDestroy()
    }

    private fun lifecycle(state: String) {
        graph.journal.append(null, "app", "activity", JSONObject().put("state", state))
    }

    companion object {
        /** The string extra naming one permission to request (docs/companion-protocol.md). */
        const val EXTRA_REQUEST_PERMISSION = "dev.harness.companion.REQUEST_PERMISSION"
        const val REQUEST_PERMISSION_CODE = 1
        private const val TAIL = 50
        private const val REFRESH_MS = 1000L
    }
}
