"""pytest plugin ``android_bg_harness`` (entry point ``pytest11``): YAML specs as test items.

``pytest specs/`` collects every ``*.yaml`` / ``*.yml`` spec (a file whose top level has a
``spec:`` key) under the paths named on the command line, one test item per spec, located at the
spec's line. Spec files are collected only from paths given explicitly (not from ``testpaths``),
and not from a named directory that holds Python tests (``test_*.py``, ``conftest.py``: its YAML
is those tests' data), so ``pytest`` and ``pytest tests/`` never pick up YAML test data.

- An invalid spec is a *collection error* showing ``file:line:col`` and the quoted lines (never a
  test failure); ``--harness-collect=never`` turns spec collection off.
- A spec the device cannot run (``requires``) is a skip with the reason.
- A failed expectation is a test failure whose text says what was expected, what happened, and
  the events around it; a device problem is an error-like failure naming the step.
- JUnit XML (``--junitxml``) works as for any pytest item; each spec's test case carries the
  properties ``harness_verdict``, ``harness_round_trips``, ``harness_device`` (the serial) and
  ``harness_adb_server`` (host:port of the adb server that drove it).

Devices: ``--device SERIAL`` (repeatable) and ``--virtual``. Without pytest-xdist the first
``--device`` is used. With xdist, worker ``gwN`` takes the N-th ``--device``; with ``--virtual``
(or when no device is attached and none is named) each worker starts its own virtual device on
an adb server of its own (a free port; ``ADB_USB=0``, so it never touches USB devices), and stops
both at the end; without xdist a virtual device is connected to the usual adb server.

Fixtures: ``harness_session`` (the :class:`~harness.runner.session.Session`), ``device`` (its
bridge :class:`~harness.bridge.device.Device`), ``companion`` (its
:class:`~harness.companion.client.CompanionClient`) and ``steps`` (a
:class:`~harness.runner.imperative.Steps` giving a Python test the same steps and expectations as
a spec, with the device restored afterwards).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import CompanionNotInstalledError, HarnessError, UsageError

log = logging.getLogger(__name__)

_SPEC_KEY = re.compile(r"^spec\s*:", re.MULTILINE)


# ---------------------------------------------------------------- options

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("android_bg_harness", "Android background-work harness")
    group.addoption("--device", action="append", dest="harness_devices", default=[], metavar="SERIAL",
                    help="device serial to run specs on (repeat: xdist worker gwN takes the N-th)")
    group.addoption("--virtual", action="store_true", dest="harness_virtual", default=False,
                    help="run on a virtual device started for the session (per xdist worker); "
                         "the default when no device is attached")
    group.addoption("--harness-report", metavar="DIR", dest="harness_report", default=None,
                    help="write results.json and report.html of the specs run here (per worker: DIR/gwN)")
    group.addoption("--harness-reboot-timeout", metavar="DURATION", dest="harness_reboot_timeout", default=None,
                    help="how long a reboot step may take until the device is ready again (default 180s)")
    group.addoption("--harness-collect", choices=["auto", "never"], dest="harness_collect", default="auto",
                    help="auto: collect YAML specs under paths named on the command line; never: do not")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "harness_spec: a YAML behavior spec run by android_bg_harness")
    config.stash[_POOL] = DevicePool(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_POOL, None)
    if pool is not None:
        pool.close()


# ---------------------------------------------------------------- which devices

def worker_index(config: pytest.Config) -> int | None:
    """0 for xdist worker gw0, 1 for gw1...; None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER") or getattr(getattr(config, "workerinput", None), "get",
                                                              lambda k: None)("workerid")
    if not worker:
        return None
    m = re.fullmatch(r"gw(\d+)", str(worker))
    return int(m.group(1)) if m else None


