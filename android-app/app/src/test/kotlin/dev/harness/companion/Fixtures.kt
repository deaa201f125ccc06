package dev.harness.companion

import android.app.job.JobParameters
import android.os.PersistableBundle
import dev.harness.companion.app.CompanionGraph
import dev.harness.companion.journal.JournalEvent
import dev.harness.companion.rpc.RpcDispatcher
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.MechanismBackend
import org.json.JSONObject
import org.robolectric.RuntimeEnvironment
import org.robolectric.shadows.ShadowBinder

/** Helpers shared by the tests: the app graph, RPC calls as the shell, journal queries. */
object Fixtures {
    fun graph(): CompanionGraph = CompanionGraph.get(RuntimeEnvironment.getApplication())

    /** A dispatcher over the app's graph, with [mechanism]'s backend replaced by [backend]. */
    fun dispatcherWith(mechanism: Mechanism, backend: MechanismBackend): RpcDispatcher {
        val g = graph()
        return RpcDispatcher(g.journal, g.registry, g.config, g.parser, g.backends + (mechanism to backend), g.device, g.gate)
    }

    /** Calls the dispatcher like `content call` would and parses the answer. */
    fun call(method: String, arg: String? = null): JSONObject {
        val answer = graph().dispatcher.call(method, arg)
        require('\n' !in answer) { "answer must be one line: $answer" }
        return JSONObject(answer)
    }

    fun callOk(method: String, arg: String? = null): JSONObject {
        val answer = call(method, arg)
        check(answer.getBoolean("ok")) { "$method $arg failed: $answer" }
        return answer
    }

    fun events(taskId: String? = null, kind: String? = null): List<JournalEvent> =
        graph().journal.page(0, 1000).events.filter { (taskId == null || it.taskId == taskId) && (kind == null || it.kind == kind) }

    fun asShell() = ShadowBinder.setCallingUid(2000)

    /** A JobParameters as the platform builds it (hidden API 36 constructor). */
    fun jobParameters(jobId: Int, taskId: String, stopReason: Int? = null): JobParameters {
        val extras = PersistableBundle().apply { putString("task_id", taskId) }
        val ctor = JobParameters::class.java.declaredConstructors.first { it.parameterCount == 13 }
        ctor.isAccessible = true
        val params = ctor.newInstance(
            null, null, jobId, extras, null, null, 0, false, false, false, null, null, null,
        ) as JobParameters
        if (stopReason != null) {
            val set = JobParameters::class.java.getDeclaredMethod(
                "setStopReason", Int::class.javaPrimitiveType, Int::class.javaPrimitiveType, String::class.java,
            )
            set.isAccessible = true
            set.invoke(params, stopReason, 0, "test")
        }
        return params
    }
}
