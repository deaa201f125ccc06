"""Device.shell through the real adb server (Debian adb 29 and the adb 36 adbutils bundles)."""

from __future__ import annotations

import time

import pytest

from harness.bridge.device import Device
from harness.bridge.shell import join_commands
from harness.errors import CommandFailedError, CommandTimeoutError

pytestmark = pytest.mark.parametrize("adb_server", ["debian", "bundled"], indirect=True)


def test_device_advertises_shell_v2(device: Device) -> None:
    assert device.shell_v2


@pytest.mark.parametrize(("script", "status"), [("true", 0), ("exit 3", 3), ("no_such_command_xyz", 127)])
def test_exit_status(device: Device, script: str, status: int) -> None:
    result = device.shell_script(script)
    assert result.status == status
    assert result.ok is (status == 0)
    assert result.serial == device.serial and result.command == script


def test_unknown_command_reports_on_stderr_only(device: Device) -> None:
    result = device.shell(["no_such_command_xyz", "arg"])
    assert result.status == 127
    assert result.stdout == ""
    assert "no_such_command_xyz: inaccessible or not found" in result.stderr


def test_stdout_and_stderr_are_kept_apart(device: Device) -> None:
    result = device.shell_script("echo to-out ; cat /no/such/file ; echo more-out")
    assert result.stdout == "to-out\nmore-out\n"
    assert "/no/such/file" in result.stderr and "to-out" not in result.stderr
    assert result.status == 0  # the last command's status, as sh


HOSTILE = [
    "'; rm -rf /",
    'double "quotes" and \'single\'',
    "$HOME ${PATH} $?",
    "  spaces  inside  ",
    "line1\nline2",
    "back`tick` $(id) ; && || > /data/x",
    "\\ backslash \\n",
    "",
]


def test_hostile_arguments_survive_the_round_trip(device: Device) -> None:
    result = device.shell(["echo", *HOSTILE], check=True)
    assert result.stdout == " ".join(HOSTILE) + "\n"


def test_quoted_argument_does_not_run_a_second_command(device: Device) -> None:
    marker = "/data/local/tmp/harness_injected"
    device.shell(["rm", "-f", marker])
    device.shell(["echo", f"x; touch {marker}"], check=True)
    assert device.shell(["ls", marker]).status != 0


def test_check_raises_with_serial_command_status_and_stderr(device: Device) -> None:
    with pytest.raises(CommandFailedError) as info:
        device.shell(["cat", "/no/such/file"], check=True)
    err = info.value
    assert err.serial == device.serial
    assert err.command == "cat /no/such/file"
    assert err.status == 1
    assert "/no/such/file" in err.stderr
    assert device.serial in str(err) and "exited 1" in str(err)


def test_several_commands_in_one_round_trip(device: Device) -> None:
    script = join_commands([["echo", "a b"], ["getprop", "ro.harness.virtual"], ["echo", "c;d"]])
    assert device.shell_script(script, check=True).stdout == "a b\n1\nc;d\n"


def test_timeout_on_a_command_that_never_ends(device: Device) -> None:
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError) as info:
        device.shell(["logcat"], timeout=0.5)
    assert info.value.serial == device.serial and info.value.command == "logcat"
    assert time.monotonic() - started < 5.0
    assert device.shell(["echo", "still here"]).stdout == "still here\n"  # the device is unharmed


def test_device_facts(device: Device) -> None:
    assert device.is_virtual
    assert device.api_level == int(device.getprop("ro.build.version.sdk"))
    assert device.model == device.getprop("ro.product.model") != ""
    props = device.getprops(["ro.harness.virtual", "ro.no.such.prop", "ro.build.version.sdk"])
    assert props == {"ro.harness.virtual": "1", "ro.no.such.prop": "", "ro.build.version.sdk": str(device.api_level)}
