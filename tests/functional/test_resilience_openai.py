"""The generated OpenAI 2.3.0 client against a misbehaving server (issue 4, "Show").

Every test drives `openai_api.Client` / `AsyncClient` (generated once per session from
specs/openai-2.3.0.yaml) through real operations (`models.retrieve_model`,
`models.list_models`, `chat.create_chat_completion`) against `tests/servers/faulty.py`:
a scripted HTTP/1.1 server on 127.0.0.1 (ephemeral port, bounded request count, stopped
by the `faulty_server` fixture) that records what it receives and counts its
concurrent connections.

Retry waits go through `client._sleep`, which the tests replace per client instance with
a recorder: the waits the client asks for are asserted exactly, and only waits a server
asked for (`retry-after-ms`) are really slept.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.servers.faulty import (  # noqa: F401  (faulty_server is a fixture)
    FaultyServer,
    Hang,
    Reply,
    Reset,
    Truncate,
    faulty_server,
)

pytestmark = pytest.mark.openai

# Made at import so the key's value is written nowhere a traceback could quote it.
API_KEY = f"sk-proj-{uuid.uuid4().hex}"
StartServer = Callable[..., FaultyServer]
# client -> result (sync client) or awaitable result (async client)
Call = Callable[[Any], Any]

MODEL = {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}
MODELS = {"object": "list", "data": [MODEL]}
MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
}
RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for gpt-4o on requests per min (RPM).",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}


def openai_error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def retrieve(client: Any) -> Any:
    return client.models.retrieve_model("gpt-4o")


def list_models(client: Any) -> Any:
    return client.models.list_models()


def chat(client: Any) -> Any:
    return client.chat.create_chat_completion(messages=MESSAGES, model="gpt-4o")


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests decide the key and base URL, not the developer's shell."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def api(openai_package: ModuleType) -> ModuleType:
    return openai_package


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def record_sleeps(client: Any, sleeps: list[float], real: bool) -> None:
    """Replace the client's retry wait with a recorder (sleeping for real if `real`)."""
    original = client._sleep
    if asyncio.iscoroutinefunction(original):

        async def record_async(seconds: float) -> None:
            sleeps.append(seconds)
            if real:
                await original(seconds)

        client._sleep = record_async
    else:

        def record(seconds: float) -> None:
            sleeps.append(seconds)
            if real:
                original(seconds)

        client._sleep = record


def run(
    api: ModuleType,
    mode: str,
    server: FaultyServer,
    call: Call,
    *,
    sleeps: list[float] | None = None,
    real_sleep: bool = False,
    **options: Any,
) -> Any:
    """`call` on a fresh generated client (sync or async), closed afterwards. Retry
    waits are recorded into `sleeps`, and slept only with `real_sleep`."""
    options.setdefault("api_key", API_KEY)
    waits = [] if sleeps is None else sleeps
    if mode == "sync":
        with api.Client(base_url=server.url, **options) as client:
            record_sleeps(client, waits, real_sleep)
            return call(client)

    async def main() -> Any:
        async with api.AsyncClient(base_url=server.url, **options) as client:
            record_sleeps(client, waits, real_sleep)
            return await call(client)

    return asyncio.run(main())


def wait_until(condition: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- retries ----------------------------------------------------------------------


def test_429_twice_then_200_takes_exactly_three_requests(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    limited = Reply(429, RATE_LIMITED, {"Retry-After": "0"})
    server = faulty_server([limited, limited, Reply(200, COMPLETION)], max_requests=5)
    sleeps: list[float] = []
    result = run(api, mode, server, chat, sleeps=sleeps)
    assert isinstance(result, api.models.CreateChatCompletionResponse)
    assert result.choices[0].message.content == "Hello!"
    assert server.request_count == 3
    # Retry-After: 0 is no answer (issue 14: 3 requests in 10 ms): the 0.5 s / 1 s
    # backoff, less up to 25 % jitter.
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0
    for request in server.requests:  # the same request, replayed
        assert (request.method, request.target) == ("POST", "/chat/completions")
        assert json.loads(request.body) == {"messages": MESSAGES, "model": "gpt-4o"}
        assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_429_with_max_retries_0_raises_rate_limit_error_after_one_request(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Reply(429, RATE_LIMITED, {"Retry-After": "0"})],
        default=Reply(200, COMPLETION),  # a retry would have succeeded
        max_requests=5,
    )
    sleeps: list[float] = []
    with pytest.raises(api.RateLimitError) as caught:
        run(api, mode, server, chat, sleeps=sleeps, max_retries=0)
    assert caught.value.status_code == 429
    assert "Rate limit reached for gpt-4o" in str(caught.value)
    assert server.request_count == 1 and sleeps == []


def test_retry_after_beyond_two_minutes_raises_at_once(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Reply(429, RATE_LIMITED, {"Retry-After": "121"})],
        default=Reply(200, COMPLETION),
        max_requests=5,
    )
    sleeps: list[float] = []
    with pytest.raises(api.RateLimitError):
        run(api, mode, server, chat, sleeps=sleeps)
    assert server.request_count == 1 and sleeps == []


