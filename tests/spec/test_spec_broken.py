"""The loader against a corpus of broken specs: each ``broken/X.yaml`` has ``broken/X.expected``.

``X.expected`` lists the exact first line of every error the loader reports, in order, without the
file path (``LINE:COL: message``). See tests/spec/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SpecError, SpecInvalidError, SpecSchemaError, SpecSemanticError, SpecSyntaxError
from harness.spec.loader import check_spec, load_spec

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 20
    expected = {p.stem for p in BROKEN.glob("*.expected")}
    assert {p.stem for p in CASES} == expected


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_spec_reports_exact_errors(path: Path) -> None:
    errors = check_spec(path)
    got = [e.headline.removeprefix(f"{path}:") for e in errors]
    want = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert got == want
    # sorted by position, every one a SpecError naming this file
    assert [(e.line, e.column) for e in errors] == sorted((e.line, e.column) for e in errors)
    assert all(isinstance(e, SpecError) and e.path == str(path) for e in errors)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_load_spec_raises_with_all_errors(path: Path) -> None:
    with pytest.raises(SpecInvalidError) as info:
        load_spec(path)
    assert len(info.value.errors) == len(path.with_suffix(".expected").read_text().splitlines())
    assert info.value.exit_status == 2


def test_error_quotes_offending_lines_with_caret() -> None:
    path = BROKEN / "unknown_step_type.yaml"
    (err,) = check_spec(path)
    assert isinstance(err, SpecSchemaError)
    assert (err.line, err.column, err.suggestion) == (4, 5, "reboot")
    assert str(err).splitlines()[1:] == [
        "  3 |   - home",
        "  4 |   - rebot:",
        "    |     ^",
    ]


def test_error_classes_by_stage() -> None:
    assert isinstance(check_spec(BROKEN / "tab_indent.yaml")[0], SpecSyntaxError)
    assert isinstance(check_spec(BROKEN / "duplicate_key.yaml")[0], SpecSyntaxError)
    assert isinstance(check_spec(BROKEN / "wrong_type.yaml")[0], SpecSchemaError)
    assert isinstance(check_spec(BROKEN / "duplicate_task_id.yaml")[0], SpecSemanticError)


def test_tab_error_points_at_the_tab() -> None:
    (err,) = check_spec(BROKEN / "tab_indent.yaml")
    assert "→- home" in err.snippet  # the tab is made visible in the quote
    assert err.snippet.splitlines()[-1].endswith("| ^")
