#!/usr/bin/env bash
# Offline verification of the companion app, without the Android SDK, Gradle or Google's Maven:
# compiles every Kotlin source of app/src/main against the real Android 16 (API 36) framework
# classes (Robolectric's android-all on Maven Central) plus the WorkManager compile-only stubs,
# then runs the JVM tests of app/src/test with JUnit 4 + Robolectric. Prints the surefire summary.
#
#   bash android-app/offline/verify.sh
#
# Needs: mvn and a JDK 17+ to run Maven; a JDK 21+ to run the tests (Robolectric needs Java 21
# for API 36). Installs what is missing from Debian when run as root. Network: Maven Central only.
# Env: COMPANION_TEST_JAVA_HOME picks the test JDK; MAVEN_OPTS/MAVEN_ARGS pass through.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG="$HERE/verify.log"
MONITOR_VERSION=1.8.0

say() { printf 'verify.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

apt_install() {
    [ "$(id -u)" = 0 ] || die "need $* but not root: install it and rerun"
    command -v apt-get >/dev/null || die "need $* and there is no apt-get"
    if ! apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || true
        apt-get install -y --no-install-recommends "$@" >/dev/null || return 1
    fi
}

java_major() { # prints the feature version of the java binary $1, or 0
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1 | sed 's/^1\.//' || echo 0
}

# 1. Maven and a JDK to run it.
command -v java >/dev/null || apt_install openjdk-17-jdk-headless || die "no JDK and none could be installed"
command -v mvn >/dev/null || apt_install maven || die "no mvn and it could not be installed"

# 2. A JDK 21+ for the tests.
find_test_java() {
    local c
    for c in "${COMPANION_TEST_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*/; do
        [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
        if [ "$(java_major "$c/bin/java")" -ge 21 ] 2>/dev/null; then
            (cd "$c" && pwd)
            return 0
        fi
    done
    return 1
}
TEST_JAVA_HOME=$(find_test_java) || {
    say "no JDK 21+ found; trying Debian's"
    apt_install openjdk-21-jdk-headless || apt_install openjdk-25-jdk-headless || true
    TEST_JAVA_HOME=$(find_test_java) || die "need a JDK 21+ for Robolectric at API 36 (set COMPANION_TEST_JAVA_HOME)"
}
say "tests run on $("$TEST_JAVA_HOME/bin/java" -version 2>&1 | head -1) ($TEST_JAVA_HOME)"

MVN=(mvn -B -ntp -Dstyle.color=never ${MAVEN_ARGS:-})

# 3. androidx.test:monitor, which Robolectric needs at run time, is an AAR: put its classes.jar in
#    the local repository as a plain jar (dev.harness.companion.offline.unpacked:androidx-test-monitor).
REPO=$("${MVN[@]}" -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null \
    | sed 's/\x1b\[[0-9;]*m//g' || true)
[ -n "$REPO" ] || REPO="$HOME/.m2/repository"
UNPACKED="$REPO/dev/harness/companion/offline/unpacked/androidx-test-monitor/$MONITOR_VERSION/androidx-test-monitor-$MONITOR_VERSION.jar"
if [ ! -s "$UNPACKED" ]; then
    say "unpacking androidx.test:monitor:$MONITOR_VERSION"
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    "${MVN[@]}" -q dependency:copy -Dartifact="androidx.test:monitor:$MONITOR_VERSION:aar" -DoutputDirectory="$TMP" \
        >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; die "could not fetch androidx.test:monitor:$MONITOR_VERSION:aar"; }
    (cd "$TMP" && unzip -q -o "monitor-$MONITOR_VERSION.aar" classes.jar)
    "${MVN[@]}" -q install:install-file -Dfile="$TMP/classes.jar" -DgroupId=dev.harness.companion.offline.unpacked \
        -DartifactId=androidx-test-monitor -Dversion="$MONITOR_VERSION" -Dpackaging=jar \
        >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; die "could not install the unpacked androidx.test:monitor classes"; }
fi

# 4. Compile and test.
say "compiling and testing (log: $LOG)"
start=$(date +%s)
status=0
"${MVN[@]}" -f "$HERE/pom.xml" clean test -Dtest.jvm="$TEST_JAVA_HOME/bin/java" >"$LOG" 2>&1 || status=$?
end=$(date +%s)
if [ "$status" -ne 0 ]; then
    grep -E '^\[ERROR\]' "$LOG" | head -60 >&2 || true
    say "FAILED after $((end - start)) s (exit $status); full log: $LOG"
fi
grep -E 'Tests run: [0-9]+, .* -- in ' "$LOG" | sed 's/^\[[A-Z]*\] //' || true
grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$LOG" | tail -1 || true
grep -E 'BUILD (SUCCESS|FAILURE)' "$LOG" | tail -1 || true
say "compile + tests took $((end - start)) s"
exit "$status"
