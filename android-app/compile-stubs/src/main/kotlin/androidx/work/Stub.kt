// Compile-only stubs of the public androidx.work API (WorkManager 2.11) that the companion app
// uses. They exist only so that the offline verification can compile the app without Google's
// Maven; they are never packaged (the Gradle build uses the real androidx.work:work-runtime).
// Every signature here matches the public API of androidx.work 2.11.2 (checked member by member
// against the released classes with javap); bodies only throw.
package androidx.work

internal fun stub(): Nothing = throw UnsupportedOperationException("androidx.work compile-only stub")
