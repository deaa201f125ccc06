"""The JSON-RPC methods of the uiautomator2 server (``POST /jsonrpc/0``) the virtual device answers.

Names, parameters and result shapes are those the uiautomator2 3.x client sends and reads
(uiautomator2/__init__.py, _selector.py, base.py): positional ``params`` lists, results in
``result``, failures in ``error`` ``{code, message, data}`` where the message names the Java
exception (the client maps ``uiautomator.UiObjectNotFoundException`` to UiObjectNotFoundError).
Waiting methods (``waitForExists``, ``waitUntilGone``) re-check the screen until their timeout,
as UiObject.waitForExists polls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.virtual.ui import nodes
from harness.virtual.ui.pages import HEIGHT, WIDTH

if TYPE_CHECKING:
    from harness.virtual.model.device import DeviceModel
    from harness.virtual.ui.screen import UiSystem

log = logging.getLogger(__name__)

OBJECT_NOT_FOUND = -32002
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL = -32001
WAIT_POLL_S = 0.1  # how often a waiting method re-reads the screen (wall clock)
MAX_WAIT_S = 60.0

KEYCODES = {3: "home", 4: "back", 26: "power", 82: "menu", 187: "recent", 223: "sleep", 224: "wakeup"}


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _args(params: Any) -> list[Any]:
    if params is None:
        return []
    if isinstance(params, list):
        return params
    if isinstance(params, dict):
        return [params]
    return [params]


class UiRpc:
    """One server instance's method table, acting on the device's screen (``model.ui``)."""

    def __init__(self, model: "DeviceModel") -> None:
        self.model = model
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "deviceInfo": self._device_info,
            "dumpWindowHierarchy": self._dump,
            "click": self._click,
            "swipe": self._swipe,
            "swipePoints": self._swipe_points,
            "drag": self._swipe,
            "pressKey": self._press_key,
            "pressKeyCode": self._press_key_code,
            "openNotification": lambda a: self.ui.open_notification() or True,
            "openQuickSettings": lambda a: self.ui.open_notification() or True,
            "exist": self._exist,
            "objInfo": self._obj_info,
            "objInfoOfAllInstances": self._obj_info_all,
            "count": lambda a: len(nodes.find_all(self.ui.roots(), self._selector(a))),
            "wakeUp": lambda a: self.ui.press_key("wakeup"),
            "sleep": lambda a: self.ui.press_key("sleep"),
            "getLastToast": lambda a: None,
            "clearLastToast": lambda a: True,
            "takeScreenshot": lambda a: None,  # no pixels: the client falls back to screencap
            "freezeRotation": lambda a: True,
            "setOrientation": lambda a: True,
        }

    @property
    def ui(self) -> "UiSystem":
        return self.model.ui

    async def call(self, method: str, params: Any) -> Any:
        args = _args(params)
        if method in ("waitForExists", "waitUntilGone"):
            return await self._wait(args, gone=method == "waitUntilGone")
        fn = self._methods.get(method)
        if fn is None:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")
        try:
            return fn(args)
        except nodes.SelectorError as e:
            raise RpcError(INVALID_PARAMS, f"java.lang.IllegalArgumentException: {e}") from e
        except (IndexError, TypeError, ValueError) as e:
            raise RpcError(INVALID_PARAMS, f"java.lang.IllegalArgumentException: bad params for {method}: {e}") from e

    # ------------------------------------------------------------------ methods
    def _device_info(self, args: list[Any]) -> dict[str, Any]:
        m = self.model
        return {"currentPackageName": self.ui.current_package(), "displayHeight": HEIGHT, "displayWidth": WIDTH,
                "displayRotation": 0, "displaySizeDpX": WIDTH * 160 // 420, "displaySizeDpY": HEIGHT * 160 // 420,
                "naturalOrientation": True, "productName": m.props.get("ro.product.name", ""),
                "screenOn": m.state.screen_on, "sdkInt": m.api}

    def _dump(self, args: list[Any]) -> str:
        max_depth = int(args[1]) if len(args) > 1 and args[1] is not None else 50
        return nodes.dump_xml(self.ui.roots(), max_depth)

    def _click(self, args: list[Any]) -> bool:
        if args and isinstance(args[0], dict):
            raise RpcError(INVALID_PARAMS, "click(selector) is not supported; click(x, y)")
        return self.ui.click(float(args[0]), float(args[1]))

    def _swipe(self, args: list[Any]) -> bool:
        fx, fy, tx, ty = (float(a) for a in args[:4])
        return self.ui.swipe(fx, fy, tx, ty)

    def _swipe_points(self, args: list[Any]) -> bool:
        pts = [float(v) for v in args[0]]
        if len(pts) < 4:
            raise ValueError("swipePoints needs at least two points")
        return self.ui.swipe(pts[0], pts[1], pts[-2], pts[-1])

    def _press_key(self, args: list[Any]) -> bool:
        return self.ui.press_key(str(args[0]))

    def _press_key_code(self, args: list[Any]) -> bool:
        name = KEYCODES.get(int(args[0]))
        return self.ui.press_key(name) if name else True

    @staticmethod
    def _selector(args: list[Any]) -> dict[str, Any]:
        if not args or not isinstance(args[0], dict):
            raise ValueError("a selector is required")
        return args[0]

    def _exist(self, args: list[Any]) -> bool:
        return nodes.find(self.ui.roots(), self._selector(args)) is not None

    def _obj_info(self, args: list[Any]) -> dict[str, Any]:
        sel = self._selector(args)
        node = nodes.find(self.ui.roots(), sel)
        if node is None:
            raise RpcError(OBJECT_NOT_FOUND,
                           f"androidx.test.uiautomator.UiObjectNotFoundException: {nodes.describe(sel)}")
        return node.info()

    def _obj_info_all(self, args: list[Any]) -> list[dict[str, Any]]:
        return [n.info() for n in nodes.find_all(self.ui.roots(), self._selector(args))]

    async def _wait(self, args: list[Any], *, gone: bool) -> bool:
        sel = self._selector(args)
        timeout_s = min(MAX_WAIT_S, max(0.0, float(args[1]) / 1000.0 if len(args) > 1 else 0.0))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                present = nodes.find(self.ui.roots(), sel) is not None
            except nodes.SelectorError as e:
                raise RpcError(INVALID_PARAMS, f"java.lang.IllegalArgumentException: {e}") from e
            if present != gone:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(min(WAIT_POLL_S, max(0.0, deadline - loop.time())))
