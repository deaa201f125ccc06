"""The ``content`` tool (frameworks/base cmds/content, Content.java): ``call`` and ``query``.

``content call`` prints ``Result: `` followed by Bundle.toString() of the provider's answer, e.g.
``Result: Bundle[{json=...}]``, or ``Result: null``. Any exception while reaching or calling the
provider is reported on stderr as ``Error while accessing provider:AUTHORITY`` followed by the
exception's stack trace, and the tool still exits 0 (Content.main returns normally).
"""

from __future__ import annotations

from harness.virtual.model.companion import PROVIDER_AUTHORITY, CallerNotAllowed, ProviderNotFound
from harness.virtual.model.journal import dumps
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult

USAGE = """usage: adb shell content [subcommand] [options]

usage: adb shell content call --uri <URI> --method <METHOD> [--arg <ARG>]
       [--extra <BINDING>...] [--user <USER_ID>]
  <METHOD> is the name of a provider-defined method
  <ARG> is an optional string argument

usage: adb shell content query --uri <URI> [--user <USER_ID>] [--projection <PROJECTION>]
       [--where <WHERE>] [--sort <SORT_ORDER>]
"""


def register(registry: CommandRegistry) -> None:
    registry.register("content", content)


class _BadArgs(Exception):
    pass


def _parse(argv: list[str], allowed: set[str]) -> dict[str, str]:
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        name = argv[i]
        if name not in allowed:
            raise _BadArgs(f"Unsupported argument: {name}")
        if i + 1 >= len(argv):
            raise _BadArgs(f"Expecting argument value for {name}")
        value = argv[i + 1]
        if value == "" or value.startswith("--"):
            raise _BadArgs(f"Expecting argument value for {name}")
        opts[name] = value
        i += 2
    return opts


def _authority(uri: str) -> str:
    if not uri.startswith("content://"):
        raise _BadArgs(f"Invalid Content URI: {uri}")
    rest = uri[len("content://"):]
    return rest.split("/", 1)[0]


def _provider_error(authority: str, exception: str, message: str) -> ShellResult:
    trace = (f"Error while accessing provider:{authority}\n"
             f"{exception}: {message}\n"
             "\tat android.os.Parcel.createExceptionOrNull(Parcel.java:3069)\n"
             "\tat android.os.Parcel.createException(Parcel.java:3053)\n"
             "\tat android.os.Parcel.readException(Parcel.java:3036)\n"
             "\tat com.android.commands.content.Content$Command.execute(Content.java:524)\n"
             "\tat com.android.commands.content.Content.main(Content.java:752)\n")
    return ShellResult(stderr=trace.encode(), status=0)


def _not_found(authority: str) -> ShellResult:
    trace = (f"Error while accessing provider:{authority}\n"
             f"java.lang.IllegalStateException: Could not find provider: {authority}\n"
             "\tat com.android.commands.content.Content$Command.execute(Content.java:512)\n"
             "\tat com.android.commands.content.Content.main(Content.java:752)\n")
    return ShellResult(stderr=trace.encode(), status=0)


def content(ctx: CommandContext, argv: list[str]) -> ShellResult:
    if len(argv) < 2:
        return ShellResult(stdout=USAGE.encode())
    sub = argv[1]
    try:
        if sub == "call":
            return _call(ctx, _parse(argv[2:], {"--uri", "--method", "--arg", "--user", "--extra"}))
        if sub == "query":
            return _query(ctx, _parse(argv[2:], {"--uri", "--user", "--projection", "--where", "--sort",
                                                 "--arg"}))
        raise _BadArgs(f"Unsupported operation: {sub}")
    except _BadArgs as e:
        return ShellResult(stderr=f"Error: {e}\n{USAGE}".encode(), status=0)


def _call(ctx: CommandContext, opts: dict[str, str]) -> ShellResult:
    if "--uri" not in opts:
        raise _BadArgs("Content provider URI not specified. Did you specify --uri argument?")
    if "--method" not in opts:
        raise _BadArgs("Content provider method not specified.")
    authority = _authority(opts["--uri"])
    if authority != PROVIDER_AUTHORITY:
        return _not_found(authority)
    faults = ctx.extra.get("faults")
    if faults is not None and ctx.model.companion.package in faults.crash_loop:
        return _crash_loop(ctx, authority)
    try:
        answer = ctx.model.companion.provider_call(opts["--method"], opts.get("--arg"), ctx.uid)
    except ProviderNotFound:
        return _not_found(authority)
    except CallerNotAllowed as e:
        return _provider_error(authority, CallerNotAllowed.exception, str(e))
    return ShellResult.ok(f"Result: Bundle[{{json={dumps(answer)}}}]\n")


def _crash_loop(ctx: CommandContext, authority: str) -> ShellResult:
    """``vdev crash-loop``: the app's process crashes, is started for the call and crashes again in
    Application.onCreate before publishing its provider: the waiting ``content`` gets no provider."""
    procs = ctx.model.processes
    package = ctx.model.companion.package
    if not ctx.model.packages.is_installed(package):
        return _not_found(authority)
    procs.kill(package, "crash")
    procs.start(package, "content_provider")
    procs.kill(package, "crash")
    return _not_found(authority)


def _query(ctx: CommandContext, opts: dict[str, str]) -> ShellResult:
    if "--uri" not in opts:
        raise _BadArgs("Content provider URI not specified. Did you specify --uri argument?")
    uri = opts["--uri"]
    authority = _authority(uri)
    if authority == PROVIDER_AUTHORITY:
        if not ctx.model.packages.is_installed(ctx.model.companion.package):
            return _not_found(authority)
        # The RPC provider implements call() only: query() returns a null cursor.
        return ShellResult.ok("No result found.\n")
    if authority == "settings":
        parts = uri[len("content://"):].split("/")
        table = parts[1] if len(parts) > 1 else ""
        values = ctx.model.settings.get(table)
        if values is None:
            return _provider_error(authority, "java.lang.IllegalArgumentException", f"Invalid URI: {uri}")
        rows = [f"Row: {i} _id={i + 1}, name={k}, value={v}" for i, (k, v) in enumerate(sorted(values.items()))]
        return ShellResult.ok("\n".join(rows) + "\n" if rows else "No result found.\n")
    return _not_found(authority)
