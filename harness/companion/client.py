"""The Python side of the companion protocol: ``content call`` through the device shell.

Two layers:

* pure functions, :func:`call_argv` and :func:`parse_call_output`, so a caller (the runner) can
  put several calls in one adb round trip and read each answer from its own output;
* :class:`CompanionClient`, which runs one call per round trip, handshakes (``hello`` first, a
  different major version refused with :class:`ProtocolMismatchError`) and returns typed records.

The argument is one JSON document passed as one argv word; the bridge quotes every word with
``shlex.quote``, so the device shell hands it to ``content`` byte for byte, whatever it holds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from harness.bridge.shell import quote_argv
from harness.companion.protocol import (
    AUTHORITY,
    EVENTS_LIMIT_DEFAULT,
    EVENTS_LIMIT_MAX,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    URI,
    CancelResult,
    Event,
    EventPage,
    HelloInfo,
    Method,
    RpcErrorCode,
    ScheduleResult,
    Task,
    TaskList,
    protocol_field,
    rpc_error_from_json,
)
from harness.errors import (
    CommandFailedError,
    CompanionError,
    CompanionNotInstalledError,
    CompanionResponseError,
    CompanionRpcError,
    ProtocolMismatchError,
)

if TYPE_CHECKING:
    from harness.bridge.device import Device

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 30.0
RESULT_PREFIX = "Result: "
BUNDLE_OPEN = "Bundle[{json="
BUNDLE_CLOSE = "}]"
NOT_FOUND_TEXT = f"Could not find provider: {AUTHORITY}"
ACCESS_ERROR_TEXT = "Error while accessing provider"
INSTALL_HINT = "install it with `harness companion install`"


def encode_arg(arg: Mapping[str, Any]) -> str:
    """The JSON text of an argument: compact, ASCII only (non-ASCII as ``\\uXXXX``), one line."""
    return json.dumps(arg, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def call_argv(method: Method | str, arg: Mapping[str, Any] | None = None) -> list[str]:
    """argv of ``content call`` for one method; the JSON argument is one word of it.

    ``arg`` is sent as given (add ``protocol`` yourself, or use :func:`request_arg`); ``None`` or
    ``{}`` sends no ``--arg``, which the protocol allows.
    """
    name = method.value if isinstance(method, Method) else str(method)
    if not name or name.startswith("-"):
        raise ValueError(f"invalid method name {name!r}")
    argv = ["content", "call", "--uri", URI, "--method", name]
    if arg:
        argv += ["--arg", encode_arg(arg)]
    return argv


def request_arg(fields: Mapping[str, Any] | None = None, *, with_protocol: bool = True) -> dict[str, Any]:
    """A request argument: the method's fields plus this client's ``protocol`` version."""
    arg: dict[str, Any] = dict(fields or {})
    if with_protocol:
        arg["protocol"] = protocol_field()
    return arg


def _tail(text: str, chars: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= chars else "..." + text[-chars:]


def extract_document(stdout: str) -> str | None:
    """The JSON text inside ``Result: Bundle[{json=...}]``, or None if there is no such line.

    The document is what lies between the first ``Bundle[{json=`` and the *last* ``}]`` of the
    result line, so a document that itself holds ``}]`` (in a string, or as the end of an array
    in an object) is read whole.
    """
    for line in stdout.splitlines():
        at = line.find(BUNDLE_OPEN)
        if at < 0 or not line[:at].lstrip().startswith(RESULT_PREFIX.strip()):
            continue
        body = line[at + len(BUNDLE_OPEN):].rstrip()
        end = body.rfind(BUNDLE_CLOSE)
        if end < 0:
            return None
        return body[:end]
    return None


def parse_call_output(
    stdout: str,
    stderr: str,
    status: int,
    *,
    method: Method | str = "call",
    serial: str | None = None,
    command: str = "content call",
) -> dict[str, Any]:
    """The successful answer of one ``content call``, or the typed error it amounts to.

    Raises :class:`CompanionNotInstalledError` (no provider), :class:`CompanionRpcError`
    (``ok: false``; ProtocolMismatchError for ``protocol_mismatch``), :class:`CompanionError`
    (the provider threw, e.g. a SecurityException), :class:`CompanionResponseError` (no Bundle,
    bad JSON) or :class:`CommandFailedError` (``content`` itself failed to run).
    """
    name = method.value if isinstance(method, Method) else str(method)
    both = f"{stdout}\n{stderr}"
    prefix = f"[{serial}] " if serial else ""
    document = extract_document(stdout)
    if document is None:
        # Only without an answer: an answer may quote any text (an echoed task id, say).
        if NOT_FOUND_TEXT in both:
            raise CompanionNotInstalledError(
                f"{prefix}companion app is not installed (no provider {AUTHORITY}); {INSTALL_HINT}",
                command=command, stderr=stderr, status=status)
        if ACCESS_ERROR_TEXT in both:
            raise CompanionError(f"{prefix}companion {name}: the provider failed: {_tail(stderr or stdout)}")
        if status != 0:
            raise CommandFailedError(serial or "", command, status, stderr, stdout)
        if "[ERROR]" in stdout:  # content's own usage error, printed on stdout
            raise CompanionError(f"{prefix}companion {name}: content refused the call: {_tail(stdout)}")
        raise CompanionResponseError(name, "no 'Result: Bundle[{json=...}]' line", stdout + stderr, serial)
    try:
        answer = json.loads(document)
    except json.JSONDecodeError as e:
        raise CompanionResponseError(name, f"the json is not valid JSON ({e.msg} at {e.pos})", document,
                                     serial) from e
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise CompanionResponseError(name, "the json is not an object with a boolean 'ok'", document, serial)
    if not answer["ok"]:
        try:
            info = rpc_error_from_json(answer)
        except ValueError as e:
            raise CompanionResponseError(name, str(e), document, serial) from e
        if info.code == RpcErrorCode.PROTOCOL_MISMATCH.value:
            raise ProtocolMismatchError(
                f"{prefix}companion {name}: the app refused protocol {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}: "
                f"{info.message}; {INSTALL_HINT} to install the matching app"
            )
        raise CompanionRpcError(name, info, serial)
    return answer


class CompanionClient:
    """Typed calls to the companion app of one device. Call :meth:`connect` (or any method) first.

    Every method returns a typed record or raises a :class:`~harness.errors.CompanionError`
    subclass; device problems surface as :class:`~harness.errors.DeviceError`.
    """

    def __init__(self, device: "Device", *, timeout: float = CALL_TIMEOUT_S) -> None:
        self.device = device
        self.timeout = timeout
        self.hello_info: HelloInfo | None = None

    def __repr__(self) -> str:
        return f"CompanionClient({self.device!r})"

    # ------------------------------------------------------------------ plumbing
    def call(self, method: Method | str, fields: Mapping[str, Any] | None = None, *,
             with_protocol: bool = True) -> dict[str, Any]:
        """One raw call; the answer's JSON object (``ok`` is true)."""
        argv = call_argv(method, request_arg(fields, with_protocol=with_protocol))
        result = self.device.shell(argv, timeout=self.timeout)
        return parse_call_output(result.stdout, result.stderr, result.status, method=method,
                                 serial=self.device.serial, command=quote_argv(argv))

    def _read(self, method: Method, answer: Mapping[str, Any], reader: Any) -> Any:
        try:
            return reader(answer)
        except (ValueError, TypeError) as e:
            raise CompanionResponseError(method.value, str(e), json.dumps(answer)[:400],
                                         self.device.serial) from e

    def _connected(self) -> None:
        if self.hello_info is None:
            self.connect()

    # ------------------------------------------------------------------ methods
    def hello(self) -> HelloInfo:
        """``hello`` without a version check (sent without ``protocol`` so any app answers)."""
        answer = self.call(Method.HELLO, with_protocol=False)
        return self._read(Method.HELLO, answer, HelloInfo.from_json)

    def connect(self) -> HelloInfo:
        """The handshake: ``hello``, then refuse an app of another major protocol version."""
        info = self.hello()
        major, minor = info.protocol
        if major != PROTOCOL_MAJOR:
            raise ProtocolMismatchError(
                f"[{self.device.serial}] the companion app {info.app.version_name or '?'} speaks protocol "
                f"{major}.{minor}, this harness speaks {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}: "
                f"run `harness companion install` to install the matching app"
            )
        if minor < PROTOCOL_MINOR:
            log.warning("[%s] companion app speaks protocol %d.%d, older than this harness' %d.%d: "
                        "newer optional features are unavailable", self.device.serial, major, minor,
                        PROTOCOL_MAJOR, PROTOCOL_MINOR)
        self.hello_info = info
        return info

    def schedule(self, task: Task) -> ScheduleResult:
        self._connected()
        answer = self.call(Method.SCHEDULE, {"task": task.to_json()})
        return self._read(Method.SCHEDULE, answer, ScheduleResult.from_json)

    def cancel(self, task_id: str) -> CancelResult:
        self._connected()
        answer = self.call(Method.CANCEL, {"task_id": task_id})
        return self._read(Method.CANCEL, answer, CancelResult.from_json)

    def cancel_all(self) -> list[str]:
        self._connected()
        answer = self.call(Method.CANCEL_ALL)

        def read(a: Mapping[str, Any]) -> list[str]:
            ids = a.get("cancelled")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ValueError(f"field 'cancelled' is not a list of task ids: {ids!r}")
            return list(ids)

        return self._read(Method.CANCEL_ALL, answer, read)

    def events(self, since: int = 0, limit: int = EVENTS_LIMIT_DEFAULT) -> EventPage:
        """Events with ``seq > since``, at most ``limit`` (1-1000), in sequence order."""
        if not 1 <= limit <= EVENTS_LIMIT_MAX:
            raise ValueError(f"limit must be 1-{EVENTS_LIMIT_MAX}, not {limit}")
        self._connected()
        answer = self.call(Method.EVENTS, {"since": since, "limit": limit})
        return self._read(Method.EVENTS, answer, EventPage.from_json)

    def iter_events(self, since: int = 0, page_size: int = EVENTS_LIMIT_DEFAULT) -> Iterator[Event]:
        """Every event after ``since``, paging while the app says ``more``."""
        cursor = since
        while True:
            page = self.events(cursor, page_size)
            for event in page.events:
                yield event
            if page.events:
                cursor = page.events[-1].seq
            if not page.more:
                return
            if not page.events:  # "more" with nothing returned: never loop forever
                raise CompanionResponseError(Method.EVENTS.value, "more=true with an empty page",
                                             serial=self.device.serial)

    def all_events(self, since: int = 0) -> list[Event]:
        return list(self.iter_events(since))

    def clear_events(self) -> int:
        self._connected()
        answer = self.call(Method.CLEAR_EVENTS)
        return self._read(Method.CLEAR_EVENTS, answer, lambda a: _int_field(a, "cleared"))

    def configure(self, *, reregister_alarms_on_boot: bool | None = None) -> dict[str, Any]:
        """Change the app's persisted configuration; returns the whole configuration."""
        self._connected()
        fields: dict[str, Any] = {}
        if reregister_alarms_on_boot is not None:
            fields["reregister_alarms_on_boot"] = reregister_alarms_on_boot
        answer = self.call(Method.CONFIGURE, fields)

        def read(a: Mapping[str, Any]) -> dict[str, Any]:
            config = a.get("config")
            if not isinstance(config, dict):
                raise ValueError(f"field 'config' is not an object: {config!r}")
            return dict(config)

        return self._read(Method.CONFIGURE, answer, read)

    # Last in the class body: the name shadows the builtin ``list`` for annotations below it.
    def list(self) -> TaskList:
        """The app's tasks and JobScheduler's pending job ids."""
        self._connected()
        answer = self.call(Method.LIST)
        return self._read(Method.LIST, answer, TaskList.from_json)


def _int_field(answer: Mapping[str, Any], key: str) -> int:
    value = answer.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"field {key!r} is not an integer: {value!r}")
    return value
