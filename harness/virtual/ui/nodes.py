"""The accessibility node tree of the virtual screen, its XML dump and UiSelector matching.

The dump follows what uiautomator's AccessibilityNodeInfoDumper writes (and what the
uiautomator2 server returns from ``dumpWindowHierarchy``): ``<hierarchy rotation="0">`` with
nested ``<node>`` elements carrying index, text, resource-id, class, package, content-desc, the
boolean flags and ``bounds="[l,t][r,b]"``. Selectors are the ``UiSelector`` fields the
uiautomator2 client sends (its ``Selector`` dict: a ``mask`` of set fields, plus
``childOrSibling`` / ``childOrSiblingSelector``); regex fields match the whole string, as Java's
``String.matches`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

# An action a node runs when clicked (the model change the tap causes).
ClickAction = Callable[[], None]


@dataclass(frozen=True)
class Bounds:
    left: int
    top: int
    right: int
    bottom: int

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def text(self) -> str:
        return f"[{self.left},{self.top}][{self.right},{self.bottom}]"

    def to_json(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


@dataclass
class Node:
    cls: str
    bounds: Bounds
    package: str
    text: str = ""
    resource_id: str = ""
    desc: str = ""
    clickable: bool = False
    checkable: bool = False
    checked: bool = False
    enabled: bool = True
    scrollable: bool = False
    focusable: bool = False
    selected: bool = False
    children: list["Node"] = field(default_factory=list)
    on_click: ClickAction | None = field(default=None, repr=False)
    tag: str = ""  # what the node stands for in the screen model (e.g. "task:PKG"); not dumped
    index: int = 0

    def add(self, *nodes: "Node") -> "Node":
        for n in nodes:
            n.index = len(self.children)
            self.children.append(n)
        return self

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children:
            yield from c.walk()

    # ------------------------------------------------------------------ dump
    def to_xml(self, depth: int, max_depth: int, out: list[str]) -> None:
        attrs = [("index", str(self.index)), ("text", self.text), ("resource-id", self.resource_id),
                 ("class", self.cls), ("package", self.package), ("content-desc", self.desc),
                 ("checkable", _b(self.checkable)), ("checked", _b(self.checked)),
                 ("clickable", _b(self.clickable)), ("enabled", _b(self.enabled)),
                 ("focusable", _b(self.focusable)), ("focused", "false"),
                 ("scrollable", _b(self.scrollable)), ("long-clickable", "false"), ("password", "false"),
                 ("selected", _b(self.selected)), ("visible-to-user", "true"), ("bounds", self.bounds.text()),
                 ("display-id", "0")]
        head = "  " * depth + "<node " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs)
        kids = self.children if depth + 1 < max_depth else []
        if not kids:
            out.append(head + " />")
            return
        out.append(head + ">")
        for c in kids:
            c.to_xml(depth + 1, max_depth, out)
        out.append("  " * depth + "</node>")

    def info(self) -> dict[str, Any]:
        """The ObjInfo the uiautomator2 server returns for ``objInfo``."""
        return {"bounds": self.bounds.to_json(), "visibleBounds": self.bounds.to_json(),
                "childCount": len(self.children), "className": self.cls, "contentDescription": self.desc or None,
                "packageName": self.package, "resourceName": self.resource_id or None, "text": self.text or None,
                "checkable": self.checkable, "checked": self.checked, "clickable": self.clickable,
                "enabled": self.enabled, "focusable": self.focusable, "focused": False, "longClickable": False,
                "scrollable": self.scrollable, "selected": self.selected}


def _b(v: bool) -> str:
    return "true" if v else "false"


def dump_xml(roots: list[Node], max_depth: int = 50) -> str:
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>", '<hierarchy rotation="0">']
    for i, r in enumerate(roots):
        r.index = i
        r.to_xml(1, max(1, max_depth) + 1, out)
    out.append("</hierarchy>")
    return "\r\n".join(out)


# ---------------------------------------------------------------- selectors

class SelectorError(ValueError):
    """A selector the server cannot use (bad regex, unknown relation)."""


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as e:
        raise SelectorError(f"bad regular expression {pattern!r}: {e}") from e


def node_matches(node: Node, sel: dict[str, Any]) -> bool:
    """Does ``node`` satisfy the plain fields of ``sel`` (index/instance/relations excluded)?"""
    for key, value in sel.items():
        if key in ("mask", "childOrSibling", "childOrSiblingSelector", "instance", "index"):
            continue
        if not _field_matches(node, key, value):
            return False
    if "index" in sel and node.index != int(sel["index"]):
        return False
    return True


def _field_matches(node: Node, key: str, value: Any) -> bool:
    text, desc, cls, pkg, rid = node.text, node.desc, node.cls, node.package, node.resource_id
    if key == "text":
        return text == value
    if key == "textContains":
        return str(value) in text
    if key == "textMatches":
        return _regex(str(value)).fullmatch(text) is not None
    if key == "textStartsWith":
        return text.startswith(str(value))
    if key == "className":
        return cls == value
    if key == "classNameMatches":
        return _regex(str(value)).fullmatch(cls) is not None
    if key == "description":
        return desc == value
    if key == "descriptionContains":
        return str(value) in desc
    if key == "descriptionMatches":
        return _regex(str(value)).fullmatch(desc) is not None
    if key == "descriptionStartsWith":
        return desc.startswith(str(value))
    if key == "packageName":
        return pkg == value
    if key == "packageNameMatches":
        return _regex(str(value)).fullmatch(pkg) is not None
    if key == "resourceId":
        return rid == value
    if key == "resourceIdMatches":
        return _regex(str(value)).fullmatch(rid) is not None
    flags = {"checkable": node.checkable, "checked": node.checked, "clickable": node.clickable,
             "longClickable": False, "scrollable": node.scrollable, "enabled": node.enabled,
             "focusable": node.focusable, "focused": False, "selected": node.selected}
    if key in flags:
        return flags[key] == bool(value)
    raise SelectorError(f"unsupported selector field {key!r}")


def _parents(roots: list[Node]) -> dict[int, Node]:
    parents: dict[int, Node] = {}
    for r in roots:
        for n in r.walk():
            for c in n.children:
                parents[id(c)] = n
    return parents


def find_all(roots: list[Node], sel: dict[str, Any]) -> list[Node]:
    """Every node ``sel`` selects, in document order (``instance`` picks among these)."""
    found = [n for r in roots for n in r.walk() if node_matches(n, sel)]
    relations = list(sel.get("childOrSibling") or [])
    subs = list(sel.get("childOrSiblingSelector") or [])
    if len(relations) != len(subs):
        raise SelectorError("childOrSibling and childOrSiblingSelector differ in length")
    parents = _parents(roots) if "sibling" in relations else {}
    for relation, sub in zip(relations, subs):
        nxt: list[Node] = []
        for n in found:
            if relation == "child":
                pool = [d for c in n.children for d in c.walk()]
            elif relation == "sibling":
                parent = parents.get(id(n))
                pool = [s for s in parent.children if s is not n] if parent is not None else []
            else:
                raise SelectorError(f"unsupported relation {relation!r}")
            for cand in pool:
                if node_matches(cand, sub) and all(cand is not x for x in nxt):
                    nxt.append(cand)
        found = [x for i, x in enumerate(nxt) if _instance_ok(sub, i)]
    return found


def _instance_ok(sel: dict[str, Any], i: int) -> bool:
    return "instance" not in sel or int(sel["instance"]) == i


def find(roots: list[Node], sel: dict[str, Any]) -> Node | None:
    nodes = find_all(roots, sel)
    k = int(sel.get("instance", 0) or 0)
    return nodes[k] if k < len(nodes) else None


def describe(sel: dict[str, Any]) -> str:
    """UiSelector[TEXT=Allow, ...] as the server's exception messages print it."""
    parts = [f"{k.upper()}={v}" for k, v in sel.items() if k not in ("mask", "childOrSibling",
                                                                     "childOrSiblingSelector")]
    return "UiSelector[" + ", ".join(parts) + "]"
