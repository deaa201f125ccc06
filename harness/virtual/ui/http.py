"""A minimal HTTP/1.1 server on one ADB stream: the uiautomator2 server's NanoHTTPD endpoints.

Routes: ``GET /ping`` -> ``pong``; ``POST /jsonrpc/0`` -> a JSON-RPC 2.0 call (see rpc.py);
anything else -> 404. Requests on one connection are answered in order until the client closes
it (keep-alive, as NanoHTTPD does). A malformed request gets 400 and the connection closes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from harness.virtual.adb.stream import AdbStream, StreamClosed
from harness.virtual.ui.rpc import INTERNAL, RpcError, UiRpc

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


class BadRequest(Exception):
    pass


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Reader:
    def __init__(self, stream: AdbStream) -> None:
        self.stream = stream
        self.buf = bytearray()

    async def _more(self) -> bool:
        data = await self.stream.read_some()
        if not data:
            return False
        self.buf += data
        return True

    async def request(self) -> Request | None:
        """The next request; None when the client closed the connection between requests."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEADER_BYTES:
                raise BadRequest("headers too large")
            if not await self._more():
                if self.buf.strip():
                    raise BadRequest("connection closed inside the headers")
                return None
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(f"bad request line {lines[0]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(f"bad header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raise BadRequest("chunked request bodies are not supported")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as e:
            raise BadRequest("bad Content-Length") from e
        if length < 0 or length > MAX_BODY_BYTES:
            raise BadRequest("bad Content-Length")
        while len(self.buf) < length:
            if not await self._more():
                raise BadRequest("connection closed inside the body")
        body = bytes(self.buf[:length])
        del self.buf[:length]
        return Request(parts[0], parts[1], headers, body)


def _response(status: int, body: bytes, content_type: str, close: bool) -> bytes:
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n")
    return head.encode() + body


async def _jsonrpc(rpc: UiRpc, body: bytes) -> bytes:
    try:
        req = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return json.dumps({"jsonrpc": "2.0", "id": None,
                           "error": {"code": -32700, "message": f"Parse error: {e}"}}).encode()
    rid = req.get("id") if isinstance(req, dict) else None
    if not isinstance(req, dict) or not isinstance(req.get("method"), str):
        return json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": -32600, "message": "Invalid Request"}}).encode()
    method = req["method"]
    try:
        result = await rpc.call(method, req.get("params"))
        out: dict[str, object] = {"jsonrpc": "2.0", "id": rid, "result": result}
    except RpcError as e:
        out = {"jsonrpc": "2.0", "id": rid, "error": {"code": e.code, "message": e.message, "data": e.message}}
    except Exception as e:  # a bug in a method must answer, not kill the server
        log.exception("jsonrpc %s failed", method)
        msg = f"java.lang.RuntimeException: {type(e).__name__}: {e}"
        out = {"jsonrpc": "2.0", "id": rid, "error": {"code": INTERNAL, "message": msg, "data": msg}}
    log.debug("jsonrpc %s -> %s", method, "error" if "error" in out else "ok")
    return json.dumps(out).encode()


async def serve_http(stream: AdbStream, rpc: UiRpc) -> None:
    reader = _Reader(stream)
    try:
        while True:
            try:
                req = await reader.request()
            except BadRequest as e:
                await stream.write(_response(400, str(e).encode(), "text/plain", True))
                return
            if req is None:
                return
            close = req.headers.get("connection", "").lower() == "close"
            if req.path == "/ping":
                data = _response(200, b"pong", "text/plain", close)
            elif req.path == "/jsonrpc/0":
                if req.method != "POST":
                    data = _response(405, b"POST only", "text/plain", close)
                else:
                    data = _response(200, await _jsonrpc(rpc, req.body), "application/json", close)
            else:
                data = _response(404, f"Not Found: {req.path}".encode(), "text/plain", close)
            await stream.write(data)
            if close:
                return
    except StreamClosed:
        return
