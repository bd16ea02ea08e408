"""The whole-call deadline (`deadline=` seconds, per client or per call).

httpx timeouts bound each network wait (connect, each read, each write, the wait
for a pooled connection), not a call: a body dripped one byte every 100 ms never
trips a 2 s read timeout. A deadline bounds everything a call does: retries and
their waits, connecting, sending, and reading the body, streamed bodies included.

How it is kept: before each attempt, every httpx timeout is cut to the time left;
the response's body stream checks the clock as data arrives; a retry wait that
would end past the deadline is not started. The async client also runs each
attempt, and each read of a streamed body, under `asyncio.timeout_at` (Python
3.11+), so it stops at the deadline itself. The sync client (and the async one on
Python 3.10) stops at the latest one network wait after it: no wait is longer than
the time that was left when its attempt or stream began.
Either way the call raises `APITimeoutError`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx

__all__ = [
    "DeadlineExceeded",
    "deadline_at",
    "clamp_timeouts",
    "limit_response",
    "check",
]


class DeadlineExceeded(httpx.TimeoutException):
    """Raised inside the transport plumbing when a call's deadline passes."""


def deadline_at(seconds: float | None) -> float | None:
    """The monotonic time `seconds` from now (None: no deadline)."""
    if seconds is None:
        return None
    if seconds <= 0:
        raise ValueError("deadline must be a positive number of seconds")
    return time.monotonic() + seconds


def check(deadline: float, request: httpx.Request) -> float:
    """The seconds left before `deadline`; raises DeadlineExceeded when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("The call's deadline passed", request=request)
    return left


def clamp_timeouts(request: httpx.Request, deadline: float) -> None:
    """Cut each httpx timeout of `request` to the time left (a new extensions
    dict: the one it has may be shared by every request of the client)."""
    left = check(deadline, request)
    timeouts = request.extensions.get("timeout", {})
    clamped = {
        name: left if value is None else min(value, left)
        for name, value in {
            "connect": timeouts.get("connect"),
            "read": timeouts.get("read"),
            "write": timeouts.get("write"),
            "pool": timeouts.get("pool"),
        }.items()
    }
    request.extensions = {**request.extensions, "timeout": clamped}


def limit_response(response: httpx.Response, deadline: float) -> None:
    """Make reading `response`'s body raise DeadlineExceeded past `deadline`."""
    stream = response.stream
    if isinstance(stream, httpx.AsyncByteStream):
        response.stream = _AsyncDeadlineStream(stream, deadline, response.request)
    elif isinstance(stream, httpx.SyncByteStream):
        response.stream = _SyncDeadlineStream(stream, deadline, response.request)


class _SyncDeadlineStream(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._inner = inner
        self._deadline = deadline
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            check(self._deadline, self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncDeadlineStream(httpx.AsyncByteStream):
    def __init__(
        self, inner: httpx.AsyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._inner = inner
        self._deadline = deadline
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._inner.__aiter__()
        while True:
            try:
                if sys.version_info >= (3, 11):
                    import asyncio

                    async with asyncio.timeout_at(self._deadline):
                        chunk = await chunks.__anext__()
                else:  # pragma: no cover - Python 3.10: checked as data arrives
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise DeadlineExceeded(
                    "The call's deadline passed", request=self._request
                ) from None
            check(self._deadline, self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
