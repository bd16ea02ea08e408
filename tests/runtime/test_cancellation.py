"""Cancelled async calls leave the connection pool whole (encode/httpcore#1093).

Each way httpcore 1.0 loses a pool slot to a cancellation is first forced, one at a
time, on both our client and a plain `httpx.AsyncClient` with the same limits: the
plain client keeps the slot stuck (so each test shows the bug it guards against),
ours gets it back. Then storms of random cancellations (`asyncio.wait_for` and anyio
cancel scopes, plain and streamed calls) against a real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpcore
import httpx
import pytest
from servers.faulty import Events, FaultyServer, Reply

from oag_runtime import (
    APITimeoutError,
    AsyncAPIClient,
    ClientConfig,
    Operation,
)
from oag_runtime._pool import Gate, pools_of
from oag_runtime._streaming import AsyncStream, ServerSentEvent

CONFIG = ClientConfig("canceltest", "1.0.0", "", "")
GET = Operation("getThing", "get", "/things/{thing_id}")
STREAM = Operation("streamThings", "get", "/stream", response="sse")
# Handed over unread: holds its connection until closed, whatever the body.
HOLD = Operation("holdThing", "get", "/things/t1", response="binary")
THING = {"id": "t1"}
StartServer = Callable[..., FaultyServer]

# Not a timing bound: long enough that a healthy pool never runs out of it on a
# loaded machine, short enough that a stuck one fails the test quickly.
POOL_TIMEOUT = 20.0


def client_class(limit: int) -> type[AsyncAPIClient]:
    class Client(AsyncAPIClient):
        _config = CONFIG
        _connection_limits = httpx.Limits(
            max_connections=limit, max_keepalive_connections=limit
        )

    return Client


def events(count: int) -> list[str]:
    return [f"data: {json.dumps({'n': n})}\n\n" for n in range(count)] + [
        "data: [DONE]\n\n"
    ]


def stuck_slots(http: httpx.AsyncClient) -> int:
    """Pool connections that are neither idle nor closed: with no call in flight,
    every one of them is a slot nobody will ever use again."""
    return sum(
        1
        for pool in pools_of(http)
        for connection in pool._connections
        if not connection.is_idle() and not connection.is_closed()
    )


def pool_requests(http: httpx.AsyncClient) -> int:
    return sum(len(pool._requests) for pool in pools_of(http))


async def settle() -> None:
    """Let background closes finish."""
    for _ in range(5):
        await asyncio.sleep(0.01)


# -- each mechanism, forced ----------------------------------------------------


class CancelAfterConnect(httpcore.AsyncNetworkBackend):
    """Cancels the calling task right after its connection is made: the cancellation
    lands on the first await after that, before the connection is marked in use."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed = True

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        stream = await self.inner.connect_tcp(*args, **kwargs)
        if self.armed:
            self.armed = False
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        return stream

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class CancelAfterResponse(CancelAfterConnect):
    """Cancels the calling task as the whole response arrives (one read): the
    cancellation lands in the close that follows, which gives the connection back."""

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        stream = await self.inner.connect_tcp(*args, **kwargs)
        return _CancellingStream(stream, self)


class _CancellingStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: Any, backend: CancelAfterResponse) -> None:
        self.inner = inner
        self.backend = backend

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = await self.inner.read(max_bytes, timeout)
        if self.backend.armed and data:
            self.backend.armed = False
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


def set_backend(http: httpx.AsyncClient, make: Callable[[Any], Any]) -> Any:
    (pool,) = pools_of(http)
    backend = make(pool._network_backend)
    pool._network_backend = backend
    return backend


# Our client with its own pool, our client on a user's httpx.AsyncClient, plain httpx.
WHICH = ["ours", "user_http_client", "plain"]


class Pair:
    """The same calls through our client (its own pool, or a user's httpx client)
    and through plain httpx, one pool slot each."""

    def __init__(self, server: FaultyServer, which: str, limit: int = 1) -> None:
        timeout = httpx.Timeout(10.0, pool=POOL_TIMEOUT)
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        self.plain = httpx.AsyncClient(
            base_url=server.url, limits=limits, timeout=timeout
        )
        self.ours = client_class(limit)(
            base_url=server.url,
            max_retries=0,
            timeout=timeout,
            http_client=self.plain if which == "user_http_client" else None,
        )
        self.which = which

    async def call(self, timeout: float = POOL_TIMEOUT) -> object:
        per_call = httpx.Timeout(10.0, pool=timeout)
        if self.which != "plain":
            return await self.ours.request(
                GET, object, path_params={"thing_id": "t1"}, timeout=per_call
            )
        response = await self.plain.get("/things/t1", timeout=per_call)
        response.raise_for_status()
        return response.json()

    async def open_stream(self) -> AsyncStream[Any] | httpx.Response:
        if self.which != "plain":
            return await self.ours.request(STREAM, ServerSentEvent)
        request = self.plain.build_request("GET", "/stream")
        return await self.plain.send(request, stream=True)

    @property
    def http(self) -> httpx.AsyncClient:
        return self.plain if self.which == "plain" else self.ours._http

    async def aclose(self) -> None:
        await self.ours.aclose()
        await self.plain.aclose()


