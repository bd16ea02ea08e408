"""Stream / AsyncStream over real sockets: a local server, the real httpx clients."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pydantic
import pytest

from oag_runtime import (
    AsyncAPIClient,
    ClientConfig,
    Operation,
    SyncAPIClient,
)
from oag_runtime._errors import APIConnectionError, APIError, APIResponseValidationError
from oag_runtime._streaming import AsyncStream, ServerSentEvent, Stream

from servers.payloads import PayloadServer


class Chunk(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    id: str
    index: int
    delta: str


def chunk_event(index: int, **extra: object) -> str:
    body = {"id": f"chunk-{index}", "index": index, "delta": f"d{index}", **extra}
    return f"data: {json.dumps(body)}\n\n"


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=100) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture
async def async_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


def open_sse(
    client: httpx.Client, server: PayloadServer, **script: Any
) -> httpx.Response:
    request = client.build_request("POST", server.url + "/sse", json=script)
    return client.send(request, stream=True)


async def aopen_sse(
    client: httpx.AsyncClient, server: PayloadServer, **script: Any
) -> httpx.Response:
    request = client.build_request("POST", server.url + "/sse", json=script)
    return await client.send(request, stream=True)


def endless_script() -> dict[str, Any]:
    """One event, then one every 10 ms for up to 5 s unless the client hangs up."""
    tag = uuid.uuid4().hex
    piece = chunk_event(1)
    return {
        "pieces": [chunk_event(0)],
        "repeat": {"piece": piece, "count": 500},
        "tag": tag,
    }


def test_typed_chunks_end_at_done(client: httpx.Client, server: PayloadServer) -> None:
    pieces = [chunk_event(0), ": keep-alive\n\n", chunk_event(1), chunk_event(2)]
    pieces += ["data: [DONE]\n\n", chunk_event(3)]  # nothing after [DONE] is read
    response = open_sse(client, server, pieces=pieces)
    stream = Stream(response, Chunk)
    chunks = list(stream)
    assert [chunk.index for chunk in chunks] == [0, 1, 2]
    assert all(isinstance(chunk, Chunk) for chunk in chunks)
    assert chunks[2] == Chunk(id="chunk-2", index=2, delta="d2")
    assert stream.response is response and response.is_closed


def test_chunks_split_across_writes(
    client: httpx.Client, server: PayloadServer
) -> None:
    text = chunk_event(0).replace("\n", "\r\n") + chunk_event(1) + "data: [DONE]\n\n"
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    response = open_sse(client, server, pieces=pieces, delay=0.001)
    assert [chunk.index for chunk in Stream(response, Chunk)] == [0, 1]


def test_schema_drift_never_raises(client: httpx.Client, server: PayloadServer) -> None:
    drifted = {"id": "chunk-0", "index": "not-a-number", "delta": "x", "new_field": [1]}
    pieces = [f"data: {json.dumps(drifted)}\n\n", chunk_event(1), "data: [DONE]\n\n"]
    chunks = list(Stream(open_sse(client, server, pieces=pieces), Chunk))
    raw_index: object = chunks[0].index
    assert raw_index == "not-a-number"  # kept raw, not raised
    assert chunks[0].id == "chunk-0" and chunks[0].model_extra == {"new_field": [1]}
    assert chunks[1] == Chunk(id="chunk-1", index=1, delta="d1")


def test_error_event_raises_api_error(
    client: httpx.Client, server: PayloadServer
) -> None:
    error = {"error": {"message": "model overloaded", "type": "server_error"}}
    pieces = [chunk_event(0), f"event: error\ndata: {json.dumps(error)}\n\n"]
    pieces.append(chunk_event(1))
    stream = Stream(open_sse(client, server, pieces=pieces), Chunk)
    received = []
    with pytest.raises(APIError) as raised:
        for chunk in stream:
            received.append(chunk.index)
    assert received == [0]
    assert "model overloaded" in str(raised.value)
    assert raised.value.type == "server_error"
    assert raised.value.request is not None
    assert stream.response.is_closed


def test_error_event_with_plain_text(
    client: httpx.Client, server: PayloadServer
) -> None:
    pieces = ["event: error\ndata: upstream went away\n\n"]
    with pytest.raises(APIError, match="upstream went away"):
        list(Stream(open_sse(client, server, pieces=pieces), ServerSentEvent))


def test_error_key_in_data_raises(client: httpx.Client, server: PayloadServer) -> None:
    ok = chunk_event(0, error=None)  # a null "error" member is not an error
    bad = 'data: {"error": {"message": "quota exceeded", "code": "quota"}}\n\n'
    stream = Stream(open_sse(client, server, pieces=[ok, bad]), Chunk)
    assert next(stream).index == 0
    with pytest.raises(APIError, match="quota exceeded") as raised:
        next(stream)
    assert raised.value.code == "quota"


def test_break_closes_the_connection(
    client: httpx.Client, server: PayloadServer
) -> None:
    script = endless_script()
    stream = Stream(open_sse(client, server, **script), Chunk)
    for chunk in stream:
        assert chunk.index == 0
        break
    assert stream.response.is_closed  # at once, not when garbage collected later
    assert server.stream_event(script["tag"]).wait(5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"


def test_leaving_with_block_closes(client: httpx.Client, server: PayloadServer) -> None:
    script = endless_script()
    with Stream(open_sse(client, server, **script), Chunk) as stream:
        assert next(stream).index == 0
        assert next(stream).index == 1
    assert stream.response.is_closed
    assert server.stream_event(script["tag"]).wait(5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"
    assert list(stream) == []  # a closed stream yields nothing more


def test_close_before_iterating(client: httpx.Client, server: PayloadServer) -> None:
    script = endless_script()
    stream = Stream(open_sse(client, server, **script), Chunk)
    stream.close()
    stream.close()  # idempotent
    assert stream.response.is_closed
    assert server.stream_event(script["tag"]).wait(5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"


def test_early_close_is_logged(
    client: httpx.Client, server: PayloadServer, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("payload_test")
    stream = Stream(
        open_sse(client, server, **endless_script()), Chunk, client_logger=logger
    )
    with caplog.at_level(logging.DEBUG, logger="payload_test"):
        with stream:
            next(stream)
    assert any("closing stream" in record.getMessage() for record in caplog.records)


def test_events_without_schema(client: httpx.Client, server: PayloadServer) -> None:
    pieces = [
        'retry: 3000\r\nevent: thread.created\r\nid: 1\r\ndata: {"a": 1}\r\n\r\n',
        ": ping\n\n",
        "event: text\nid: 2\ndata: line one\ndata: line two\n\n",
        "data: not json at all\n\n",
        "data: [DONE]\n\n",
    ]
    events = list(Stream(open_sse(client, server, pieces=pieces), ServerSentEvent))
    assert events == [
        ServerSentEvent(event="thread.created", data='{"a": 1}', id="1", retry=3000),
        ServerSentEvent(event="text", data="line one\nline two", id="2"),
        ServerSentEvent(data="not json at all", id="2"),
    ]
    assert events[0].json() == {"a": 1}


def test_untyped_json_chunks(client: httpx.Client, server: PayloadServer) -> None:
    pieces = ['data: {"x": 1}\n\n', "data: [1, 2]\n\n", "data: [DONE]\n\n"]
    assert list(Stream(open_sse(client, server, pieces=pieces), object)) == [
        {"x": 1},
        [1, 2],
    ]


def test_non_json_data_for_a_model(client: httpx.Client, server: PayloadServer) -> None:
    stream = Stream(open_sse(client, server, pieces=["data: oops{\n\n"]), Chunk)
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        next(stream)


def test_connection_lost_mid_stream(
    client: httpx.Client, server: PayloadServer
) -> None:
    stream = Stream(
        open_sse(client, server, pieces=[chunk_event(0)], abort=True), Chunk
    )
    assert next(stream).index == 0
    with pytest.raises(APIConnectionError):
        next(stream)
    assert stream.response.is_closed


def test_stream_without_done_ends_with_body(
    client: httpx.Client, server: PayloadServer
) -> None:
    pieces = [chunk_event(0), chunk_event(1)]
    assert len(list(Stream(open_sse(client, server, pieces=pieces), Chunk))) == 2


# async


async def test_async_typed_chunks_end_at_done(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    pieces = [chunk_event(0), chunk_event(1), "data: [DONE]\n\n", chunk_event(2)]
    stream = AsyncStream(await aopen_sse(async_client, server, pieces=pieces), Chunk)
    chunks = [chunk async for chunk in stream]
    assert chunks == [
        Chunk(id="chunk-0", index=0, delta="d0"),
        Chunk(id="chunk-1", index=1, delta="d1"),
    ]
    assert stream.response.is_closed


async def test_async_error_event(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    pieces = [chunk_event(0), 'event: error\ndata: {"message": "bad things"}\n\n']
    stream = AsyncStream(await aopen_sse(async_client, server, pieces=pieces), Chunk)
    received = []
    with pytest.raises(APIError, match="bad things"):
        async for chunk in stream:
            received.append(chunk.index)
    assert received == [0]
    assert stream.response.is_closed


async def test_async_break_closes_the_connection(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    script = endless_script()
    stream = AsyncStream(await aopen_sse(async_client, server, **script), Chunk)
    async for chunk in stream:
        assert chunk.index == 0
        break
    # The event loop finalizes the abandoned async iterator on its next turns.
    for _ in range(100):
        if stream.response.is_closed:
            break
        await asyncio.sleep(0.01)
    assert stream.response.is_closed
    assert await asyncio.to_thread(server.stream_event(script["tag"]).wait, 5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"


async def test_async_with_block_closes(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    script = endless_script()
    async with AsyncStream(
        await aopen_sse(async_client, server, **script), Chunk
    ) as stream:
        assert (await stream.__anext__()).index == 0
    assert stream.response.is_closed  # at once
    assert await asyncio.to_thread(server.stream_event(script["tag"]).wait, 5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"
    assert [chunk async for chunk in stream] == []


async def test_async_events_without_schema(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    pieces = ["event: a\ndata: 1\n\n", "data: 2\r\n\r\n", "data: [DONE]\n\n"]
    response = await aopen_sse(async_client, server, pieces=pieces)
    events = [event async for event in AsyncStream(response, ServerSentEvent)]
    assert events == [ServerSentEvent(event="a", data="1"), ServerSentEvent(data="2")]


async def test_async_connection_lost(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    response = await aopen_sse(
        async_client, server, pieces=[chunk_event(0)], abort=True
    )
    stream = AsyncStream(response, Chunk)
    with pytest.raises(APIConnectionError):
        async for _ in stream:
            pass


# through the runtime client (request / request_stream with a hand-written Operation)

CONFIG = ClientConfig(
    package="payloadtest", version="0.1.0", env_prefix="", default_base_url=""
)
SSE_OP = Operation("streamChunks", "post", "/sse", body="json", response="sse")
JSON_OP = Operation("createChunks", "post", "/sse", body="json")


class PayloadClient(SyncAPIClient):
    _config = CONFIG


class AsyncPayloadClient(AsyncAPIClient):
    _config = CONFIG


def test_client_request_stream(server: PayloadServer) -> None:
    pieces = [chunk_event(0), chunk_event(1), "data: [DONE]\n\n"]
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        stream = api.request_stream(JSON_OP, Chunk, body={"pieces": pieces})
        assert isinstance(stream, Stream)
        assert [chunk.index for chunk in stream] == [0, 1]
        events = api.request_stream(JSON_OP, ServerSentEvent, body={"pieces": pieces})
        assert [event.data for event in events] == [
            chunk_event(0)[6:-2],
            chunk_event(1)[6:-2],
        ]


def test_client_request_for_sse_operation(server: PayloadServer) -> None:
    script = endless_script()
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        stream: object = api.request(SSE_OP, Chunk, body=script)
        assert isinstance(stream, Stream)
        for chunk in stream:
            assert chunk.index == 0
            break
    assert server.stream_event(script["tag"]).wait(5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"


def test_client_stream_error_event(server: PayloadServer) -> None:
    pieces = [chunk_event(0), 'event: error\ndata: {"error": {"message": "nope"}}\n\n']
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        stream = api.request_stream(JSON_OP, Chunk, body={"pieces": pieces})
        with pytest.raises(APIError, match="nope"):
            list(stream)


async def test_async_client_request_stream(server: PayloadServer) -> None:
    script = endless_script()
    async with AsyncPayloadClient(base_url=server.url, max_retries=0) as api:
        stream = await api.request_stream(JSON_OP, Chunk, body=script)
        assert isinstance(stream, AsyncStream)
        async with stream:
            assert [(await stream.__anext__()).index for _ in range(3)] == [0, 1, 1]
    assert await asyncio.to_thread(server.stream_event(script["tag"]).wait, 5)
    assert server.stream_outcomes[script["tag"]] == "disconnected"