def test_500_then_200_retries_once_with_backoff(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Reply(500, openai_error("The server had an error", "server_error", None))],
        default=Reply(200, MODEL),
        max_requests=5,
    )
    sleeps: list[float] = []
    model = run(api, mode, server, retrieve, sleeps=sleeps)
    assert isinstance(model, api.models.Model) and model.owned_by == "system"
    assert server.request_count == 2
    assert [r.target for r in server.requests] == ["/models/gpt-4o"] * 2
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5  # 0.5 s minus jitter


def test_503_with_retry_after_ms_waits_what_the_server_asks(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    overloaded = openai_error("Overloaded", "server_error", None)
    busy = Reply(503, overloaded, {"retry-after-ms": "250"})
    server = faulty_server([busy], default=Reply(200, MODELS), max_requests=5)
    sleeps: list[float] = []
    started = time.perf_counter()
    page = run(api, mode, server, list_models, sleeps=sleeps, real_sleep=True)
    elapsed = time.perf_counter() - started
    assert [m.id for m in page.data] == ["gpt-4o"]
    assert server.request_count == 2
    assert sleeps == [pytest.approx(0.25)] and elapsed >= 0.25


def test_retry_after_as_an_http_date_is_honoured(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    server = faulty_server(
        [Reply(503, "busy", {"Retry-After": when})],
        default=Reply(200, MODEL),
        max_requests=5,
    )
    sleeps: list[float] = []
    assert run(api, mode, server, retrieve, sleeps=sleeps).id == "gpt-4o"
    # The date has whole seconds: 2 to 3 s from when it was made, not the 0.5 s backoff.
    assert len(sleeps) == 1 and 1.5 < sleeps[0] <= 3.0
    assert server.request_count == 2


def test_connection_reset_before_a_response_is_retried(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reset()], default=Reply(200, MODEL), max_requests=5)
    sleeps: list[float] = []
    assert run(api, mode, server, retrieve, sleeps=sleeps).id == "gpt-4o"
    assert server.request_count == 2 and len(sleeps) == 1
    assert server.requests[1].connection == 2  # a new connection after the reset


def test_connection_reset_every_time_raises_a_connection_error(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reset(), max_requests=5)
    sleeps: list[float] = []
    with pytest.raises(api.APIConnectionError) as caught:
        run(api, mode, server, retrieve, sleeps=sleeps, max_retries=1)
    assert not isinstance(caught.value, api.APITimeoutError)
    assert server.request_count == 2 and len(sleeps) == 1


def test_a_server_that_never_answers_times_out(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Hang(5.0), max_requests=5)
    sleeps: list[float] = []
    started = time.perf_counter()
    with pytest.raises(api.APITimeoutError):
        run(api, mode, server, retrieve, sleeps=sleeps, timeout=0.3, max_retries=1)
    elapsed = time.perf_counter() - started
    assert server.request_count == 2 and len(sleeps) == 1  # timeouts are retried
    assert 0.6 <= elapsed < 3.0  # two 0.3 s waits, then it gave up


def test_a_200_body_cut_half_way_is_retried(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    body = json.dumps(COMPLETION).encode()
    server = faulty_server(
        [Truncate(200, body, keep=len(body) // 2)],
        default=Reply(200, COMPLETION),
        max_requests=5,
    )
    sleeps: list[float] = []
    result = run(api, mode, server, chat, sleeps=sleeps)
    assert result.choices[0].message.content == "Hello!"
    assert server.request_count == 2 and len(sleeps) == 1


def test_a_200_body_cut_half_way_without_retries_raises(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    body = json.dumps(COMPLETION).encode()
    server = faulty_server([Truncate(200, body, keep=len(body) // 2)], max_requests=5)
    with pytest.raises(api.APIConnectionError):
        run(api, mode, server, chat, max_retries=0)
    assert server.request_count == 1


# -- bodies that are not what the operation declares -----------------------------

BEYOND = "BEYOND-THE-FIRST-200-BYTES"


def first_200_then_marker(head: str) -> str:
    """`head` filled up to exactly 200 (ASCII) bytes, then a marker an error must not
    quote."""
    filler = " lorem ipsum" * 20
    return (head + filler)[:200] + BEYOND + " and more"


HTML_PAGE = first_200_then_marker(
    '<!DOCTYPE html>\n<html lang="en"><head><title>Captive portal</title></head>'
    "<body><h1>Sign in to the network</h1><p>You must sign in first.</p>"
)
BROKEN_JSON = first_200_then_marker('{"object": "list", "data": [{"id": "gpt-4o", ')


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/html; charset=utf-8", HTML_PAGE),
        ("application/json", BROKEN_JSON),
    ],
    ids=["html", "broken-json"],
)
def test_a_2xx_body_that_is_not_json_raises_api_error(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    content_type: str,
    text: str,
) -> None:
    server = faulty_server(
        [Reply(200, text.encode(), {"Content-Type": content_type})],
        default=Reply(200, MODELS),
        max_requests=5,
    )
    with pytest.raises(api.APIError) as caught:
        run(api, mode, server, list_models)
    message = str(caught.value)
    assert isinstance(caught.value, api.APIResponseValidationError)
    assert content_type in message
    # The first 200 bytes are quoted (on one line: the newline may be escaped).
    assert all(line in message for line in text[:200].splitlines())
    assert BEYOND not in message
    assert server.request_count == 1  # a 2xx is an answer: not retried


def test_a_400_with_an_openai_error_body(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    error = openai_error(
        "Unrecognized request argument supplied: foo",
        "invalid_request_error",
        "unknown_parameter",
    )
    server = faulty_server(
        [Reply(400, error, {"x-request-id": "req_400"})],
        default=Reply(200, COMPLETION),
        max_requests=5,
    )
    with pytest.raises(api.BadRequestError) as caught:
        run(api, mode, server, chat)
    exc = caught.value
    assert isinstance(exc, api.APIStatusError) and isinstance(exc, api.APIError)
    assert exc.status_code == 400
    assert isinstance(exc.response, httpx.Response)
    assert exc.response.status_code == 400
    assert exc.response.headers["x-request-id"] == "req_400"
    assert exc.body == error["error"]
    assert "Unrecognized request argument supplied: foo" in str(exc)
    assert server.request_count == 1  # a 400 is not retried


def test_a_5xx_html_page_is_quoted_in_the_error(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    server = faulty_server(
        [Reply(502, page.encode(), {"Content-Type": "text/html"})],
        default=Reply(200, MODEL),
        max_requests=5,
    )
    with pytest.raises(api.InternalServerError) as caught:
        run(api, mode, server, retrieve, max_retries=0)
    assert caught.value.status_code == 502 and caught.value.body == page
    message = str(caught.value)
    assert "502" in message and "<h1>502 Bad Gateway</h1>" in message
    assert server.request_count == 1


@pytest.mark.parametrize(
    ("status", "error_class", "attempts"),
    [
        (401, "AuthenticationError", 1),
        (403, "PermissionDeniedError", 1),
        (404, "NotFoundError", 1),
        (408, "APIStatusError", 3),
        (409, "ConflictError", 3),
        (422, "UnprocessableEntityError", 1),
        (429, "RateLimitError", 3),
        (500, "InternalServerError", 3),
        (503, "InternalServerError", 3),
        (418, "APIStatusError", 1),
    ],
)
def test_status_errors_carry_status_response_body_and_message(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    status: int,
    error_class: str,
    attempts: int,
) -> None:
    error = openai_error(f"The server says no ({status}).", "test_error", f"c{status}")
    failing = Reply(status, error, {"Retry-After": "0"})
    server = faulty_server(
        [failing] * 3, default=Reply(200, MODEL), max_requests=5
    )  # max_retries=2: three failures exhaust a retried status
    with pytest.raises(api.APIStatusError) as caught:
        run(api, mode, server, retrieve)
    exc = caught.value
    assert type(exc) is getattr(api, error_class)
    assert exc.status_code == status and exc.response.status_code == status
    assert exc.body == error["error"]
    assert f"The server says no ({status})." in str(exc) and str(status) in str(exc)
    assert server.request_count == attempts


# -- the raw response, options, extras, timeouts ----------------------------------


def test_with_raw_response_gives_status_headers_and_parse(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Reply(502, "bad gateway")],
        default=Reply(200, MODEL, {"x-request-id": "req_raw"}),
        max_requests=5,
    )

    def raw_call(client: Any) -> Any:
        return client.models.with_raw_response.retrieve_model("gpt-4o")

    raw = run(api, mode, server, raw_call)

    def parse_twice() -> tuple[Any, Any]:
        if mode == "sync":
            return raw.parse(), raw.parse()

        async def both() -> tuple[Any, Any]:
            return await raw.parse(), await raw.parse()

        return asyncio.run(both())

    assert raw.status_code == 200  # the answer after the retried 502
    assert raw.headers["x-request-id"] == "req_raw"
    assert isinstance(raw.http_response, httpx.Response)
    first, second = parse_twice()
    assert isinstance(first, api.models.Model) and first.id == "gpt-4o"
    assert second is first
    assert server.request_count == 2


def test_with_raw_response_still_raises_status_errors(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    missing = openai_error("The model 'nope' does not exist", "invalid_request", None)
    server = faulty_server([Reply(404, missing)], max_requests=5)
    with pytest.raises(api.NotFoundError) as caught:
        run(api, mode, server, lambda c: c.models.with_raw_response.retrieve_model("x"))
    assert "The model 'nope' does not exist" in str(caught.value)


def test_with_options_max_retries_applies_to_the_copy_only(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    oops = Reply(500, openai_error("oops", "server_error", None))
    server = faulty_server([oops, oops], default=Reply(200, MODEL), max_requests=5)
    strict_requests: list[int] = []

    def sync_calls(client: Any) -> Any:
        strict = client.with_options(max_retries=0)
        assert type(strict) is type(client) and strict is not client
        with pytest.raises(api.InternalServerError):
            retrieve(strict)
        strict_requests.append(server.request_count)
        return retrieve(client)

    async def async_calls(client: Any) -> Any:
        strict = client.with_options(max_retries=0)
        assert type(strict) is type(client) and strict is not client
        with pytest.raises(api.InternalServerError):
            await retrieve(strict)
        strict_requests.append(server.request_count)
        return await retrieve(client)

    calls = sync_calls if mode == "sync" else async_calls
    sleeps: list[float] = []
    model = run(api, mode, server, calls, sleeps=sleeps)
    assert strict_requests == [1]  # the copy gave up after one request
    assert model.id == "gpt-4o"
    assert server.request_count == 3 and len(sleeps) == 1  # the original retried


def test_with_options_timeout_applies_to_the_copy_and_shares_the_pool(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(
        [Hang(5.0)], default=Reply(200, MODEL, delay=0.4), max_requests=5
    )
    elapsed: list[float] = []

    def sync_calls(client: Any) -> Any:
        quick = client.with_options(timeout=0.2)
        started = time.perf_counter()
        with pytest.raises(api.APITimeoutError):
            retrieve(quick)
        elapsed.append(time.perf_counter() - started)
        quick.close()  # the pool belongs to `client`: it stays open
        return retrieve(client)

    async def async_calls(client: Any) -> Any:
        quick = client.with_options(timeout=0.2)
        started = time.perf_counter()
        with pytest.raises(api.APITimeoutError):
            await retrieve(quick)
        elapsed.append(time.perf_counter() - started)
        await quick.aclose()
        return await retrieve(client)

    calls = sync_calls if mode == "sync" else async_calls
    model = run(api, mode, server, calls, timeout=5.0, max_retries=0)
    assert model.id == "gpt-4o"  # 0.4 s is within the original's 5 s
    assert elapsed[0] < 2.0
    assert server.request_count == 2


def test_extra_headers_query_and_body_reach_the_server(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, COMPLETION), max_requests=5)

    def call(client: Any) -> Any:
        return client.chat.create_chat_completion(
            messages=MESSAGES,
            model="gpt-4o",
            extra_headers={"X-Trace-Id": "trace-7", "OpenAI-Beta": "assistants=v2"},
            extra_query={"api-version": "2025-01-01", "flags": ["a", "b"]},
            extra_body={"reasoning": {"effort": "low"}, "n": 2},
        )

    assert run(api, mode, server, call).id == "chatcmpl-1"
    (request,) = server.requests
    assert request.headers["x-trace-id"] == "trace-7"
    assert request.headers["openai-beta"] == "assistants=v2"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.target == "/chat/completions?api-version=2025-01-01&flags=a&flags=b"
    assert json.loads(request.body) == {
        "messages": MESSAGES,
        "model": "gpt-4o",
        "reasoning": {"effort": "low"},
        "n": 2,
    }


def test_extra_body_and_extra_headers_take_precedence(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, COMPLETION), max_requests=5)

    def call(client: Any) -> Any:
        return client.chat.create_chat_completion(
            messages=MESSAGES,
            model="gpt-4o",
            extra_headers={"User-Agent": "my-app/1.0"},
            extra_body={"model": "gpt-4o-mini"},
        )

    run(api, mode, server, call)
    (request,) = server.requests
    assert json.loads(request.body)["model"] == "gpt-4o-mini"
    assert request.headers["user-agent"] == "my-app/1.0"


FILES_PAGE = {
    "object": "list",
    "data": [],
    "first_id": "file-a",
    "last_id": "file-a",
    "has_more": False,
}


def test_extra_query_takes_precedence_over_a_declared_parameter(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, FILES_PAGE), max_requests=5)

    def call(client: Any) -> Any:
        return client.files.list_files(limit=5, order="asc", extra_query={"limit": 10})

    run(api, mode, server, call)
    (request,) = server.requests
    assert request.target == "/files?limit=10&order=asc" or request.target == (
        "/files?order=asc&limit=10"
    )


@pytest.mark.parametrize(
    "timeout", [0.2, httpx.Timeout(5.0, read=0.2)], ids=["float", "httpx.Timeout"]
)
def test_a_per_call_timeout_applies_to_that_call_only(
    api: ModuleType, mode: str, faulty_server: StartServer, timeout: object
) -> None:
    server = faulty_server(
        [Hang(5.0)], default=Reply(200, MODEL, delay=0.4), max_requests=5
    )
    elapsed: list[float] = []

    def sync_calls(client: Any) -> Any:
        started = time.perf_counter()
        with pytest.raises(api.APITimeoutError):
            client.models.retrieve_model("gpt-4o", timeout=timeout)
        elapsed.append(time.perf_counter() - started)
        return retrieve(client)

    async def async_calls(client: Any) -> Any:
        started = time.perf_counter()
        with pytest.raises(api.APITimeoutError):
            await client.models.retrieve_model("gpt-4o", timeout=timeout)
        elapsed.append(time.perf_counter() - started)
        return await retrieve(client)

    calls = sync_calls if mode == "sync" else async_calls
    model = run(api, mode, server, calls, max_retries=0)  # the default 600 s timeout
    assert model.id == "gpt-4o"  # the next call waited out the 0.4 s delay
    assert elapsed[0] < 2.0
    assert server.request_count == 2


@pytest.mark.parametrize(
    "timeout", [5.0, httpx.Timeout(5.0), None], ids=["float", "httpx.Timeout", "None"]
)
def test_a_per_call_timeout_can_be_longer_than_the_clients(
    api: ModuleType, mode: str, faulty_server: StartServer, timeout: object
) -> None:
    server = faulty_server(default=Reply(200, MODEL, delay=0.4), max_requests=5)

    def call(client: Any) -> Any:
        return client.models.retrieve_model("gpt-4o", timeout=timeout)

    model = run(api, mode, server, call, timeout=0.2, max_retries=0)
    assert model.id == "gpt-4o" and server.request_count == 1
    with pytest.raises(api.APITimeoutError):  # and the client's own 0.2 s holds
        run(api, mode, server, retrieve, timeout=0.2, max_retries=0)


# -- the connection pool: closing, context managers, a user's client ----------------


def test_close_and_context_managers_release_the_connection(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL), max_requests=10)
    client = api.Client(api_key=API_KEY, base_url=server.url)
    assert retrieve(client).id == "gpt-4o"
    assert server.open_connections == 1  # kept alive for the next call
    client.close()
    assert wait_until(lambda: server.open_connections == 0)
    with pytest.raises((RuntimeError, api.APIError)):
        retrieve(client)
    assert server.request_count == 1

    with api.Client(api_key=API_KEY, base_url=server.url) as managed:
        assert isinstance(managed, api.Client)
        assert retrieve(managed).id == "gpt-4o"
        assert server.open_connections == 1
    assert wait_until(lambda: server.open_connections == 0)


async def test_aclose_and_async_context_managers_release_the_connection(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL), max_requests=10)
    client = api.AsyncClient(api_key=API_KEY, base_url=server.url)
    assert (await retrieve(client)).id == "gpt-4o"
    assert server.open_connections == 1
    await client.aclose()
    assert wait_until(lambda: server.open_connections == 0)
    with pytest.raises((RuntimeError, api.APIError)):
        await retrieve(client)
    assert server.request_count == 1

    async with api.AsyncClient(api_key=API_KEY, base_url=server.url) as managed:
        assert isinstance(managed, api.AsyncClient)
        assert (await retrieve(managed)).id == "gpt-4o"
        assert server.open_connections == 1
    assert wait_until(lambda: server.open_connections == 0)


def test_a_user_supplied_httpx_client_is_used_and_left_open(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL), max_requests=10)
    hooked: list[httpx.Request] = []
    http = httpx.Client(
        headers={"X-Proxy-Tag": "mine"}, event_hooks={"request": [hooked.append]}
    )
    with api.Client(api_key=API_KEY, base_url=server.url, http_client=http) as client:
        assert retrieve(client).id == "gpt-4o"
    assert not http.is_closed  # closing our client left the user's pool alone
    with api.Client(api_key=API_KEY, base_url=server.url, http_client=http) as again:
        assert retrieve(again).id == "gpt-4o"
    http.close()
    assert len(hooked) == 2 and server.request_count == 2
    assert all(r.headers["x-proxy-tag"] == "mine" for r in server.requests)
    assert server.connections == 1  # both calls rode the user's kept-alive connection
    with pytest.raises(TypeError):
        api.Client(
            api_key=API_KEY, base_url=server.url, http_client=httpx.AsyncClient()
        )


async def test_a_user_supplied_httpx_async_client_is_used_and_left_open(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL), max_requests=10)
    hooked: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request)

    http = httpx.AsyncClient(
        headers={"X-Proxy-Tag": "mine"}, event_hooks={"request": [hook]}
    )
    options = {"api_key": API_KEY, "base_url": server.url, "http_client": http}
    async with api.AsyncClient(**options) as client:
        assert (await retrieve(client)).id == "gpt-4o"
    assert not http.is_closed
    async with api.AsyncClient(**options) as again:
        assert (await retrieve(again)).id == "gpt-4o"
    await http.aclose()
    assert len(hooked) == 2 and server.request_count == 2
    assert all(r.headers["x-proxy-tag"] == "mine" for r in server.requests)
    assert server.connections == 1
    with pytest.raises(TypeError):
        api.AsyncClient(
            api_key=API_KEY, base_url=server.url, http_client=httpx.Client()
        )


def test_the_user_agent_names_the_package_and_spec_version(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL), max_requests=5)
    run(api, mode, server, retrieve)
    user_agent = server.requests[0].headers["user-agent"]
    assert user_agent.split()[0] == "openai_api/2.3.0"
    assert f"python-httpx/{httpx.__version__}" in user_agent


# -- many calls at once --------------------------------------------------------------

CONCURRENT_CALLS = 1000


async def test_1000_concurrent_async_calls_complete_with_a_bounded_pool(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(
        default=Reply(200, MODEL, delay=0.005), max_requests=CONCURRENT_CALLS
    )
    async with api.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
        calls = [
            client.models.retrieve_model(f"m-{i}") for i in range(CONCURRENT_CALLS)
        ]
        results = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    assert len(results) == CONCURRENT_CALLS
    assert all(isinstance(r, api.models.Model) for r in results)
    assert server.request_count == CONCURRENT_CALLS  # none retried, none lost
    served = sorted(r.target for r in server.requests)
    assert served == sorted(f"/models/m-{i}" for i in range(CONCURRENT_CALLS))
    # Used in parallel, never beyond the default pool of 100 connections.
    assert 1 < server.peak_connections <= 100


async def test_concurrent_calls_respect_a_user_pool_limit(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, MODEL, delay=0.005), max_requests=200)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=8))
    client = api.AsyncClient(api_key=API_KEY, base_url=server.url, http_client=http)
    calls = [client.models.retrieve_model(f"m-{i}") for i in range(200)]
    results = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    await http.aclose()
    assert len(results) == 200 and server.request_count == 200
    assert 1 < server.peak_connections <= 8


