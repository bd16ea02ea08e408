"""Typed streams of server-sent events: `Stream` / `AsyncStream`.

A stream never ends silently short of its end: when the body stops in the middle
of an event, or (for an operation that declares an end marker, `data: [DONE]` for
OpenAI) before the marker arrived, iteration raises `IncompleteStreamError` with
the number of events received. A 2xx answer that is not `text/event-stream` (an
HTML error page, a JSON body) raises `APIResponseValidationError`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Generator,
    Iterator,
    Mapping,
)
from types import TracebackType
from typing import Any, Generic, TypeVar, Union

import httpx
import pydantic

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    describe_error_body,
    quote_text,
)
from ._lazy import ModelRef, resolve, unresolved
from ._response import lenient_model
from ._sse import ServerSentEvent, SSEDecoder

__all__ = [
    "ServerSentEvent",
    "SSEDecoder",
    "EventModels",
    "IncompleteStreamError",
    "Stream",
    "AsyncStream",
    "event_stream_error",
]

T = TypeVar("T")

# Ends a stream wherever it appears, declared or not: it is never a valid event.
_DONE = "[DONE]"
_EVENT_STREAM = "text/event-stream"


class IncompleteStreamError(APIConnectionError):
    """The event stream ended before its end: the body stopped in the middle of an
    event, the connection broke, or the declared end marker never came.
    `events_received` counts the events that did arrive (and were yielded)."""

    events_received: int

    def __init__(
        self, message: str, request: httpx.Request | None, *, events_received: int
    ) -> None:
        super().__init__(message, request)
        self.events_received = events_received


class EventModels(Generic[T]):
    """The chunk type of a stream whose event name selects the model:
    `EventModels({"thread.run.created": RunCreatedEvent, ...})` (values may be
    `ModelRef`s). A model with `event` and `data` fields (the envelope the spec
    describes) is built from both; any other model from the data alone. Events with
    other names come through as `ServerSentEvent`, untouched."""

    __slots__ = ("models",)

    def __init__(self, models: Mapping[str, type[T] | ModelRef[T]]) -> None:
        self.models = models

    def refs(self) -> list[ModelRef[Any]]:
        return unresolved(self.models.values())


ChunkType = Union[type[T], ModelRef[T], EventModels[T]]


def event_stream_error(response: httpx.Response) -> APIResponseValidationError | None:
    """The error for a response that should be an event stream and is not (its body
    must have been read); None when it is one, or says nothing of its type."""
    content_type = response.headers.get("content-type")
    if content_type is None:
        return None
    if content_type.split(";", 1)[0].strip().lower() == _EVENT_STREAM:
        return None
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = ""
    quoted = f": {quote_text(text)}" if text.strip() else ""
    return APIResponseValidationError(
        f"Expected an event stream ({_EVENT_STREAM}), got a {response.status_code} "
        f"response of type {content_type!r}{quoted}",
        response=response,
        body=text,
    )


def is_event_stream(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type")
    return (
        content_type is None
        or content_type.split(";", 1)[0].strip().lower() == _EVENT_STREAM
    )


class _EventConverter:
    """Turns events into chunks, raising for error events. Resolves lazily named
    models on first use (`prepare`)."""

    def __init__(self, response: httpx.Response, chunk_type: Any) -> None:
        self._response = response
        self._chunk_type = chunk_type
        self._kind: Any = None  # the resolved chunk type: a class, or ServerSentEvent
        self._model: type[pydantic.BaseModel] | None = None
        self._events: dict[str, tuple[type[pydantic.BaseModel], bool]] | None = None

    def refs(self) -> list[ModelRef[Any]]:
        """Named models not imported yet (the async stream loads them in a thread)."""
        chunk_type = self._chunk_type
        if isinstance(chunk_type, EventModels):
            return chunk_type.refs()
        return unresolved([chunk_type])

    def prepare(self) -> None:
        if self._kind is not None:
            return
        chunk_type = self._chunk_type
        if isinstance(chunk_type, EventModels):
            self._events = {
                name: (model, _is_envelope(model))
                for name, model in (
                    (name, resolve(value)) for name, value in chunk_type.models.items()
                )
            }
            self._kind = ServerSentEvent
            return
        kind = resolve(chunk_type)
        self._kind = kind
        if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
            self._model = kind

    def convert(self, event: ServerSentEvent) -> Any:
        data = event.data
        if event.event == "error":
            raise self._error(_loads_or_text(data))
        if self._events is not None:
            return self._convert_named(event)
        if self._kind is ServerSentEvent or self._kind is str:
            if _may_hold_error(data):
                self._raise_for_error_payload(_loads_or_text(data))
            return event if self._kind is ServerSentEvent else data
        model = self._model
        if model is not None and not _may_hold_error(data):
            try:  # the usual case: one pass of pydantic's JSON parser and validator
                return model.model_validate_json(data)
            except pydantic.ValidationError:
                pass
        payload = self._json(data)
        self._raise_for_error_payload(payload)
        if model is not None:
            return lenient_model(model, payload)
        return payload

    def _convert_named(self, event: ServerSentEvent) -> Any:
        assert self._events is not None
        found = self._events.get(event.event or "message")
        if found is None:  # an event the spec does not describe: passed on as is
            if _may_hold_error(event.data):
                self._raise_for_error_payload(_loads_or_text(event.data))
            return event
        model, envelope = found
        payload = self._json(event.data)
        self._raise_for_error_payload(payload)
        if envelope:
            return lenient_model(model, {"event": event.event, "data": payload})
        return lenient_model(model, payload)

    def _json(self, data: str) -> Any:
        try:
            return json.loads(data)
        except ValueError:
            raise APIResponseValidationError(
                "Stream event data is not JSON: " + quote_text(data),
                response=self._response,
                body=data,
            ) from None

    def _raise_for_error_payload(self, payload: object) -> None:
        if isinstance(payload, dict) and payload.get("error") is not None:
            raise self._error(payload)

    def _error(self, payload: object) -> APIError:
        message = describe_error_body(payload) or "The server sent an error event."
        body = payload
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            body = payload["error"]  # as for status errors: .code/.type/.param
        return APIError(message, self._response.request, body=body)


def _is_envelope(model: type[pydantic.BaseModel]) -> bool:
    fields = model.model_fields
    return "event" in fields and "data" in fields


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
    events, how it ends, and a debug line when it is closed before its end."""

    response: httpx.Response

    def __init__(
        self,
        response: httpx.Response,
        chunk_type: ChunkType[T],
        *,
        client_logger: logging.Logger | None = None,
        end_marker: str | None = None,
    ) -> None:
        self.response = response
        self._converter = _EventConverter(response, chunk_type)
        self._logger = client_logger
        self._end_marker = end_marker
        self._decoder = SSEDecoder()
        self.events_received = 0
        self._iterator = self._iter_chunks()

    def _iter_chunks(self) -> Any:  # the generator of chunks, sync or async
        raise NotImplementedError

    def _is_end(self, event: ServerSentEvent) -> bool:
        return event.data.startswith(self._end_marker or _DONE)

    def _convert(self, event: ServerSentEvent) -> T:
        chunk: T = self._converter.convert(event)
        self.events_received += 1
        return chunk

    def _end_error(self) -> IncompleteStreamError | None:
        """At the end of the body: the error when the stream is cut short."""
        count = self.events_received
        if self._decoder.pending:
            why = "in the middle of an event"
        elif self._end_marker is not None:
            why = f"without its end marker {self._end_marker!r}"
        else:
            return None
        return IncompleteStreamError(
            f"The event stream ended {why}, after {count} events.",
            self.response.request,
            events_received=count,
        )

    def _read_error(self, exc: httpx.TransportError) -> APIError:
        request = self.response.request
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request, "Timed out reading the event stream.")
        count = self.events_received
        return IncompleteStreamError(
            f"The event stream broke off after {count} events: "
            f"{exc or type(exc).__name__}",
            request,
            events_received=count,
        )

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

    Ends at the end marker (`data: [DONE]`, whether declared or not); raises
    `IncompleteStreamError` when the body ends short of it (see the module
    docstring); an `error` event (or a data object with a top-level "error") raises
    `APIError`. Leaving a `with` block, breaking out of a `for` loop over the
    stream, or `close()` closes the connection.
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
        response = self.response
        try:
            if not is_event_stream(response):
                response.read()
                not_a_stream = event_stream_error(response)
                assert not_a_stream is not None
                raise not_a_stream
            self._converter.prepare()
            raw_chunks = response.iter_bytes()
            while True:
                try:
                    raw = next(raw_chunks)
                except StopIteration:
                    break
                except httpx.TransportError as exc:
                    raise self._read_error(exc) from exc
                for event in self._decoder.feed(raw):
                    if self._is_end(event):
                        return
                    yield self._convert(event)
            cut_short = self._end_error()
            if cut_short is not None:
                raise cut_short
        finally:
            response.close()


