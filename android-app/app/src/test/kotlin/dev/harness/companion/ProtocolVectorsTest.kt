package dev.harness.companion

import dev.harness.companion.Fixtures.dispatcherWith
import dev.harness.companion.rpc.RpcDispatcher
import dev.harness.companion.tasks.Mechanism
import org.json.JSONArray
import org.json.JSONObject
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.ParameterizedRobolectricTestRunner
import java.io.File

/**
 * The shared conformance vectors (tests/protocol/vectors.json, docs/companion-protocol.md
 * "Conformance vectors") against the app's [RpcDispatcher]; the virtual device runs the same file
 * (tests/protocol/test_vectors_virtual.py). One test per case, each on a fresh application.
 *
 * The dispatcher is the app's, built from the app's graph, with one substitution: WorkManager is
 * absent on the JVM, so `work` tasks go to [WorkPlanRecorder], which makes the real
 * [dev.harness.companion.work.WorkRequestPlan] and stands in for the enqueue.
 */
@RunWith(ParameterizedRobolectricTestRunner::class)
class ProtocolVectorsTest(private val name: String, private val case: JSONObject) {

    private val dispatcher: RpcDispatcher by lazy { dispatcherWith(Mechanism.WORK, WorkPlanRecorder()) }

    private fun call(method: String, arg: String?): JSONObject {
        val answer = dispatcher.call(method, arg)
        check('\n' !in answer) { "answer must be one line: $answer" }
        return JSONObject(answer)
    }

    @Test
    fun conforms() {
        val vars = HashMap<String, Any>()
        val steps = ArrayList<JSONObject>()
        case.optJSONArray("setup")?.let { a -> for (i in 0 until a.length()) steps += a.getJSONObject(i) }
        steps += case
        case.optJSONArray("then")?.let { a -> for (i in 0 until a.length()) steps += a.getJSONObject(i) }
        val problems = ArrayList<String>()
        for (step in steps) problems += runStep(step, vars)
        assertTrue("$name:\n" + problems.joinToString("\n"), problems.isEmpty())
    }

    private fun runStep(step: JSONObject, vars: Map<String, Any>): List<String> {
        val method = step.getString("method")
        val arg = when {
            step.has("arg_raw") -> step.getString("arg_raw")
            step.has("arg") -> substitute(step.get("arg"), vars).toString()
            else -> null
        }
        val where = "$method $arg"
        val answer = call(method, arg)
        val problems = checkAnswer(answer, substitute(step.getJSONObject("expect"), vars) as JSONObject).map { "$where: $it" }.toMutableList()
        step.optJSONObject("save")?.let { save ->
            for (key in save.keys()) {
                val v = lookup(answer, save.getString(key))
                check(v is Int || v is Long || v is String) { "$where: cannot save ${save.getString(key)} from $answer" }
                (vars as MutableMap)[key] = if (v is String) v else (v as Number).toLong()
            }
        }
        step.optJSONObject("event")?.let { raw ->
            val ev = substitute(raw, vars) as JSONObject
            val events = call("events", """{"since":0,"limit":1000}""").getJSONArray("events")
            val taskId = if (ev.isNull("task_id")) null else ev.getString("task_id")
            val found = (0 until events.length()).map { events.getJSONObject(it) }
                .lastOrNull { (if (it.isNull("task_id")) null else it.getString("task_id")) == taskId && it.getString("kind") == ev.getString("kind") }
            if (found == null) {
                problems += "$where: no ${ev.getString("kind")} event for $taskId in $events"
            } else {
                val fields = ev.optJSONObject("fields") ?: JSONObject()
                for (path in fields.keys()) checkValue(found, path, fields.get(path))?.let { problems += "$where: event $it" }
            }
        }
        return problems
    }

    private fun checkAnswer(answer: JSONObject, expect: JSONObject): List<String> {
        val ok = expect.getBoolean("ok")
        if (answer.optBoolean("ok") != ok || !answer.has("ok")) return listOf("ok is ${answer.opt("ok")}, expected $ok: $answer")
        val problems = ArrayList<String>()
        if (ok) {
            val fields = expect.optJSONObject("fields") ?: JSONObject()
            for (path in fields.keys()) checkValue(answer, path, fields.get(path))?.let { problems += it }
        } else {
            val error = expect.getJSONObject("error")
            for (key in error.keys()) {
                checkValue(answer, "error.$key", error.get(key))?.let { problems += "$it (${answer.getJSONObject("error").optString("message")})" }
            }
        }
        return problems
    }

