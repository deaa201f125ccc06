"""In-process helpers for model A tests: a fresh DeviceModel and a shell that dispatches like the sim."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from harness.virtual.commands import build_registry
from harness.virtual.model import power
from harness.virtual.model.device import DeviceModel
from harness.virtual.shell.registry import CommandContext, CommandRegistry

COMPANION = "dev.harness.companion"


@dataclass
class Out:
    status: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def registry() -> CommandRegistry:
    return build_registry()


@pytest.fixture
def model() -> DeviceModel:
    m = DeviceModel(seed=1)
    power.init(m)
    return m


@pytest.fixture
def sh(model: DeviceModel, registry: CommandRegistry) -> Callable[[str], Out]:
    ctx = CommandContext(model)

    def run(cmd: str) -> Out:
        res = registry.dispatch(ctx, shlex.split(cmd))
        return Out(res.status, res.stdout.decode(), res.stderr.decode())

    return run
