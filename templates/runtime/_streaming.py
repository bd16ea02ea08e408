"""Server-sent events: an incremental decoder and the typed `Stream` / `AsyncStream`."""

from __future__ import annotations

import json
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
)
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import httpx
import pydantic

from ._binary import aiter_body, iter_body
from ._errors import (
    APIError,
    APIResponseValidationError,
    describe_error_body,
    quote_text,
)
from ._response import lenient_model

__all__ = ["ServerSentEvent", "SSEDecoder", "Stream", "AsyncStream"]

T = TypeVar("T")

_DONE = "[DONE]"
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event: `event` is None for the default ("message") type."""

    event: str | None = None
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data parsed as JSON (raises `json.JSONDecodeError` when it is not)."""
        return json.loads(self.data)


class SSEDecoder:
    """Incremental `text/event-stream` parser (WHATWG HTML, "event stream interpretation").

    `feed(bytes)` takes chunks cut anywhere (inside a line, a UTF-8 character or a CRLF)
    and returns the events they complete; `feed_line(str)` takes one line without its
    terminator. An event is dispatched on a blank line and only when it has data; the
    last event id carries over to later events, as the standard says; `retry` is
    reported on the next dispatched event. An unterminated event at the end of the
    stream is discarded, as the standard says.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # bytes at the start of _buffer known to hold no line break
        # The last chunk ended in CR: an LF starting the next one belongs to it.
        self._skip_lf = False
        self._first_line = True
        self._event: str | None = None
        self._data: list[str] = []
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Add bytes of the stream; return the events completed by them, in order."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer
        buffer += chunk
        events: list[ServerSentEvent] = []
        start = 0
        scan = self._scanned
        size = len(buffer)
        # Next CR / LF at or after `scan` (-1: none left); each is searched for again
        # only once passed, so a chunk of many lines is scanned in linear time.
        cr = buffer.find(b"\r", scan)
        lf = buffer.find(b"\n", scan)
        while cr != -1 or lf != -1:
            if cr == -1 or (lf != -1 and lf < cr):
                end, scan = lf, lf + 1
            elif cr + 1 < size:
                end = cr
                scan = cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            else:
                end, scan = cr, cr + 1
                self._skip_lf = True
            event = self.feed_line(buffer[start:end].decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
            start = scan
            if cr != -1 and cr < scan:
                cr = buffer.find(b"\r", scan)
            if lf != -1 and lf < scan:
                lf = buffer.find(b"\n", scan)
        del buffer[:start]
        self._scanned = len(buffer)
        return events

    def feed_line(self, line: str) -> ServerSentEvent | None:
        """Process one line (no terminator); return the event a blank line dispatches."""
        if self._first_line:
            self._first_line = False
            if line.startswith(_BOM):
                line = line[1:]
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None  # a comment (often a keep-alive)
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id":
            if "\0" not in value:
                self._last_id = value or None
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        return None  # other field names are ignored, as the standard says

    def iter_bytes(self, chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
        """Decode a whole byte stream lazily."""
        for chunk in chunks:
            yield from self.feed(chunk)

    async def aiter_bytes(
        self, chunks: AsyncIterable[bytes]
    ) -> AsyncIterator[ServerSentEvent]:
        """Decode a whole async byte stream lazily."""
        async for chunk in chunks:
            for event in self.feed(chunk):
                yield event

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None
            return None
        event = ServerSentEvent(
            event=self._event,
            data="\n".join(self._data),
            id=self._last_id,
            retry=self._retry,
        )
        self._event = None
        self._data = []
        self._retry = None
        return event


class _EventConverter(Generic[T]):
    """Turns events into chunks of `chunk_type`, raising for error events."""

    def __init__(self, response: httpx.Response, chunk_type: type[T]) -> None:
        self._response = response
        self._chunk_type = chunk_type
        self._model: type[pydantic.BaseModel] | None = None
        if isinstance(chunk_type, type) and issubclass(chunk_type, pydantic.BaseModel):
            self._model = chunk_type

    def convert(self, event: ServerSentEvent) -> T:
        data = event.data
        if event.event == "error":
            raise self._error(_loads_or_text(data))
        if self._chunk_type is ServerSentEvent or self._chunk_type is str:
            if _may_hold_error(data):
                self._raise_for_error_payload(_loads_or_text(data))
            return cast(T, event if self._chunk_type is ServerSentEvent else data)
        model = self._model
        if model is not None and not _may_hold_error(data):
            try:  # the usual case: one pass of pydantic's JSON parser and validator
                return cast(T, model.model_validate_json(data))
            except pydantic.ValidationError:
                pass
        try:
            payload = json.loads(data)
        except ValueError:
            raise APIResponseValidationError(
                "Stream event data is not JSON: " + quote_text(data),
                response=self._response,
                body=data,
            ) from None
        self._raise_for_error_payload(payload)
        if model is not None:
            return cast(T, lenient_model(model, payload))
        return cast(T, payload)

    def _raise_for_error_payload(self, payload: object) -> None:
        if isinstance(payload, dict) and payload.get("error") is not None:
            raise self._error(payload)

    def _error(self, payload: object) -> APIError:
        message = describe_error_body(payload) or "The server sent an error event."
        body = payload
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            body = payload["error"]  # as for status errors: .code/.type/.param
        return APIError(message, self._response.request, body=body)


def _may_hold_error(data: str) -> bool:
    # Cheap test first so raw events are not all parsed as JSON.
    return '"error"' in data and data.lstrip()[:1] == "{"


def _loads_or_text(data: str) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return data


class _EventStream(Generic[T]):
    """What `Stream` and `AsyncStream` share: the response, the conversion of its
    events, and a debug line when it is closed before its end."""

    response: httpx.Response

    def __init__(
        self,
        response: httpx.Response,
        chunk_type: type[T],
        *,
        client_logger: logging.Logger | None = None,
    ) -> None:
        self.response = response
        self._converter = _EventConverter(response, chunk_type)
        self._logger = client_logger
        self._iterator = self._iter_chunks()

    def _iter_chunks(self) -> Any:  # the generator of chunks, sync or async
        raise NotImplementedError

    def _log_early_close(self) -> None:
        if not self.response.is_closed and self._logger is not None:
            # The path only: a query string may carry an API key.
            request = self.response.request
            self._logger.debug(
                "closing stream of %s %s before its end",
                request.method,
                request.url.path,
            )


class Stream(_EventStream[T]):
    """Iterate the events of a streamed response as `chunk_type` instances.

    Ends at `data: [DONE]` or the end of the body; an `error` event (or a data object
    with a top-level "error") raises `APIError`. Leaving a `with` block, breaking out of
    a `for` loop over the stream, or `close()` closes the connection.
    """

    _iterator: Generator[T, None, None]

    def __iter__(self) -> Iterator[T]:
        # A fresh generator per loop: when a `for` loop breaks it is dropped, and its
        # `finally` closes the connection at once (CPython frees it right away).
        try:
            yield from self._iterator
        finally:
            self.close()

    def __next__(self) -> T:
        return next(self._iterator)

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop iterating and close the connection (idempotent)."""
        self._log_early_close()
        self._iterator.close()
        self.response.close()

    def _iter_chunks(self) -> Generator[T, None, None]:
        decoder = SSEDecoder()
        try:
            for raw in iter_body(self.response):
                for event in decoder.feed(raw):
                    if event.data.startswith(_DONE):
                        return
                    yield self._converter.convert(event)
        finally:
            self.response.close()


class AsyncStream(_EventStream[T]):
    """The async `Stream`: `async for`, `async with`, `aclose()`.

    Breaking out of an `async for` closes the connection when the event loop finalizes
    the abandoned iterator (soon, not at once); `async with` closes it on exit.
    """

    _iterator: AsyncGenerator[T, None]

    async def __aiter__(self) -> AsyncIterator[T]:
        try:
            async for chunk in self._iterator:
                yield chunk
        finally:
            await self.aclose()

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop iterating and close the connection (idempotent)."""
        self._log_early_close()
        await self._iterator.aclose()
        await self.response.aclose()

    async def _iter_chunks(self) -> AsyncGenerator[T, None]:
        decoder = SSEDecoder()
        try:
            async for raw in aiter_body(self.response):
                for event in decoder.feed(raw):
                    if event.data.startswith(_DONE):
                        return
                    yield self._converter.convert(event)
        finally:
            await self.response.aclose()
