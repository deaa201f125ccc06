"""The shipped JSON Schema: generated from the model, valid draft 2020-12, and what editors see."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.spec import model as m
from harness.spec.schema_build import SCHEMA_PATH, build_schema, render_schema

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
VALID = sorted((HERE / "valid").glob("*.yaml")) + sorted((ROOT / "docs" / "examples").glob("*.yaml"))


def test_shipped_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), \
        "regenerate with: python -m harness.spec.schema_build"


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_lists_every_step_and_expectation() -> None:
    schema = build_schema()
    assert set(schema["$defs"]["step"]["anyOf"][1]["properties"]) == set(m.STEP_TYPES) | {"name"}
    assert set(m.EXPECTATION_TYPES) <= set(schema["$defs"]["expectation"]["properties"])


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_specs_pass_plain_jsonschema(path: Path) -> None:
    """What an editor with the yaml-language-server modeline checks."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(data)


@pytest.mark.parametrize("path", sorted((ROOT / "docs" / "examples").glob("*.yaml")) + [HERE / "valid" / "all_steps.yaml"])
def test_modeline_points_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (path.parent / first[len(prefix):]).resolve() == SCHEMA_PATH.resolve()
