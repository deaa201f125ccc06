"""The companion's RPC surface: argument validation and the method table (docs/companion-protocol.md).

Every refusal is an :class:`RpcFailure` carrying the contract's error code and the dotted path of
the field it concerns. Validation order, for every object: unknown fields first (in the order they
appear), then the defined fields in table order.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.companion import protocol

if TYPE_CHECKING:
    from harness.virtual.model.companion import CompanionApp

MAX_DURATION_MS = 86_400_000
TASK_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")



def _names(values: "type[enum.Enum] | tuple[enum.Enum, ...]") -> tuple[str, ...]:
    """The protocol names an enum (or a tuple of its members) allows, in the order the app lists them."""
    return tuple(v.value for v in values)


MECHANISMS = _names(protocol.Mechanism)
OUTCOMES = _names(protocol.Outcome)
CRASH_MECHANISMS = _names((protocol.Mechanism.JOB, protocol.Mechanism.WORK))  # runs that can end in `crash`


class RpcFailure(Exception):
    def __init__(self, code: str, message: str, field_path: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.code = code
        self.field = field_path
        self.extra = dict(extra or {})
        super().__init__(message)

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "field": self.field, "message": str(self)}
        err.update(self.extra)  # platform_error: "exception"
        return {"ok": False, "error": err}


def derived_id(task_id: str) -> int:
    """Stable platform id for a task id (the app's DerivedIds): FNV-1a 32-bit over the UTF-8 bytes,
    unsigned, mapped to 1000..999999."""
    h = 0x811C9DC5
    for b in task_id.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return 1000 + h % 999_000


LONG_MAX = 2**63 - 1


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "a list"
    return type(v).__name__


class Obj:
    """Typed, path-aware reads from one JSON object; construction refuses fields outside ``allowed``
    (the first unknown name in sorted order), like the app's ObjectReader."""

    def __init__(self, data: dict[str, Any], path: str, allowed: "set[str] | frozenset[str] | tuple[str, ...]") -> None:
        self.data = data
        self.path = path
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            raise RpcFailure("unknown_field", f"unknown field {self.p(unknown[0])}", self.p(unknown[0]))

    def p(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                raise RpcFailure("missing_field", f"missing field {self.p(name)}", self.p(name))
            return None
        return self.data[name]

    def _bad_type(self, name: str, expected: str, v: Any) -> RpcFailure:
        return RpcFailure("bad_type", f"{self.p(name)} must be {expected}, got {type_name(v)}", self.p(name))

    def long(self, name: str, lo: int, hi: int = LONG_MAX, required: bool = False) -> int | None:
        v = self._get(name, required)
        if v is None and name not in self.data:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float):
                raise RpcFailure("bad_type", f"{self.p(name)} must be an integer, got a number with a fraction"
                                 " or exponent", self.p(name))
            raise RpcFailure("bad_type", f"{self.p(name)} must be an integer, got {type_name(v)}", self.p(name))
        if v > LONG_MAX or v < -LONG_MAX - 1:
            raise RpcFailure("out_of_range", f"{self.p(name)} is out of range: {v}", self.p(name))
        if v < lo or v > hi:
            rng = f">= {lo}" if hi == LONG_MAX else f"{lo}..{hi}"
            raise RpcFailure("out_of_range", f"{self.p(name)} must be {rng}, got {v}", self.p(name))
        return v

    def bool(self, name: str) -> bool | None:
        v = self._get(name, False)
        if v is None and name not in self.data:
            return None
        if not isinstance(v, bool):
            raise self._bad_type(name, "a boolean", v)
        return v

    def str(self, name: str, required: bool = False) -> str | None:
        v = self._get(name, required)
        if v is None and name not in self.data:
            return None
        if not isinstance(v, str):
            raise self._bad_type(name, "a string", v)
        return v

    def enum(self, name: str, values: tuple[str, ...], required: bool = False) -> str | None:
        v = self.str(name, required)
        if v is not None and v not in values:
            raise RpcFailure("bad_value", f"{self.p(name)} must be one of {'|'.join(values)}, not \"{v}\"",
                             self.p(name))
        return v

    def obj(self, name: str, allowed: "set[str] | frozenset[str] | tuple[str, ...]",
            required: bool = False) -> "Obj | None":
        v = self._get(name, required)
        if v is None and name not in self.data:
            return None
        if not isinstance(v, dict):
            raise self._bad_type(name, "an object", v)
        return Obj(v, self.p(name), allowed)

    def array(self, name: str) -> list[Any] | None:
        v = self._get(name, False)
        if v is None and name not in self.data:
            return None
        if not isinstance(v, list):
            raise self._bad_type(name, "a list", v)
        return v

    def str_list(self, name: str) -> list[str] | None:
        a = self.array(name)
        if a is None:
            return None
        for i, item in enumerate(a):
            if not isinstance(item, str):
                raise RpcFailure("bad_type", f"{self.p(name)}[{i}] must be a string, got {type_name(item)}",
                                 f"{self.p(name)}[{i}]")
        return list(a)


@dataclass
class TaskRequest:
    id: str
    mechanism: str
    params: dict[str, Any]
    duration_ms: int = 100
    outcomes: list[str] = field(default_factory=lambda: ["success"])
    on_stop: str = "reschedule"

    def outcome(self, run: int) -> str:
        return self.outcomes[min(max(run, 1), len(self.outcomes)) - 1]

    def behavior_json(self) -> dict[str, Any]:
        return {"duration_ms": self.duration_ms, "outcomes": list(self.outcomes), "on_stop": self.on_stop}

    def params_json(self) -> dict[str, Any]:
        """The params as the app echoes them: every default applied, absent optional numbers left out."""
        echo = {k: v for k, v in self.params.items() if not k.startswith("_") and v is not None}
        if self.mechanism == "work" and echo.get("unique_name") is None:
            echo.pop("unique_policy", None)  # a policy applies only with a unique name
        return echo


TASK_FIELDS = ("id", "mechanism", "params", "behavior")
BEHAVIOR_FIELDS = ("duration_ms", "outcomes", "on_stop")
JOB_FIELDS = ("job_id", "min_latency_ms", "override_deadline_ms", "periodic_ms", "flex_ms", "network",
              "requires_charging", "requires_device_idle", "requires_battery_not_low", "requires_storage_not_low",
              "persisted", "backoff_policy", "backoff_initial_ms", "expedited")
WORK_FIELDS = ("kind", "interval_ms", "flex_ms", "initial_delay_ms", "network", "requires_charging",
               "requires_device_idle", "requires_battery_not_low", "requires_storage_not_low", "backoff_policy",
               "backoff_delay_ms", "expedited", "out_of_quota", "unique_name", "unique_policy", "after",
               "foreground", "tags")
ALARM_FIELDS = ("type", "method", "trigger_in_ms", "window_ms", "interval_ms")
FOREGROUND_FIELDS = ("type",)
FGS_MIN_API = {protocol.ForegroundType.DATA_SYNC.value: 29, protocol.ForegroundType.SHORT_SERVICE.value: 34,
               protocol.ForegroundType.SPECIAL_USE.value: 34}


def _only_with(o: Obj, name: str, needs: str) -> RpcFailure:
    return RpcFailure("bad_value", f"{o.p(name)} needs {o.p(needs)}", o.p(name))


def _only_when(o: Obj, name: str, condition: str) -> RpcFailure:
    return RpcFailure("bad_value", f"{o.p(name)} applies only when {condition}", o.p(name))


def parse_task(task: dict[str, Any], api: int) -> TaskRequest:
    o = Obj(task, "task", TASK_FIELDS)
    task_id = o.str("id", required=True)
    assert task_id is not None
    if not TASK_ID_RE.fullmatch(task_id):
        raise RpcFailure("bad_value", f"{o.p('id')} must be 1-64 characters of [A-Za-z0-9_.-]", o.p("id"))
    mechanism = o.enum("mechanism", MECHANISMS, required=True)
    assert mechanism is not None
    fields = {"job": JOB_FIELDS, "work": WORK_FIELDS, "alarm": ALARM_FIELDS, "foreground": FOREGROUND_FIELDS,
              "coroutine": ()}[mechanism]
    params = o.obj("params", fields) or Obj({}, o.p("params"), fields)
    parsed = _PARAM_PARSERS[mechanism](params, task_id, api)
    req = TaskRequest(task_id, mechanism, parsed)
    b = o.obj("behavior", BEHAVIOR_FIELDS)
    if b is not None:
        duration = b.long("duration_ms", 0, MAX_DURATION_MS)
        if duration is not None:
            req.duration_ms = duration
        outcomes = b.array("outcomes")
        if outcomes is not None:
            f = b.p("outcomes")
            if not outcomes:
                raise RpcFailure("bad_value", f"{f} must list at least one outcome", f)
            for i, x in enumerate(outcomes):
                if not isinstance(x, str):
                    raise RpcFailure("bad_type", f"{f}[{i}] must be a string, got {type_name(x)}", f"{f}[{i}]")
                if x not in OUTCOMES:
                    raise RpcFailure("bad_value", f"{f}[{i}] must be one of {'|'.join(OUTCOMES)}, not \"{x}\"",
                                     f"{f}[{i}]")
                if x == protocol.Outcome.CRASH.value and mechanism not in CRASH_MECHANISMS:
                    raise RpcFailure("bad_value", f"{f}[{i}] crash applies only when task.mechanism is job or work,"
                                     f" not {mechanism}", f"{f}[{i}]")
            req.outcomes = list(outcomes)
        on_stop = b.enum("on_stop", _names(protocol.OnStop))
        if on_stop is not None:
            req.on_stop = on_stop
    return req


def _job_params(o: Obj, task_id: str, api: int) -> dict[str, Any]:
    periodic = o.long("periodic_ms", 1)
    flex = o.long("flex_ms", 1)
    if flex is not None and periodic is None:
        raise _only_with(o, "flex_ms", "periodic_ms")
    expedited = o.bool("expedited") or False
    if expedited and api < 31:
        raise RpcFailure("not_supported", f"expedited jobs need API 31, the device has {api}", o.p("expedited"))
    network = o.enum("network", _names(protocol.JobNetwork)) or "none"
    if network == "cellular" and api < 28:
        raise RpcFailure("not_supported", f"network cellular needs API 28, the device has {api}", o.p("network"))
    job_id = o.long("job_id", -2**31, 2**31 - 1)
    p: dict[str, Any] = {
        "job_id": job_id if job_id is not None else derived_id(task_id),
        "min_latency_ms": o.long("min_latency_ms", 0),
        "override_deadline_ms": o.long("override_deadline_ms", 0),
        "periodic_ms": periodic,
        "flex_ms": flex,
        "network": network,
        "requires_charging": o.bool("requires_charging") or False,
        "requires_device_idle": o.bool("requires_device_idle") or False,
        "requires_battery_not_low": o.bool("requires_battery_not_low") or False,
        "requires_storage_not_low": o.bool("requires_storage_not_low") or False,
        "persisted": o.bool("persisted") or False,
        "backoff_policy": o.enum("backoff_policy", _names(protocol.BackoffPolicy)) or "exponential",
        "backoff_initial_ms": o.long("backoff_initial_ms", 0),
        "expedited": expedited,
    }
    p["_backoff_set"] = p["backoff_initial_ms"] is not None or o.has("backoff_policy")
    if p["backoff_initial_ms"] is None:
        p["backoff_initial_ms"] = 30_000
    return p


def _work_params(o: Obj, task_id: str, api: int) -> dict[str, Any]:
    kind = o.enum("kind", _names(protocol.WorkKind)) or "one_time"
    periodic = kind == "periodic"
    interval = o.long("interval_ms", 1, required=periodic)
    if interval is not None and not periodic:
        raise _only_when(o, "interval_ms", "kind is periodic")
    flex = o.long("flex_ms", 1)
    if flex is not None and not periodic:
        raise _only_when(o, "flex_ms", "kind is periodic")
    unique_name = o.str("unique_name")
    if unique_name is not None and unique_name == "":
        raise RpcFailure("bad_value", f"{o.p('unique_name')} must not be empty", o.p("unique_name"))
    policies = _names(protocol.PERIODIC_UNIQUE_POLICIES if periodic else protocol.ONE_TIME_UNIQUE_POLICIES)
    policy = o.enum("unique_policy", policies)
    if policy is not None and unique_name is None:
        raise _only_with(o, "unique_policy", "unique_name")
    after = o.str_list("after") or []
    if after and periodic:
        raise _only_when(o, "after", "kind is one_time")
    for i, dep in enumerate(after):
        if not TASK_ID_RE.fullmatch(dep):
            raise RpcFailure("bad_value", f"{o.p('after')}[{i}] is not a task id", f"{o.p('after')}[{i}]")
    if after and unique_name is not None:  # a task with `after` joins its predecessors' chain, named by them
        raise _only_when(o, "unique_name", "after is not given")
    initial = o.long("initial_delay_ms", 0)
    network = o.enum("network", _names(protocol.WorkNetwork)) or "none"
    p: dict[str, Any] = {
        "kind": kind,
        "interval_ms": interval,
        "flex_ms": flex,
        "initial_delay_ms": initial if initial is not None else 0,
        "network": network,
        "requires_charging": o.bool("requires_charging") or False,
        "requires_device_idle": o.bool("requires_device_idle") or False,
        "requires_battery_not_low": o.bool("requires_battery_not_low") or False,
        "requires_storage_not_low": o.bool("requires_storage_not_low") or False,
        "backoff_policy": o.enum("backoff_policy", _names(protocol.BackoffPolicy)) or "exponential",
        "backoff_delay_ms": o.long("backoff_delay_ms", 0),
        "expedited": o.bool("expedited") or False,
        "out_of_quota": o.enum("out_of_quota", _names(protocol.OutOfQuota)) or "run_as_non_expedited",
        "unique_name": unique_name,
        "unique_policy": policy or "keep",
        "after": after,
        "foreground": o.bool("foreground") or False,
        "tags": o.str_list("tags") or [],
    }
    if p["backoff_delay_ms"] is None:
        p["backoff_delay_ms"] = 30_000
    return p


ALARM_TYPES = _names(protocol.AlarmType)
ALARM_METHODS = _names(protocol.AlarmMethod)


def _alarm_params(o: Obj, task_id: str, api: int) -> dict[str, Any]:
    method = o.enum("method", ALARM_METHODS) or "set"
    kind = o.enum("type", ALARM_TYPES)
    if method == "set_alarm_clock":
        if kind is not None and kind != "rtc_wakeup":
            raise RpcFailure("bad_value", "set_alarm_clock alarms are rtc_wakeup alarms", o.p("type"))
        kind = "rtc_wakeup"
    trigger = o.long("trigger_in_ms", 0, required=True)
    window = o.long("window_ms", 1, required=method == "set_window")
    if window is not None and method != "set_window":
        raise _only_when(o, "window_ms", "method is set_window")
    repeating = method in _names(protocol.REPEATING_ALARM_METHODS)
    interval = o.long("interval_ms", 1, required=repeating)
    if interval is not None and not repeating:
        raise _only_when(o, "interval_ms", "method is set_repeating or set_inexact_repeating")
    return {"type": kind or "elapsed_wakeup", "method": method, "trigger_in_ms": trigger, "window_ms": window,
            "interval_ms": interval, "_request_code": derived_id(task_id)}


def _foreground_params(o: Obj, task_id: str, api: int) -> dict[str, Any]:
    t = o.enum("type", tuple(FGS_MIN_API)) or "dataSync"
    if api < FGS_MIN_API[t]:
        raise RpcFailure("not_supported", f"{t} needs API {FGS_MIN_API[t]}, the device has {api}", o.p("type"))
    return {"type": t}


def _coroutine_params(o: Obj, task_id: str, api: int) -> dict[str, Any]:
    return {}


_PARAM_PARSERS: dict[str, Callable[[Obj, str, int], dict[str, Any]]] = {
    "job": _job_params, "work": _work_params, "alarm": _alarm_params,
    "foreground": _foreground_params, "coroutine": _coroutine_params,
}


# ---------------------------------------------------------------------- dispatch
METHOD_FIELDS: dict[str, tuple[str, ...]] = {
    "hello": (), "schedule": ("task",), "cancel": ("task_id",), "cancel_all": (), "list": (),
    "events": ("since", "limit"), "clear_events": (), "configure": ("reregister_alarms_on_boot",),
}


def _check_protocol(o: Obj) -> None:
    pr = o.obj("protocol", ("major", "minor"))
    if pr is None:
        return
    major = pr.long("major", 0, 2**31 - 1, required=True)
    pr.long("minor", 0, 2**31 - 1)
    if major != protocol.PROTOCOL_MAJOR:
        raise RpcFailure("protocol_mismatch",
                         f"client protocol major {major} differs from the app's "
                         f"{protocol.PROTOCOL_MAJOR}.{protocol.PROTOCOL_MINOR};"
                         " install the matching app (harness companion install)", pr.p("major"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_arg(arg: str | None) -> dict[str, Any]:
    if arg is None or not arg.strip():
        return {}
    try:
        doc = json.loads(arg, parse_constant=_refuse_constant)
    except ValueError as e:
        raise RpcFailure("bad_json", f"argument is not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise RpcFailure("bad_json", "argument must be a JSON object")
    return doc


def call(app: "CompanionApp", method: str, arg: str | None) -> dict[str, Any]:
    """Run one RPC; return the answer document (ok or error). Never raises for bad input."""
    try:
        doc = parse_arg(arg)
        handler = _METHODS.get(method)
        if handler is None:
            raise RpcFailure("unknown_method", f"unknown method \"{method}\"; methods: {', '.join(_METHODS)}")
        o = Obj(doc, "", METHOD_FIELDS[method] + ("protocol",))
        _check_protocol(o)
        return handler(app, o)
    except RpcFailure as e:
        return e.to_json()


def _m_hello(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    return app.hello()


def _m_schedule(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    task = o.data.get("task")
    if "task" not in o.data:
        raise RpcFailure("missing_field", "missing field task", "task")
    if not isinstance(task, dict):
        raise RpcFailure("bad_type", f"task must be an object, got {type_name(task)}", "task")
    return app.schedule(parse_task(task, app.model.api))


def _m_cancel(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    task_id = o.str("task_id", required=True)
    assert task_id is not None
    return app.cancel(task_id)


def _m_cancel_all(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    return app.cancel_all()


def _m_list(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    return app.list_tasks()


def _m_events(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    since = o.long("since", 0)
    limit = o.long("limit", 1, protocol.EVENTS_LIMIT_MAX)
    return app.events(since or 0, limit if limit is not None else protocol.EVENTS_LIMIT_DEFAULT)


def _m_clear_events(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    return {"ok": True, "cleared": app.journal.clear()}


def _m_configure(app: "CompanionApp", o: Obj) -> dict[str, Any]:
    value = o.bool("reregister_alarms_on_boot")
    if value is not None:
        app.config["reregister_alarms_on_boot"] = value
    return {"ok": True, "config": dict(app.config)}


_METHODS: dict[str, Callable[["CompanionApp", Obj], dict[str, Any]]] = {
    "hello": _m_hello, "schedule": _m_schedule, "cancel": _m_cancel, "cancel_all": _m_cancel_all,
    "list": _m_list, "events": _m_events, "clear_events": _m_clear_events, "configure": _m_configure,
}
