"""No stream ends silently: bodies cut short, streams answered by something else,
and typed event streams (the event name selects the model), sync and async, against
the fault server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import types
from collections.abc import Callable
from typing import Any, Literal

import pydantic
import pytest
from servers.faulty import Events, FaultyServer, Reply

import oag_runtime
from oag_runtime import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncAPIClient,
    ClientConfig,
    EventModels,
    IncompleteStreamError,
    ModelRef,
    Operation,
    SyncAPIClient,
)
from oag_runtime._streaming import ServerSentEvent

CONFIG = ClientConfig("streamtest", "1.0.0", "", "")
# As the generator declares it for OpenAI: the stream ends with `data: [DONE]`.
CHAT = Operation("createChat", "post", "/chat", body="json", stream_end="[DONE]")
# No end marker declared.
EVENTS = Operation("watch", "get", "/events", response="sse")
StartServer = Callable[..., FaultyServer]


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Chunk(pydantic.BaseModel):
    n: int


def data(n: int) -> str:
    return f"data: {json.dumps({'n': n})}\n\n"


DONE = "data: [DONE]\n\n"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def consume(
    mode: str, server: FaultyServer, op: Operation, chunk_type: Any = Chunk
) -> tuple[list[Any], BaseException | None]:
    """Stream `op` through a fresh client: the chunks received, and what was raised."""
    received: list[Any] = []
    if mode == "sync":
        try:
            with Client(base_url=server.url, max_retries=0) as client:
                for chunk in client.request_stream(op, chunk_type, body={}):
                    received.append(chunk)
        except Exception as exc:  # noqa: BLE001 - returned for the test to check
            return received, exc
        return received, None

    async def run() -> BaseException | None:
        try:
            async with AsyncClient(base_url=server.url, max_retries=0) as client:
                stream = await client.request_stream(op, chunk_type, body={})
                async for chunk in stream:
                    received.append(chunk)
        except Exception as exc:  # noqa: BLE001
            return exc
        return None

    return received, asyncio.run(run())


def test_the_end_marker_ends_the_stream(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([Events([data(0), data(1), DONE, data(2)])])
    received, raised = consume(mode, server, CHAT)
    assert raised is None and received == [Chunk(n=0), Chunk(n=1)]


@pytest.mark.parametrize("ending", ["chunked", "close"])
def test_body_ending_without_the_declared_marker_raises(
    mode: str, ending: str, faulty_server: StartServer
) -> None:
    """A body properly ended at the HTTP level (the terminating chunk, or the close
    that ends a close-delimited body) but without `data: [DONE]`."""
    server = faulty_server([Events([data(0), data(1), data(2)], ending=ending)])
    received, raised = consume(mode, server, CHAT)
    assert received == [Chunk(n=0), Chunk(n=1), Chunk(n=2)]
    assert isinstance(raised, IncompleteStreamError)
    assert isinstance(raised, APIConnectionError)
    assert raised.events_received == 3
    assert "'[DONE]'" in str(raised) and "after 3 events" in str(raised)


@pytest.mark.parametrize("ending", ["chunked", "close"])
@pytest.mark.parametrize("op", [CHAT, EVENTS], ids=["marker", "no_marker"])
def test_event_cut_at_the_end_raises_even_without_a_marker(
    mode: str, ending: str, op: Operation, faulty_server: StartServer
) -> None:
    cut = data(1)[:9]  # 'data: {"n'
    server = faulty_server([Events([data(0), cut], ending=ending)])
    received, raised = consume(mode, server, op)
    assert received == [Chunk(n=0)]
    assert isinstance(raised, IncompleteStreamError)
    assert raised.events_received == 1
    assert "in the middle of an event" in str(raised)


def test_data_lines_without_their_blank_line_are_cut(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Events([data(0), 'data: {"n": 1}\n'], ending="close")])
    received, raised = consume(mode, server, EVENTS)
    assert received == [Chunk(n=0)]
    assert isinstance(raised, IncompleteStreamError) and raised.events_received == 1


def test_connection_dropped_mid_stream(mode: str, faulty_server: StartServer) -> None:
    server = faulty_server([Events([data(0), data(1)], ending="abort")])
    received, raised = consume(mode, server, EVENTS)
    assert received == [Chunk(n=0), Chunk(n=1)]
    assert isinstance(raised, IncompleteStreamError) and raised.events_received == 2
    assert "broke off after 2 events" in str(raised)


def test_without_a_marker_complete_events_end_normally(
    mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Events([data(0), ": ping\n\n"], ending="close")])
    received, raised = consume(mode, server, EVENTS)
    assert raised is None and received == [Chunk(n=0)]


@pytest.mark.parametrize(
    "reply, content_type",
    [
        (Reply(200, b"<html><body>Bad gateway</body></html>", {}), "text/html"),
        (Reply(200, {"id": "chatcmpl-1", "object": "chat.completion"}), "json"),
    ],
    ids=["html", "json"],
)
def test_stream_answered_with_something_else_raises(
    mode: str, reply: Reply, content_type: str, faulty_server: StartServer
) -> None:
    if content_type == "text/html":
        reply = Reply(200, reply.body, {"Content-Type": "text/html; charset=utf-8"})
    server = faulty_server([reply, reply], default=Reply(200, {}))
    for op in (CHAT, EVENTS):
        received, raised = consume(mode, server, op)
        assert received == []
        assert isinstance(raised, APIResponseValidationError)
        assert content_type in str(raised)
        assert raised.status_code == 200
    if content_type == "text/html":
        assert "Bad gateway" in str(raised)


def test_a_stream_built_by_hand_checks_too(faulty_server: StartServer) -> None:
    """Streams made from raw responses (`with_raw_response(...).parse()`) check the
    content type on first iteration."""
    server = faulty_server([Reply(200, {"not": "a stream"})])
    with Client(base_url=server.url, max_retries=0) as client:
        request = client._http.build_request("POST", server.url + "/chat")
        response = client._http.send(request, stream=True)
        stream = oag_runtime.Stream(response, Chunk, end_marker="[DONE]")
        with pytest.raises(APIResponseValidationError, match="application/json"):
            next(stream)
        assert response.is_closed


# -- typed event streams ------------------------------------------------------


class Run(pydantic.BaseModel):
    id: str
    status: str


class RunCreated(pydantic.BaseModel):  # the spec's envelope: event + data
    event: Literal["thread.run.created"]
    data: Run


class RunCompleted(pydantic.BaseModel):
    event: Literal["thread.run.completed"]
    data: Run


class MessageDelta(pydantic.BaseModel):  # a data model, no envelope
    id: str
    delta: dict[str, Any]


def named(name: str, payload: object) -> str:
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n"


RUN_EVENTS = [
    named("thread.run.created", {"id": "run_1", "status": "queued"}),
    named("thread.message.delta", {"id": "msg_1", "delta": {"text": "Hi"}}),
    named("thread.run.step.created", {"id": "step_1"}),  # not in the map
    ": keep-alive\n\n",
    named("thread.run.completed", {"id": "run_1", "status": "completed"}),
    "event: done\ndata: [DONE]\n\n",
]


class LazyModels(types.ModuleType):
    """A stand-in for a generated models package whose classes load on first use;
    records which thread loaded each."""

    def __init__(self) -> None:
        super().__init__("lazy_run_models")
        self.loaded_in: dict[str, str] = {}

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        self.loaded_in[name] = threading.current_thread().name
        return globals()[name]


def run_event_models(lazy: bool, module: LazyModels | None = None) -> EventModels[Any]:
    if not lazy:
        return EventModels(
            {
                "thread.run.created": RunCreated,
                "thread.run.completed": RunCompleted,
                "thread.message.delta": MessageDelta,
            }
        )
    assert module is not None
    return EventModels(
        {
            "thread.run.created": ModelRef(module, "RunCreated"),
            "thread.run.completed": ModelRef(module, "RunCompleted"),
            "thread.message.delta": ModelRef(module, "MessageDelta"),
        }
    )


@pytest.mark.parametrize("lazy", [False, True], ids=["classes", "model_refs"])
def test_typed_run_events(mode: str, lazy: bool, faulty_server: StartServer) -> None:
    server = faulty_server([Events(RUN_EVENTS)])
    module = LazyModels()
    models = run_event_models(lazy, module)
    run_op = Operation(
        "createRun", "post", "/runs", body="json", response="sse", stream_end="[DONE]"
    )
    received, raised = consume(mode, server, run_op, models)
    assert raised is None
    assert received[0] == RunCreated(
        event="thread.run.created", data=Run(id="run_1", status="queued")
    )
    assert received[1] == MessageDelta(id="msg_1", delta={"text": "Hi"})
    assert received[2] == ServerSentEvent(
        event="thread.run.step.created", data='{"id": "step_1"}'
    )
    assert isinstance(received[3], RunCompleted)
    assert received[3].data.status == "completed"
    assert len(received) == 4
    if lazy:  # loaded on first use; by the async client, off the event loop
        assert set(module.loaded_in) == {"RunCreated", "RunCompleted", "MessageDelta"}
        main = threading.main_thread().name
        assert all(
            (thread == main) == (mode == "sync") for thread in module.loaded_in.values()
        )


def test_typed_events_with_drift_never_raise(
    mode: str, faulty_server: StartServer
) -> None:
    drifted = named("thread.run.created", {"id": "run_1", "status": 7, "new": [1]})
    server = faulty_server([Events([drifted, "event: done\ndata: [DONE]\n\n"])])
    received, raised = consume(mode, server, CHAT, run_event_models(False))
    assert raised is None
    assert isinstance(received[0], RunCreated)
    assert received[0].data.id == "run_1"


def test_incomplete_stream_error_is_exported() -> None:
    assert oag_runtime.IncompleteStreamError is IncompleteStreamError
    assert "IncompleteStreamError" in oag_runtime.__all__
    assert issubclass(IncompleteStreamError, APIConnectionError)


def test_async_stream_leaves_its_connection_reusable(
    faulty_server: StartServer,
) -> None:
    """What follows the end marker (the end of the chunked body) is read, so the
    connection goes back to the pool; a server that keeps the body open after the
    marker gets its connection closed instead, and the stream still ends."""
    lingering = Events([data(0), DONE] + [": still here\n\n"] * 50, interval=0.1)
    server = faulty_server(
        [Events([data(0), DONE]), Events([data(1), DONE]), lingering],
        default=Events([data(2), DONE]),
    )

    async def run() -> list[list[Chunk]]:
        received = []
        async with AsyncClient(base_url=server.url, max_retries=0) as client:
            for _ in range(4):
                stream = await client.request_stream(CHAT, Chunk, body={})
                received.append([chunk async for chunk in stream])
        return received

    received = asyncio.run(run())
    assert received == [[Chunk(n=0)], [Chunk(n=1)], [Chunk(n=0)], [Chunk(n=2)]]
    connections = [request.connection for request in server.requests]
    assert connections[0] == connections[1] == connections[2]
    assert connections[3] != connections[2]
