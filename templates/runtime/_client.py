"""The client base classes of generated packages: the calls generated code makes,
and the send loops with retries. What the two share is in `_base_client.py`."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar, cast

import httpx

from ._base_client import BaseClient, CallOptions, ClientT, PreparedRequest
from ._response import APIResponse, AsyncAPIResponse
from ._types import Operation

if TYPE_CHECKING:
    import asyncio  # imported where used: sync-only programs never load asyncio

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

    from ._streaming import AsyncStream, Stream

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
        self, op: Operation, cast_to: type[T], **options: Unpack[CallOptions]
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        prepared = self._prepare(op, op.response in _STREAMED, **options)
        response = self._send(op, prepared)
        return cast(T, self._result(op.response, op, cast_to, response))

    def request_stream(
        self, op: Operation, chunk_type: type[C], **options: Unpack[CallOptions]
    ) -> Stream[C]:
        """Send `op` and return its server-sent events as a `Stream` of `chunk_type`."""
        response = self._send(op, self._prepare(op, True, **options))
        return cast("Stream[C]", self._result("sse", op, chunk_type, response))

    def request_or_stream(
        self,
        op: Operation,
        cast_to: type[T],
        chunk_type: type[C],
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
        page_type: type[P],
        item_type: type[I],
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

    def _stream(self, response: httpx.Response, chunk_type: type[C]) -> Stream[C]:
        from ._streaming import Stream

        return Stream(response, chunk_type, client_logger=self._logger)

    def _binary(self, response: httpx.Response) -> object:
        from ._binary import BinaryResponse

        return BinaryResponse(response)

    def _send(self, op: Operation, prepared: PreparedRequest) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.send(request, stream=prepared.stream)
            except httpx.HTTPError as exc:
                delay = self._transport_retry_delay(exc, request, attempt, left)
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None:
                    if prepared.stream:
                        self._read_error_body(response)
                    raise self._status_error(response)
                response.close()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            self._sleep(delay)

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

    # Bounds the requests handed to our own pool at once. httpcore's pool does work
    # proportional to (queued requests x connections) on every state change, so
    # 1,000 concurrent calls queued inside it stall the event loop for seconds; they
    # wait on this semaphore instead (None for a user's http_client).
    _gate: asyncio.Semaphore | None = None

    def _make_http_client(self) -> httpx.AsyncClient:
        import asyncio

        self._gate = asyncio.Semaphore(self._connection_limits.max_connections or 100)
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
        self, op: Operation, cast_to: type[T], **options: Unpack[CallOptions]
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        prepared = self._prepare(op, op.response in _STREAMED, **options)
        response = await self._send(op, prepared)
        return cast(T, self._result(op.response, op, cast_to, response))

    async def request_stream(
        self, op: Operation, chunk_type: type[C], **options: Unpack[CallOptions]
    ) -> AsyncStream[C]:
        """Send `op`; its server-sent events as an `AsyncStream` of `chunk_type`."""
        response = await self._send(op, self._prepare(op, True, **options))
        return cast("AsyncStream[C]", self._result("sse", op, chunk_type, response))

    async def request_or_stream(
        self,
        op: Operation,
        cast_to: type[T],
        chunk_type: type[C],
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
        page_type: type[P],
        item_type: type[I],
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

    def _stream(self, response: httpx.Response, chunk_type: type[C]) -> AsyncStream[C]:
        from ._streaming import AsyncStream

        return AsyncStream(response, chunk_type, client_logger=self._logger)

    def _binary(self, response: httpx.Response) -> object:
        from ._binary import AsyncBinaryResponse

        return AsyncBinaryResponse(response)

    async def _send(self, op: Operation, prepared: PreparedRequest) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._send_once(request, prepared.stream)
            except httpx.HTTPError as exc:
                delay = self._transport_retry_delay(exc, request, attempt, left)
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None:
                    if prepared.stream:
                        await self._read_error_body(response)
                    raise self._status_error(response)
                await response.aclose()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            await self._sleep(delay)

    async def _send_once(self, request: httpx.Request, stream: bool) -> httpx.Response:
        gate = self._gate
        if gate is None:
            return await self._http.send(request, stream=stream)
        if gate.locked():  # the pool is busy: wait no longer than its pool timeout
            import asyncio

            pool_timeout = request.extensions.get("timeout", {}).get("pool")
            try:
                await asyncio.wait_for(gate.acquire(), pool_timeout)
            except asyncio.TimeoutError:
                raise httpx.PoolTimeout(
                    "Timed out waiting for a connection", request=request
                ) from None
        else:
            await gate.acquire()
        try:  # released once the headers are in (a stream keeps its connection)
            return await self._http.send(request, stream=stream)
        finally:
            gate.release()

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> None:
        try:
            await response.aread()
        except httpx.HTTPError:
            pass  # the status error is raised without a body
        finally:
            await response.aclose()
