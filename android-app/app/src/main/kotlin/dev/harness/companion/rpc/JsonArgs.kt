package dev.harness.companion.rpc

import org.json.JSONArray
import org.json.JSONObject

/** Parses ARG: one JSON object (strict RFC 8259, [StrictJson]). Absent or blank ARG is `{}`. */
fun parseArgument(arg: String?): JSONObject {
    if (arg == null || arg.isBlank()) return JSONObject()
    val value = try {
        StrictJson.parse(arg)
    } catch (e: IllegalArgumentException) {
        throw RpcError(ErrorCode.BAD_JSON, null, "argument is not valid JSON: ${e.message}")
    }
    if (value !is JSONObject) throw RpcError(ErrorCode.BAD_JSON, null, "argument must be a JSON object")
    return value
}

/**
 * Typed, validating access to one JSON object at [path] (a dotted path, "" for the argument
 * itself). Construction refuses any field outside [allowed]: typos are errors, not ignored.
 */
class ObjectReader(val json: JSONObject, val path: String, allowed: Set<String>) {
    init {
        val unknown = json.keys().asSequence().filter { it !in allowed }.sorted().firstOrNull()
        if (unknown != null) {
            throw RpcError(ErrorCode.UNKNOWN_FIELD, pathOf(unknown), "unknown field ${pathOf(unknown)}")
        }
    }

    fun pathOf(name: String): String = if (path.isEmpty()) name else "$path.$name"

    fun has(name: String): Boolean = json.has(name)

    private fun raw(name: String, required: Boolean): Any? {
        if (!json.has(name)) {
            if (required) throw RpcError(ErrorCode.MISSING_FIELD, pathOf(name), "missing field ${pathOf(name)}")
            return null
        }
        return json.get(name)
    }

    fun string(name: String, required: Boolean = false): String? = when (val v = raw(name, required)) {
        null -> null
        is String -> v
        else -> throw badType(name, "a string", v)
    }

    fun bool(name: String, required: Boolean = false): Boolean? = when (val v = raw(name, required)) {
        null -> null
        is Boolean -> v
        else -> throw badType(name, "a boolean", v)
    }

    fun long(name: String, min: Long, max: Long = Long.MAX_VALUE, required: Boolean = false): Long? {
        val v = raw(name, required) ?: return null
        val n = integerOf(pathOf(name), v)
        if (n < min || n > max) throw outOfRange(pathOf(name), n, min, max)
        return n
    }

    fun int(name: String, min: Int, max: Int, required: Boolean = false): Int? =
        long(name, min.toLong(), max.toLong(), required)?.toInt()

    fun <E> enum(name: String, values: Map<String, E>, required: Boolean = false): E? {
        val s = string(name, required) ?: return null
        return values[s] ?: throw RpcError(
            ErrorCode.BAD_VALUE,
            pathOf(name),
            "${pathOf(name)} must be one of ${values.keys.joinToString("|")}, not \"$s\"",
        )
    }

    /** The object field [name] as it is (its fields unchecked). */
    fun jsonObject(name: String, required: Boolean = false): JSONObject? = when (val v = raw(name, required)) {
        null -> null
        is JSONObject -> v
        else -> throw badType(name, "an object", v)
    }

    fun obj(name: String, allowed: Set<String>, required: Boolean = false): ObjectReader? =
        jsonObject(name, required)?.let { ObjectReader(it, pathOf(name), allowed) }

    fun array(name: String, required: Boolean = false): JSONArray? = when (val v = raw(name, required)) {
        null -> null
        is JSONArray -> v
        else -> throw badType(name, "a list", v)
    }

    fun stringList(name: String, required: Boolean = false): List<String>? {
        val a = array(name, required) ?: return null
        return List(a.length()) { i ->
            when (val item = a.get(i)) {
                is String -> item
                else -> throw RpcError(
                    ErrorCode.BAD_TYPE,
                    "${pathOf(name)}[$i]",
                    "${pathOf(name)}[$i] must be a string, got ${typeName(item)}",
                )
            }
        }
    }

    private fun badType(name: String, expected: String, v: Any): RpcError =
        RpcError(ErrorCode.BAD_TYPE, pathOf(name), "${pathOf(name)} must be $expected, got ${typeName(v)}")

    companion object {
        fun integerOf(field: String, v: Any): Long = when (v) {
            is Int -> v.toLong()
            is Long -> v
            is NumberLiteral -> if (v.integral) {
                throw RpcError(ErrorCode.OUT_OF_RANGE, field, "$field is out of range: ${v.text}")
            } else {
                throw fractional(field)
            }
            is Double, is Float -> throw fractional(field)
            else -> throw RpcError(ErrorCode.BAD_TYPE, field, "$field must be an integer, got ${typeName(v)}")
        }

        private fun fractional(field: String) =
            RpcError(ErrorCode.BAD_TYPE, field, "$field must be an integer, got a number with a fraction or exponent")

        fun outOfRange(field: String, n: Long, min: Long, max: Long): RpcError {
            val range = if (max == Long.MAX_VALUE) ">= $min" else "$min..$max"
            return RpcError(ErrorCode.OUT_OF_RANGE, field, "$field must be $range, got $n")
        }

        fun typeName(v: Any?): String = when (v) {
            null, JSONObject.NULL -> "null"
            is String -> "a string"
            is Boolean -> "a boolean"
            is Int, is Long -> "an integer"
            is NumberLiteral -> if (v.integral) "an integer" else "a number"
            is Number -> "a number"
            is JSONObject -> "an object"
            is JSONArray -> "a list"
            else -> v.javaClass.simpleName
        }
    }
}
