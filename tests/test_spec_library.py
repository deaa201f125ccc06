"""The spec library is the product's proof: every spec under specs/ is valid and passes on the virtual device.

Runs the README's main job, `harness run specs/`, as a user would on a machine with no device attached
(a private adb server with nothing connected: the CLI starts a virtual device, says so, and stops it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.virtual.testing import private_adb_server

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


def _env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["ANDROID_ADB_SERVER_PORT"] = str(port)
    env.pop("ANDROID_SERIAL", None)
    return env


def test_library_is_valid() -> None:
    p = subprocess.run([sys.executable, "-m", "harness.cli.main", "validate", str(SPECS)], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr


def test_every_library_spec_passes_on_the_virtual_device(tmp_path: Path) -> None:
    spec_files = sorted(SPECS.rglob("*.yaml"))
    assert len(spec_files) >= 30, "the library must hold at least 30 specs"
    report = tmp_path / "report"
    with private_adb_server() as server:
        p = subprocess.run([sys.executable, "-m", "harness.cli.main", "run", str(SPECS), "--report", str(report)],
                           capture_output=True, text=True, timeout=600, cwd=ROOT, env=_env(server.port))
    assert "started virtual device" in p.stderr, p.stderr[-2000:]
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    results = json.loads((report / "results.json").read_text())
    verdicts = {s["name"]: s["verdict"] for s in results["specs"]}
    assert len(verdicts) == len(spec_files), sorted(verdicts)
    assert set(verdicts.values()) == {"PASSED"}, {k: v for k, v in verdicts.items() if v != "PASSED"}
    assert (report / "report.html").stat().st_size > 0
