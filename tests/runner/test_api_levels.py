"""Steps the shell cannot do on an older API level become skips with the reason, never failures.

Airplane mode has a shell command only from API 30 (`cmd connectivity airplane-mode`); before that the
AIRPLANE_MODE broadcast is protected (uid 2000 may not send it) and the setting alone does not switch
the radios. A spec that turns airplane mode on is skipped there; one that only needs it off runs when
it already is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bridge.select import select_device
from harness.runner.result import Verdict
from harness.runner.runner import SpecRunner, new_run
from harness.runner.session import Session
from harness.runner.steps import setup_commands
from harness.spec.loader import load_spec_text
from harness.virtual.testing import AdbServerInfo, running_sim

AIRPLANE_ON = """\
spec: airplane-on
steps:
  - airplane: true
  - wait: 1m
expect:
  - happens: {mechanism: app, kind: process_start}
"""

AIRPLANE_OFF_SETUP = """\
spec: airplane-off-setup
setup:
  airplane: false
steps:
  - schedule: {id: sync, mechanism: job, params: {network: any}}
  - wait: 1m
expect:
  - happens: sync:started
"""


@pytest.fixture(scope="module")
def old_device(adb_server: AdbServerInfo) -> Iterator[Session]:
    with running_sim(adb_server, name="api26", api=26) as info:
        s = Session(select_device(info.serial, adb_port=adb_server.port))
        s.companion.connect()
        yield s


def _run(session: Session, text: str, tmp_path: Path):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    run = new_run(session)
    SpecRunner(session).run([load_spec_text(text, str(path))], run)
    return run.specs[0]


def test_airplane_step_is_skipped_before_api_30_with_the_reason(old_device: Session, tmp_path: Path) -> None:
    result = _run(old_device, AIRPLANE_ON, tmp_path)
    assert result.verdict is Verdict.SKIPPED
    assert "cmd connectivity airplane-mode` needs API 30 (the device has 26)" in result.reason


def test_airplane_off_setup_is_a_check_before_api_30(old_device: Session, tmp_path: Path) -> None:
    spec = load_spec_text(AIRPLANE_OFF_SETUP, str(tmp_path / "s.yaml"))
    cmds, kinds = setup_commands(spec.setup, old_device)
    assert (cmds, kinds) == ([["settings", "get", "global", "airplane_mode_on"]], ["airplane_off_check"])
    assert _run(old_device, AIRPLANE_OFF_SETUP, tmp_path).verdict is Verdict.PASSED
