"""A uiautomator2 connection to a bridge :class:`~harness.bridge.device.Device`.

The uiautomator2 client (3.x) pushes its server jar to ``/data/local/tmp/u2.jar``, starts it
with ``app_process`` over a streaming ``adb shell`` and talks HTTP JSON-RPC to it through adb's
``tcp:9008`` service. It is given the bridge's own ``adbutils.AdbDevice``, so it uses the same
adb server (and private port) as the rest of the harness. Any failure to start becomes one
:class:`~harness.errors.UiAutomatorUnavailableError` naming the serial and the cause.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import UiAutomatorUnavailableError, UiElementNotFoundError

if TYPE_CHECKING:
    import uiautomator2

    from harness.bridge.device import Device

log = logging.getLogger(__name__)

DEFAULT_SERVER_PORT = 9008
DEFAULT_WAIT_S = 5.0  # how long an action waits for a screen element (the server polls)


@dataclass(frozen=True)
class ScreenNode:
    """One node of a hierarchy dump (the attributes actions read)."""

    text: str
    resource_id: str
    cls: str
    package: str
    desc: str
    checked: bool
    bounds: tuple[int, int, int, int]


def parse_bounds(text: str) -> tuple[int, int, int, int]:
    """``[l,t][r,b]`` -> (l, t, r, b)."""
    parts = text.replace("][", ",").strip("[]").split(",")
    if len(parts) != 4:
        raise ValueError(f"bad bounds {text!r}")
    left, top, right, bottom = (int(p) for p in parts)
    return left, top, right, bottom


class UiSession:
    """uiautomator2 on one device; close() stops its server (the device is left as found)."""

    def __init__(self, device: "Device", u2: "uiautomator2.Device") -> None:
        self.device = device
        self.u2 = u2

    @property
    def serial(self) -> str:
        return self.device.serial

    def close(self) -> None:
        try:
            self.u2.stop_uiautomator(wait=False)
        except Exception as e:  # uiautomator2 raises its own hierarchy and adbutils errors
            log.warning("[%s] stopping the uiautomator2 server: %s", self.serial, e)

    def __enter__(self) -> "UiSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reading the screen
    def dump(self) -> list[tuple[ScreenNode, list[ScreenNode]]]:
        """Every node with its descendants, in document order."""
        xml = self.u2.dump_hierarchy()
        root = ET.fromstring(xml.encode("utf-8"))
        out: list[tuple[ScreenNode, list[ScreenNode]]] = []
        for el in root.iter("node"):
            node = _node(el)
            out.append((node, [_node(d) for d in el.iter("node") if d is not el]))
        return out

    def current_package(self) -> str:
        info: dict[str, Any] = self.u2.info
        return str(info.get("currentPackageName", ""))

    def wait_for(self, action: str, what: str, selectors: list[dict[str, Any]],
                 timeout: float = DEFAULT_WAIT_S) -> "uiautomator2.UiObject":
        """The first selector that matches within ``timeout`` (the server waits); else a clear error.

        Several selectors cover what differs between devices (resource ids, texts); the first one
        waits the whole timeout, the others are checked once after it.
        """
        for i, sel in enumerate(selectors):
            obj = self.u2(**sel)
            if obj.wait(timeout=timeout if i == 0 else 0):
                return obj
        raise UiElementNotFoundError(self.serial, action, what, self.current_package())

    def press(self, key: str) -> None:
        self.u2.press(key)


def _node(el: ET.Element) -> ScreenNode:
    a = el.attrib
    return ScreenNode(a.get("text", ""), a.get("resource-id", ""), a.get("class", ""), a.get("package", ""),
                      a.get("content-desc", ""), a.get("checked") == "true", parse_bounds(a.get("bounds", "[0,0][0,0]")))


def connect(device: "Device", *, port: int = DEFAULT_SERVER_PORT) -> UiSession:
    """Start (or reuse) the uiautomator2 server on ``device``.

    Raises :class:`UiAutomatorUnavailableError` with the cause when the client is missing, the
    jar cannot be pushed, or the server does not come up (uiautomator2 waits at most 30 s).
    """
    try:
        import uiautomator2
        from uiautomator2 import exceptions as u2e
    except ImportError as e:
        raise UiAutomatorUnavailableError(device.serial, f"the uiautomator2 package is not installed ({e})") from e
    import adbutils

    try:
        d = uiautomator2.connect(device.adb, port=port)
    except u2e.AccessibilityServiceAlreadyRegisteredError as e:
        raise UiAutomatorUnavailableError(
            device.serial, "another UiAutomation client is connected (an instrumentation test or another "
            f"uiautomator server is running): {_first_line(e)}") from e
    except u2e.LaunchUiAutomationError as e:
        raise UiAutomatorUnavailableError(device.serial, f"the server did not start: {_launch_detail(e)}") from e
    except (u2e.BaseException, adbutils.AdbError, OSError) as e:
        raise UiAutomatorUnavailableError(device.serial, f"{type(e).__name__}: {_first_line(e)}") from e
    log.info("[%s] uiautomator2 server ready on device port %d", device.serial, port)
    return UiSession(device, d)


def _first_line(e: BaseException) -> str:
    text = " ".join(str(a) for a in e.args) if e.args else str(e)
    return text.strip().splitlines()[0] if text.strip() else type(e).__name__


def _launch_detail(e: BaseException) -> str:
    args = [str(a) for a in e.args]
    reason = args[0] if args else "unknown"
    output = " ".join(args[1:]).strip()
    if output:
        last = [ln for ln in output.splitlines() if ln.strip()]
        return f"{reason}; server output: {last[-1][:300] if last else ''}"
    return f"{reason} (no server output)"