    companion object {
        private val VAR = Regex("""^\$\{([A-Za-z_][A-Za-z0-9_]*)([+-]\d+)?\}$""")
        private val SEGMENT = Regex("""([^.\[\]]+)|\[(\d+)]""")
        private val ABSENT = Any()

        /** tests/protocol/vectors.json: the system property `protocol.vectors`, else found upwards from the working directory. */
        private fun vectorsFile(): File {
            System.getProperty("protocol.vectors")?.let { return File(it) }
            var dir: File? = File(System.getProperty("user.dir")).absoluteFile
            while (dir != null) {
                val f = File(dir, "tests/protocol/vectors.json")
                if (f.isFile) return f
                dir = dir.parentFile
            }
            error("tests/protocol/vectors.json not found (set -Dprotocol.vectors)")
        }

        @JvmStatic
        @ParameterizedRobolectricTestRunner.Parameters(name = "{0}")
        fun cases(): List<Array<Any>> {
            val cases = JSONObject(vectorsFile().readText()).getJSONArray("cases")
            return (0 until cases.length()).map { i ->
                val c = cases.getJSONObject(i)
                arrayOf<Any>(c.getString("name"), c)
            }
        }

        /** `${NAME}`: the saved integer or string; `${NAME+N}`: the saved integer plus N. */
        fun substitute(value: Any?, vars: Map<String, Any>): Any? = when (value) {
            is String -> VAR.matchEntire(value)?.let { m ->
                when (val saved = vars.getValue(m.groupValues[1])) {
                    is String -> saved.also { check(m.groupValues[2].isEmpty()) { "$value: ${m.groupValues[1]} is a string" } }
                    else -> (saved as Long) + (m.groupValues[2].takeIf { it.isNotEmpty() }?.toLong() ?: 0L)
                }
            } ?: value
            is JSONArray -> JSONArray().also { out -> for (i in 0 until value.length()) out.put(substitute(value.get(i), vars)) }
            is JSONObject -> JSONObject().also { out -> for (k in value.keys()) out.put(k, substitute(value.get(k), vars)) }
            else -> value
        }

        fun lookup(doc: Any, path: String): Any? {
            var cur: Any? = doc
            for (m in SEGMENT.findAll(path)) {
                val key = m.groups[1]?.value
                cur = if (key != null) {
                    (cur as? JSONObject)?.takeIf { it.has(key) }?.get(key) ?: return ABSENT
                } else {
                    val i = m.groupValues[2].toInt()
                    (cur as? JSONArray)?.takeIf { i < it.length() }?.get(i) ?: return ABSENT
                }
            }
            return cur
        }

        private fun typeOf(v: Any?): String = when (v) {
            null, JSONObject.NULL -> "null"
            is Boolean -> "bool"
            is Int, is Long -> "int"
            is Number -> "number"
            is String -> "string"
            is JSONArray -> "list"
            else -> "object"
        }

        /** JSON equality: numbers by value (an int equals a long), booleans are not numbers. */
        fun same(a: Any?, b: Any?): Boolean = when {
            a is JSONObject && b is JSONObject -> a.keys().asSequence().toSet() == b.keys().asSequence().toSet() &&
                a.keys().asSequence().all { same(a.get(it), b.get(it)) }
            a is JSONArray && b is JSONArray -> a.length() == b.length() && (0 until a.length()).all { same(a.get(it), b.get(it)) }
            (a is Int || a is Long) && (b is Int || b is Long) -> (a as Number).toLong() == (b as Number).toLong()
            a is Number && b is Number -> a.toDouble() == b.toDouble() && typeOf(a) == typeOf(b)
            else -> a == b
        }

        fun checkValue(doc: Any, path: String, want: Any?): String? {
            val got = lookup(doc, path)
            val shown = if (got === ABSENT) "absent" else got.toString()
            if (want is JSONObject && want.length() == 1 && want.keys().next().startsWith("$")) {
                val op = want.keys().next()
                val arg = want.get(op)
                val ok = when {
                    op == "\$absent" -> (got === ABSENT) == arg as Boolean
                    got === ABSENT -> false
                    op == "\$len" -> when (got) {
                        is JSONArray -> got.length() == arg
                        is JSONObject -> got.length() == arg
                        is String -> got.length == arg
                        else -> false
                    }
                    op == "\$type" -> typeOf(got) == arg
                    op == "\$gt" -> (got is Int || got is Long) && (got as Number).toLong() > (arg as Number).toLong()
                    else -> return "unknown matcher $op"
                }
                return if (ok) null else "$path: $op $arg does not hold for $shown"
            }
            if (got === ABSENT) return "$path: absent, expected $want"
            return if (same(got, want)) null else "$path: got $shown, expected $want"
        }
    }
}
