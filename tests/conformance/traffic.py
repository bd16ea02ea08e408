"""Capturing what a generated client sends and receives, through its `http_client`.

`RecordingTransport` wraps a real transport: it reads the request body (so it can be
validated later), optionally sends the request somewhere else (`route`, used to hand
SSE and binary operations to the payload server), and tees the response body as the
client consumes it, so even streamed bodies can be validated afterwards. Responses are
asked for without content encoding so the recorded bytes are the body itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

Route = Callable[[httpx.Request], httpx.Request]


class TeeStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self._inner = inner
        self.data = bytearray()
        self.complete = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self.data += chunk
            yield chunk
        self.complete = True

    def close(self) -> None:
        self._inner.close()


@dataclass
class Exchange:
    request: httpx.Request  # as the client built it
    request_body: bytes
    sent_to: httpx.URL
    response: httpx.Response | None = None  # None: the transport failed
    tee: TeeStream | None = field(default=None, repr=False)

    @property
    def response_body(self) -> bytes:
        return bytes(self.tee.data) if self.tee is not None else b""


class RecordingTransport(httpx.BaseTransport):
    def __init__(
        self, inner: httpx.BaseTransport | None = None, route: Route | None = None
    ) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self._route = route
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        forwarded = self._route(request) if self._route else _copy(request, body)
        forwarded.headers["Accept-Encoding"] = "identity"
        exchange = Exchange(request, body, forwarded.url)
        self.exchanges.append(exchange)  # recorded even when the transport fails
        raw = self._inner.handle_request(forwarded)
        assert isinstance(raw.stream, httpx.SyncByteStream)
        exchange.tee = TeeStream(raw.stream)
        exchange.response = httpx.Response(
            raw.status_code,
            headers=raw.headers,
            stream=exchange.tee,
            request=request,
            extensions=raw.extensions,
        )
        return exchange.response

    def close(self) -> None:
        self._inner.close()


def _copy(request: httpx.Request, body: bytes) -> httpx.Request:
    return httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=body,
        extensions=request.extensions,
    )
