package androidx.work

class Data {
    constructor(other: Data) { stub() }
    constructor(values: Map<String, *>) { stub() }
    fun getBoolean(key: String, defaultValue: Boolean): Boolean = stub()
    fun getInt(key: String, defaultValue: Int): Int = stub()
    fun getLong(key: String, defaultValue: Long): Long = stub()
    fun getString(key: String): String? = stub()
    val keyValueMap: Map<String, Any?> get() = stub()

    class Builder {
        fun putBoolean(key: String, value: Boolean): Builder = stub()
        fun putInt(key: String, value: Int): Builder = stub()
        fun putLong(key: String, value: Long): Builder = stub()
        fun putString(key: String, value: String?): Builder = stub()
        fun build(): Data = stub()
    }
}
