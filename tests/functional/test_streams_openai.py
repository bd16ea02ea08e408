"""Issue 8's typed streams and issue 14's stream ends on the OpenAI 2.3.0 client generated
with the project's config (specs/openai.oapigen.toml: `stream-end-marker = "[DONE]"` and
the overlay's `text/event-stream` answers), against the fault server (127.0.0.1):

- `create_completion(stream=True)` yields typed completion chunks;
- the runs operations (`create_run`, `create_thread_and_run`, `submit_tool_ouputs_to_run`)
  with `stream=True` yield typed Assistants events whose `.data` is the model the event
  name says; an event the spec does not name comes through untyped, without raising;
- a stream that ends, cleanly at the HTTP level, before `data: [DONE]` raises
  IncompleteStreamError (the marker is declared by the config, so this is the planner's
  doing: without it a clean end would look complete).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oapigen.config import load_config
from oapigen.pipeline import generate
from tests.conftest import SPECS, openai_spec
from tests.servers.faulty import (  # noqa: F401  (faulty_server is a fixture)
    Events,
    FaultyServer,
    faulty_server,
)

pytestmark = pytest.mark.openai

StartServer = Callable[..., FaultyServer]
PACKAGE = "openai_api_streams"
DONE = "data: [DONE]\n\n"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The 2.3.0 client generated as `make generate` does it (with the OpenAI config)."""
    spec = openai_spec("2.3.0")
    config = load_config(SPECS / "openai.oapigen.toml")
    out = tmp_path_factory.mktemp("streams")
    result = generate(spec, output=out, package=PACKAGE, config=config)
    import importlib
    import sys

    sys.path.insert(0, str(result.target))
    try:
        module = importlib.import_module(PACKAGE)
        importlib.import_module(f"{PACKAGE}.models")
        yield module
    finally:
        sys.path.remove(str(result.target))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def collect(mode: str, api: ModuleType, url: str, call: str, **kw: Any) -> Any:
    """(items of the stream, what was raised or None) of `client.<call>(**kw)`."""
    resource, method = call.split(".")
    items: list[Any] = []

    def arguments(bound: Callable[..., Any]) -> dict[str, Any]:
        # The Assistants operations take the OpenAI-Beta header as a required argument
        # until the constant-header rule makes it a header of its own.
        beta = "open_ai_beta" in inspect.signature(bound).parameters
        return {**kw, **({"open_ai_beta": "assistants=v2"} if beta else {})}

    try:
        if mode == "sync":
            with api.Client(api_key="sk-test", base_url=url) as client:
                bound = getattr(getattr(client, resource), method)
                for item in bound(**arguments(bound)):
                    items.append(item)
        else:

            async def run() -> None:
                async with api.AsyncClient(api_key="sk-test", base_url=url) as client:
                    bound = getattr(getattr(client, resource), method)
                    async for item in await bound(**arguments(bound)):
                        items.append(item)

            asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - returned for the test to check
        return items, exc
    return items, None


def completion_chunk(text: str) -> str:
    body = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1700000000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [
            {"text": text, "index": 0, "logprobs": None, "finish_reason": None}
        ],
    }
    return f"data: {json.dumps(body)}\n\n"


COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "stream": True}


