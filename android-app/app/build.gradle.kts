plugins {
    // AGP 9 has built-in Kotlin support: no separate Kotlin Android plugin is applied.
    alias(libs.plugins.android.application)
}

android {
    namespace = "dev.harness.companion"
    compileSdk = 36

    defaultConfig {
        applicationId = "dev.harness.companion"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests {
            isIncludeAndroidResources = true
            // The shared protocol conformance vectors (ProtocolVectorsTest).
            all { it.systemProperty("protocol.vectors", rootProject.file("../tests/protocol/vectors.json").absolutePath) }
        }
    }
}

dependencies {
    implementation(libs.androidx.work.runtime)
    implementation(libs.kotlinx.coroutines.core)
    implementation(libs.kotlinx.coroutines.android)

    testImplementation(libs.junit)
    testImplementation(libs.robolectric)
}
