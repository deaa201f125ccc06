package dev.harness.companion.rpc

import org.json.JSONObject

/** The protocol's error codes (docs/companion-protocol.md, "Answers and errors"). */
enum class ErrorCode(val wire: String) {
    BAD_JSON("bad_json"),
    UNKNOWN_METHOD("unknown_method"),
    PROTOCOL_MISMATCH("protocol_mismatch"),
    MISSING_FIELD("missing_field"),
    UNKNOWN_FIELD("unknown_field"),
    BAD_TYPE("bad_type"),
    BAD_VALUE("bad_value"),
    OUT_OF_RANGE("out_of_range"),
    UNKNOWN_TASK("unknown_task"),
    DUPLICATE_TASK("duplicate_task"),
    NOT_SUPPORTED("not_supported"),
    PLATFORM_ERROR("platform_error"),
}

/** A refused call: answered as `{"ok": false, "error": {...}}`, never thrown past the provider. */
class RpcError(
    val code: ErrorCode,
    val field: String?,
    override val message: String,
    val exception: String? = null,
) : Exception(message) {
    fun toJson(): JSONObject {
        val error = JSONObject()
            .put("code", code.wire)
            .put("field", field ?: JSONObject.NULL)
            .put("message", message)
        if (exception != null) error.put("exception", exception)
        return JSONObject().put("ok", false).put("error", error)
    }

    companion object {
        fun platform(e: Throwable): RpcError =
            RpcError(ErrorCode.PLATFORM_ERROR, null, e.message ?: e.javaClass.name, e.javaClass.name)
    }
}