async def test_cancelled_calls_give_back_their_connections(
    api: ModuleType, faulty_server: StartServer
) -> None:
    # As many hanging calls as the default pool has connections: a slot that a
    # cancelled call kept would leave the next call waiting (600 s pool timeout).
    server = faulty_server(
        [Hang(10.0)] * 100, default=Reply(200, MODEL), max_requests=110
    )
    async with api.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
        hanging = [
            asyncio.ensure_future(client.models.retrieve_model(f"h-{i}"))
            for i in range(100)
        ]
        for _ in range(500):  # until every call reached the server (5 s at most)
            if server.request_count == 100:
                break
            await asyncio.sleep(0.01)
        assert server.request_count == 100
        for task in hanging:
            task.cancel()
        await asyncio.gather(*hanging, return_exceptions=True)
        assert all(task.cancelled() for task in hanging)
        model = await asyncio.wait_for(retrieve(client), timeout=5)
    assert model.id == "gpt-4o" and server.request_count == 101
    assert wait_until(lambda: server.open_connections == 0)


# -- the key stays secret --------------------------------------------------------------


def error_texts(error: BaseException) -> list[str]:
    """Everything an exception shows: str, repr, args and the formatted traceback,
    along its whole cause/context chain."""
    texts = ["".join(traceback.format_exception(error))]
    current: BaseException | None = error
    while current is not None:
        texts += [str(current), repr(current), *map(str, current.args)]
        current = current.__cause__ or current.__context__
    return texts


