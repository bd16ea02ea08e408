"""The client base classes of generated packages: the calls generated code makes,
and the send loops with retries. What the two share is in `_base_client.py`."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from ._base_client import BaseClient, CallOptions, ClientT, PreparedRequest
from ._deadline import DeadlineExceeded, clamp_timeouts, limit_response
from ._errors import APITimeoutError
from ._lazy import ModelRef, resolve, unresolved
from ._pool import Gate, guard_response, reap_if_full, reap_orphans
from ._response import RAW_RESPONSE, APIResponse, AsyncAPIResponse
from ._types import NOT_GIVEN, Operation

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

    from ._streaming import AsyncStream, ChunkType, Stream

__all__ = ["SyncAPIClient", "AsyncAPIClient"]

T = TypeVar("T")
C = TypeVar("C")
P = TypeVar("P")
I = TypeVar("I")  # noqa: E741 - the item type of a page

# Response kinds sent with stream=True and handed over unread.
_STREAMED = ("binary", "sse")


class SyncAPIClient(BaseClient[httpx.Client]):
    """Base of a generated `Client`."""

    _http_type = httpx.Client
    _raw_response_type = APIResponse

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: ClientT) -> ClientT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def request(
        self,
        op: Operation,
        cast_to: type[T] | ModelRef[T],
        **options: Unpack[CallOptions],
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        prepared = self._prepare(op, op.response in _STREAMED, **options)
        response = self._send(op, prepared)
        return cast(T, self._finish(op.response, op, cast_to, response))

    def request_stream(
        self,
        op: Operation,
        chunk_type: ChunkType[C],
        **options: Unpack[CallOptions],
    ) -> Stream[C]:
        """Send `op` and return its server-sent events as a `Stream` of `chunk_type`."""
        response = self._send(op, self._prepare(op, True, **options))
        return cast("Stream[C]", self._finish("sse", op, chunk_type, response))

    def _finish(
        self, kind: str, op: Operation, cast_to: object, response: httpx.Response
    ) -> object:
        if kind == "sse":
            if not RAW_RESPONSE.get():
                self._check_event_stream(response)
        else:
            cast_to = resolve(cast_to)
        return self._result(kind, op, cast_to, response)

    @staticmethod
    def _check_event_stream(response: httpx.Response) -> None:
        """A streamed call answered with something else (an HTML page, a JSON body)
        raises now, quoting it, rather than yielding nothing."""
        from ._streaming import event_stream_error, is_event_stream

        if is_event_stream(response):
            return
        try:
            response.read()
        except httpx.HTTPError:
            pass  # the error quotes the content type alone
        finally:
            response.close()
        error = event_stream_error(response)
        if error is not None:
            raise error

    def request_or_stream(
        self,
        op: Operation,
        cast_to: type[T] | ModelRef[T],
        chunk_type: ChunkType[C],
        stream: bool,
        **options: Unpack[CallOptions],
    ) -> T | Stream[C]:
        """`request_stream` when `stream`, else `request`: what a method with a
        `stream` flag returns, its arguments passed once."""
        if stream:
            return self.request_stream(op, chunk_type, **options)
        return self.request(op, cast_to, **options)

    def paginate(
        self,
        op: Operation,
        page_type: type[P] | ModelRef[P],
        item_type: type[I] | ModelRef[I],
        *,
        items_field: str = "data",
        cursor_param: str = "after",
        **options: Unpack[CallOptions],
    ) -> Iterator[I]:
        """Every item of every page of `op`, fetching pages as the iterator advances."""
        from ._pagination import paginate_sync

        page_options = self._page_options(options)

        def fetch_page(next_query: Mapping[str, object]) -> P:
            return self.request(op, page_type, **page_options(next_query))

        items: Iterator[I] = paginate_sync(fetch_page, items_field, cursor_param)
        return items

    def _stream(
        self, response: httpx.Response, chunk_type: ChunkType[C], op: Operation
    ) -> Stream[C]:
        from ._streaming import Stream

        return Stream(
            response, chunk_type, client_logger=self._logger, end_marker=op.stream_end
        )

    def _binary(self, response: httpx.Response) -> object:
        from ._binary import BinaryResponse

        return BinaryResponse(response)

    def _send(self, op: Operation, prepared: PreparedRequest) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        deadline = prepared.deadline
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                if deadline is None:
                    response = self._http.send(request, stream=prepared.stream)
                else:
                    response = self._send_by(deadline, request, prepared.stream)
            except httpx.HTTPError as exc:
                if isinstance(exc, DeadlineExceeded):
                    raise _deadline_error(request) from exc
                delay = self._transport_retry_delay(exc, request, attempt, left)
                if _past(deadline, delay):  # no time left to retry: as if none left
                    raise self._transport_error(exc, request) from exc
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None or _past(deadline, wait):  # not retried
                    if prepared.stream or deadline is not None:
                        self._read_error_body(response)
                    raise self._status_error(response)
                response.close()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            self._sleep(delay)

    def _send_by(
        self, deadline: float, request: httpx.Request, stream: bool
    ) -> httpx.Response:
        """One attempt of a call with a deadline: every wait cut to the time left,
        the body checked as it arrives (read here unless `stream`)."""
        clamp_timeouts(request, deadline)
        response = self._http.send(request, stream=True)
        limit_response(response, deadline)
        if not stream and response.status_code < 400:
            try:
                response.read()
            except BaseException:
                response.close()
                raise
        return response

    @staticmethod
    def _read_error_body(response: httpx.Response) -> None:
        try:
            response.read()
        except httpx.HTTPError:
            pass  # the status error is raised without a body
        finally:
            response.close()


class AsyncAPIClient(BaseClient[httpx.AsyncClient]):
    """Base of a generated `AsyncClient`."""

    _http_type = httpx.AsyncClient
    _raw_response_type = AsyncAPIResponse

    # Bounds the requests handed to our own pool at once (see `Gate`); None for a
    # user's http_client, whose pool other code may share.
    _gate: Gate | None = None

    def _make_http_client(self) -> httpx.AsyncClient:
        self._gate = Gate(self._connection_limits.max_connections or 100)
        return super()._make_http_client()

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: ClientT) -> ClientT:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    async def request(
        self,
        op: Operation,
        cast_to: type[T] | ModelRef[T],
        **options: Unpack[CallOptions],
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        await _load_models(
            op, cast_to if op.response not in _STREAMED else None, options
        )
        prepared = self._prepare(op, op.response in _STREAMED, **options)
        response = await self._send(op, prepared)
        return cast(T, await self._finish(op.response, op, cast_to, response))

    async def request_stream(
        self,
        op: Operation,
        chunk_type: ChunkType[C],
        **options: Unpack[CallOptions],
    ) -> AsyncStream[C]:
        """Send `op`; its server-sent events as an `AsyncStream` of `chunk_type`."""
        await _load_models(op, None, options)
        response = await self._send(op, self._prepare(op, True, **options))
        return cast(
            "AsyncStream[C]", await self._finish("sse", op, chunk_type, response)
        )

    async def _finish(
        self, kind: str, op: Operation, cast_to: object, response: httpx.Response
    ) -> object:
        if kind == "sse":
            if not RAW_RESPONSE.get():
                await self._check_event_stream(response)
        else:
            cast_to = resolve(cast_to)
        return self._result(kind, op, cast_to, response)

    @staticmethod
    async def _check_event_stream(response: httpx.Response) -> None:
        """See `SyncAPIClient._check_event_stream`."""
        from ._streaming import event_stream_error, is_event_stream

        if is_event_stream(response):
            return
        try:
            await response.aread()
        except httpx.HTTPError:
            pass  # the error quotes the content type alone
        finally:
            await response.aclose()
        error = event_stream_error(response)
        if error is not None:
            raise error

    async def request_or_stream(
        self,
        op: Operation,
        cast_to: type[T] | ModelRef[T],
        chunk_type: ChunkType[C],
        stream: bool,
        **options: Unpack[CallOptions],
    ) -> T | AsyncStream[C]:
        """`request_stream` when `stream`, else `request`: what a method with a
        `stream` flag returns, its arguments passed once."""
        if stream:
            return await self.request_stream(op, chunk_type, **options)
        return await self.request(op, cast_to, **options)

    def paginate(
        self,
        op: Operation,
        page_type: type[P] | ModelRef[P],
        item_type: type[I] | ModelRef[I],
        *,
        items_field: str = "data",
        cursor_param: str = "after",
        **options: Unpack[CallOptions],
    ) -> AsyncIterator[I]:
        """Every item of every page of `op`, fetching pages as the iterator advances."""
        from ._pagination import paginate_async

        page_options = self._page_options(options)

        def fetch_page(next_query: Mapping[str, object]) -> Awaitable[P]:
            return self.request(op, page_type, **page_options(next_query))

        items: AsyncIterator[I] = paginate_async(fetch_page, items_field, cursor_param)
        return items

    def _stream(
        self, response: httpx.Response, chunk_type: ChunkType[C], op: Operation
    ) -> AsyncStream[C]:
        from ._streaming import AsyncStream

        return AsyncStream(
            response, chunk_type, client_logger=self._logger, end_marker=op.stream_end
        )

    def _binary(self, response: httpx.Response) -> object:
        from ._binary import AsyncBinaryResponse

        return AsyncBinaryResponse(response)

    async def _send(self, op: Operation, prepared: PreparedRequest) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        deadline = prepared.deadline
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                if deadline is None:
                    response = await self._send_once(request, prepared.stream)
                else:
                    response = await self._send_by(deadline, request, prepared.stream)
            except httpx.HTTPError as exc:
                if isinstance(exc, DeadlineExceeded):
                    raise _deadline_error(request) from exc
                delay = self._transport_retry_delay(exc, request, attempt, left)
                if _past(deadline, delay):  # no time left to retry: as if none left
                    raise self._transport_error(exc, request) from exc
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None or _past(deadline, wait):  # not retried
                    if prepared.stream:
                        await self._read_error_body(response)
                    raise self._status_error(response)
                await response.aclose()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            await self._sleep(delay)

    async def _send_by(
        self, deadline: float, request: httpx.Request, stream: bool
    ) -> httpx.Response:
        """One attempt of a call with a deadline: every wait cut to the time left,
        the attempt stopped at the deadline (Python 3.11+), the body limited too."""
        clamp_timeouts(request, deadline)
        if sys.version_info < (3, 11):  # pragma: no cover - checked as data arrives
            return await self._send_once(request, stream, deadline)
        import asyncio

        try:
            async with asyncio.timeout_at(deadline):
                return await self._send_once(request, stream, deadline)
        except TimeoutError:
            raise DeadlineExceeded(
                "The call's deadline passed", request=request
            ) from None

    async def _send_once(
        self, request: httpx.Request, stream: bool, deadline: float | None = None
    ) -> httpx.Response:
        """One attempt: the response with its headers, and its body unless `stream`.
        Cancelling it at any point leaves the pool whole (see `_pool.py`)."""
        gate = self._gate
        if gate is None:
            # A user's pool may hold connections orphaned by someone else's
            # cancelled request: reclaim them before queueing behind them.
            reap_if_full(self._http)
        elif not gate.try_acquire():
            await gate.acquire(request.extensions.get("timeout", {}).get("pool"))
        try:  # the gate is held until the body is read (a stream keeps its connection)
            try:
                response = await self._http.send(request, stream=True)
            except BaseException:
                # Cancelled or failed while the pool was handing out a connection:
                # the connection may be left ownerless; reclaim it now.
                reap_orphans(self._http)
                raise
            guard_response(response)
            if deadline is not None:
                limit_response(response, deadline)
            if not stream:
                try:
                    await response.aread()
                except BaseException:
                    await response.aclose()
                    raise
            return response
        finally:
            if gate is not None:
                gate.release()

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> None:
        try:
            await response.aread()
        except httpx.HTTPError:
            pass  # the status error is raised without a body
        finally:
            await response.aclose()


async def _load_models(op: Operation, cast_to: object, options: CallOptions) -> None:
    """Import the models a call names by `ModelRef` in a worker thread, so the first
    call of an operation does not stall the event loop (with the body model, its
    request check is built there too); then use the classes."""
    body_model = options.get("body_model")
    if _fits_shape(op, body_model, options.get("body")):
        # Checked here, once: the call needs neither the body's model nor its check.
        options["body_model"] = None
        body_model = None
    refs = unresolved([cast_to, body_model])
    if refs:
        import asyncio

        await asyncio.to_thread(_load, refs, op, body_model)


def _fits_shape(op: Operation, body_model: object, body: object) -> bool:
    """Whether a JSON body surely passes its model's check, by the model's shape (see
    `_shape.py`): then the model is not loaded."""
    if not isinstance(body_model, ModelRef) or body_model.resolved:
        return False
    shape = body_model.shape
    if shape is None or op.body != "json" or not isinstance(body, Mapping):
        return False
    members = {key: value for key, value in body.items() if value is not NOT_GIVEN}
    return shape.fits(members)


def _load(refs: list[ModelRef[Any]], op: Operation, body_model: object) -> None:
    from ._lazy import load

    load(refs)
    if isinstance(body_model, ModelRef) and op.body in ("json", "multipart", "form"):
        from ._validation import prepare

        fields = frozenset() if op.body == "json" else op.file_fields  # as checked
        prepare(body_model.resolve(), fields)


def _past(deadline: float | None, wait: float) -> bool:
    """Whether waiting `wait` seconds would end past `deadline`."""
    return deadline is not None and time.monotonic() + wait >= deadline


def _deadline_error(request: httpx.Request) -> APITimeoutError:
    return APITimeoutError(request, "The call ran past its deadline.")