def test_completion_chunks_are_typed(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    pieces = [completion_chunk("Hel"), completion_chunk("lo"), DONE]
    server = faulty_server([Events(pieces)])
    items, raised = collect(
        mode, api, server.url, "completions.create_completion", **COMPLETION
    )
    assert raised is None
    assert [type(i) for i in items] == [api.models.CreateCompletionResponse] * 2
    assert "".join(i.choices[0].text for i in items) == "Hello"
    sent = server.requests[0]
    assert sent.path == "/completions" and json.loads(sent.body)["stream"] is True


def test_completion_stream_without_done_raises(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    # The body ends properly (chunked encoding closed) after two chunks, no [DONE].
    server = faulty_server([Events([completion_chunk("a"), completion_chunk("b")])])
    items, raised = collect(
        mode, api, server.url, "completions.create_completion", **COMPLETION
    )
    assert [i.choices[0].text for i in items] == ["a", "b"]
    assert isinstance(raised, api._runtime.IncompleteStreamError)
    assert isinstance(raised, api.APIConnectionError)
    assert raised.events_received == 2


RUN = {
    "id": "run_1",
    "object": "thread.run",
    "created_at": 1700000000,
    "thread_id": "thread_1",
    "assistant_id": "asst_1",
    "status": "queued",
    "required_action": None,
    "last_error": None,
    "expires_at": None,
    "started_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": None,
    "model": "gpt-4o",
    "instructions": "",
    "tools": [],
    "metadata": {},
    "usage": None,
    "incomplete_details": None,
    "max_prompt_tokens": None,
    "max_completion_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "response_format": "auto",
}
DELTA = {
    "id": "msg_1",
    "object": "thread.message.delta",
    "delta": {
        "content": [
            {"index": 0, "type": "text", "text": {"value": "Hello", "annotations": []}}
        ]
    },
}
NEW_EVENT = {"id": "x_1", "object": "thread.something_new"}


def event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


RUN_EVENTS = [
    event("thread.run.created", RUN),
    event("thread.message.delta", DELTA),
    event("thread.something_new", NEW_EVENT),
    event("thread.run.completed", {**RUN, "status": "completed"}),
    "event: done\n" + DONE,
]
RUN_CALLS = [
    ("create_run", {"thread_id": "thread_1", "assistant_id": "asst_1"}),
    ("create_thread_and_run", {"assistant_id": "asst_1"}),
    (
        "submit_tool_ouputs_to_run",
        {"thread_id": "thread_1", "run_id": "run_1", "tool_outputs": []},
    ),
]


@pytest.mark.parametrize("method, arguments", RUN_CALLS, ids=[c[0] for c in RUN_CALLS])
def test_run_events_are_typed_and_unknown_ones_pass(
    mode: str,
    api: ModuleType,
    faulty_server: StartServer,
    method: str,
    arguments: dict[str, Any],
) -> None:
    server = faulty_server([Events(RUN_EVENTS)])
    call = f"assistants.{method}"
    items, raised = collect(mode, api, server.url, call, stream=True, **arguments)
    assert raised is None
    models = api.models
    created, delta, unknown, completed = items
    assert type(created) is models.ThreadRunCreatedEvent
    assert type(created.data) is models.RunObject and created.data.id == "run_1"
    assert type(delta) is models.ThreadMessageDeltaEvent
    assert type(delta.data) is models.MessageDeltaObject
    assert delta.data.delta.content[0].text.value == "Hello"
    assert type(unknown) is api.ServerSentEvent
    assert unknown.event == "thread.something_new"
    assert json.loads(unknown.data) == NEW_EVENT
    assert type(completed) is models.ThreadRunCompletedEvent
    assert completed.data.status == "completed"
    assert json.loads(server.requests[0].body)["stream"] is True


def test_a_cut_run_stream_raises(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    # Closed by the server (a close-delimited body) after the delta: no `done` event.
    server = faulty_server([Events(RUN_EVENTS[:2], ending="close")])
    items, raised = collect(
        mode, api, server.url, "assistants.create_run", stream=True, **RUN_CALLS[0][1]
    )
    assert [type(i).__name__ for i in items] == [
        "ThreadRunCreatedEvent",
        "ThreadMessageDeltaEvent",
    ]
    assert isinstance(raised, api._runtime.IncompleteStreamError)
    assert raised.events_received == 2


def test_the_generated_streams_carry_the_end_marker(api: ModuleType) -> None:
    folder = Path(api.__file__).parent / "resources"
    marked = sorted(
        path.stem
        for path in folder.glob("*.py")
        if 'stream_end="[DONE]"' in path.read_text(encoding="utf-8")
    )
    assert marked == ["assistants", "chat", "completions"]
