"""A small threaded HTTP/1.1 server on 127.0.0.1 for payload tests (SSE, multipart,
binary, pagination), driven by real httpx clients.

    with PayloadServer() as server:
        httpx.post(server.url + "/sse", json={"pieces": ["data: 1\\n\\n"]})

Routes:
- `POST /sse`: JSON `{"pieces": [str, ...], "delay": s, "repeat": {"piece": str,
  "count": n, "delay": s}, "tag": str}`; writes each piece as its own HTTP chunk
  (`text/event-stream`), then `repeat.piece` up to `count` times; with `"abort": true`
  it then hangs up mid-body. How it ended is recorded in `server.stream_outcomes[tag]`
  ("completed" | "aborted" | "disconnected": the client hung up first), and
  `server.stream_event(tag)` is set once that is known.
- `POST /multipart?status=`: parses a `multipart/form-data` body as it arrives
  (Content-Length or chunked) and answers JSON `{"parts": [{"name", "filename",
  "content_type", "size", "sha256", "text"}], "request_content_type",
  "transfer_encoding", "content_length"}`; "text" is the part as UTF-8 when it is at
  most 64 KiB. With `status` >= 500 it answers that status, empty, with
  `Retry-After-Ms: 10` (after reading the whole body).
- `GET /binary?size=N&type=&abort_at=M`: N bytes of `binary_payload(N)` with
  Content-Length, written as generated (never held whole in memory); with `abort_at`
  it hangs up after M bytes.
- `GET /pages?after=&limit=&total=&last_id=0|1`: cursor pages over items `item-0..`
  (`{"object": "list", "data": [...], "has_more", "last_id"}`).
Every request is logged in `server.requests` (method, path, query), every parsed
multipart body in `server.uploads` (query, parts). The server answers 503 after
`max_requests` requests, and its sockets time out after `timeout` s.

Generated clients call API paths (`POST /v1/chat/completions`), so
`server.mount(method, path, route, ...)` serves an exact path with one of the routes
above, scripted by the test instead of by the request: `query` gives the route's query
defaults (the client's own query wins), `script` the /sse script, `reply` JSON members
merged into the /multipart echo (`describe_part` also fills `bytes` and `filename` from
that part) or the whole body of the "json" route, `item` the members of every /pages
item. A mounted request's body is read first (multipart: parsed by its route) and
logged with its headers as `requests[i]["headers"]` and `["json"]` (None unless JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["PayloadServer", "Mount", "binary_payload", "binary_payload_sha256"]

_BLOCK = bytes(range(256)) * 256  # 64 KiB
_TEXT_LIMIT = 64 * 1024


def binary_payload(size: int) -> Iterator[bytes]:
    """Deterministic, non-periodic-per-block bytes: block k is _BLOCK rotated by k."""
    index = 0
    while size > 0:
        shift = (index * 7) % 256
        block = _BLOCK[shift:] + _BLOCK[:shift]
        piece = block[:size]
        size -= len(piece)
        index += 1
        yield piece


def binary_payload_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for piece in binary_payload(size):
        digest.update(piece)
    return digest.hexdigest()


class _Part:
    def __init__(self, headers: dict[str, str]) -> None:
        disposition = headers.get("content-disposition", "")
        params = _disposition_params(disposition)
        self.name = params.get("name")
        self.filename = params.get("filename")
        self.content_type = headers.get("content-type")
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = bytearray()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.digest.update(data)
        if len(self.head) <= _TEXT_LIMIT:
            self.head += data[: _TEXT_LIMIT + 1 - len(self.head)]

    def summary(self) -> dict[str, Any]:
        text = None
        if len(self.head) <= _TEXT_LIMIT:
            text = bytes(self.head).decode("utf-8", "replace")
        return {
            "name": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.digest.hexdigest(),
            "text": text,
        }


_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)="((?:[^"\\]|\\.)*)"')


def _disposition_params(value: str) -> dict[str, str]:
    params = {}
    for key, raw in _PARAM.findall(value):
        # httpx escapes per the HTML5 form encoding: '"' as %22, backslash doubled.
        params[key.lower()] = raw.replace("%22", '"').replace("\\\\", "\\")
    return params


class MultipartParser:
    """Incremental multipart/form-data parser: memory stays at one chunk plus a tail."""

    def __init__(self, boundary: bytes) -> None:
        self._delimiter = b"\r\n--" + boundary
        # A leading CRLF lets the first delimiter match like every later one.
        self._buffer = bytearray(b"\r\n")
        self._state = "preamble"
        self._part: _Part | None = None
        self.parts: list[_Part] = []

    @property
    def complete(self) -> bool:
        return self._state == "epilogue"

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while self._step():
            pass

    def _step(self) -> bool:
        buffer = self._buffer
        delimiter = self._delimiter
        if self._state == "epilogue":
            buffer.clear()
            return False
        if self._state in ("preamble", "body"):
            found = buffer.find(delimiter)
            if found < 0:
                keep = len(delimiter) - 1
                if len(buffer) > keep:
                    if self._part is not None:
                        self._part.write(bytes(buffer[: len(buffer) - keep]))
                    del buffer[: len(buffer) - keep]
                return False
            if self._part is not None:
                self._part.write(bytes(buffer[:found]))
                self.parts.append(self._part)
                self._part = None
            del buffer[: found + len(delimiter)]
            self._state = "after-delimiter"
            return True
        if self._state == "after-delimiter":
            if len(buffer) < 2:
                return False
            if buffer[:2] == b"--":
                self._state = "epilogue"
                return True
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return False
            del buffer[: line_end + 2]
            self._state = "headers"
            return True
        # headers
        if buffer[:2] == b"\r\n":
            end, skip = 0, 2
        else:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > 16384:
                    raise ValueError("multipart part headers too long")
                return False
            skip = 4
        headers: dict[str, str] = {}
        for line in bytes(buffer[:end]).decode("utf-8").split("\r\n"):
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        del buffer[: end + skip]
        self._part = _Part(headers)
        self._state = "body"
        return True


@dataclass(frozen=True)
class Mount:
    """How a mounted API path is answered (see the module docstring)."""

    route: str  # "sse" | "multipart" | "binary" | "pages" | "json"
    query: Mapping[str, str] = field(default_factory=dict)
    script: Mapping[str, Any] | None = None
    reply: Mapping[str, Any] | None = None
    describe_part: str | None = None
    item: Mapping[str, Any] | None = None
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes go out at once
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        owner = self.server.owner
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        entry: dict[str, Any] = {
            "method": self.command,
            "path": url.path,
            "query": query,
        }
        with owner.lock:
            owner.requests.append(entry)
            over_limit = len(owner.requests) > owner.max_requests
            mount = owner.mounts.get((self.command, url.path))
        if over_limit:
            self._drain_body()
            self._send_json(503, {"error": {"message": "request limit reached"}})
            return
        if mount is not None:
            self._serve_mount(mount, {**mount.query, **query}, entry)
            return
        route = {
            ("POST", "/sse"): self._sse,
            ("POST", "/multipart"): self._multipart,
            ("GET", "/binary"): self._binary,
            ("GET", "/pages"): self._pages,
        }.get((self.command, url.path))
        if route is None:
            self._drain_body()
            self._send_json(404, {"error": {"message": f"no route {url.path}"}})
            return
        route(query)

    def _serve_mount(
        self, mount: Mount, query: dict[str, str], entry: dict[str, Any]
    ) -> None:
        entry["headers"] = {key.lower(): value for key, value in self.headers.items()}
        entry["json"] = None
        if mount.route == "multipart":
            self._multipart(query, mount)
            return
        body = b"".join(self._iter_body())
        if self.headers.get("content-type", "").startswith("application/json"):
            entry["json"] = json.loads(body)
        if mount.route == "sse":
            self._sse(query, dict(mount.script or {}))
        elif mount.route == "binary":
            self._binary(query)
        elif mount.route == "pages":
            self._pages(query, mount.item)
        elif mount.route == "json":
            self._send_json(mount.status, dict(mount.reply or {}))
        else:
            self._send_json(500, {"error": {"message": f"no route {mount.route}"}})

    # request bodies

    def _iter_body(self) -> Iterator[bytes]:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                remaining = size
                while remaining:
                    data = self.rfile.read(min(remaining, 65536))
                    if not data:
                        raise ConnectionError("body ended early")
                    remaining -= len(data)
                    yield data
                self.rfile.readline(1024)  # CRLF after the chunk
        else:
            remaining = int(self.headers.get("content-length") or 0)
            while remaining:
                data = self.rfile.read(min(remaining, 65536))
                if not data:
                    raise ConnectionError("body ended early")
                remaining -= len(data)
                yield data

    def _drain_body(self) -> None:
        for _ in self._iter_body():
            pass

    def _read_json(self) -> Any:
        return json.loads(b"".join(self._iter_body()) or b"{}")

    # responses

    def _send_json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # routes

    def _sse(self, query: dict[str, str], script: Any = None) -> None:
        if script is None:
            script = self._read_json()
        owner = self.server.owner
        tag = str(script.get("tag", ""))
        done = owner.stream_event(tag)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        delay = float(script.get("delay", 0))
        repeat = script.get("repeat") or {}
        outcome = "completed"
        try:
            for piece in script.get("pieces", []):
                self._write_chunk(piece.encode())
                if delay:
                    time.sleep(delay)
            for _ in range(int(repeat.get("count", 0))):
                if owner.stopping.is_set():
                    break
                self._write_chunk(repeat["piece"].encode())
                time.sleep(float(repeat.get("delay", 0.01)))
            if script.get("abort"):
                outcome = "aborted"  # hang up without the final chunk
                self.close_connection = True
            else:
                self._write_chunk(b"")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            outcome = "disconnected"
            self.close_connection = True
        owner.stream_outcomes[tag] = outcome
        done.set()

    def _multipart(self, query: dict[str, str], mount: Mount | None = None) -> None:
        content_type = self.headers.get("content-type", "")
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not content_type.startswith("multipart/form-data") or match is None:
            self._drain_body()
            self._send_json(400, {"error": {"message": "not multipart/form-data"}})
            return
        parser = MultipartParser(match.group(1).encode("latin-1"))
        for data in self._iter_body():
            parser.feed(data)
        if not parser.complete:
            self._send_json(400, {"error": {"message": "multipart body incomplete"}})
            return
        summaries = [part.summary() for part in parser.parts]
        with self.server.owner.lock:
            self.server.owner.uploads.append({"query": query, "parts": summaries})
        status = int(query.get("status", "200"))
        if status >= 500:
            self.send_response(status)
            self.send_header("Retry-After-Ms", "10")  # retry at once
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        echo: dict[str, Any] = {
            "parts": summaries,
            "request_content_type": content_type,
            "transfer_encoding": self.headers.get("transfer-encoding"),
            "content_length": self.headers.get("content-length"),
        }
        if mount is not None:
            echo.update(mount.reply or {})
            described = [s for s in summaries if s["name"] == mount.describe_part]
            if described:
                echo["bytes"] = described[0]["size"]
                echo["filename"] = described[0]["filename"]
            status = mount.status
        self._send_json(status, echo)

    def _binary(self, query: dict[str, str]) -> None:
        size = int(query.get("size", "0"))
        abort_at = int(query.get("abort_at", str(size)))
        self.send_response(200)
        self.send_header("Content-Type", query.get("type", "application/octet-stream"))
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        try:
            for piece in binary_payload(size):
                piece = piece[: abort_at - sent]
                self.wfile.write(piece)
                sent += len(piece)
                if sent >= abort_at:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        if sent < size:
            self.close_connection = True  # hang up short of Content-Length

    def _pages(
        self, query: dict[str, str], item: Mapping[str, Any] | None = None
    ) -> None:
        total = int(query.get("total", "7"))
        limit = int(query.get("limit", "3"))
        ids = [f"item-{index}" for index in range(total)]
        after = query.get("after")
        start = ids.index(after) + 1 if after in ids else 0
        page = ids[start : start + limit]
        body: dict[str, Any] = {
            "object": "list",
            "data": [{"object": "item", **(item or {}), "id": id_} for id_ in page],
            "has_more": start + limit < total,
        }
        if query.get("last_id", "1") == "1":
            body["first_id"] = page[0] if page else None
            body["last_id"] = page[-1] if page else None
        self._send_json(200, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: PayloadServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client hanging up, which tests do on purpose: no traceback
        super().handle_error(request, client_address)


class PayloadServer:
    """The server on an ephemeral 127.0.0.1 port, in a daemon thread; stop() ends it."""

    def __init__(self, *, max_requests: int = 200, timeout: float = 30.0) -> None:
        self.max_requests = max_requests
        self.timeout = timeout
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []  # every parsed multipart body
        self.stream_outcomes: dict[str, str] = {}
        self.mounts: dict[tuple[str, str], Mount] = {}
        self.stopping = threading.Event()
        self._stream_done: dict[str, threading.Event] = {}
        # StreamRequestHandler applies its class attribute `timeout` to each socket.
        handler = type("_TimedHandler", (_Handler,), {"timeout": timeout})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="payload-server",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def mount(
        self,
        method: str,
        path: str,
        route: str,
        *,
        query: Mapping[str, object] | None = None,
        script: Mapping[str, Any] | None = None,
        reply: Mapping[str, Any] | None = None,
        describe_part: str | None = None,
        item: Mapping[str, Any] | None = None,
        status: int = 200,
    ) -> None:
        """Serve `method path` (exact) with `route`, replacing an earlier mount."""
        mount = Mount(
            route=route,
            query={key: str(value) for key, value in (query or {}).items()},
            script=script,
            reply=reply,
            describe_part=describe_part,
            item=item,
            status=status,
        )
        with self.lock:
            self.mounts[(method.upper(), path)] = mount

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        """The logged requests to `path`, oldest first."""
        with self.lock:
            return [entry for entry in self.requests if entry["path"] == path]

    def stream_event(self, tag: str) -> threading.Event:
        """Set once the /sse request tagged `tag` has ended (see `stream_outcomes`)."""
        with self.lock:
            return self._stream_done.setdefault(tag, threading.Event())

    def start(self) -> PayloadServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> PayloadServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
