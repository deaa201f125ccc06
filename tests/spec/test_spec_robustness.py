"""Mutated specs never crash the loader: every problem comes back as a placed SpecError.

Deterministic (fixed seeds): lines are deleted, duplicated, given other values, or get stray
characters (tabs, brackets, colons), then loaded.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.loader import parse_spec_text

HERE = Path(__file__).parent
SOURCES = [p.read_text(encoding="utf-8") for p in sorted((HERE / "valid").glob("*.yaml"))
           + sorted((HERE / "broken").glob("*.yaml"))]
VALUES = ["null", "{}", "[]", "1", "-3", "true", '"x"', "15m", "0s", "abc:started", "sync:started", "[1, 2]",
          "{step: 99}", "{event: {}}", "{a: 1}", "start", "end", "99", '"1.5"', "[boot, boot]",
          "{step: boot, event: a:started}", "*anchor", "&a [*a]", "!!int x", "2024-01-01"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines() or [""]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        line, op = lines[i], rng.random()
        if op < 0.2 and len(lines) > 1:
            del lines[i]
        elif op < 0.6 and ":" in line:
            key = line.rstrip()[:-1] if line.rstrip().endswith(":") else line.split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(VALUES)}"
        elif op < 0.8:
            lines.insert(i, lines[rng.randrange(len(lines))])
        else:
            j = rng.randrange(len(line) + 1)
            lines[i] = line[:j] + rng.choice("x_:- {}[]#\t") + line[j:]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(4))
def test_mutated_specs_give_placed_errors(seed: int) -> None:
    rng = random.Random(seed)
    invalid = 0
    for _ in range(150):
        text = mutate(rng.choice(SOURCES), rng)
        result = parse_spec_text(text, "m.yaml")
        assert (result.spec is None) == bool(result.errors)
        for err in result.errors:
            assert isinstance(err, SpecError) and err.message and err.path == "m.yaml"
            assert 0 <= err.line <= text.count("\n") + 1
        invalid += bool(result.errors)
    assert invalid > 0
