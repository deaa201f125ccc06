"""The RPC argument reaches the device as ONE shell word, byte for byte, whatever it holds."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from harness.bridge.shell import quote_argv
from harness.companion.client import call_argv, request_arg
from harness.companion.protocol import URI, Behavior, CoroutineParams, JobParams, Method, Task
from harness.virtual.shell.parser import parse

HOSTILE = [
    "x'; rm -rf /; echo '",
    "a\"b\\\"c",
    "$(reboot)",
    "`id`",
    "$HOME ${PATH} $?",
    "semi;colon && and || or | pipe & amp",
    "new\nline\r\ttab",
    "'",
    "''''",
    "--arg",
    "}]",
    "Bundle[{json=",
    "ünïcödé ☃ 💥",
    "*?[glob]",
    "> /sdcard/x 2>&1 < /dev/null",
    "# comment",
    "\\",
    "",
]


def _argv_for(task_id: str, detail: str) -> list[str]:
    task = Task(task_id, JobParams(min_latency_ms=0), Behavior(duration_ms=1))
    arg = request_arg({"task": task.to_json(), "note": detail})
    return call_argv(Method.SCHEDULE, arg)


@pytest.mark.parametrize("text", HOSTILE)
def test_argument_is_one_word_that_posix_sh_gives_back(text: str) -> None:
    argv = _argv_for(text, text)
    line = quote_argv(argv)
    # A real POSIX shell: print each word NUL-terminated.
    out = subprocess.run(["/bin/sh", "-c", "printf '%s\\0' " + line], capture_output=True, check=True,
                         timeout=10).stdout
    words = out.decode("utf-8").split("\0")[:-1]
    assert words == argv
    assert words[:6] == ["content", "call", "--uri", URI, "--method", "schedule"]
    assert words[6] == "--arg" and len(words) == 8
    sent = json.loads(words[7])
    assert sent["task"]["id"] == text and sent["note"] == text


@pytest.mark.parametrize("text", HOSTILE)
def test_virtual_device_shell_parses_the_same_words(text: str) -> None:
    argv = _argv_for(text, text)
    commands = parse(quote_argv(argv))
    assert len(commands) == 1
    words = [w.literal() for w in commands[0].words]
    assert words == argv
    assert shlex.split(quote_argv(argv)) == argv


def test_arg_is_compact_ascii_json_and_never_starts_with_dashes() -> None:
    argv = call_argv(Method.SCHEDULE, request_arg({"task": Task("t☃", CoroutineParams()).to_json()}))
    arg = argv[-1]
    assert arg.isascii() and "\n" not in arg and arg.startswith("{")
    assert json.loads(arg)["task"]["id"] == "t☃"
    assert json.loads(arg)["protocol"] == {"major": 1, "minor": 0}


def test_empty_argument_is_omitted() -> None:
    assert call_argv(Method.HELLO) == ["content", "call", "--uri", URI, "--method", "hello"]
    assert call_argv("hello", {}) == call_argv(Method.HELLO)


def test_method_name_cannot_be_an_option() -> None:
    with pytest.raises(ValueError):
        call_argv("--uri")
