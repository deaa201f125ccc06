"""Builds the JSON Schema (draft 2020-12) of behavior specs from the model's enums.

The shipped file ``harness/spec/schema.json`` is the output of :func:`build_schema`; regenerate it
with ``python -m harness.spec.schema_build`` after changing the format (a test checks they agree).
Subschemas carry a ``title`` the error mapper (:mod:`harness.spec.schema_errors`) uses to word its
messages (``duration``, ``task id``, ``step name``, ``selector shorthand``, ``within``).
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

from harness.spec import model as m
from harness.spec.durations import DURATION_PATTERN

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCHEMA_ID = "https://android-bg-harness.dev/schema/spec.json"

TASK_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
STEP_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
SPEC_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
SELECTOR_SHORT_PATTERN = r"^[A-Za-z0-9_.-]{1,64}:(" + "|".join(k.value for k in m.EventKind) + ")$"
WITHIN_PATTERN = r"^\s*(\d+\s*(ms|d|h|m|s)\s*)+(\s*after\s+\S+\s*)?$"

# Steps that take no argument (written as a bare word, `key:` or `key: {}`).
ARGLESS_STEPS = ["cancel_all", "launch", "home", "swipe_from_recents", "kill", "force_stop", "reboot",
                 "accept_notification_permission", "allow_ignore_battery_optimizations"]
WINDOW_KEYS = ["after", "before", "between", "within"]


def _enum(e: type[enum.Enum], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"enum": [v.value for v in e]}
    if description:
        out["description"] = description
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _bool(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


def _obj(properties: dict[str, Any], *, required: list[str] | None = None, description: str = "",
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if description:
        out["description"] = description
    out["properties"] = properties
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    out.update(extra)
    return out


def _dur(description: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/duration", "description": description}


def _defs() -> dict[str, Any]:
    constraints = {
        "requires_charging": _bool("only while charging"),
        "requires_device_idle": _bool("only while the device is idle"),
        "requires_battery_not_low": _bool("only while the battery is not low"),
        "requires_storage_not_low": _bool("only while storage is not low"),
    }
    backoff_policy = _enum(m.BackoffPolicy, "backoff policy")
    d: dict[str, Any] = {}
    d["duration"] = {
        "title": "duration", "type": "string", "pattern": DURATION_PATTERN,
        "description": "a duration: NUMBER+UNIT parts, units d h m s ms (500ms, 90s, 15m, 1h30m)",
    }
    d["taskId"] = {"title": "task id", "type": "string", "pattern": TASK_ID_PATTERN,
                   "description": "a task id: 1-64 characters A-Z a-z 0-9 _ . -"}
    d["stepName"] = {"title": "step name", "type": "string", "pattern": STEP_NAME_PATTERN,
                     "description": "a step name: letters, digits, _ . -, starting with a letter or _"}
    d["empty"] = {"type": ["null", "object"], "properties": {}, "additionalProperties": False,
                  "description": "takes no argument"}
    d["jobParams"] = _obj({
        "job_id": {"type": "integer", "minimum": 0, "description": "the JobInfo id (default: derived from the task id)"},
        "min_latency": _dur("setMinimumLatency"),
        "override_deadline": _dur("setOverrideDeadline"),
        "periodic": _dur("setPeriodic interval"),
        "flex": _dur("setPeriodic flex"),
        "network": _enum(m.JobNetwork, "setRequiredNetworkType"),
        **constraints,
        "persisted": _bool("setPersisted: survive reboot"),
        "backoff_policy": backoff_policy,
        "backoff_initial": _dur("setBackoffCriteria initial backoff"),
        "expedited": _bool("setExpedited (API 31+)"),
    }, description="JobInfo.Builder parameters")
    d["workParams"] = _obj({
        "kind": _enum(m.WorkKind, "one-time or periodic work request"),
        "interval": _dur("repeat interval (periodic)"),
        "flex": _dur("flex interval (periodic)"),
        "initial_delay": _dur("setInitialDelay"),
        "network": _enum(m.WorkNetwork, "NetworkType"),
        **constraints,
        "backoff_policy": backoff_policy,
        "backoff_delay": _dur("setBackoffCriteria delay"),
        "expedited": _bool("setExpedited"),
        "out_of_quota": _enum(m.OutOfQuota, "OutOfQuotaPolicy"),
        "unique_name": {"type": "string", "minLength": 1, "description": "enqueueUniqueWork name"},
        "unique_policy": _enum(m.UniquePolicy, "ExistingWorkPolicy / ExistingPeriodicWorkPolicy"),
        "after": {"type": "array", "items": _ref("taskId"), "minItems": 1, "uniqueItems": True,
                  "description": "chain after these work tasks"},
        "foreground": _bool("the worker calls setForeground"),
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
    }, description="WorkRequest parameters")
    d["alarmParams"] = _obj({
        "trigger_in": _dur("trigger time from now"),
        "type": _enum(m.AlarmType, "alarm clock type"),
        "method": _enum(m.AlarmMethod, "the AlarmManager call"),
        "window": _dur("window length (set_window)"),
        "interval": _dur("repeat interval (repeating methods)"),
    }, required=["trigger_in"], description="AlarmManager parameters")
    d["foregroundParams"] = _obj({"type": _enum(m.ForegroundType, "foreground service type")},
                                 description="foreground service parameters")
    d["coroutineParams"] = _obj({}, description="a coroutine takes no parameters")
    d["behavior"] = _obj({
        "duration": _dur("how long the work runs (default 100ms)"),
        "outcomes": {"type": "array", "items": _enum(m.Outcome), "minItems": 1,
                     "description": "result of run 1, 2, ...; the last repeats"},
        "on_stop": _enum(m.OnStop, "what onStopJob returns"),
    }, description="what the task does when it runs")
    params_by_mech = {"job": "jobParams", "work": "workParams", "alarm": "alarmParams",
                      "foreground": "foregroundParams", "coroutine": "coroutineParams"}
    d["task"] = _obj({
        "id": _ref("taskId"),
        "mechanism": _enum(m.Mechanism, "the scheduling mechanism"),
        "params": {"type": "object", "description": "mechanism parameters"},
        "behavior": _ref("behavior"),
    }, required=["id", "mechanism"], description="a task to schedule (the companion's TASK)",
        allOf=[{"if": {"properties": {"mechanism": {"const": mech}}, "required": ["mechanism"]},
                "then": {"properties": {"params": _ref(defname)},
                         **({"required": ["params"]} if mech == "alarm" else {})}}
               for mech, defname in params_by_mech.items()])
    d["selector"] = {"anyOf": [
        {"title": "selector shorthand", "type": "string", "pattern": SELECTOR_SHORT_PATTERN,
         "description": "TASK:KIND, e.g. sync:started"},
        _obj({
            "task": _ref("taskId"),
            "mechanism": _enum(m.EventMechanism, "event mechanism"),
            "kind": _enum(m.EventKind, "event kind"),
            "stop_reason": _enum(m.StopReason, "stop reason name"),
            "thread": _enum(m.ThreadKind, "main thread or not"),
            "detail": {"type": "object",
                       "description": "fields the event's detail must have; a nested mapping matches when "
                                      "every key it names matches (recursively), other values (lists too) "
                                      "must be equal"},
        }, description="an event selector: every field given must match", minProperties=1),
    ]}
    d["anchor"] = {"anyOf": [
        {"type": "string", "minLength": 1, "description": "a step name, or start / end"},
        {"type": "integer", "minimum": 1, "description": "a step number (1-based)"},
        _obj({
            "step": {"anyOf": [_ref("stepName"), {"type": "integer", "minimum": 1}],
                     "description": "a step name or number"},
            "at": _enum(m.Edge, "the step's start or end (default: start in a window, end for state's at)"),
            "event": _ref("selector"),
            "occurrence": {"anyOf": [{"enum": ["first", "last"]}, {"type": "integer", "minimum": 1}],
                           "description": "which matching event: first (default), last, or the Nth"},
        }, description="{step: REF, at: start|end} or {event: SELECTOR, occurrence: first|last|N}",
            minProperties=1),
    ]}
    d["within"] = {"title": "within", "type": "string", "pattern": WITHIN_PATTERN,
                   "description": "DURATION, or 'DURATION after ANCHOR'"}
    d["battery"] = _obj({
        "level": {"type": "integer", "minimum": 0, "maximum": 100, "description": "battery level, percent"},
        "charging": _bool("plugged in"),
        "saver": _bool("battery saver on"),
    }, description="battery level, charging, saver", minProperties=1)
    d["configure"] = _obj({"reregister_alarms_on_boot": _bool("the companion re-registers its alarms on boot")},
                          description="the companion's configuration", minProperties=1)
    on_off = {"enum": [True, False, "on", "off"], "description": "on / off"}
    d["requires"] = _obj({
        "api_min": {"type": "integer", "minimum": 1, "maximum": 99, "description": "lowest API level"},
        "api_max": {"type": "integer", "minimum": 1, "maximum": 99, "description": "highest API level"},
        "mechanisms": {"type": "array", "items": _enum(m.Mechanism), "uniqueItems": True,
                       "description": "the mechanisms the spec schedules"},
        "fast_forward": _bool("the spec forces time (run_job)"),
        "virtual_only": _bool("the spec needs the virtual device"),
        "real_only": _bool("the spec needs a real device or emulator"),
    }, description="what the device must offer; otherwise the spec is skipped")
    d["setup"] = _obj({
        "reset": _bool("cancel the companion's tasks and clear its journal first (default true)"),
        "launch": _bool("start with the app in the foreground"),
        "battery": _ref("battery"),
        "network": _enum(m.NetworkSetting, "the active network"),
        "airplane": _bool("airplane mode"),
        "metered": _bool("the Wi-Fi network is metered"),
        "screen": on_off,
        "standby_bucket": _enum(m.Bucket, "the app's standby bucket"),
        "exact_alarm": _enum(m.ExactAlarmAction, "grant or revoke SCHEDULE_EXACT_ALARM"),
        "configure": _ref("configure"),
    }, description="the state the steps start from; restored afterwards")
    step_props: dict[str, Any] = {
        "name": _ref("stepName"),
        "schedule": _ref("task"),
        "cancel": _ref("taskId"),
        "run_job": _ref("taskId"),
    }
    for key in ARGLESS_STEPS:
        step_props[key] = _ref("empty")
    step_props.update({
        "doze": _enum(m.DozeMode, "force Doze: deep, light, step, step_light, exit"),
        "standby_bucket": _enum(m.Bucket, "set the app's standby bucket"),
        "battery": _ref("battery"),
        "network": _enum(m.NetworkSetting, "switch the active network"),
        "airplane": {"type": "boolean", "description": "airplane mode on/off"},
        "metered": {"type": "boolean", "description": "Wi-Fi metered or not"},
        "screen": on_off,
        "exact_alarm": _enum(m.ExactAlarmAction, "grant or revoke SCHEDULE_EXACT_ALARM"),
        "configure": _ref("configure"),
        "toggle_exact_alarm_setting": {**on_off, "description": "Settings > Alarms & reminders switch on/off"},
        "check_notification": _obj({
            "task": {**_ref("taskId"), "description": "the companion's notification of this running task"},
            "text": {"type": "string", "minLength": 1, "description": "a substring of the notification text"},
            "title": {"type": "string", "minLength": 1, "description": "a substring of the notification title"},
            "alarm": _bool("the alarm-clock indicator (a pending set_alarm_clock alarm)"),
            "present": _bool("expect it shown (default true) or absent"),
        }, description="check the notification shade", minProperties=1),
        "wait": {"anyOf": [
            _ref("duration"),
            _obj({"until": _ref("selector"), "timeout": _ref("duration"),
                  "since": {"anyOf": [_ref("stepName"), {"type": "integer", "minimum": 1}],
                            "description": "count matching events from the start of this step (a name or "
                                           "number: an earlier step or the wait itself; default: the step "
                                           "before the wait)"}},
                 required=["until", "timeout"],
                 description="wait until a matching event (journalled since the start of the step before, "
                             "or of since), at most timeout"),
        ], "description": "a duration, or {until: SELECTOR, timeout: DURATION, since: STEP}"},
    })
    d["step"] = {"anyOf": [
        {"title": "bare step", "type": "string", "enum": ARGLESS_STEPS,
         "description": "a step without argument"},
        _obj(step_props, description="one step: exactly one action key, and an optional name",
             minProperties=1),
    ]}
    count = {"type": "integer", "minimum": 0}
    expect_props: dict[str, Any] = {
        "name": {"type": "string", "minLength": 1, "description": "a label for reports"},
        "happens": {**_ref("selector"), "description": "a matching event happens in the window"},
        "never": {**_ref("selector"), "description": "no matching event in the window"},
        "count": {**_ref("selector"), "description": "count matching events in the window"},
        "exactly": count, "at_least": count, "at_most": count,
        "order": {"type": "array", "items": _ref("selector"), "minItems": 2,
                  "description": "matching events occur in this order"},
        "thread": _enum(m.ThreadKind, "the thread the `of` events ran on"),
        "stop_reason": _enum(m.StopReason, "the stop reason of the `of` events"),
        "of": _ref("selector"),
        "state": _obj({"task": _ref("taskId"),
                       "job_pending": _bool("the task's job is pending in JobScheduler"),
                       "alarm_registered": _bool("the task's alarm is registered"),
                       "process_running": _bool("the app's process is alive"),
                       "app_stopped": _bool("the app is in the stopped (force-stopped) state"),
                       "standby_bucket": _enum(m.Bucket, "the app's standby bucket")},
                      description="platform state read with dumpsys", minProperties=1),
        "at": _ref("anchor"),
        "after": _ref("anchor"),
        "before": _ref("anchor"),
        "between": {"type": "array", "prefixItems": [_ref("anchor"), _ref("anchor")],
                    "minItems": 2, "maxItems": 2, "description": "[ANCHOR, ANCHOR]"},
        "within": _ref("within"),
    }
    d["expectation"] = _obj(expect_props, description="one expectation: exactly one type key plus modifiers",
                            minProperties=1)
    return d


def build_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Android background-work behavior spec",
        "description": "One behavior spec: requirements, setup, steps and expectations. See docs/spec-format.md.",
        "type": "object",
        "properties": {
            "spec": {"title": "spec name", "type": "string", "pattern": SPEC_NAME_PATTERN,
                     "description": "the spec's name (letters, digits, _ . -)"},
            "description": {"type": "string"},
            "requires": _ref("requires"),
            "setup": _ref("setup"),
            "steps": {"type": "array", "items": _ref("step"), "minItems": 1},
            "expect": {"type": "array", "items": _ref("expectation"), "minItems": 1},
        },
        "required": ["spec", "steps", "expect"],
        "additionalProperties": False,
        "$defs": _defs(),
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
