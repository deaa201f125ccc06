"""The device shell subset and the stores it uses (in-process: parsing and semantics)."""

from __future__ import annotations

import asyncio

import pytest

from harness.virtual.commands import build_registry
from harness.virtual.model.device import DeviceModel
from harness.virtual.model.files import FsError
from harness.virtual.model.logbuffer import LogPriority
from harness.virtual.shell.interpreter import BufferSink, Interpreter
from harness.virtual.shell.registry import CommandContext, Effect


@pytest.fixture
def model() -> DeviceModel:
    return DeviceModel(name="unit", serial="unit-1")


def sh(model: DeviceModel, script: str, uid: int = 2000) -> tuple[int, str, str]:
    result = Interpreter(build_registry(), CommandContext(model, uid=uid)).run_collect(script)
    return result.status, result.stdout.decode(), result.stderr.decode()


@pytest.mark.parametrize(("script", "expected"), [
    ("echo a; echo b", (0, "a\nb\n", "")),
    ("false; echo $?", (0, "1\n", "")),
    ("false && echo no || echo yes", (0, "yes\n", "")),
    ("true || echo no; echo $?", (0, "0\n", "")),
    ("exit 3; echo never", (3, "", "")),
    ("false; exit", (1, "", "")),
    ("echo 'a  b' \"c\\\"d\" e\\ f '$?'", (0, "a  b c\"d e f $?\n", "")),
    ("echo one\necho two", (0, "one\ntwo\n", "")),
    ("missing_cmd", (127, "", "/system/bin/sh: missing_cmd: inaccessible or not found\n")),
    ("missing_cmd 2>&1", (127, "/system/bin/sh: missing_cmd: inaccessible or not found\n", "")),
    ("missing_cmd 2>/dev/null", (127, "", "")),
    ("echo x >/dev/null; echo $?", (0, "0\n", "")),
    ("echo err >&2", (0, "", "err\n")),
    ("X=1; echo $X${X}$UNSET.", (0, "11.\n", "")),
    ("exec echo hi; echo never", (0, "hi\n", "")),
    ("echo a | grep a", (2, "", "/system/bin/sh: pipes are not supported by the virtual device shell\n")),
    ("echo 'open", (2, "", "/system/bin/sh: unterminated quoted string\n")),
    ("&& echo", (2, "", "/system/bin/sh: syntax error: '&&' unexpected\n")),
])
def test_script_semantics(model: DeviceModel, script: str, expected: tuple[int, str, str]) -> None:
    assert sh(model, script) == expected


def test_redirect_to_file_and_append(model: DeviceModel) -> None:
    assert sh(model, "echo one > /data/local/tmp/f; echo two >> /data/local/tmp/f; cat /data/local/tmp/f") == \
        (0, "one\ntwo\n", "")
    status, _, err = sh(model, "echo x > /system/f")
    assert (status, err) == (1, "/system/bin/sh: can't create /system/f: Read-only file system\n")
    status, _, err = sh(model, "echo x > /data/system/f")
    assert (status, err) == (1, "/system/bin/sh: can't create /data/system/f: Permission denied\n")
    assert sh(model, "echo x > /data/system/f; echo $?", uid=0)[1] == "0\n"


def test_reboot_effect_stops_the_script(model: DeviceModel) -> None:
    result = Interpreter(build_registry(), CommandContext(model)).run_collect("echo bye; reboot; echo never")
    assert (result.stdout, result.effect) == (b"bye\n", Effect.REBOOT)


def test_cd_and_relative_paths(model: DeviceModel) -> None:
    assert sh(model, "cd /sdcard/Download && touch a.txt && ls && pwd") == (0, "a.txt\n/sdcard/Download\n", "")
    assert model.files.exists("/storage/emulated/0/Download/a.txt")  # /sdcard is shared storage


