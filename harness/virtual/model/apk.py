"""Read what PackageManager needs from an APK: the binary AndroidManifest.xml (AXML) and a signature.

An APK is a zip holding ``AndroidManifest.xml`` compiled to Android's binary XML (ResXMLTree):
a string pool chunk, a resource-id map, then start/end element chunks whose attributes carry typed
values. Attribute names are resolved through the resource map when an APK strips the names.
An APK must be signed (a v1 ``META-INF/*.RSA|DSA|EC`` signature or an APK Signing Block for v2+),
else PackageManager refuses it with INSTALL_PARSE_FAILED_NO_CERTIFICATES.

:func:`build_apk` writes a small, valid APK (manifest + v1 signature placeholder) for tests and
fixtures; it is the inverse of :func:`read_apk` for the fields the model uses.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

from harness.virtual.model.packages import InstallFailure, ReceiverDecl

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_RESOURCE_MAP_TYPE = 0x0180
UTF8_FLAG = 1 << 8

TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

ANDROID_NS = "http://schemas.android.com/apk/res/android"
# android.R.attr ids (public.xml) for the attributes the model reads
ATTR_IDS = {
    0x01010003: "name",
    0x01010010: "exported",
    0x0101020C: "minSdkVersion",
    0x01010270: "targetSdkVersion",
    0x0101021B: "versionCode",
    0x0101021C: "versionName",
}
ATTR_ID_BY_NAME = {v: k for k, v in ATTR_IDS.items()}


@dataclass
class Manifest:
    package: str
    version_code: int = 1
    version_name: str = ""
    min_sdk: int = 1
    target_sdk: int = 1
    permissions: list[str] = field(default_factory=list)
    receivers: list[ReceiverDecl] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)


@dataclass
class _Element:
    name: str
    attrs: dict[str, object]
    children: list["_Element"] = field(default_factory=list)


# ---------------------------------------------------------------- reading
def _read_string_pool(buf: bytes, off: int) -> list[str]:
    _t, header_size, _size, count, _styles, flags, strings_start, _styles_start = struct.unpack_from(
        "<HHIIIIII", buf, off)
    utf8 = bool(flags & UTF8_FLAG)
    offsets = struct.unpack_from(f"<{count}I", buf, off + header_size)
    base = off + strings_start
    out: list[str] = []
    for o in offsets:
        p = base + o
        if utf8:
            n = buf[p]
            p += 2 if n & 0x80 else 1
            n = buf[p]
            if n & 0x80:
                n = ((n & 0x7F) << 8) | buf[p + 1]
                p += 2
            else:
                p += 1
            out.append(buf[p:p + n].decode("utf-8", errors="replace"))
        else:
            (n,) = struct.unpack_from("<H", buf, p)
            p += 2
            if n & 0x8000:
                (lo,) = struct.unpack_from("<H", buf, p)
                n = ((n & 0x7FFF) << 16) | lo
                p += 2
            out.append(buf[p:p + 2 * n].decode("utf-16-le", errors="replace"))
    return out


def parse_axml(buf: bytes) -> _Element:
    """Parse binary XML into a small element tree (attribute values typed: str, int, bool)."""
    if len(buf) < 8:
        raise ValueError("binary XML too short")
    t, header_size, size = struct.unpack_from("<HHI", buf, 0)
    if t != RES_XML_TYPE:
        raise ValueError(f"not binary XML (chunk type 0x{t:04x})")
    strings: list[str] = []
    res_ids: list[int] = []
    root: _Element | None = None
    stack: list[_Element] = []
    off = header_size
    end = min(size, len(buf))
    while off + 8 <= end:
        ctype, chead, csize = struct.unpack_from("<HHI", buf, off)
        if csize < 8:
            raise ValueError("bad chunk size")
        if ctype == RES_STRING_POOL_TYPE:
            strings = _read_string_pool(buf, off)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            n = (csize - chead) // 4
            res_ids = list(struct.unpack_from(f"<{n}I", buf, off + chead))
        elif ctype == RES_XML_START_ELEMENT_TYPE:
            ext = off + chead
            _ns, name_i, attr_start, attr_size, attr_count = struct.unpack_from("<iIHHH", buf, ext)
            el = _Element(strings[name_i], {})
            for k in range(attr_count):
                a = ext + attr_start + k * attr_size
                _ans, aname_i, raw_i, _vsize, _res0, dtype, data = struct.unpack_from("<iIiHBBI", buf, a)
                aname = strings[aname_i] if aname_i < len(strings) else ""
                if aname_i < len(res_ids) and res_ids[aname_i] in ATTR_IDS:
                    aname = ATTR_IDS[res_ids[aname_i]]
                value: object
                if dtype == TYPE_STRING:
                    value = strings[data] if data < len(strings) else ""
                elif dtype == TYPE_INT_BOOLEAN:
                    value = data != 0
                elif dtype in (TYPE_INT_DEC, TYPE_INT_HEX):
                    value = struct.unpack("<i", struct.pack("<I", data))[0]
                elif raw_i >= 0:
                    value = strings[raw_i]
                else:
                    value = data
                el.attrs[aname] = value
            if stack:
                stack[-1].children.append(el)
            else:
                root = el
            stack.append(el)
        elif ctype == RES_XML_END_ELEMENT_TYPE:
            if stack:
                stack.pop()
        off += csize
    if root is None:
        raise ValueError("no root element")
    return root


def _has_signature(zf: zipfile.ZipFile, apk: bytes) -> bool:
    names = zf.namelist()
    v1 = any(n.upper().startswith("META-INF/") and n.upper().endswith((".RSA", ".DSA", ".EC")) for n in names) \
        and any(n.upper().startswith("META-INF/") and n.upper().endswith(".SF") for n in names)
    if v1:
        return True
    # APK Signature Scheme v2+: "APK Sig Block 42" right before the central directory.
    eocd = apk.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(apk):
        return False
    (cd_offset,) = struct.unpack_from("<I", apk, eocd + 16)
    return cd_offset >= 16 and apk[cd_offset - 16:cd_offset] == b"APK Sig Block 42"


def _int(v: object, default: int) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return default
    return default


def read_apk(apk: bytes) -> Manifest:
    """The manifest of ``apk``; raises InstallFailure the way PackageManager reports a bad APK."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(apk))
        names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InstallFailure("INSTALL_FAILED_INVALID_APK", f"not a zip archive: {e}") from None
    if "AndroidManifest.xml" not in names:
        raise InstallFailure("INSTALL_PARSE_FAILED_BAD_MANIFEST", "no AndroidManifest.xml")
    try:
        root = parse_axml(zf.read("AndroidManifest.xml"))
    except (ValueError, IndexError, struct.error, zipfile.BadZipFile) as e:
        raise InstallFailure("INSTALL_PARSE_FAILED_BAD_MANIFEST", f"bad binary manifest: {e}") from None
    if root.name != "manifest" or not isinstance(root.attrs.get("package"), str) or not root.attrs["package"]:
        raise InstallFailure("INSTALL_PARSE_FAILED_BAD_MANIFEST", "<manifest> has no package attribute")
    if not _has_signature(zf, apk):
        raise InstallFailure("INSTALL_PARSE_FAILED_NO_CERTIFICATES",
                             "No signature found in package of version 2 or newer for package "
                             f"{root.attrs['package']}")
    m = Manifest(package=str(root.attrs["package"]),
                 version_code=_int(root.attrs.get("versionCode"), 1),
                 version_name=str(root.attrs.get("versionName", "")))
    pkg = m.package
    for child in root.children:
        if child.name == "uses-sdk":
            m.min_sdk = _int(child.attrs.get("minSdkVersion"), 1)
            m.target_sdk = _int(child.attrs.get("targetSdkVersion"), m.min_sdk)
        elif child.name == "uses-permission":
            name = child.attrs.get("name")
            if isinstance(name, str):
                m.permissions.append(name)
        elif child.name == "application":
            for comp in child.children:
                cname = comp.attrs.get("name")
                if not isinstance(cname, str):
                    continue
                full = pkg + cname if cname.startswith(".") else cname
                if comp.name == "receiver":
                    actions = tuple(str(a.attrs.get("name")) for f in comp.children if f.name == "intent-filter"
                                    for a in f.children
                                    if a.name == "action" and isinstance(a.attrs.get("name"), str))
                    exported = comp.attrs.get("exported")
                    m.receivers.append(ReceiverDecl(full, actions, exported if isinstance(exported, bool) else None))
                elif comp.name in ("activity", "activity-alias"):
                    m.activities.append(full)
    return m


