"""Retries, timeouts and errors against a real misbehaving server on 127.0.0.1
(tests/servers/faulty.py), through the real httpx clients, sync and async."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest
from servers.faulty import FaultyServer, Hang, Reply, Reset, Truncate

from oag_runtime import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncAPIClient,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    InternalServerError,
    Operation,
    RateLimitError,
    SyncAPIClient,
)

API_KEY = "sk-faulty-7f3a9c0b1d2e"
CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "")
GET = Operation("getThing", "get", "/things/{thing_id}")
StartServer = Callable[..., FaultyServer]


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Thing(pydantic.BaseModel):
    id: str
    size: int = 0


THING = {"id": "t1", "size": 3}


def call(
    mode: str,
    server: FaultyServer,
    *,
    sleeps: list[float] | None = None,
    op: Operation = GET,
    cast_to: Any = Thing,
    **options: Any,
) -> Any:
    """One request through a fresh sync or async client (closed afterwards). With
    `sleeps`, retry waits are recorded instead of slept."""
    options.setdefault("api_key", API_KEY)
    if mode == "sync":
        with Client(base_url=server.url, **options) as client:
            if sleeps is not None:
                client._sleep = sleeps.append  # type: ignore[method-assign]
            return client.request(op, cast_to, path_params={"thing_id": "t1"})

    async def run() -> Any:
        async with AsyncClient(base_url=server.url, **options) as client:
            if sleeps is not None:

                async def record(seconds: float) -> None:
                    sleeps.append(seconds)

                client._sleep = record  # type: ignore[method-assign]
            return await client.request(op, cast_to, path_params={"thing_id": "t1"})

    return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def test_429_twice_then_success(mode: str, faulty_server: StartServer) -> None:
    limited = Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
    server = faulty_server([limited, limited, Reply(200, THING)])
    result = call(mode, server)  # real sleeping: Retry-After is 0
    assert result == Thing(id="t1", size=3)
    assert server.request_count == 3
    assert all(r.path == "/things/t1" for r in server.requests)
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_max_retries_zero_raises_after_one_request(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})],
        default=Reply(200, THING),
    )
    with pytest.raises(RateLimitError) as caught:
        call(mode, server, max_retries=0)
    assert caught.value.status_code == 429 and "slow down" in str(caught.value)
    assert server.request_count == 1


def test_500_then_success_with_backoff(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([Reply(500, "oops"), Reply(200, THING)])
    sleeps: list[float] = []
    assert call(mode, server, sleeps=sleeps).id == "t1"
    assert server.request_count == 2
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


def test_503_with_retry_after_ms_is_honoured(
    mode: str, faulty_server: StartServer
) -> None:
    busy = Reply(503, {"error": {"message": "busy"}}, {"retry-after-ms": "150"})
    server = faulty_server([busy, Reply(200, THING)])
    started = time.perf_counter()
    assert call(mode, server).id == "t1"  # real sleeping
    assert time.perf_counter() - started >= 0.15
    assert server.request_count == 2


def test_5xx_exhausting_retries_raises(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server(default=Reply(502, "<html>bad gateway</html>"))
    sleeps: list[float] = []
    with pytest.raises(InternalServerError) as caught:
        call(mode, server, sleeps=sleeps, max_retries=3)
    assert server.request_count == 4 and len(sleeps) == 3
    assert caught.value.body == "<html>bad gateway</html>"


def test_connection_reset_is_retried(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([Reset(), Reply(200, THING)])
    sleeps: list[float] = []
    assert call(mode, server, sleeps=sleeps).id == "t1"
    assert server.request_count == 2 and len(sleeps) == 1


def test_connection_reset_every_time_raises(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reset())
    with pytest.raises(APIConnectionError) as caught:
        call(mode, server, sleeps=[])
    assert not isinstance(caught.value, APITimeoutError)
    assert server.request_count == 3


def test_server_that_never_answers_times_out(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Hang(5.0))
    started = time.perf_counter()
    with pytest.raises(APITimeoutError):
        call(mode, server, sleeps=[], timeout=0.3, max_retries=1)
    elapsed = time.perf_counter() - started
    assert 0.6 <= elapsed < 3.0
    assert server.request_count == 2


def test_per_call_timeout_on_a_silent_server(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Hang(5.0)], default=Reply(200, THING))

    async def run_async() -> None:
        async with AsyncClient(base_url=server.url, max_retries=0) as client:
            await client.request(
                GET, Thing, path_params={"thing_id": "t1"}, timeout=0.2
            )

    started = time.perf_counter()
    with pytest.raises(APITimeoutError):
        if mode == "sync":
            with Client(base_url=server.url, max_retries=0) as client:
                client.request(GET, Thing, path_params={"thing_id": "t1"}, timeout=0.2)
        else:
            asyncio.run(run_async())
    assert time.perf_counter() - started < 2.0


def test_body_cut_half_way_is_retried(mode: str, faulty_server: StartServer) -> None:
    body = json.dumps({"id": "t1", "size": 3, "pad": "x" * 1000})
    server = faulty_server([Truncate(200, body.encode(), keep=500), Reply(200, THING)])
    assert call(mode, server, sleeps=[]).id == "t1"
    assert server.request_count == 2


def test_body_cut_half_way_without_retries_raises(
    mode: str, faulty_server: StartServer
) -> None:
    body = json.dumps({"id": "t1", "pad": "x" * 1000}).encode()
    server = faulty_server([Truncate(200, body, keep=500)])
    with pytest.raises(APIConnectionError):
        call(mode, server, max_retries=0)
    assert server.request_count == 1


def test_200_html_raises_response_validation_error(
    mode: str, faulty_server: StartServer
) -> None:
    page = "<html><body><h1>Gateway login</h1>" + "lorem ipsum " * 50 + "</body></html>"
    server = faulty_server(
        [Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})]
    )
    with pytest.raises(APIResponseValidationError) as caught:
        call(mode, server)
    assert isinstance(caught.value, APIError)
    assert "text/html" in str(caught.value) and page[:200] in str(caught.value)
    assert server.request_count == 1  # a 2xx is not retried


def test_400_openai_style_error(mode: str, faulty_server: StartServer) -> None:
    error = {
        "error": {
            "message": "Unrecognized request argument supplied: foo",
            "type": "invalid_request_error",
            "param": None,
            "code": "unknown_parameter",
        }
    }
    server = faulty_server([Reply(400, error, {"x-request-id": "req_42"})])
    with pytest.raises(BadRequestError) as caught:
        call(mode, server)
    assert "Unrecognized request argument supplied: foo" in str(caught.value)
    assert caught.value.body == error["error"]
    assert caught.value.code == "unknown_parameter"
    assert caught.value.type == "invalid_request_error"
    assert caught.value.request_id == "req_42"
    assert server.request_count == 1


class SmallPoolClient(AsyncClient):
    _connection_limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)


async def run_concurrently(client: AsyncClient, count: int) -> list[Thing]:
    calls = (
        client.request(GET, Thing, path_params={"thing_id": str(i)})
        for i in range(count)
    )
    return await asyncio.wait_for(asyncio.gather(*calls), timeout=120)


def assert_all_served(server: FaultyServer, results: list[Thing], count: int) -> None:
    assert len(results) == count and all(r.id == "t1" for r in results)
    assert server.request_count == count
    served = sorted(int(r.path.rsplit("/", 1)[1]) for r in server.requests)
    assert served == list(range(count))


async def test_1000_concurrent_calls_with_a_bounded_pool(
    faulty_server: StartServer,
) -> None:
    server = faulty_server(default=Reply(200, THING, delay=0.005), max_requests=1000)
    async with SmallPoolClient(api_key=API_KEY, base_url=server.url) as client:
        results = await run_concurrently(client, 1000)
    assert_all_served(server, results, 1000)
    assert 1 < server.peak_connections <= 20  # used in parallel, never exceeded


@pytest.mark.slow
async def test_1000_concurrent_calls_with_the_default_pool(
    faulty_server: StartServer,
) -> None:
    server = faulty_server(default=Reply(200, THING, delay=0.005), max_requests=1000)
    async with AsyncClient(api_key=API_KEY, base_url=server.url) as client:
        results = await run_concurrently(client, 1000)
    assert_all_served(server, results, 1000)
    assert 10 < server.peak_connections <= 100


async def test_a_user_pool_limit_is_respected(faulty_server: StartServer) -> None:
    server = faulty_server(default=Reply(200, THING, delay=0.005), max_requests=100)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=5))
    client = AsyncClient(base_url=server.url, http_client=http)
    results = await run_concurrently(client, 100)
    await http.aclose()
    assert_all_served(server, results, 100)
    assert 1 < server.peak_connections <= 5


class OneConnectionClient(AsyncClient):
    _connection_limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)


async def test_waiting_for_a_busy_pool_honours_the_pool_timeout(
    faulty_server: StartServer,
) -> None:
    server = faulty_server([Reply(200, THING, delay=1.0)], default=Reply(200, THING))
    async with OneConnectionClient(base_url=server.url, max_retries=0) as client:
        slow = asyncio.ensure_future(
            client.request(GET, Thing, path_params={"thing_id": "slow"})
        )
        await asyncio.sleep(0.2)  # the only connection is now busy
        started = time.perf_counter()
        with pytest.raises(APITimeoutError):
            await client.request(
                GET,
                Thing,
                path_params={"thing_id": "waits"},
                timeout=httpx.Timeout(5.0, pool=0.1),
            )
        assert time.perf_counter() - started < 0.5
        assert (await slow).id == "t1"
    assert server.request_count == 1  # the timed-out call never reached the server


async def test_failed_calls_give_their_pool_slot_back(
    faulty_server: StartServer,
) -> None:
    server = faulty_server([Reset()] * 6, default=Reply(200, THING), max_requests=50)
    async with OneConnectionClient(base_url=server.url, max_retries=0) as client:
        for _ in range(6):
            with pytest.raises(APIConnectionError):
                await client.request(GET, Thing, path_params={"thing_id": "x"})
        results = await run_concurrently(client.with_options(max_retries=0), 10)
    assert len(results) == 10 and server.request_count == 16


def test_the_key_appears_in_no_log_repr_or_error(
    mode: str, faulty_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {API_KEY}."}}
    server = faulty_server(
        [
            Reply(429, "", {"Retry-After": "0"}),
            Reset(),
            Reply(200, THING),
            Reply(401, echo),
            Hang(5.0),
            Reply(200, "<html>not json</html>", {"Content-Type": "text/html"}),
        ]
    )
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        assert call(mode, server, sleeps=[]).id == "t1"
        for expected, options in [
            (AuthenticationError, {}),
            (APITimeoutError, {"timeout": 0.2, "max_retries": 0}),
            (APIResponseValidationError, {}),
        ]:
            with pytest.raises(expected) as caught:
                call(mode, server, **options)
            error: BaseException | None = caught.value
            while error is not None:  # the whole chain
                texts += [str(error), repr(error), *map(str, error.args)]
                error = error.__cause__ or error.__context__
    client = Client(api_key=API_KEY, base_url=server.url)
    texts += [repr(client), str(client)]
    client.close()
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.__dict__) for record in caplog.records]
    ours = [r for r in caplog.records if r.name == "fakeapi"]
    assert len(ours) >= 6  # responses and retries were logged
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    leaks = [text for text in texts if API_KEY in text]
    assert leaks == []
