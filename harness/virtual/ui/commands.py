"""Shell commands behind the virtual screen.

* ``CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p PORT``: what the
  uiautomator2 3.x client runs (uiautomator2/core.py ``launch_uiautomator``). The jar must have
  been pushed and hold the class (its dex files name ``Lcom/wetest/uia2/Main;``), else
  ClassNotFoundException as app_process prints it. The server listens on ``tcp:PORT`` (reached
  through adb's ``tcp:PORT`` service) while the shell stream that started it stays open; only one
  UiAutomation connection may exist at a time ("already registered").
* ``md5sum`` / ``toybox md5sum``: the client compares the pushed jar's hash before pushing again.
* ``am start`` gains the system activities the screens need: ``-a
  android.settings.REQUEST_SCHEDULE_EXACT_ALARM -d package:PKG`` (API 31+), ``-a
  android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS -d package:PKG``, and the companion's
  ``--es dev.harness.companion.REQUEST_PERMISSION PERMISSION`` (its activity calls
  requestPermissions). Everything else goes to the am handler registered before.
* ``input keyevent HOME|BACK|APP_SWITCH`` also act on the system surfaces (shade, Recents, pages).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import zipfile
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from harness.companion.protocol import EXTRA_REQUEST_PERMISSION, PACKAGE
from harness.virtual.model.files import FsError
from harness.virtual.shell.registry import CommandContext, CommandRegistry, Handler, ShellResult
from harness.virtual.ui.http import serve_http
from harness.virtual.ui.rpc import UiRpc
from harness.virtual.ui.screen import PageRefused

if TYPE_CHECKING:
    from harness.virtual.adb.stream import AdbStream

log = logging.getLogger(__name__)

U2_MAIN_CLASS = "com.wetest.uia2.Main"
DEFAULT_U2_PORT = 9008
ACTION_REQUEST_SCHEDULE_EXACT_ALARM = "android.settings.REQUEST_SCHEDULE_EXACT_ALARM"
ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS = "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"
COMPANION = PACKAGE
TOYBOX_APPLETS = ("md5sum", "ls", "cat", "id", "date", "echo", "rm", "mkdir", "stat", "touch", "sleep", "true",
                  "false", "pidof")


# ---------------------------------------------------------------- app_process

def _class_in_jar(data: bytes, class_name: str) -> bool:
    descriptor = ("L" + class_name.replace(".", "/") + ";").encode()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                if name.startswith("classes") and name.endswith(".dex") and descriptor in z.read(name):
                    return True
    except zipfile.BadZipFile:
        return False
    return False


def _class_not_found(class_name: str, classpath: str) -> ShellResult:
    zips = ",".join(f'zip file "{p}"' for p in classpath.split(":") if p)
    return ShellResult.error(f'Exception in thread "main" java.lang.ClassNotFoundException: Didn\'t find class '
                             f'"{class_name}" on path: DexPathList[[{zips}],nativeLibraryDirectories=[/system/lib64, '
                             "/system_ext/lib64]]", 1)


def app_process(ctx: CommandContext, argv: list[str]) -> ShellResult:
    env = ctx.extra.get("env") or {}
    classpath = str(env.get("CLASSPATH", ""))
    rest = argv[1:]
    while rest and rest[0].startswith("-"):
        if rest[0].startswith("-Djava.class.path="):
            classpath = rest[0].split("=", 1)[1]
        rest = rest[1:]
    if len(rest) < 2:
        return ShellResult.error("Usage: app_process [java-options] cmd-dir start-class-name [options]", 1)
    class_name, args = rest[1], rest[2:]
    found = False
    for path in (p for p in classpath.split(":") if p):
        try:
            data = ctx.model.files.read(path)
        except FsError:
            continue
        if _class_in_jar(data, class_name):
            found = True
            break
    if not found:
        return _class_not_found(class_name, classpath)
    if class_name != U2_MAIN_CLASS:
        return ShellResult.error(f"app_process: {class_name} cannot run on the virtual device (only the "
                                 f"uiautomator2 server {U2_MAIN_CLASS} is emulated)", 1)
    port = DEFAULT_U2_PORT
    if "-p" in args:
        i = args.index("-p")
        try:
            port = int(args[i + 1])
        except (IndexError, ValueError):
            return ShellResult.error("Error: -p needs a port number", 1)
    return _start_u2_server(ctx, port)


def _start_u2_server(ctx: CommandContext, port: int) -> ShellResult:
    model = ctx.model
    ui, sockets = model.ui, model.sockets
    if ui.uiautomation_owner is not None:
        return ShellResult.error(
            "java.lang.IllegalStateException: UiAutomationService android.accessibilityservice."
            "IAccessibilityServiceClient$Stub$Proxy@5deffd5already registered!", 1)
    owner = object()
    spec = f"tcp:{port}"

    async def serve(stream: "AdbStream") -> None:
        await serve_http(stream, UiRpc(model))

    if not sockets.listen(spec, owner, serve):
        return ShellResult.error(f"java.net.BindException: bind failed: EADDRINUSE (Address already in use) "
                                 f"on port {port}", 1)
    ui.uiautomation_owner = owner
    model.trace("uiautomator_server", port=port, running=True)

    async def lifetime() -> AsyncIterator[bytes]:
        try:
            await asyncio.Event().wait()  # runs until the shell stream that started it closes
            yield b""  # pragma: no cover - never reached
        finally:
            sockets.close(spec, owner)
            if model.ui.uiautomation_owner is owner:
                model.ui.uiautomation_owner = None
            model.trace("uiautomator_server", port=port, running=False)

    banner = f"[server] INFO: [UiAutomator2Server] Starting Server on port {port}\n"
    return ShellResult(stdout=banner.encode(), stream=lifetime())


# ---------------------------------------------------------------- md5sum / toybox

def md5sum(ctx: CommandContext, argv: list[str]) -> ShellResult:
    out, err, status = [], [], 0
    for path in argv[1:]:
        try:
            data = ctx.model.files.read(path)
        except FsError as e:
            err.append(f"md5sum: {path}: {e.strerror}")
            status = 1
            continue
        out.append(f"{hashlib.md5(data).hexdigest()}  {path}")
    return ShellResult(stdout="".join(o + "\n" for o in out).encode(),
                       stderr="".join(e + "\n" for e in err).encode(), status=status)


def _toybox(registry: CommandRegistry) -> Handler:
    def toybox(ctx: CommandContext, argv: list[str]) -> ShellResult:
        if len(argv) < 2:
            return ShellResult.ok(" ".join(TOYBOX_APPLETS) + "\n")
        if argv[1] not in TOYBOX_APPLETS:
            return ShellResult.error(f"toybox: Unknown command {argv[1]}", 1)
        return registry.dispatch(ctx, argv[1:])
    return toybox


# ---------------------------------------------------------------- am start (system activities)

def _intent_bits(args: list[str]) -> tuple[str | None, str | None, str | None, dict[str, str], bool]:
    action = data = comp = None
    extras: dict[str, str] = {}
    wait = False
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if a == "-a" and nxt is not None:
            action, i = nxt, i + 2
        elif a == "-d" and nxt is not None:
            data, i = nxt, i + 2
        elif a == "-n" and nxt is not None:
            comp, i = nxt, i + 2
        elif a == "--es" and i + 2 < len(args):
            extras[args[i + 1]] = args[i + 2]
            i += 3
        else:
            wait = wait or a == "-W"
            i += 1
    return action, data, comp, extras, wait


def _wrap_am(previous: Handler | None) -> Handler:
    def am(ctx: CommandContext, argv: list[str]) -> ShellResult:
        if len(argv) < 2 or argv[1] not in ("start", "start-activity"):
            return previous(ctx, argv) if previous else ShellResult.error("am: not available", 1)
        action, data, comp, extras, wait = _intent_bits(argv[2:])
        m = ctx.model
        if action in (ACTION_REQUEST_SCHEDULE_EXACT_ALARM, ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS):
            text = f"Intent {{ act={action}{' dat=' + data if data else ''} }}"
            pkg = data[len("package:"):] if data and data.startswith("package:") else ""
            if (action == ACTION_REQUEST_SCHEDULE_EXACT_ALARM and m.api < 31) or not m.packages.is_installed(pkg):
                return ShellResult(stdout=f"Starting: {text}\n".encode(),
                                   stderr=f"Error: Activity not started, unable to resolve {text}\n".encode())
            if action == ACTION_REQUEST_SCHEDULE_EXACT_ALARM:
                m.ui.open_exact_alarm_page(pkg)
            else:
                try:
                    m.ui.open_battery_dialog(pkg)
                except PageRefused as e:
                    # the activity starts and finishes at once; am cannot tell
                    m.trace("ui_page_refused", action=action, package=pkg, why=str(e))
            out = f"Starting: {text}\n"
            if wait:
                out += "Status: ok\nLaunchState: COLD\nActivity: com.android.settings/.SubSettings\nComplete\n"
            return ShellResult.ok(out)
        result = previous(ctx, argv) if previous else ShellResult.error("am: not available", 1)
        permission = extras.get(EXTRA_REQUEST_PERMISSION)
        if permission and comp and comp.split("/")[0] == COMPANION and result.status == 0 \
                and m.processes.top == COMPANION:
            shown = m.ui.request_permission(COMPANION, permission)
            m.trace("ui_permission_request", package=COMPANION, permission=permission, shown=shown)
        return result
    return am


def _wrap_input(previous: Handler | None) -> Handler:
    keys = {"3": "home", "KEYCODE_HOME": "home", "HOME": "home", "4": "back", "KEYCODE_BACK": "back",
            "BACK": "back", "187": "recent", "KEYCODE_APP_SWITCH": "recent", "APP_SWITCH": "recent"}

    def input_(ctx: CommandContext, argv: list[str]) -> ShellResult:
        args = argv[1:]
        if len(args) >= 2 and args[0] == "keyevent" and all(a.upper() in keys for a in args[1:]):
            for a in args[1:]:
                ctx.model.ui.press_key(keys[a.upper()])
            return ShellResult()
        return previous(ctx, argv) if previous else ShellResult.error("input: not available", 1)
    return input_


def register(registry: CommandRegistry) -> None:
    registry.register("app_process", app_process)
    registry.register("app_process64", app_process)
    registry.register("md5sum", md5sum)
    registry.register("toybox", _toybox(registry))
    registry.register("am", _wrap_am(registry.lookup("am")))
    previous_cmd_activity = registry.service("cmd", "activity")
    if previous_cmd_activity is not None:
        registry.register_service("cmd", "activity", _wrap_am(previous_cmd_activity))
    registry.register("input", _wrap_input(registry.lookup("input")))
