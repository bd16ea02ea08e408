"""`timeout` bounds each network wait; `deadline` bounds the whole call (retries,
their waits, the body, streamed bodies too). Sync and async, on the fault server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pydantic
import pytest
from servers.faulty import Drip, Events, FaultyServer, Hang, Reply

from oag_runtime import (
    APITimeoutError,
    InternalServerError,
    AsyncAPIClient,
    ClientConfig,
    Operation,
    SyncAPIClient,
)
from oag_runtime._streaming import ServerSentEvent

CONFIG = ClientConfig("deadlinetest", "1.0.0", "", "")
GET = Operation("getThing", "get", "/things/{thing_id}")
WATCH = Operation("watch", "get", "/events", response="sse")
StartServer = Callable[..., FaultyServer]
# 40 bytes, one every 25 ms: a second of body, each read well within any timeout.
DRIPPED = Drip(json.dumps({"id": "t1", "pad": "x" * 24}).encode(), interval=0.025)


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Thing(pydantic.BaseModel):
    id: str


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def call(
    mode: str,
    server: FaultyServer,
    op: Operation = GET,
    sleeps: list[float] | None = None,
    client_options: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """One call through a fresh client; streams are consumed into a list. With
    `sleeps`, retry waits are recorded instead of slept."""
    client_options = {"max_retries": 0, **(client_options or {})}
    cast_to: Any = ServerSentEvent if op is WATCH else Thing
    params = {} if op is WATCH else {"path_params": {"thing_id": "t1"}}
    if mode == "sync":
        with Client(base_url=server.url, **client_options) as client:
            if sleeps is not None:
                client._sleep = sleeps.append  # type: ignore[method-assign]
            result = client.request(op, cast_to, **params, **options)
            return list(result) if op is WATCH else result

    async def run() -> Any:
        async with AsyncClient(base_url=server.url, **client_options) as client:
            if sleeps is not None:

                async def record(seconds: float) -> None:
                    sleeps.append(seconds)

                client._sleep = record  # type: ignore[method-assign]
            result = await client.request(op, cast_to, **params, **options)
            return [event async for event in result] if op is WATCH else result

    return asyncio.run(run())


def test_timeout_is_per_read_not_per_call(
    mode: str, faulty_server: StartServer
) -> None:
    """What the docs say: a body that keeps coming never trips the read timeout,
    however long it takes in all (here 40 reads of 25 ms against timeout=0.5)."""
    server = faulty_server([DRIPPED])
    assert call(mode, server, timeout=0.5) == Thing(id="t1")


def test_deadline_stops_a_dripping_body(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([DRIPPED])
    with pytest.raises(APITimeoutError, match="deadline"):
        call(mode, server, timeout=0.5, deadline=0.2)


def test_deadline_from_the_client_and_overridden_per_call(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([DRIPPED, DRIPPED])
    with pytest.raises(APITimeoutError, match="deadline"):
        call(mode, server, client_options={"deadline": 0.2})
    # deadline=None for one call lifts the client's deadline.
    result = call(mode, server, client_options={"deadline": 0.2}, deadline=None)
    assert result == Thing(id="t1")


def test_deadline_on_a_silent_server(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([Hang(5.0)])
    with pytest.raises(APITimeoutError):
        call(mode, server, timeout=30.0, deadline=0.2)


def test_no_retry_wait_past_the_deadline(mode: str, faulty_server: StartServer) -> None:
    """A retry that cannot finish in time is not started: the call fails at once
    with the last attempt's error, as when no retries are left."""
    busy = Reply(503, {"error": {"message": "busy"}}, {"Retry-After": "2"})
    server = faulty_server([busy], default=Reply(200, {"id": "t1"}))
    sleeps: list[float] = []
    with pytest.raises(InternalServerError, match="busy"):
        call(
            mode,
            server,
            sleeps=sleeps,
            client_options={"max_retries": 3},
            deadline=1.0,
        )
    assert sleeps == [] and server.request_count == 1


def test_retries_within_the_deadline(mode: str, faulty_server: StartServer) -> None:
    busy = Reply(503, {"error": {"message": "busy"}}, {"retry-after-ms": "10"})
    server = faulty_server([busy, busy], default=Reply(200, {"id": "t1"}))
    result = call(mode, server, client_options={"max_retries": 3}, deadline=30.0)
    assert result == Thing(id="t1") and server.request_count == 3


def test_deadline_bounds_a_stream(mode: str, faulty_server: StartServer) -> None:
    events = [f"data: {json.dumps({'n': n})}\n\n" for n in range(100)]
    server = faulty_server([Events(events, interval=0.02)])
    with pytest.raises(APITimeoutError):
        call(mode, server, op=WATCH, deadline=0.3)


def test_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        Client(base_url="http://127.0.0.1:9", deadline=0)
    client = Client(base_url="http://127.0.0.1:9", deadline=5.0)
    assert client.with_options().deadline == 5.0
    assert client.with_options(deadline=None).deadline is None
    with pytest.raises(ValueError, match="deadline"):
        client.request(GET, Thing, path_params={"thing_id": "t1"}, deadline=-1)
