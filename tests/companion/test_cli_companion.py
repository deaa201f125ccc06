"""``harness companion``: APK lookup, the status rows, and the parser wiring."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness.cli.companion as cli
from harness.cli.main import build_parser
from harness.companion.protocol import HelloInfo
from harness.errors import UsageError

from .test_protocol_records import HELLO


def test_missing_default_apk_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_repo_root", lambda: tmp_path)
    with pytest.raises(UsageError, match="gradlew") as info:
        cli.find_apk(None)
    assert "app-debug.apk" in str(info.value) and "--apk" in str(info.value)


def test_given_apk_must_exist(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such APK"):
        cli.find_apk(str(tmp_path / "nope.apk"))
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK")
    assert cli.find_apk(str(apk)) == apk


def test_default_apk_found_under_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / cli.DEFAULT_APK
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PK")
    assert cli.find_apk(None) == cli.DEFAULT_APK


def test_status_rows() -> None:
    rows = dict(cli.describe(HelloInfo.from_json(HELLO)))
    assert rows["protocol"].startswith("1.0") and "compatible" in rows["protocol"]
    assert rows["standby bucket"] == "10 (ACTIVE)"
    assert "canScheduleExactAlarms no" in rows["exact alarms"]
    assert rows["battery optimization"] == "optimized"
    mismatch = dict(cli.describe(HelloInfo.from_json({**HELLO, "protocol": {"major": 2, "minor": 0}})))
    assert "INCOMPATIBLE" in mismatch["protocol"] and "harness companion install" in mismatch["protocol"]


def test_parser_wiring() -> None:
    args = build_parser().parse_args(["companion", "install", "--apk", "x.apk", "-s", "emulator-5554"])
    assert args.func is cli.run_install and args.apk == "x.apk" and args.device == "emulator-5554"
    args = build_parser().parse_args(["companion", "status"])
    assert args.func is cli.run_status
