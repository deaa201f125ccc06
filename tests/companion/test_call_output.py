"""parse_call_output / extract_document: the ``content call`` output formats, success and failure."""

from __future__ import annotations

import json

import pytest

from harness.companion.client import extract_document, parse_call_output
from harness.errors import (
    CommandFailedError,
    CompanionError,
    CompanionNotInstalledError,
    CompanionResponseError,
    CompanionRpcError,
    ProtocolMismatchError,
)

# What Content.java prints: "Result: " + Bundle.toString(), and its error texts.
NOT_INSTALLED_STDERR = (
    "Error while accessing provider:dev.harness.companion.rpc\n"
    "java.lang.IllegalStateException: Could not find provider: dev.harness.companion.rpc\n"
    "\tat com.android.commands.content.Content$Command.execute(Content.java:512)\n"
    "\tat com.android.commands.content.Content.main(Content.java:735)\n"
)
SECURITY_STDERR = (
    "Error while accessing provider:dev.harness.companion.rpc\n"
    "java.lang.SecurityException: caller uid 10099 is not shell or root\n"
)


def result_line(doc: object) -> str:
    return f"Result: Bundle[{{json={json.dumps(doc, separators=(',', ':'))}}}]\n"


def test_success_answer_is_returned() -> None:
    answer = parse_call_output(result_line({"ok": True, "cleared": 3}), "", 0, method="clear_events")
    assert answer == {"ok": True, "cleared": 3}


@pytest.mark.parametrize("tricky", [
    "}]", "]}", "}]}]", "Bundle[{json=", "Result: Bundle[{json={}}]", "}] trailing", "\\u007d]",
])
def test_document_holding_bundle_closers_is_read_whole(tricky: str) -> None:
    doc = {"ok": True, "task_id": "t", "platform": {"note": tricky, "list": [{"a": [tricky]}]}}
    assert parse_call_output(result_line(doc), "", 0) == doc


def test_document_ending_in_array_inside_object() -> None:
    doc = {"ok": True, "cancelled": ["a", "b"]}  # the JSON itself ends with "]}"
    line = result_line(doc)
    assert line.rstrip().endswith("]}}]")
    assert parse_call_output(line, "", 0) == doc


def test_extract_document_ignores_other_lines() -> None:
    out = "WARNING: linker: something\n" + result_line({"ok": True}) + "\n"
    assert extract_document(out) == '{"ok":true}'
    assert extract_document("Result: null\n") is None
    assert extract_document("") is None


def test_not_installed_is_typed() -> None:
    with pytest.raises(CompanionNotInstalledError, match="harness companion install"):
        parse_call_output("", NOT_INSTALLED_STDERR, 0, method="hello", serial="emulator-5554")


def test_not_installed_on_stdout_too() -> None:
    # Shell v1 mixes stderr into stdout.
    with pytest.raises(CompanionNotInstalledError):
        parse_call_output(NOT_INSTALLED_STDERR, "", 0)


def test_an_answer_quoting_the_error_texts_is_still_an_answer() -> None:
    doc = {"ok": False, "error": {"code": "bad_value", "field": "task.id",
                                  "message": "bad id 'Could not find provider: dev.harness.companion.rpc'"}}
    with pytest.raises(CompanionRpcError) as info:
        parse_call_output(result_line(doc), "", 0)
    assert info.value.info.code == "bad_value"


def test_provider_exception_is_a_companion_error_with_the_text() -> None:
    with pytest.raises(CompanionError, match="SecurityException") as info:
        parse_call_output("", SECURITY_STDERR, 0, method="hello")
    assert not isinstance(info.value, CompanionNotInstalledError)


def test_rpc_error_names_the_field() -> None:
    doc = {"ok": False, "error": {"code": "out_of_range", "field": "task.params.interval_ms",
                                  "message": "must be > 0"}}
    with pytest.raises(CompanionRpcError) as info:
        parse_call_output(result_line(doc), "", 0, method="schedule", serial="S1")
    err = info.value
    assert err.info.code == "out_of_range"
    assert err.info.field == "task.params.interval_ms"
    assert "task.params.interval_ms" in str(err) and "[S1]" in str(err) and "schedule" in str(err)


def test_platform_error_keeps_the_exception_name() -> None:
    doc = {"ok": False, "error": {"code": "platform_error", "field": None, "message": "not allowed",
                                  "exception": "android.app.ForegroundServiceStartNotAllowedException"}}
    with pytest.raises(CompanionRpcError) as info:
        parse_call_output(result_line(doc), "", 0, method="schedule")
    assert info.value.info.field is None
    assert info.value.info.extra["exception"] == "android.app.ForegroundServiceStartNotAllowedException"


def test_protocol_mismatch_answer_becomes_protocol_mismatch_error() -> None:
    doc = {"ok": False, "error": {"code": "protocol_mismatch", "field": "protocol.major",
                                  "message": "app speaks 2.0"}}
    with pytest.raises(ProtocolMismatchError, match="harness companion install"):
        parse_call_output(result_line(doc), "", 0, method="list")


@pytest.mark.parametrize("stdout, problem", [
    ("Result: Bundle[{json={not json}]\n", "not valid JSON"),
    ("Result: Bundle[{json=[1,2]}]\n", "boolean 'ok'"),
    ("Result: Bundle[{json={\"ok\":\"yes\"}}]\n", "boolean 'ok'"),
    ("Result: null\n", "no 'Result"),
    ("", "no 'Result"),
    ("Result: Bundle[{json={\"ok\":false}}]\n", "missing field 'error'"),
])
def test_malformed_answers(stdout: str, problem: str) -> None:
    with pytest.raises(CompanionResponseError, match=problem):
        parse_call_output(stdout, "", 0, method="list")


def test_content_tool_failing_is_a_command_failure() -> None:
    with pytest.raises(CommandFailedError) as info:
        parse_call_output("", "/system/bin/sh: content: inaccessible or not found\n", 127, serial="S", command="content call")
    assert info.value.status == 127


def test_content_usage_error_on_stdout() -> None:
    out = "usage: adb shell content [subcommand] [options]\n\n[ERROR] No value for argument: --arg\n"
    with pytest.raises(CompanionError, match="No value for argument"):
        parse_call_output(out, "", 0)
