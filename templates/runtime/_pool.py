"""Keeping the async connection pool healthy: a fair gate in front of it, and the
reclaiming of connections that a cancelled request left behind.

Why the reaper exists (httpcore 1.0.x, encode/httpcore#1093): the pool hands a
connection to a request, and the request then opens and uses it. A request
cancelled between those two steps leaves the connection in the pool's list with no
owner, in a state that is neither idle, closed nor expired: not yet connected
("CONNECTING"), or connected but never used (an HTTP/1.1 connection in state NEW,
holding its socket). The pool never reclaims such a connection; each one takes a
slot for good, and once all slots are gone every request waits out its pool
timeout. Both windows are single event-loop turns, so a service whose calls are
cancelled (deadlines, `asyncio.wait_for`, anyio cancel scopes) hits them sooner or
later.

A third way to lose a slot: closing a response is a few awaits (give the
connection back, then take the request off the pool's list), and httpcore's
"shield" around them is an anyio cancel scope, which stops anyio cancellations but
not a plain `task.cancel()` (what `asyncio.wait_for` and `asyncio.timeout` do).
Cancelled between the two, the close leaves the request on the list for good, with
its connection ACTIVE: a slot owned by a response that no longer exists.

`reap_orphans` removes connections that no live request owns and that are not
idle, closed or expired, then lets the pool hand out the freed slots. It runs
synchronously (a cancelled caller cannot be interrupted by it) right after a send
fails or is cancelled; closing the removed sockets happens in a task of its own.
`guard_response` wraps a response's stream so that a close cut short takes the
request off the pool's list and drops its connection (never handed out again
half-closed). Both read httpcore's pool internals (`_connections`, `_requests`,
the pool stream's `_pool_request`), checked on each use: with a pool that does not
look like httpcore 1.0's they do nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import asyncio  # imported where used: sync-only programs never load asyncio

__all__ = [
    "Gate",
    "guard_response",
    "orphans",
    "pools_of",
    "reap_if_full",
    "reap_orphans",
]

# Closing tasks in flight: the event loop only keeps weak references to tasks.
_closing: set[asyncio.Task[None]] = set()


class Gate:
    """A first-come, first-served limit on the requests handed to the pool at once.

    httpcore's pool does work proportional to (queued requests x connections) on
    every state change, so thousands of calls queued inside it stall the event loop;
    they queue here instead, in order. A released slot is handed straight to the
    oldest waiter (no barging), and a waiter cancelled after being handed a slot
    passes it on, so a cancellation never loses a slot.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        return self._free

    def try_acquire(self) -> bool:
        if self._free > 0:
            # Free slots mean nobody is waiting: whatever is left in the queue is a
            # waiter that was cancelled or timed out.
            self._waiters.clear()
            self._free -= 1
            return True
        return False

    async def acquire(self, timeout: float | None) -> None:
        """Wait for a slot, at most `timeout` seconds (then `httpx.PoolTimeout`)."""
        if self.try_acquire():
            return
        import asyncio

        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = None
        if timeout is not None:
            timer = loop.call_later(max(timeout, 0.0), _expire, waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and not waiter.exception():
                self.release()  # a slot was handed over just as we were cancelled
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():  # skip waiters cancelled or timed out meanwhile
                waiter.set_result(None)
                return
        self._free += 1


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.PoolTimeout("Timed out waiting for a connection"))


def pools_of(http: httpx.AsyncClient | httpx.Client) -> list[Any]:
    """The httpcore connection pools behind an httpx client (its default transport
    and its mounts); empty for custom transports."""
    transports: list[object] = [getattr(http, "_transport", None)]
    mounts = getattr(http, "_mounts", None)
    if isinstance(mounts, dict):
        transports.extend(mounts.values())
    pools = []
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if _looks_like_pool(pool):
            pools.append(pool)
    return pools