# ---------------------------------------------------------------- writing (tests, fixtures)
class _Pool:
    def __init__(self) -> None:
        self.strings: list[str] = []

    def idx(self, s: str) -> int:
        if s not in self.strings:
            self.strings.append(s)
        return self.strings.index(s)

    def encode(self) -> bytes:
        data = b""
        offsets = []
        for s in self.strings:
            offsets.append(len(data))
            raw = s.encode("utf-16-le")
            data += struct.pack("<H", len(s)) + raw + b"\x00\x00"
        while len(data) % 4:
            data += b"\x00"
        header = 28
        strings_start = header + 4 * len(self.strings)
        body = struct.pack(f"<{len(offsets)}I", *offsets) + data
        return struct.pack("<HHIIIIII", RES_STRING_POOL_TYPE, header, header + len(body), len(self.strings), 0, 0,
                           strings_start, 0) + body


def encode_axml(root: tuple[str, dict[str, object], list]) -> bytes:  # type: ignore[type-arg]
    """Compile (tag, attrs, children) tuples to binary XML; android: attributes are listed first in the pool."""
    pool = _Pool()
    # resource-mapped attribute names must come first (their index is the map index)
    mapped = [n for n in ATTR_ID_BY_NAME]
    for n in mapped:
        pool.idx(n)
    pool.idx("android")
    pool.idx(ANDROID_NS)
    nodes = b""

    def elem(tag: str, attrs: dict[str, object], children: list) -> bytes:  # type: ignore[type-arg]
        out = b""
        attr_bytes = b""
        for k, v in attrs.items():
            ns = pool.idx(ANDROID_NS) if k in ATTR_ID_BY_NAME else -1
            name = pool.idx(k)
            if isinstance(v, bool):
                raw, dtype, data = -1, TYPE_INT_BOOLEAN, 0xFFFFFFFF if v else 0
            elif isinstance(v, int):
                raw, dtype, data = -1, TYPE_INT_DEC, v & 0xFFFFFFFF
            else:
                si = pool.idx(str(v))
                raw, dtype, data = si, TYPE_STRING, si
            attr_bytes += struct.pack("<iIiHBBI", ns, name, raw, 8, 0, dtype, data)
        ext = struct.pack("<iIHHHHHH", -1, pool.idx(tag), 20, 20, len(attrs), 0, 0, 0) + attr_bytes
        out += struct.pack("<HHIIi", RES_XML_START_ELEMENT_TYPE, 16, 16 + len(ext), 1, -1) + ext
        for c in children:
            out += elem(*c)
        end_ext = struct.pack("<iI", -1, pool.idx(tag))
        out += struct.pack("<HHIIi", RES_XML_END_ELEMENT_TYPE, 16, 16 + len(end_ext), 1, -1) + end_ext
        return out

    nodes = elem(*root)
    ns_ext = struct.pack("<II", pool.idx("android"), pool.idx(ANDROID_NS))
    start_ns = struct.pack("<HHIIi", RES_XML_START_NAMESPACE_TYPE, 16, 24, 1, -1) + ns_ext
    end_ns = struct.pack("<HHIIi", RES_XML_END_NAMESPACE_TYPE, 16, 24, 1, -1) + ns_ext
    res_map_ids = [ATTR_ID_BY_NAME[n] for n in mapped]
    res_map = struct.pack("<HHI", RES_XML_RESOURCE_MAP_TYPE, 8, 8 + 4 * len(res_map_ids)) + \
        struct.pack(f"<{len(res_map_ids)}I", *res_map_ids)
    body = pool.encode() + res_map + start_ns + nodes + end_ns
    return struct.pack("<HHI", RES_XML_TYPE, 8, 8 + len(body)) + body