def test_the_key_appears_in_no_log_record_repr_or_exception(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    echo = openai_error(f"Incorrect API key provided: {API_KEY}.", "auth", "bad_key")
    server = faulty_server(
        [
            Reply(429, RATE_LIMITED, {"Retry-After": "0"}),
            Reset(),
            Reply(200, MODEL),  # the first call, after two retries
            Reply(401, echo),
            Hang(5.0),
            Reply(200, b"<html>not json</html>", {"Content-Type": "text/html"}),
            Reply(500, echo),
            Reply(200, MODEL),  # a raw response
        ],
        max_requests=10,
    )
    texts: list[str] = []
    failures: list[tuple[type[Exception], dict[str, Any]]] = [
        (api.AuthenticationError, {}),
        (api.APITimeoutError, {"timeout": 0.2, "max_retries": 0}),
        (api.APIResponseValidationError, {}),
        (api.InternalServerError, {"max_retries": 0}),
    ]
    with caplog.at_level(logging.DEBUG):
        assert run(api, mode, server, retrieve).id == "gpt-4o"
        for expected, options in failures:
            with pytest.raises(expected) as caught:
                run(api, mode, server, retrieve, **options)
            texts += error_texts(caught.value)
        raw = run(api, mode, server, lambda c: c.models.with_raw_response.list_models())
        texts.append(repr(raw))
    sync_client = api.Client(api_key=API_KEY, base_url=server.url)
    async_client = api.AsyncClient(api_key=API_KEY, base_url=server.url)
    for client in (sync_client, async_client):
        copy = client.with_options(max_retries=5)
        texts += [repr(client), str(client), repr(copy), repr(client.models)]
    sync_client.close()
    asyncio.run(async_client.aclose())
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.__dict__) for record in caplog.records]
    ours = [r for r in caplog.records if r.name == "openai_api"]
    # Logging did happen: six responses (429, 200, 401, 200, 500, 200; the reset and
    # the hang got none) and the two retries of the first call, all at DEBUG.
    assert len(ours) == 8 and {r.levelno for r in ours} == {logging.DEBUG}
    assert any("retry 2 of 2" in r.getMessage() for r in ours)
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    leaks = [text for text in texts if API_KEY in text]
    assert leaks == []