class DevicePool:
    """The device of this pytest process (one per xdist worker), opened on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._stack = contextlib.ExitStack()
        self._session: Any = None
        self._error: HarnessError | None = None
        self.results: list[Any] = []
        self.device_lost: str | None = None  # set when a spec lost the device: later specs are not run

    def chosen_serial(self) -> tuple[str | None, bool]:
        """(serial, start a virtual device) for this process."""
        devices: list[str] = list(self.config.getoption("harness_devices") or [])
        virtual = bool(self.config.getoption("harness_virtual"))
        index = worker_index(self.config)
        if virtual:
            return None, True
        if not devices:
            return None, False
        i = index or 0
        if i >= len(devices):
            raise UsageError(f"xdist worker gw{i} has no device: {len(devices)} --device given "
                             f"({', '.join(devices)}); run with -n {len(devices)} or add devices")
        return devices[i], False

    def session(self) -> Any:
        if self._session is not None:
            return self._session
        if self._error is not None:
            raise self._error
        from harness.runner.provision import provide_device
        from harness.runner.session import Session
        from harness.runner.trouble import unreachable_companion

        try:
            serial, virtual = self.chosen_serial()
            worker = worker_index(self.config)
            name = f"harness_pytest_gw{worker}" if worker is not None else "harness_pytest"
            # Under xdist a virtual device gets an adb server of its own: one shared server's
            # main thread would serialize the workers' round trips (docs/runner.md).
            provided = self._stack.enter_context(provide_device(serial, virtual=virtual, name=name,
                                                                on_virtual=self._announce,
                                                                private_adb=worker is not None))
            session = Session(provided.device)
            session.reboot_timeout_s = reboot_timeout_s(self.config)
            try:
                session.companion.connect()
            except CompanionNotInstalledError as e:  # installed but crash-looping is another matter
                raise unreachable_companion(session, e) from e
        except HarnessError as e:
            self._error = e
            raise
        self._session = session
        return session

    def _announce(self, info: Any) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        text = (f"android_bg_harness: started virtual device {info.serial} (pid {info.pid}, adb server port "
                f"{info.adb_port}) for this session")
        if reporter is not None and worker_index(self.config) is None:
            reporter.write_line(text)
        log.info(text)

    def close(self) -> None:
        try:
            self._write_report()
        finally:
            self._stack.close()
            self._session = None

    def _write_report(self) -> None:
        directory = self.config.getoption("harness_report", None)
        if not directory or not self.results:
            return
        from harness.report.writer import write_report
        from harness.runner.runner import new_run

        run = new_run(self._session)
        run.specs = list(self.results)
        worker = worker_index(self.config)
        out = Path(directory) / f"gw{worker}" if worker is not None else Path(directory)
        write_report(run, out)


_POOL = pytest.StashKey[DevicePool]()
_ROOTS = pytest.StashKey[list[Path]]()


def _pool(config: pytest.Config) -> DevicePool:
    return config.stash[_POOL]


# ---------------------------------------------------------------- collection

def _has_python_tests(directory: Path) -> bool:
    """A Python test tree (its YAML is test data of those tests, e.g. deliberately broken specs)."""
    for pattern in ("test_*.py", "*_test.py", "conftest.py"):
        if next(directory.rglob(pattern), None) is not None:
            return True
    return False


def _explicit_roots(config: pytest.Config) -> list[Path]:
    """Where YAML specs are collected: paths named on the command line (a file always; a directory
    unless it holds Python tests). Cached on the config."""
    cached = config.stash.get(_ROOTS, None)
    if cached is not None:
        return cached
    roots: list[Path] = []
    if config.getoption("harness_collect") != "never" and config.args_source is pytest.Config.ArgsSource.ARGS:
        for arg in config.args:
            path = Path(str(arg).split("::", 1)[0])
            if not path.is_absolute():
                path = Path(config.invocation_params.dir) / path
            path = path.resolve()
            if path.is_file() or (path.is_dir() and not _has_python_tests(path)):
                roots.append(path)
    config.stash[_ROOTS] = roots
    return roots


def _is_spec_file(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:65536]
    except OSError:
        return False
    return bool(_SPEC_KEY.search(head))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "SpecFile | None":
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    resolved = file_path.resolve()
    roots = _explicit_roots(parent.config)
    if not any(resolved == r or r in resolved.parents for r in roots):
        return None
    if not _is_spec_file(file_path):
        return None
    return SpecFile.from_parent(parent, path=file_path)


class SpecFile(pytest.File):
    """One spec file: one item, or a collection error listing every problem (file:line:col)."""

    def collect(self) -> Iterator["SpecItem"]:
        from harness.spec.loader import parse_spec_file

        result = parse_spec_file(self.path)
        if result.errors or result.spec is None:
            text = "\n".join(e.render() for e in result.errors) or f"{self.path}: invalid spec"
            raise self.CollectError(f"invalid spec (schema/semantics; not a test failure):\n{text}")
        yield SpecItem.from_parent(self, name=result.spec.name, spec=result.spec)


class SpecFailed(Exception):
    """The spec ran and an expectation did not hold."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def reboot_timeout_s(config: pytest.Config) -> float:
    """``--harness-reboot-timeout`` in seconds (a duration such as 90s or 5m), else the runner's default."""
    from harness.runner.session import REBOOT_TIMEOUT_S
    from harness.spec.durations import DurationSyntaxError, parse_duration_ms

    text = config.getoption("harness_reboot_timeout")
    if text is None:
        return REBOOT_TIMEOUT_S
    try:
        ms = parse_duration_ms(text)
    except DurationSyntaxError as e:
        raise UsageError(f"--harness-reboot-timeout: {e}") from e
    if ms <= 0:
        raise UsageError("--harness-reboot-timeout: must be more than 0s")
    return ms / 1000