async def check_pool(pair: Pair) -> None:
    """Ours: the slot is free and the next call goes through. Plain httpx: the slot
    is stuck and the next call cannot get a connection."""
    await settle()
    if pair.which != "plain":
        assert stuck_slots(pair.http) == 0 and pool_requests(pair.http) == 0
        assert await pair.call() == THING
    else:
        assert stuck_slots(pair.http) == 1
        with pytest.raises(httpx.PoolTimeout):
            await pair.call(timeout=0.2)


@pytest.mark.parametrize("which", WHICH)
async def test_cancelled_after_connecting(
    which: str, faulty_server: StartServer
) -> None:
    """The connection is open but was never used (HTTP/1.1 state NEW)."""
    server = faulty_server(default=Reply(200, THING), max_requests=10)
    pair = Pair(server, which)
    try:
        backend = set_backend(pair.http, CancelAfterConnect)
        with pytest.raises(asyncio.CancelledError):
            await pair.call()
        assert not backend.armed
        await check_pool(pair)
    finally:
        await pair.aclose()


@pytest.mark.parametrize("which", WHICH)
async def test_cancelled_while_giving_the_connection_back(
    which: str, faulty_server: StartServer
) -> None:
    """The response was read whole; closing it is cut short before the pool takes
    the request back."""
    server = faulty_server(default=Reply(200, THING), max_requests=10)
    pair = Pair(server, which)
    try:
        backend = set_backend(pair.http, CancelAfterResponse)
        with pytest.raises(asyncio.CancelledError):
            await pair.call()
        assert not backend.armed
        await check_pool(pair)
    finally:
        await pair.aclose()


@pytest.mark.parametrize("which", WHICH)
async def test_cancelled_after_being_handed_a_new_connection(
    which: str, faulty_server: StartServer
) -> None:
    """A queued request is given a connection created for it by another request's
    state change, and is cancelled before it opens it."""
    endless = Events(events(1000), interval=0.01)
    server = faulty_server([endless], default=Reply(200, THING), max_requests=10)
    pair = Pair(server, which)
    try:
        stream = await pair.open_stream()  # the only slot: a stream left open
        queued = asyncio.ensure_future(pair.call())
        for _ in range(2000):  # until it waits inside the pool
            if pool_requests(pair.http) == 2:
                break
            await asyncio.sleep(0.005)
        assert pool_requests(pair.http) == 2
        # Closing the unfinished stream closes its connection; the pool creates a
        # new one for the queued request, which is cancelled before it runs.
        await stream.aclose()
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        await check_pool(pair)
    finally:
        await pair.aclose()


# -- storms of random cancellations ----------------------------------------------

LIMIT = 20
CONCURRENCY = 40  # twice the pool: requests queue for connections
CANCELLATIONS = 2000
NORMAL_CALLS = 300


def storm_client(server: FaultyServer) -> AsyncAPIClient:
    timeout = httpx.Timeout(10.0, pool=POOL_TIMEOUT)
    return client_class(LIMIT)(base_url=server.url, max_retries=0, timeout=timeout)


async def plain_call(client: AsyncAPIClient) -> None:
    assert await client.request(GET, object, path_params={"thing_id": "t1"}) == THING


async def streamed_call(client: AsyncAPIClient) -> None:
    stream = await client.request(STREAM, ServerSentEvent)
    received = [event async for event in stream]
    assert [event.json() for event in received] == [{"n": n} for n in range(5)]


async def with_wait_for(call: Awaitable[None], seconds: float) -> bool:
    """True when the call was cancelled."""
    try:
        await asyncio.wait_for(call, seconds)
    except asyncio.TimeoutError:
        return True
    return False


async def with_cancel_scope(call: Awaitable[None], seconds: float) -> bool:
    with anyio.move_on_after(seconds) as scope:
        await call
    return scope.cancelled_caught


CANCELLERS = {"wait_for": with_wait_for, "cancel_scope": with_cancel_scope}
CALLS = {"plain": plain_call, "streamed": streamed_call}


async def storm(
    client: AsyncAPIClient,
    call: Callable[[AsyncAPIClient], Awaitable[None]],
    cancel: Callable[[Awaitable[None], float], Awaitable[bool]],
) -> int:
    """Calls with random deadlines of 0.5-60 ms, CONCURRENCY at a time, until
    CANCELLATIONS of them were cancelled; returns how many completed instead."""
    rng = random.Random(1093)
    cancelled = completed = 0

    async def worker() -> None:
        nonlocal cancelled, completed
        while cancelled < CANCELLATIONS:
            if await cancel(call(client), rng.uniform(0.0005, 0.060)):
                cancelled += 1
            else:
                completed += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return completed


