"""`harness validate`: output format and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import main

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
VALID = HERE / "valid"


def test_all_valid_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(VALID), str(HERE.parent.parent / "docs" / "examples")]) == 0
    out = capsys.readouterr().out
    assert out == "5 specs checked: all valid\n"


def test_invalid_exits_2_with_errors_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(VALID / "all_steps.yaml", tmp_path / "good.yml")
    shutil.copy(BROKEN / "unknown_step_type.yaml", tmp_path / "bad.yaml")
    (tmp_path / "sub").mkdir()
    shutil.copy(BROKEN / "bad_enum.yaml", tmp_path / "sub" / "enum.yaml")
    (tmp_path / "notes.txt").write_text("not a spec")
    assert main(["validate", str(tmp_path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    bad = str(tmp_path / "bad.yaml")
    enum = str(tmp_path / "sub" / "enum.yaml")
    assert lines[0].startswith(f"{bad}:4:5: unknown step type 'rebot' (expected one of: schedule, ")
    assert lines[0].endswith("; did you mean 'reboot'?")
    assert lines[1:4] == ["  3 |   - home", "  4 |   - rebot:", "    |     ^"]
    assert lines[4].startswith(f"{enum}:3:11: bad value string 'deeep' for step 1: doze")
    assert [ln for ln in lines if ln.startswith(enum)][1].startswith(f"{enum}:4:14: bad value string 'wlan'")
    assert lines[-1] == "3 specs checked: 1 valid, 2 invalid (3 errors)"


def test_quiet_prints_only_headlines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-q", str(BROKEN / "multiple_errors.yaml")]) == 2
    lines = capsys.readouterr().out.splitlines()
    want = (BROKEN / "multiple_errors.expected").read_text().splitlines()
    assert lines[:-1] == [f"{BROKEN / 'multiple_errors.yaml'}:{w}" for w in want]
    assert lines[-1] == "1 spec checked: 0 valid, 1 invalid (6 errors)"


def test_no_specs_found_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "no spec files" in capsys.readouterr().out


def test_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"{missing}: cannot read the spec file: No such file or directory")


def test_non_utf8_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"spec: caf\xe9\n")
    assert main(["validate", str(f)]) == 2
    assert f"{f}:1:10: the file is not UTF-8 text (byte 0xe9)" in capsys.readouterr().out


def test_console_entry_point() -> None:
    """The real process: `python -m harness.cli.main validate` prints to stdout and exits 2."""
    proc = subprocess.run([sys.executable, "-m", "harness.cli.main", "validate", str(BROKEN / "empty.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0] == (
        f"{BROKEN / 'empty.yaml'}:1:1: empty spec file: expected a mapping with at least spec, steps and expect")
