"""Pure parsing and quoting of the bridge (no device needed)."""

from __future__ import annotations

import shlex

import pytest

from harness.bridge.attached import AdbState, is_tcp_serial
from harness.bridge.install import parse_install_failure, parse_uninstall_failure
from harness.bridge.logcat import LogPriority, logcat_argv, parse_line
from harness.bridge.shell import join_commands, quote_argv


def test_threadtime_line_is_parsed():
    line = parse_line("01-02 03:04:05.678  1234  5678 I HarnessJournal: {\"seq\": 1, \"a\": \"b: c\"}\r\n")
    assert line is not None
    assert (line.time, line.pid, line.tid, line.priority, line.tag) == (
        "01-02 03:04:05.678", 1234, 5678, LogPriority.INFO, "HarnessJournal")
    assert line.message == '{"seq": 1, "a": "b: c"}'


def test_short_tag_padding_is_stripped():
    line = parse_line("12-31 23:59:59.000   100   101 W Foo     : message")
    assert line is not None and line.tag == "Foo" and line.message == "message"


@pytest.mark.parametrize("text", ["--------- beginning of main", "", "garbage line"])
def test_non_log_lines_are_skipped(text):
    assert parse_line(text) is None


def test_logcat_argv_filters_tags_and_silences_the_rest():
    assert logcat_argv(["HarnessJournal", "Foo"]) == [
        "logcat", "-v", "threadtime", "HarnessJournal:V", "Foo:V", "*:S"]
    with pytest.raises(ValueError):
        logcat_argv(["bad tag"])


def test_install_failure_reason():
    reason, message = parse_install_failure(
        "Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 1 is older than current 2]")
    assert reason == "INSTALL_FAILED_VERSION_DOWNGRADE"
    assert message.startswith("Downgrade detected")
    reason, _ = parse_install_failure(
        "adb: failed to install x.apk: Failure [INSTALL_PARSE_FAILED_NO_CERTIFICATES: Failed collecting certificates]")
    assert reason == "INSTALL_PARSE_FAILED_NO_CERTIFICATES"
    assert parse_install_failure("Error: something odd")[0] == "UNKNOWN"


def test_uninstall_failure_reason():
    assert parse_uninstall_failure("Failure [DELETE_FAILED_INTERNAL_ERROR]") == ("DELETE_FAILED_INTERNAL_ERROR", "")
    assert parse_uninstall_failure("Failure [not installed for 0]") == ("UNKNOWN", "not installed for 0")


def test_quote_argv_round_trips_through_sh_lexing():
    hostile = ["echo", "'; rm -rf /", 'a"b', "$HOME", "two words", "line1\nline2", "`id`", ""]
    assert shlex.split(quote_argv(hostile)) == hostile
    with pytest.raises(TypeError):
        quote_argv("echo hi")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        quote_argv([])


def test_join_commands_keeps_each_command_quoted():
    script = join_commands([["echo", "a;b"], ["getprop", "x y"]])
    assert script == "echo 'a;b' ; getprop 'x y'"


def test_serial_kinds_and_states():
    assert is_tcp_serial("127.0.0.1:5555") and is_tcp_serial("phone.local:40001") and is_tcp_serial("[::1]:5037")
    assert not is_tcp_serial("emulator-5554") and not is_tcp_serial("R58M123ABC")
    assert AdbState("device").online and not AdbState("offline").online
    assert AdbState("no") is AdbState.NO_PERMISSIONS and AdbState("weird") is AdbState.UNKNOWN
