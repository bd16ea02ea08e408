"""Retries: which failures are retried, backoff, Retry-After / retry-after-ms, bodies
that cannot be replayed, DEBUG logs per retry (httpx.MockTransport, sleeping patched).
"""

from __future__ import annotations

import email.utils
import logging
import sys
import time
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Union

import httpx
import pydantic
import pytest

from oag_runtime import (
    APIConnectionError,
    APITimeoutError,
    AsyncAPIClient,
    BadRequestError,
    ClientConfig,
    ConflictError,
    InternalServerError,
    Operation,
    RateLimitError,
    SyncAPIClient,
)

CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")
GET = Operation("getThing", "get", "/things/1")
POST = Operation("createThing", "post", "/things", body="json")

Step = Union[httpx.Response, Exception]


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Thing(pydantic.BaseModel):
    id: str


OK = httpx.Response(200, json={"id": "t1"})


class Script:
    """A MockTransport handler answering with the next step of a script."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        step = self.steps[len(self.requests) - 1]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(
            step.status_code, headers=step.headers, content=step.content
        )


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(
        code, headers=headers, json={"error": {"message": f"e{code}"}}
    )


def make_client(
    steps: Sequence[Step], *, max_retries: int = 2, jitter: float = 0.0
) -> tuple[Client, Script, list[float]]:
    script = Script(steps)
    client = Client(
        api_key="sk-x",
        max_retries=max_retries,
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
    )
    sleeps: list[float] = []
    client._sleep = sleeps.append  # type: ignore[method-assign]
    client._jitter = lambda: jitter  # type: ignore[method-assign]
    return client, script, sleeps


def test_retries_429_then_succeeds() -> None:
    steps = [status(429, **{"retry-after": "2"})] * 2 + [OK]
    client, script, sleeps = make_client(steps)
    assert client.request(GET, Thing).id == "t1"
    assert len(script.requests) == 3 and sleeps == [2.0, 2.0]


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "0"},
        {"retry-after": "-5"},
        {"retry-after-ms": "0"},
        {"retry-after-ms": "-100"},
        {"retry-after": "0.0"},
    ],
)
def test_a_zero_or_negative_wait_falls_back_to_the_backoff(
    headers: dict[str, str],
) -> None:
    # Issue 14: `Retry-After: 0` made three requests in 10 ms.
    client, script, sleeps = make_client([status(429, **headers)] * 2 + [OK])
    assert client.request(GET, Thing).id == "t1"
    assert len(script.requests) == 3 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize("code", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses(code: int) -> None:
    client, script, sleeps = make_client([status(code), OK])
    assert client.request(GET, Thing).id == "t1"
    assert len(script.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(code: int) -> None:
    client, script, sleeps = make_client([status(code), OK])
    with pytest.raises(Exception) as caught:
        client.request(GET, Thing)
    assert getattr(caught.value, "status_code") == code
    assert len(script.requests) == 1 and sleeps == []


def test_retries_are_bounded_by_max_retries() -> None:
    client, script, sleeps = make_client([status(500)] * 10, max_retries=3)
    with pytest.raises(InternalServerError):
        client.request(GET, Thing)
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_max_retries_zero_sends_once() -> None:
    client, script, sleeps = make_client([status(429), OK], max_retries=0)
    with pytest.raises(RateLimitError):
        client.request(GET, Thing)
    assert len(script.requests) == 1 and sleeps == []


def test_backoff_doubles_from_half_a_second_and_caps_at_8() -> None:
    client, _, sleeps = make_client([status(500)] * 8, max_retries=7)
    with pytest.raises(InternalServerError):
        client.request(GET, Thing)
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_shortens_the_wait_by_up_to_a_quarter() -> None:
    client, _, sleeps = make_client([status(500)] * 3, max_retries=2, jitter=1.0)
    with pytest.raises(InternalServerError):
        client.request(GET, Thing)
    assert sleeps == [0.375, 0.75]


def test_real_jitter_stays_in_range() -> None:
    client, _, sleeps = make_client([status(500)] * 4, max_retries=3)
    del client._jitter  # back to random.random
    with pytest.raises(InternalServerError):
        client.request(GET, Thing)
    for delay, base in zip(sleeps, [0.5, 1.0, 2.0]):
        assert base * 0.75 <= delay <= base


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"retry-after": "3"}, 3.0, 3.0),
        ({"retry-after": "1.5"}, 1.5, 1.5),
        ({"retry-after-ms": "250"}, 0.25, 0.25),
        ({"retry-after-ms": "100", "retry-after": "30"}, 0.1, 0.1),  # ms wins
        ({"retry-after": "90"}, 90.0, 90.0),
        ({"retry-after-ms": "90000"}, 90.0, 90.0),
        ({"retry-after": "120"}, 120.0, 120.0),  # the limit itself is honoured
        ({"retry-after": "soon"}, 0.5, 0.5),  # unreadable: backoff
        ({"retry-after": "inf"}, 0.5, 0.5),
        ({"retry-after-ms": "x", "retry-after": "2"}, 2.0, 2.0),
    ],
)
def test_server_requested_waits(
    headers: dict[str, str], low: float, high: float
) -> None:
    client, _, sleeps = make_client([status(503, **headers), OK])
    client.request(GET, Thing)
    assert len(sleeps) == 1 and low <= sleeps[0] <= high


def test_retry_after_http_date() -> None:
    client, _, sleeps = make_client([status(429, **{"retry-after": http_date(10)}), OK])
    client.request(GET, Thing)
    assert 8.0 <= sleeps[0] <= 10.0
    client, _, sleeps = make_client(
        [status(429, **{"retry-after": http_date(-100)}), OK]
    )
    client.request(GET, Thing)
    assert sleeps == [0.5]  # in the past: the backoff
    client, _, sleeps = make_client(
        [status(429, **{"retry-after": http_date(100)}), OK]
    )
    client.request(GET, Thing)
    assert 98.0 <= sleeps[0] <= 100.0


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "121"},
        {"retry-after-ms": "120001"},
        {"retry-after": "3600"},
    ],
)
def test_waits_beyond_120_seconds_raise_at_once(headers: dict[str, str]) -> None:
    client, script, sleeps = make_client([status(429, **headers), OK])
    with pytest.raises(RateLimitError):
        client.request(GET, Thing)
    assert len(script.requests) == 1 and sleeps == []


def test_retry_after_date_beyond_120_seconds_raises_at_once() -> None:
    client, script, sleeps = make_client(
        [status(429, **{"retry-after": http_date(300)}), OK]
    )
    with pytest.raises(RateLimitError):
        client.request(GET, Thing)
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize("code", [400, 403, 404, 422])
def test_x_should_retry_true_retries_any_status(code: int) -> None:
    client, script, sleeps = make_client(
        [status(code, **{"x-should-retry": "true"}), OK]
    )
    assert client.request(GET, Thing).id == "t1"
    assert len(script.requests) == 2 and sleeps == [0.5]


@pytest.mark.parametrize("code", [408, 409, 429, 500, 503])
def test_x_should_retry_false_stops_a_retryable_status(code: int) -> None:
    client, script, sleeps = make_client(
        [status(code, **{"x-should-retry": "false", "retry-after": "1"}), OK]
    )
    with pytest.raises(Exception) as caught:
        client.request(GET, Thing)
    assert getattr(caught.value, "status_code") == code
    assert len(script.requests) == 1 and sleeps == []


def test_x_should_retry_keeps_the_retry_budget_and_the_server_wait() -> None:
    verdict = {"x-should-retry": "True", "retry-after": "3"}  # any case
    client, script, sleeps = make_client([status(400, **verdict)] * 5, max_retries=2)
    with pytest.raises(BadRequestError):
        client.request(GET, Thing)
    assert len(script.requests) == 3 and sleeps == [3.0, 3.0]


def test_x_should_retry_with_another_value_is_ignored() -> None:
    client, script, _ = make_client([status(400, **{"x-should-retry": "maybe"}), OK])
    with pytest.raises(BadRequestError):
        client.request(GET, Thing)
    client, script, _ = make_client([status(503, **{"x-should-retry": "1"}), OK])
    assert client.request(GET, Thing).id == "t1"


def test_x_should_retry_true_never_replays_a_consumed_stream() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part"

    raw = Operation("upload", "post", "/upload", body="raw")
    client, script, sleeps = make_client(
        [status(500, **{"x-should-retry": "true"}), OK]
    )
    with pytest.raises(InternalServerError):
        client.request(raw, Thing, body=chunks())
    assert len(script.requests) == 1 and sleeps == []


def test_connection_errors_are_retried() -> None:
    steps: list[Step] = [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("cut"),
        OK,
    ]
    client, script, sleeps = make_client(steps)
    assert client.request(GET, Thing).id == "t1"
    assert len(script.requests) == 3 and sleeps == [0.5, 1.0]


def test_connection_errors_exhaust_retries() -> None:
    client, script, _ = make_client([httpx.ReadError("reset")] * 3)
    with pytest.raises(APIConnectionError) as caught:
        client.request(GET, Thing)
    assert type(caught.value) is APIConnectionError and len(script.requests) == 3


def test_timeouts_are_retried_then_raise_api_timeout_error() -> None:
    steps: list[Step] = [
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.PoolTimeout("busy"),
    ]
    client, script, sleeps = make_client(steps)
    with pytest.raises(APITimeoutError):
        client.request(GET, Thing)
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_json_body_is_replayed_identically() -> None:
    client, script, _ = make_client([status(500), OK])
    client.request(POST, Thing, body={"name": "x"})
    assert [r.content for r in script.requests] == [b'{"name":"x"}'] * 2


def test_streamed_raw_body_is_not_retried() -> None:
    upload = Operation("upload", "put", "/blob", body="raw")
    client, script, sleeps = make_client([status(503), OK])

    def chunks() -> Iterator[bytes]:
        yield b"part1"
        yield b"part2"

    with pytest.raises(InternalServerError):
        client.request(upload, object, body=chunks())
    assert len(script.requests) == 1 and sleeps == []
    # bytes can be replayed
    client, script, _ = make_client([status(503), OK])
    client.request(upload, object, body=b"whole")
    assert [r.content for r in script.requests] == [b"whole", b"whole"]


def test_non_replayable_multipart_is_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def build_multipart(
        fields: Mapping[str, object], file_fields: frozenset[str]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, object]], bool]:
        return [], [("file", ("f", b"x", None))], False  # as for a non-seekable stream

    module = types.ModuleType("oag_runtime._multipart")
    module.build_multipart = build_multipart  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "oag_runtime._multipart", module)
    op = Operation(
        "upload", "post", "/files", body="multipart", file_fields=frozenset({"file"})
    )
    client, script, sleeps = make_client([httpx.ConnectError("refused"), OK])
    with pytest.raises(APIConnectionError):
        client.request(op, object, body={"file": object()})
    assert len(script.requests) == 1 and sleeps == []


def test_with_options_max_retries_per_call() -> None:
    client, script, sleeps = make_client([status(500)] * 10, max_retries=0)
    with pytest.raises(InternalServerError):
        client.with_options(max_retries=4).request(GET, Thing)
    assert len(script.requests) == 5 and len(sleeps) == 4  # test hooks carried over


def test_each_retry_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    client, _, _ = make_client(
        [status(429, **{"retry-after": "0.25"}), httpx.ConnectError("x"), OK]
    )
    with caplog.at_level(logging.DEBUG, logger="fakeapi"):
        client.request(GET, Thing)
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2
    assert (
        "retry 1 of 2" in retries[0] and "0.250 s" in retries[0] and "429" in retries[0]
    )
    assert (
        "retry 2 of 2" in retries[1]
        and "1.000 s" in retries[1]
        and "ConnectError" in retries[1]
    )
    assert all(
        r.levelno == logging.DEBUG for r in caplog.records if r.name == "fakeapi"
    )


def test_bad_request_on_retry_stops_retrying() -> None:
    client, script, _ = make_client([status(500), status(400), OK])
    with pytest.raises(BadRequestError):
        client.request(GET, Thing)
    assert len(script.requests) == 2


# -- async ------------------------------------------------------------------------


def make_async_client(
    steps: Sequence[Step], *, max_retries: int = 2
) -> tuple[AsyncClient, Script, list[float]]:
    script = Script(steps)
    client = AsyncClient(
        api_key="sk-x",
        max_retries=max_retries,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(script)),
    )
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client._sleep = fake_sleep  # type: ignore[method-assign]
    client._jitter = lambda: 0.0  # type: ignore[method-assign]
    return client, script, sleeps


async def test_async_retries_and_backoff() -> None:
    client, script, sleeps = make_async_client(
        [status(503), httpx.ConnectError("x"), OK]
    )
    assert (await client.request(GET, Thing)).id == "t1"
    assert len(script.requests) == 3 and sleeps == [0.5, 1.0]


async def test_async_gives_up_and_honours_long_retry_after() -> None:
    client, script, sleeps = make_async_client(
        [status(429, **{"retry-after": "90"}), OK]
    )
    assert (await client.request(GET, Thing)).id == "t1"
    assert len(script.requests) == 2 and sleeps == [90.0]
    client, script, sleeps = make_async_client(
        [status(429, **{"retry-after": "150"}), OK]
    )
    with pytest.raises(RateLimitError):
        await client.request(GET, Thing)
    assert len(script.requests) == 1 and sleeps == []
    client, script, _ = make_async_client([httpx.ReadTimeout("slow")] * 3)
    with pytest.raises(APITimeoutError):
        await client.request(GET, Thing)
    assert len(script.requests) == 3


async def test_async_x_should_retry_both_ways() -> None:
    client, script, sleeps = make_async_client(
        [status(409, **{"x-should-retry": "false"}), OK]
    )
    with pytest.raises(ConflictError):
        await client.request(GET, Thing)
    assert len(script.requests) == 1 and sleeps == []
    client, script, sleeps = make_async_client(
        [status(400, **{"x-should-retry": "true"}), OK]
    )
    assert (await client.request(GET, Thing)).id == "t1"
    assert len(script.requests) == 2 and sleeps == [0.5]


async def test_async_real_sleep_is_used_by_default() -> None:
    script = Script([status(503, **{"retry-after-ms": "30"}), OK])
    client = AsyncClient(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(script))
    )
    started = time.perf_counter()
    await client.request(GET, Thing)
    assert time.perf_counter() - started >= 0.025