async def wait_for_server_connections(server: FaultyServer, at_most: int) -> None:
    """Connections the client closed are seen closed by the server a little later."""
    for _ in range(500):
        if server.open_connections <= at_most:
            return
        await asyncio.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["plain", "streamed"])
@pytest.mark.parametrize("canceller", ["wait_for", "cancel_scope"])
async def test_pool_survives_a_storm_of_cancellations(
    kind: str, canceller: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        default=(
            Events(events(5), interval=0.002)
            if kind == "streamed"
            else Reply(200, THING, delay=0.002)
        ),
        max_requests=10**6,
    )
    client = storm_client(server)
    try:
        await storm(client, CALLS[kind], CANCELLERS[canceller])
        await settle()
        assert stuck_slots(client._http) == 0
        assert pool_requests(client._http) == 0
        await wait_for_server_connections(server, LIMIT)
        assert server.open_connections <= LIMIT
        server.reset_peak()
        # Every slot works: LIMIT responses held open at once, then the normal calls.
        held = [await client.request(HOLD, object) for _ in range(LIMIT)]
        for response in held:
            await response.aclose()
        results = await asyncio.gather(
            *(CALLS[kind](client) for _ in range(NORMAL_CALLS)),
            return_exceptions=True,
        )
        failures = [result for result in results if result is not None]
        assert failures == []
        assert server.peak_connections <= LIMIT
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_plain_httpx_gets_stuck_in_the_same_storm(
    faulty_server: StartServer,
) -> None:
    """What the storm tests guard against: httpx's own pool, same limits."""
    server = faulty_server(default=Reply(200, THING, delay=0.002), max_requests=10**6)
    limits = httpx.Limits(max_connections=LIMIT, max_keepalive_connections=LIMIT)
    timeout = httpx.Timeout(10.0, pool=0.5)
    async with httpx.AsyncClient(
        base_url=server.url, limits=limits, timeout=timeout
    ) as http:

        async def call() -> None:
            (await http.get("/things/t1")).raise_for_status()

        rng = random.Random(1093)
        cancelled = 0

        async def worker() -> None:
            nonlocal cancelled
            # Stop early once every slot is stuck: the rest would only wait.
            while cancelled < CANCELLATIONS and stuck_slots(http) < LIMIT:
                try:
                    await asyncio.wait_for(call(), rng.uniform(0.0005, 0.060))
                except (asyncio.TimeoutError, httpx.PoolTimeout):
                    cancelled += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        await settle()
        assert stuck_slots(http) > 0
        results = await asyncio.gather(
            *(call() for _ in range(LIMIT)), return_exceptions=True
        )
        assert any(isinstance(result, httpx.PoolTimeout) for result in results)


async def test_gate_slot_survives_cancelled_waiters(
    faulty_server: StartServer,
) -> None:
    """Waiters cancelled or timed out in the gate give their turn back."""
    server = faulty_server(default=Reply(200, THING, delay=0.05), max_requests=100)
    client = client_class(1)(base_url=server.url, max_retries=0)
    try:
        holder = asyncio.ensure_future(plain_call(client))
        await asyncio.sleep(0)
        waiters = [asyncio.ensure_future(plain_call(client)) for _ in range(5)]
        await asyncio.sleep(0.01)
        for waiter in waiters[:3]:
            waiter.cancel()
        with pytest.raises(APITimeoutError):  # the gate's own pool timeout
            await client.request(
                GET,
                object,
                path_params={"thing_id": "t1"},
                timeout=httpx.Timeout(5.0, pool=0.001),
            )
        await holder
        await asyncio.gather(*waiters[3:])
        assert client._gate is not None and client._gate.free == 1
        await plain_call(client)
    finally:
        await client.aclose()


async def test_gate_is_first_come_first_served() -> None:
    gate = Gate(1)
    await gate.acquire(None)
    order: list[int] = []

    async def waiter(n: int) -> None:
        await gate.acquire(None)
        order.append(n)
        gate.release()

    tasks = [asyncio.ensure_future(waiter(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert gate.free == 0 and not gate.try_acquire()
    gate.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4] and gate.free == 1


async def test_gate_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    gate = Gate(1)
    await gate.acquire(None)
    first = asyncio.ensure_future(gate.acquire(None))
    second = asyncio.ensure_future(gate.acquire(None))
    await asyncio.sleep(0)
    gate.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 5)  # the slot went on to `second`
    gate.release()
    assert gate.free == 1


async def test_gate_waiter_times_out_with_pool_timeout() -> None:
    gate = Gate(1)
    await gate.acquire(None)
    with pytest.raises(httpx.PoolTimeout):
        await gate.acquire(0.01)
    gate.release()
    assert gate.free == 1 and gate.try_acquire()