class SpecDeviceError(Exception):
    """The spec could not run to its end (device, companion, or harness trouble)."""


class SpecItem(pytest.Item):
    def __init__(self, *, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(pytest.mark.harness_spec)

    def runtest(self) -> None:
        from harness.runner.result import Verdict
        from harness.runner.runner import SpecRunner
        from harness.runner.trouble import not_run

        pool = _pool(self.config)
        session = pool.session()
        if pool.device_lost is not None:  # recorded, not sent to a device that is gone
            result = not_run(self.spec, session, pool.device_lost)
            pool.results.append(result)
            raise SpecDeviceError(result.reason)
        runner = SpecRunner(session)
        result = runner.run_spec(self.spec)
        pool.results.append(result)
        if runner.device_lost is not None:
            pool.device_lost = (f"not run: device {session.device.serial} went away during spec "
                                f"{self.spec.name!r} ({runner.device_lost})")
        self.user_properties.append(("harness_verdict", result.verdict.value))
        self.user_properties.append(("harness_round_trips", result.round_trips))
        self.user_properties.append(("harness_device", session.device.serial))
        self.user_properties.append(("harness_adb_server", session.device.server.address))
        if result.verdict is Verdict.SKIPPED:
            # reported at the spec's location, not this line
            raise pytest.skip.Exception(result.reason, _use_item_location=True)
        if result.verdict is Verdict.FAILED:
            raise SpecFailed(result.failure_text())
        if result.verdict is Verdict.ERROR:
            raise SpecDeviceError(result.reason)
        if result.restore_problems:
            raise SpecDeviceError("device state not restored: " + "; ".join(result.restore_problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, SpecFailed):
            return f"spec {self.spec.name} failed:\n{excinfo.value.text}"
        if isinstance(excinfo.value, SpecDeviceError):
            return f"spec {self.spec.name} could not run: {excinfo.value}"
        if isinstance(excinfo.value, HarnessError):
            return f"spec {self.spec.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(0, self.spec.line - 1), f"spec {self.spec.name}"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def harness_session(request: pytest.FixtureRequest) -> Any:
    """The :class:`~harness.runner.session.Session` of this process's device."""
    return _pool(request.config).session()


@pytest.fixture(scope="session")
def device(harness_session: Any) -> Any:
    """The bridge :class:`~harness.bridge.device.Device` the harness drives."""
    return harness_session.device


@pytest.fixture(scope="session")
def companion(harness_session: Any) -> Any:
    """The :class:`~harness.companion.client.CompanionClient` of the device's companion app."""
    return harness_session.companion


@pytest.fixture
def steps(harness_session: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Spec steps and expectations from Python; the device is restored when the test ends."""
    from harness.runner.imperative import Steps

    s = Steps(harness_session, name=request.node.name)
    try:
        yield s
    finally:
        s.close()
