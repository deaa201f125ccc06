package dev.harness.companion.ui

import android.app.Activity
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

    private companion object {
        const val TAIL = 50
        const val REFRESH_MS = 1000L
    }
}
