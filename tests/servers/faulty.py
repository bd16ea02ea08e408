"""A scriptable, misbehaving HTTP/1.1 server on 127.0.0.1 for retry, timeout and error
tests, usable against any client (the runtime's test clients, a generated package).

    with FaultyServer([Reply(429, headers={"Retry-After": "0"}), Reply(200, {"ok": 1})]):
        ...

Each request takes the next action of the script (then `default`, if given):
- `Reply(status, body, headers, delay)`: an ordinary response (a dict/list body is sent
  as JSON), after `delay` seconds;
- `Reset()`: read the request, then drop the connection with a TCP reset;
- `Hang(seconds)`: read the request and never answer (the connection is closed when
  the client gives up, after `seconds`, or when the server stops);
- `Truncate(status, body, keep)`: announce the whole body with Content-Length, send
  `keep` bytes of it, then close the connection;
- `Events(pieces, interval, ending)`: a 200 `text/event-stream` (or `content_type`)
  body written piece by piece, `interval` seconds apart, ended as `ending` says:
  "chunked" (the terminating chunk, the connection stays open), "close" (no length
  nor chunking: the body ends when the server closes the connection) or "abort"
  (chunked, then the connection is dropped before the terminating chunk);
- `Drip(body, interval, step)`: a 200 with Content-Length whose body is written
  `step` bytes at a time, `interval` seconds apart.

The server runs an asyncio loop in a thread, binds an ephemeral port, records every
request in `requests`, counts open connections (`peak_connections`), answers 503 to
requests beyond `max_requests` and is stopped by `stop()` / the `with` block / the
`faulty_server` fixture. `reset_peak()` restarts the open-connection peak from the
connections open now.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import pytest

__all__ = [
    "Reply",
    "Reset",
    "Hang",
    "Truncate",
    "Events",
    "Drip",
    "Action",
    "RecordedRequest",
    "FaultyServer",
    "faulty_server",
]

_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _encode_body(body: object) -> tuple[bytes, str | None]:
    if isinstance(body, bytes):
        return body, None
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: object = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    close: bool = False  # close the connection after answering


@dataclass(frozen=True)
class Reset:
    pass


@dataclass(frozen=True)
class Hang:
    seconds: float = 10.0


@dataclass(frozen=True)
class Truncate:
    status: int = 200
    body: object = b""
    keep: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Events:
    pieces: Sequence[str] = ()
    interval: float = 0.0
    ending: str = "chunked"  # "chunked" | "close" | "abort"
    content_type: str = "text/event-stream"


@dataclass(frozen=True)
class Drip:
    body: bytes = b""
    interval: float = 0.1
    step: int = 1


Action = Union[Reply, Reset, Hang, Truncate, Events, Drip]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    target: str  # path and query, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes
    connection: int  # which connection (1-based, in accept order) carried it

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class FaultyServer:
    def __init__(
        self,
        script: Sequence[Action] = (),
        *,
        default: Action | None = None,
        max_requests: int = 100,
        io_timeout: float = 10.0,
    ) -> None:
        self.script = list(script)
        self.default = default
        self.max_requests = max_requests
        self.io_timeout = io_timeout
        self.requests: list[RecordedRequest] = []
        self.connections = 0  # accepted so far
        self.open_connections = 0
        self.peak_connections = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # -- control (any thread) ----------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset_peak(self) -> None:
        """Count the open-connection peak from now on."""
        self.peak_connections = self.open_connections

    def push(self, *actions: Action) -> None:
        """Append actions to the script."""
        with self._lock:
            self.script.extend(actions)

    def start(self) -> FaultyServer:
        self._thread = threading.Thread(target=self._run, name="faulty-server")
        self._thread.daemon = True
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("faulty server did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(self._shutdown)
        thread.join(10)
        self._loop = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the loop thread ---------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=2048)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()
            loop.run_forever()
        finally:
            loop.close()

    def _shutdown(self) -> None:
        assert self._loop is not None
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        self._loop.create_task(self._stop_when_idle())

    async def _stop_when_idle(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        assert self._loop is not None
        self._loop.stop()

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        connection = self.connections
        self.open_connections += 1
        self.peak_connections = max(self.peak_connections, self.open_connections)
        try:
            while await self._serve_one(reader, writer, connection):
                pass
        except (asyncio.CancelledError, ConnectionError, asyncio.TimeoutError):
            pass
        finally:
            self.open_connections -= 1
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _serve_one(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: int,
    ) -> bool:
        """Serve one request; False when the connection is done."""
        try:
            head = await asyncio.wait_for(
                reader.readuntil(b"\r\n\r\n"), self.io_timeout
            )
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await self._read_body(reader, headers)
        with self._lock:
            index = len(self.requests)
            self.requests.append(
                RecordedRequest(method, target, headers, body, connection)
            )
            if index >= self.max_requests:
                action: Action | None = Reply(503, "request limit reached", close=True)
            elif index < len(self.script):
                action = self.script[index]
            else:
                action = self.default
        if action is None:
            action = Reply(500, "faulty server: script exhausted", close=True)
        return await self._perform(action, reader, writer, headers)

    async def _read_body(
        self, reader: asyncio.StreamReader, headers: Mapping[str, str]
    ) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = await asyncio.wait_for(
                    reader.readuntil(b"\r\n"), self.io_timeout
                )
                size = int(size_line.split(b";")[0].strip(), 16)
                data = await asyncio.wait_for(
                    reader.readexactly(size + 2), self.io_timeout
                )
                if size == 0:
                    return b"".join(chunks)
                chunks.append(data[:-2])
        length = int(headers.get("content-length", "0") or 0)
        if not length:
            return b""
        return await asyncio.wait_for(reader.readexactly(length), self.io_timeout)

    async def _perform(
        self,
        action: Action,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request_headers: Mapping[str, str],
    ) -> bool:
        if isinstance(action, Reset):
            sock = writer.get_extra_info("socket")
            # Linger 0: close() sends RST instead of FIN.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            writer.transport.abort()
            return False
        if isinstance(action, Hang):
            try:  # returns when the client hangs up
                await asyncio.wait_for(reader.read(), action.seconds)
            except asyncio.TimeoutError:
                pass
            return False
        if isinstance(action, Events):
            return await self._events(action, writer)
        if isinstance(action, Drip):
            head = self._head(200, {}, "application/json", len(action.body))
            writer.write(head)
            for start in range(0, len(action.body), action.step):
                await asyncio.sleep(action.interval)
                writer.write(action.body[start : start + action.step])
                await writer.drain()
            return True
        if isinstance(action, Truncate):
            body, content_type = _encode_body(action.body)
            head = self._head(action.status, action.headers, content_type, len(body))
            writer.write(head + body[: action.keep])
            await writer.drain()
            writer.close()
            return False
        if action.delay:
            await asyncio.sleep(action.delay)
        body, content_type = _encode_body(action.body)
        close = action.close or request_headers.get("connection", "") == "close"
        extra = {"Connection": "close"} if close else {}
        head = self._head(
            action.status, {**extra, **action.headers}, content_type, len(body)
        )
        writer.write(head + body)
        await writer.drain()
        return not close

    async def _events(self, action: Events, writer: asyncio.StreamWriter) -> bool:
        chunked = action.ending != "close"
        framing = "Transfer-Encoding: chunked" if chunked else "Connection: close"
        writer.write(
            (
                f"HTTP/1.1 200 OK\r\nContent-Type: {action.content_type}\r\n"
                f"Cache-Control: no-cache\r\n{framing}\r\n\r\n"
            ).encode("latin-1")
        )
        for index, piece in enumerate(action.pieces):
            if index and action.interval:
                await asyncio.sleep(action.interval)
            data = piece.encode()
            if chunked:
                data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
            writer.write(data)
            await writer.drain()
        if action.ending == "chunked":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        if action.ending == "abort":
            writer.transport.abort()
            return False
        writer.close()
        return False

    @staticmethod
    def _head(
        status: int,
        headers: Mapping[str, str],
        content_type: str | None,
        length: int,
    ) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        names = {name.lower() for name in headers}
        if content_type and "content-type" not in names:
            lines.append(f"Content-Type: {content_type}")
        if "content-length" not in names:
            lines.append(f"Content-Length: {length}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture
def faulty_server() -> Iterator[Callable[..., FaultyServer]]:
    """A factory: `faulty_server(script, default=..., max_requests=...)` starts a
    server; every server started is stopped when the test ends."""
    started: list[FaultyServer] = []

    def start(script: Sequence[Action] = (), **options: object) -> FaultyServer:
        server = FaultyServer(script, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