class AsyncStream(_EventStream[T]):
    """The async `Stream`: `async for`, `async with`, `aclose()`.

    Breaking out of an `async for` closes the connection when the event loop finalizes
    the abandoned iterator (soon, not at once); `async with` closes it on exit.
    Models named by `ModelRef` are imported in a worker thread before the first chunk.
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
        response = self.response
        try:
            if not is_event_stream(response):
                await response.aread()
                not_a_stream = event_stream_error(response)
                assert not_a_stream is not None
                raise not_a_stream
            refs = self._converter.refs()
            if refs:  # import the named models off the event loop
                import asyncio

                from ._lazy import load

                await asyncio.to_thread(load, refs)
            self._converter.prepare()
            raw_chunks = response.aiter_bytes()
            while True:
                try:
                    raw = await raw_chunks.__anext__()
                except StopAsyncIteration:
                    break
                except httpx.TransportError as exc:
                    raise self._read_error(exc) from exc
                for event in self._decoder.feed(raw):
                    if self._is_end(event):
                        await _drain(raw_chunks)
                        return
                    yield self._convert(event)
            cut_short = self._end_error()
            if cut_short is not None:
                raise cut_short
        finally:
            await response.aclose()


# After the end marker, what is left of the body (usually just the end of the chunked
# encoding, already received) is read so the connection can be reused; a server
# that keeps sending, or keeps the body open, gets the connection closed instead.
_DRAIN_BYTES = 64 * 1024
_DRAIN_SECONDS = 1.0


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    import asyncio

    async def read_rest() -> None:
        left = _DRAIN_BYTES
        async for raw in chunks:
            left -= len(raw)
            if left < 0:
                return

    try:
        await asyncio.wait_for(read_rest(), _DRAIN_SECONDS)
    except (asyncio.TimeoutError, httpx.HTTPError):
        pass  # the connection is closed rather than reused