def test_file_commands_report_like_toybox(model: DeviceModel) -> None:
    assert sh(model, "cat /nope") == (1, "", "cat: /nope: No such file or directory\n")
    assert sh(model, "ls /data") == (1, "", "ls: /data: Permission denied\n")
    assert sh(model, "mkdir /sdcard/a/b")[2] == "mkdir: '/sdcard/a/b': No such file or directory\n"
    assert sh(model, "mkdir -p /sdcard/a/b && ls /sdcard/a") == (0, "b\n", "")
    assert sh(model, "rm /sdcard/a") == (1, "", "rm: /sdcard/a: is a directory\n")
    assert sh(model, "rm -r /sdcard/a && ls /sdcard/a")[2] == "ls: /sdcard/a: No such file or directory\n"
    assert sh(model, "rm -f /sdcard/none; echo $?")[1] == "0\n"
    model.files.write("/data/local/tmp/s", b"12345", perm=0o644)
    assert sh(model, "stat -c '%s %a %F %U' /data/local/tmp/s")[1] == "5 644 regular file root\n"


def test_filestore_errors(model: DeviceModel) -> None:
    with pytest.raises(FsError) as e:
        model.files.write("/data/local/tmp", b"x")
    assert e.value.strerror == "Is a directory"
    with pytest.raises(FsError):
        model.files.write("/data/local/tmp/x/y", b"x")  # parent missing
    node = model.files.write("/data/local/tmp/x/y", b"x", make_parents=True, uid=2000)
    assert node.uid == 2000 and model.files.read("/data/local/tmp/x/y") == b"x"


def test_getprop_setprop_settings(model: DeviceModel) -> None:
    assert sh(model, "getprop ro.product.model") == (0, "unit\n", "")
    assert "[ro.build.version.sdk]: [34]\n" in sh(model, "getprop")[1]
    assert sh(model, "setprop debug.harness 1; getprop debug.harness") == (0, "1\n", "")
    status, _, err = sh(model, "setprop ro.product.model other")
    assert status == 1 and "Failed to set property 'ro.product.model'" in err
    assert sh(model, "settings get secure nope") == (0, "null\n", "")
    assert sh(model, "settings put system k v; settings get system k; settings list system") == \
        (0, "v\nk=v\n", "")
    assert sh(model, "settings delete system k; settings delete system k")[1] == "Deleted 1 rows\nDeleted 0 rows\n"
    assert sh(model, "settings get bogus k")[0] == 255


def test_pm_list_and_path(model: DeviceModel) -> None:
    out = sh(model, "pm list packages")[1]
    assert "package:dev.harness.companion\n" in out
    assert sh(model, "pm path no.such.pkg") == (1, "", "")
    assert sh(model, "cmd package list packages companion")[1] == "package:dev.harness.companion\n"
    assert sh(model, "pm bogus") == (255, "", "Unknown command: bogus\n")
    status, _, err = sh(model, "pm install /data/local/tmp/none.apk")
    assert status == 255 and "Can't open file" in err


def test_logcat_formats_and_filters(model: DeviceModel) -> None:
    model.logcat.append(LogPriority.INFO, "HarnessJournal", "first\nsecond", pid=321, tid=322)
    model.logcat.append("D", "Noise", "x", pid=5)
    status, out, _ = sh(model, "logcat -d")
    lines = out.splitlines()
    assert lines[0] == "--------- beginning of main"
    assert lines[1] == "01-01 00:00:00.000   321   322 I HarnessJournal: first"
    assert lines[2].endswith("I HarnessJournal: second")
    assert sh(model, "logcat -d -v brief -s HarnessJournal")[1].splitlines()[1:] == \
        ["I/HarnessJournal(  321): first", "I/HarnessJournal(  321): second"]
    assert sh(model, "logcat -d -v tag Noise:W *:S")[1] == ""
    assert sh(model, "logcat -d -v tag -t 1")[1].splitlines()[1:] == ["D/Noise   : x"]
    assert sh(model, "logcat -c; logcat -d")[1] == ""


def test_logcat_follow_streams_new_lines(model: DeviceModel) -> None:
    async def scenario() -> bytes:
        interp = Interpreter(build_registry(), CommandContext(model))
        sink = BufferSink()
        task = asyncio.create_task(interp.run("logcat -v tag -s Follow", sink))
        await asyncio.sleep(0)  # let the follower start (it waits on the buffer)
        model.logcat.append("I", "Follow", "one")
        model.logcat.append("I", "Other", "hidden")
        model.logcat.append("W", "Follow", "two")
        for _ in range(20):  # bounded: the follower runs on this loop
            if sink.out.count(b"\n") >= 3:
                break
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return bytes(sink.out)

    out = asyncio.run(scenario())
    assert out == b"--------- beginning of main\nI/Follow  : one\nW/Follow  : two\n"
