package androidx.work

class Constraints private constructor() {
    val requiredNetworkType: NetworkType get() = stub()
    fun requiresCharging(): Boolean = stub()
    fun requiresDeviceIdle(): Boolean = stub()
    fun requiresBatteryNotLow(): Boolean = stub()
    fun requiresStorageNotLow(): Boolean = stub()

    class Builder {
        fun setRequiresCharging(requiresCharging: Boolean): Builder = stub()
        fun setRequiresDeviceIdle(requiresDeviceIdle: Boolean): Builder = stub()
        fun setRequiredNetworkType(networkType: NetworkType): Builder = stub()
        fun setRequiresBatteryNotLow(requiresBatteryNotLow: Boolean): Builder = stub()
        fun setRequiresStorageNotLow(requiresStorageNotLow: Boolean): Builder = stub()
        fun build(): Constraints = stub()
    }
}
