"""Binary responses (files, audio): read whole, stream in chunks, or stream to disk."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from types import TracebackType

import httpx

from ._errors import APIConnectionError, APIError, APITimeoutError

__all__ = ["BinaryResponse", "AsyncBinaryResponse", "iter_body", "aiter_body"]

_FILE_CHUNK_SIZE = 64 * 1024


def transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIError:
    """Our error for an httpx failure while a response body is being read."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request, "Timed out reading the response body.")
    return APIConnectionError(
        f"Connection error reading the response body: {exc}", request
    )


def iter_body(
    response: httpx.Response, chunk_size: int | None = None
) -> Iterator[bytes]:
    """`response.iter_bytes()` with httpx transport failures raised as `APIError`s."""
    chunks = response.iter_bytes(chunk_size)
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except httpx.TransportError as exc:
            raise transport_error(exc, response.request) from exc
        yield chunk


async def aiter_body(
    response: httpx.Response, chunk_size: int | None = None
) -> AsyncIterator[bytes]:
    """`response.aiter_bytes()` with httpx transport failures raised as `APIError`s."""
    chunks = response.aiter_bytes(chunk_size)
    while True:
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except httpx.TransportError as exc:
            raise transport_error(exc, response.request) from exc
        yield chunk


class _Binary:
    """What `BinaryResponse` and `AsyncBinaryResponse` share: the unread response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def request_id(self) -> str | None:
        """The server's `x-request-id` for this call."""
        request_id: str | None = self.response.headers.get("x-request-id")
        return request_id

    def __repr__(self) -> str:
        content_type = self.headers.get("content-type")
        return f"<{type(self).__name__} [{self.status_code}] {content_type}>"


class BinaryResponse(_Binary):
    """A streamed, still unread HTTP response with a binary body.

    `.content` reads it all (once, then cached); `.iter_bytes()` and `.write_to_file()`
    stream it without holding the body in memory. Close it, or use it as a context
    manager, when neither is run to the end.
    """

    @property
    def content(self) -> bytes:
        """The whole body (read on first access, then cached)."""
        try:
            return self.response.read()
        except httpx.TransportError as exc:
            raise transport_error(exc, self.response.request) from exc

    def read(self) -> bytes:
        return self.content

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body in chunks as they arrive (decoded if the server compressed it)."""
        return iter_body(self.response, chunk_size)

    def write_to_file(self, path: str | os.PathLike[str]) -> None:
        """Stream the body into `path` (created or truncated), chunk by chunk."""
        try:
            with open(path, "wb") as file:
                for chunk in self.iter_bytes(_FILE_CHUNK_SIZE):
                    file.write(chunk)
        finally:
            self.close()  # the body is used up either way

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> BinaryResponse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncBinaryResponse(_Binary):
    """The async `BinaryResponse`: `await read()`, `aiter_bytes()`, `await write_to_file()`."""

    @property
    def content(self) -> bytes:
        """The whole body; only after `await read()` (raises `httpx.ResponseNotRead`)."""
        return self.response.content

    async def read(self) -> bytes:
        """Read the whole body (once, then cached) and return it."""
        try:
            return await self.response.aread()
        except httpx.TransportError as exc:
            raise transport_error(exc, self.response.request) from exc

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (decoded if the server compressed it)."""
        return aiter_body(self.response, chunk_size)

    async def write_to_file(self, path: str | os.PathLike[str]) -> None:
        """Stream the body into `path` (created or truncated), chunk by chunk."""
        # Plain blocking writes: 64 KiB to a local file is quicker than a thread hop.
        try:
            with open(path, "wb") as file:
                async for chunk in self.aiter_bytes(_FILE_CHUNK_SIZE):
                    file.write(chunk)
        finally:
            await self.aclose()  # the body is used up either way

    async def aclose(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncBinaryResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
