"""The companion app's offline verification, as part of the one test command.

`android-app/offline/verify.sh` compiles every Kotlin source against the real Android framework
classes (Robolectric's android-all from Maven Central) with WorkManager as compile-only stubs, then
runs the Robolectric suite on the JVM. This test runs it and checks the surefire totals, so a
compile error or a failing JVM test fails `python3 -m pytest`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "android-app" / "offline" / "verify.sh"
# The surefire summary line for the whole run (the last one printed).
SUMMARY = re.compile(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)\s*$", re.M)


def test_companion_app_compiles_and_its_jvm_suite_passes() -> None:
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"verify.sh exited {proc.returncode}:\n{output[-4000:]}"
    totals = SUMMARY.findall(output)
    assert totals, f"no surefire summary in the output:\n{output[-4000:]}"
    run, failures, errors, _skipped = (int(x) for x in totals[-1])
    assert failures == 0 and errors == 0, output[-4000:]
    # Every test class of app/src/test must have run (a filtered or empty run is a failure).
    test_classes = list((ROOT / "android-app" / "app" / "src" / "test").rglob("*Test.kt"))
    assert test_classes, "no JVM tests found in android-app/app/src/test"
    assert run >= len(test_classes), f"only {run} tests ran for {len(test_classes)} test classes"