def build_apk(package: str, version_code: int = 1, target_sdk: int = 34, min_sdk: int = 21,
              permissions: tuple[str, ...] = (), receivers: dict[str, tuple[str, ...]] | None = None,
              activities: tuple[str, ...] = (".MainActivity",), signed: bool = True,
              version_name: str = "1.0") -> bytes:
    """A minimal APK for tests: binary manifest, an empty classes.dex, and a v1 signature placeholder."""
    app_children: list = []  # type: ignore[type-arg]
    for a in activities:
        app_children.append(("activity", {"name": a, "exported": True}, []))
    for rname, actions in (receivers or {}).items():
        filt = ("intent-filter", {}, [("action", {"name": act}, []) for act in actions])
        app_children.append(("receiver", {"name": rname, "exported": True}, [filt]))
    children: list = [("uses-sdk", {"minSdkVersion": min_sdk, "targetSdkVersion": target_sdk}, [])]  # type: ignore
    children += [("uses-permission", {"name": p}, []) for p in permissions]
    children.append(("application", {}, app_children))
    manifest = encode_axml(("manifest", {"versionCode": version_code, "versionName": version_name,
                                         "package": package}, children))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("AndroidManifest.xml", manifest)
        zf.writestr("classes.dex", b"dex\n035\x00")
        if signed:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n")
            zf.writestr("META-INF/CERT.SF", "Signature-Version: 1.0\r\n")
            zf.writestr("META-INF/CERT.RSA", b"\x30\x00")
    return buf.getvalue()
