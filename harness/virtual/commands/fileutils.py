"""toybox file utilities on the FileStore: ls, cat, rm, mkdir, touch, stat.

Relative paths resolve against the shell's directory (``ctx.extra["cwd"]``, set by ``cd``).
Errors print ``NAME: PATH: strerror`` on stderr with status 1, as toybox does.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import stat as stat_mod

from harness.virtual.model.files import USER_NAMES, FsError, Node
from harness.virtual.shell.registry import CommandContext, CommandRegistry, ShellResult


def register(registry: CommandRegistry) -> None:
    registry.register("ls", ls)
    registry.register("cat", cat)
    registry.register("rm", rm)
    registry.register("mkdir", mkdir)
    registry.register("touch", touch)
    registry.register("stat", stat)


def _path(ctx: CommandContext, path: str) -> str:
    cwd = str(ctx.extra.get("cwd", "/"))
    return posixpath.normpath(posixpath.join(cwd, path))


def _split_flags(argv: list[str], allowed: str) -> tuple[set[str], list[str]] | str:
    flags: set[str] = set()
    paths: list[str] = []
    only_paths = False
    for arg in argv[1:]:
        if not only_paths and arg == "--":
            only_paths = True
        elif not only_paths and arg.startswith("-") and len(arg) > 1:
            for ch in arg[1:]:
                if ch not in allowed:
                    return f"{argv[0]}: Unknown option '{ch}'"
                flags.add(ch)
        else:
            paths.append(arg)
    return flags, paths


def _fail(name: str, err: FsError, shown: str) -> str:
    return f"{name}: {shown}: {err.strerror}\n"


def _user(uid: int) -> str:
    return USER_NAMES.get(uid, str(uid))


def _time(seconds: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).strftime(fmt)


def _long_line(name: str, node: Node) -> str:
    links = 2 if node.is_dir else 1
    return (f"{stat_mod.filemode(node.mode)} {links:>2} {_user(node.uid):<8} {_user(node.gid):<8} "
            f"{node.size:>8} {_time(node.mtime)} {name}")


def ls(ctx: CommandContext, argv: list[str]) -> ShellResult:
    parsed = _split_flags(argv, "laAd1RhnFs")
    if isinstance(parsed, str):
        return ShellResult.error(parsed, 1)
    flags, paths = parsed
    files = ctx.model.files
    out: list[str] = []
    err: list[str] = []
    targets = paths or ["."]
    dirs: list[tuple[str, Node]] = []
    for shown in targets:
        try:
            node = files.stat(_path(ctx, shown))
        except FsError as e:
            err.append(_fail("ls", e, shown))
            continue
        if node.is_dir and "d" not in flags:
            dirs.append((shown, node))
        else:
            out.append(_long_line(shown, node) if "l" in flags else shown)
    for shown, node in dirs:
        try:
            entries = files.listdir(_path(ctx, shown), uid=ctx.uid)
        except FsError as e:
            err.append(_fail("ls", e, shown))
            continue
        if len(targets) > 1:
            if out:
                out.append("")
            out.append(f"{shown}:")
        if "a" in flags:
            entries = [(".", node), ("..", node), *entries]
        elif "A" not in flags:
            entries = [(n, c) for n, c in entries if not n.startswith(".")]
        if "l" in flags:
            out.append(f"total {sum((c.size + 4095) // 4096 * 4 for _, c in entries)}")
            out.extend(_long_line(n, c) for n, c in entries)
        else:
            out.extend(n for n, _ in entries)
    text = "".join(line + "\n" for line in out)
    return ShellResult(stdout=text.encode(), stderr="".join(err).encode(), status=1 if err else 0)


def cat(ctx: CommandContext, argv: list[str]) -> ShellResult:
    out = bytearray()
    err: list[str] = []
    for shown in argv[1:]:
        if shown == "-":
            continue  # stdin is empty
        try:
            out += ctx.model.files.read(_path(ctx, shown))
        except FsError as e:
            err.append(_fail("cat", e, shown))
    return ShellResult(stdout=bytes(out), stderr="".join(err).encode(), status=1 if err else 0)


def rm(ctx: CommandContext, argv: list[str]) -> ShellResult:
    parsed = _split_flags(argv, "rRfiv")
    if isinstance(parsed, str):
        return ShellResult.error(parsed, 1)
    flags, paths = parsed
    if not paths and "f" not in flags:
        return ShellResult.error("rm: Needs 1 argument", 1)
    err: list[str] = []
    recursive = bool(flags & {"r", "R"})
    for shown in paths:
        try:
            node = ctx.model.files.stat(_path(ctx, shown))
            if node.is_dir and not recursive:
                err.append(f"rm: {shown}: is a directory\n")
                continue
            ctx.model.files.remove(_path(ctx, shown), uid=ctx.uid, recursive=recursive)
        except FsError as e:
            if "f" in flags and e.errno == 2:
                continue
            err.append(_fail("rm", e, shown))
    return ShellResult(stderr="".join(err).encode(), status=1 if err else 0)


def mkdir(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    parents = False
    perm = 0o771
    paths: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-p":
            parents = True
        elif a == "-m" and i + 1 < len(args):
            try:
                perm = int(args[i + 1], 8)
            except ValueError:
                return ShellResult.error(f"mkdir: bad mode '{args[i + 1]}'", 1)
            i += 1
        elif a.startswith("-") and a != "-":
            return ShellResult.error(f"mkdir: Unknown option '{a}'", 1)
        else:
            paths.append(a)
        i += 1
    if not paths:
        return ShellResult.error("mkdir: Needs 1 argument", 1)
    err: list[str] = []
    for shown in paths:
        try:
            ctx.model.files.mkdir(_path(ctx, shown), uid=ctx.uid, perm=perm, parents=parents)
        except FsError as e:
            err.append(f"mkdir: '{shown}': {e.strerror}\n")
    return ShellResult(stderr="".join(err).encode(), status=1 if err else 0)


def touch(ctx: CommandContext, argv: list[str]) -> ShellResult:
    paths = [a for a in argv[1:] if not a.startswith("-")]
    if not paths:
        return ShellResult.error("touch: Needs 1 argument", 1)
    err: list[str] = []
    for shown in paths:
        try:
            ctx.model.files.touch(_path(ctx, shown), uid=ctx.uid)
        except FsError as e:
            err.append(_fail("touch", e, shown))
    return ShellResult(stderr="".join(err).encode(), status=1 if err else 0)


def _kind_name(node: Node) -> str:
    if node.is_dir:
        return "directory"
    if stat_mod.S_ISCHR(node.mode):
        return "character special file"
    return "regular file" if node.size else "regular empty file"


def _format(fmt: str, shown: str, node: Node) -> str:
    fields = {
        "n": shown, "N": f"'{shown}'", "s": str(node.size), "a": f"{node.perm:o}", "A": stat_mod.filemode(node.mode),
        "F": _kind_name(node), "f": f"{node.mode:x}", "u": str(node.uid), "U": _user(node.uid),
        "g": str(node.gid), "G": _user(node.gid), "i": str(node.ino), "h": "2" if node.is_dir else "1",
        "Y": str(node.mtime), "X": str(node.mtime), "Z": str(node.mtime), "b": str((node.size + 511) // 512),
        "B": "512", "o": "4096",
        "y": _time(node.mtime, "%Y-%m-%d %H:%M:%S.000000000 +0000"),
        "x": _time(node.mtime, "%Y-%m-%d %H:%M:%S.000000000 +0000"),
        "z": _time(node.mtime, "%Y-%m-%d %H:%M:%S.000000000 +0000"),
        "%": "%",
    }
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            out.append(fields.get(fmt[i + 1], "?"))
            i += 2
        elif ch == "\\" and i + 1 < len(fmt) and fmt[i + 1] == "n":
            out.append("\n")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


DEFAULT_STAT_FORMAT = ("  File: %N\n  Size: %s\t Blocks: %b\t IO Blocks: %o\t%F\n"
                       "Device: fd00h/64768d\t Inode: %i\t Links: %h\n"
                       "Access: (0%a/%A)\tUid: (%u/%U)\tGid: (%g/%G)\n"
                       "Access: %x\nModify: %y\nChange: %z")


def stat(ctx: CommandContext, argv: list[str]) -> ShellResult:
    args = argv[1:]
    fmt = DEFAULT_STAT_FORMAT
    paths: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in ("-c", "--format") and i + 1 < len(args):
            fmt = args[i + 1]
            i += 2
            continue
        if args[i].startswith("-c") and len(args[i]) > 2:
            fmt = args[i][2:]
        elif args[i] in ("-L", "-f", "-t"):
            pass
        else:
            paths.append(args[i])
        i += 1
    if not paths:
        return ShellResult.error("stat: Needs 1 argument", 1)
    out: list[str] = []
    err: list[str] = []
    for shown in paths:
        try:
            node = ctx.model.files.stat(_path(ctx, shown))
        except FsError as e:
            err.append(f"stat: '{shown}': {e.strerror}\n")
            continue
        out.append(_format(fmt, shown, node) + "\n")
    return ShellResult(stdout="".join(out).encode(), stderr="".join(err).encode(), status=1 if err else 0)