def _looks_like_pool(pool: object) -> bool:
    return (
        isinstance(getattr(pool, "_connections", None), list)
        and isinstance(getattr(pool, "_requests", None), list)
        and hasattr(pool, "_assign_requests_to_connections")
    )


def orphans(pool: Any) -> list[Any]:
    """The connections of `pool` that no request owns and nobody will reclaim."""
    owned = {id(request.connection) for request in pool._requests}
    return [
        connection
        for connection in pool._connections
        if id(connection) not in owned
        and not connection.is_idle()
        and not connection.is_closed()
        and not connection.has_expired()
    ]


def reap_if_full(http: httpx.AsyncClient) -> int:
    """`reap_orphans` when a pool of `http` has no free slot (cheap otherwise)."""
    for pool in pools_of(http):
        limit = getattr(pool, "_max_connections", None)
        if isinstance(limit, int) and len(pool._connections) >= limit:
            return reap_orphans(http)
    return 0


def reap_orphans(http: httpx.AsyncClient) -> int:
    """Drop the orphaned connections of `http`'s pools, close them in the background
    and let queued requests have the freed slots. Returns how many were dropped."""
    dropped: list[Any] = []
    for pool in pools_of(http):
        try:
            with pool._optional_thread_lock:
                found = orphans(pool)
                if not found:
                    continue
                for connection in found:
                    pool._connections.remove(connection)
                dropped.extend(found)
                # Hand the freed slots to requests queued in the pool, if any.
                dropped.extend(pool._assign_requests_to_connections())
        except (AttributeError, TypeError, ValueError):
            continue  # not the pool this was written against: leave it alone
    if dropped:
        _close_in_background(dropped)
    return len(dropped)


def guard_response(response: httpx.Response) -> None:
    """Make closing `response` safe to cancel (see the module docstring). A no-op
    for responses that do not come from an httpcore connection pool."""
    stream = response.stream
    pool_stream = getattr(getattr(stream, "_stream", None), "_httpcore_stream", None)
    if isinstance(stream, httpx.AsyncByteStream) and _looks_like_pool(
        getattr(pool_stream, "_pool", None)
    ):
        response.stream = _GuardedStream(stream, pool_stream)


class _GuardedStream(httpx.AsyncByteStream):
    """A response body stream whose close, when cut short, is finished for it."""

    __slots__ = ("_inner", "_pool_stream")

    def __init__(self, inner: httpx.AsyncByteStream, pool_stream: Any) -> None:
        self._inner = inner
        self._pool_stream = pool_stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except GeneratorExit:
            raise  # abandoned, not failed: the response's own close will run
        except BaseException:
            # The pool stream closes itself when reading fails: check it got through.
            _finish_close(self._pool_stream)
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except BaseException:
            _finish_close(self._pool_stream)
            raise


def _finish_close(pool_stream: Any) -> None:
    """After a pool stream's close was interrupted: take its request off the pool's
    list and drop its connection, whose state nobody can vouch for."""
    try:
        pool = pool_stream._pool
        request = pool_stream._pool_request
        if not pool_stream._closed:
            return  # the close never started: the response's own close will run it
        dropped: list[Any] = []
        with pool._optional_thread_lock:
            if request not in pool._requests:
                return  # the close got through
            pool._requests.remove(request)
            connection = request.connection
            if (
                connection is not None
                and connection in pool._connections
                and not connection.is_idle()
            ):
                pool._connections.remove(connection)
                dropped.append(connection)
            dropped.extend(pool._assign_requests_to_connections())
    except (AttributeError, TypeError, ValueError):
        return
    if dropped:
        _close_in_background(dropped)


def _close_in_background(connections: Iterable[Any]) -> None:
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(_close_all(list(connections)))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _close_all(connections: list[Any]) -> None:
    for connection in connections:
        try:
            await connection.aclose()
        except Exception:  # noqa: BLE001 - a socket that fails to close is gone anyway
            pass
