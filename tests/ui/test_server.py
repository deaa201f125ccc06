"""The uiautomator2 server of the virtual device, reached by uiautomator2's own client through adb."""

from __future__ import annotations

import hashlib
from pathlib import Path

import adbutils
import pytest
import uiautomator2
from lxml import etree

from harness.bridge.device import Device
from harness.errors import UiAutomatorUnavailableError
from harness.ui.session import UiSession, connect
from tests.ui.conftest import sh


def test_connect_pushes_the_jar_and_starts_the_server(ui: UiSession, fresh: Device) -> None:
    jar = Path(uiautomator2.__file__).parent / "assets" / "u2.jar"
    md5 = hashlib.md5(jar.read_bytes()).hexdigest()
    assert sh(fresh, "md5sum", "/data/local/tmp/u2.jar").split()[0] == md5
    info = ui.u2.info
    assert info["sdkInt"] == fresh.api_level and info["currentPackageName"] == "com.android.launcher3"
    with pytest.raises(uiautomator2.exceptions.RPCUnknownError, match="Method not found"):
        ui.u2.jsonrpc.noSuchMethod()


def test_hierarchy_dump_is_uiautomator_xml(ui: UiSession, fresh: Device) -> None:
    fresh.shell(["am", "start", "-W", "-n", "dev.harness.companion/.ui.CompanionActivity"])
    root = etree.fromstring(ui.u2.dump_hierarchy().encode())
    assert root.tag == "hierarchy" and root.get("rotation") == "0"
    nodes = list(root.iter("node"))
    assert {"text", "resource-id", "class", "package", "content-desc", "clickable", "bounds"} <= set(nodes[0].attrib)
    assert any(n.get("package") == "dev.harness.companion" for n in nodes)
    assert ui.current_package() == "dev.harness.companion"


def test_selectors_wait_and_report_missing_objects(ui: UiSession) -> None:
    d = ui.u2
    assert d(text="Harness companion", className="android.widget.TextView").exists  # launcher icon
    assert not d(text="No such thing").wait(timeout=0.3)
    with pytest.raises(uiautomator2.exceptions.UiObjectNotFoundError):
        d(text="No such thing").info
    d(text="Harness companion").click()  # tapping the icon starts the app
    assert ui.current_package() == "dev.harness.companion"


def test_nothing_listens_after_the_server_stops(ui: UiSession, fresh: Device) -> None:
    ui.u2.stop_uiautomator(wait=True)
    with pytest.raises(adbutils.AdbError):
        fresh.adb.create_connection(adbutils.Network.TCP, 9008)


def test_http_garbage_gets_400(ui: UiSession, fresh: Device) -> None:
    sock = fresh.adb.create_connection(adbutils.Network.TCP, 9008)
    try:
        sock.settimeout(10)
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    finally:
        sock.close()


def test_second_uiautomation_is_refused_with_serial_and_cause(fresh: Device) -> None:
    first = connect(fresh)
    try:
        with pytest.raises(UiAutomatorUnavailableError) as err:
            connect(fresh, port=9010)
        assert fresh.serial in str(err.value) and "already registered" in str(err.value)
    finally:
        first.close()


def test_missing_server_class_is_a_clear_error(fresh: Device) -> None:
    out = sh(fresh, "app_process", "/", "com.wetest.uia2.Main")  # no CLASSPATH
    assert "ClassNotFoundException" in out and "com.wetest.uia2.Main" in out
