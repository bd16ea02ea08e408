"""Response dispatch by Operation.response, lenient model parsing, raw responses,
and the wiring of request_stream/paginate (httpx.MockTransport, no network)."""

from __future__ import annotations

import json
import logging
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Annotated, Any, Literal, Union

import httpx
import pydantic
import pytest

from oag_runtime import (
    NOT_GIVEN,
    APIResponse,
    AsyncAPIClient,
    AsyncAPIResponse,
    ClientConfig,
    Operation,
    SyncAPIClient,
    async_to_raw_response_wrapper,
    to_raw_response_wrapper,
)
from oag_runtime._response import lenient_model
from oag_runtime._streaming import event_stream_error, is_event_stream

CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> Client:
    return Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def async_client_for(handler: Handler) -> AsyncClient:
    transport = httpx.MockTransport(handler)
    return AsyncClient(http_client=httpx.AsyncClient(transport=transport))


def json_reply(body: object, status: int = 200) -> Handler:
    content = json.dumps(body).encode()
    return lambda request: httpx.Response(
        status, content=content, headers={"content-type": "application/json"}
    )


def streamed(*chunks: bytes) -> Iterator[bytes]:
    yield from chunks


async def astreamed(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


# -- models ---------------------------------------------------------------------


class Message(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    role: Literal["assistant", "user"]
    content: str | None = None


class Choice(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    index: int
    message: Message
    finish_reason: Literal["stop", "length"]


class Completion(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    id: str
    created: int
    choices: list[Choice]
    usage: dict[str, int] | None = None


GOOD = {
    "id": "c1",
    "created": 17,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi"},
            "finish_reason": "stop",
        }
    ],
}
GET = Operation("getCompletion", "get", "/completions/1")


# -- dispatch -----------------------------------------------------------------------


def test_json_response_becomes_the_model() -> None:
    result = client_for(json_reply(GOOD)).request(GET, Completion)
    assert isinstance(result, Completion)
    assert isinstance(result.choices[0], Choice)
    assert result.choices[0].message.content == "hi"


def test_untyped_json_response() -> None:
    assert client_for(json_reply([1, {"a": None}])).request(GET, object) == [
        1,
        {"a": None},
    ]


def test_json_response_into_a_non_model_type() -> None:
    result = client_for(json_reply([GOOD["choices"][0]])).request(GET, list[Choice])  # type: ignore[arg-type]
    assert isinstance(result, list) and isinstance(result[0], Choice)


def test_text_and_empty_responses() -> None:
    client = client_for(lambda request: httpx.Response(200, text="plain words"))
    assert (
        client.request(Operation("t", "get", "/t", response="text"), str)
        == "plain words"
    )
    assert (
        client.request(Operation("e", "delete", "/e", response="empty"), type(None))
        is None
    )


def test_204_on_a_json_operation_is_none() -> None:
    client = client_for(lambda request: httpx.Response(204))
    assert client.request(GET, Completion) is None


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Replace `_binary`, `_streaming` and `_pagination` (owned elsewhere) by stand-ins
    with their documented interfaces, recording how the client calls them."""
    made: list[Any] = []

    class FakeBinary:
        def __init__(self, response: httpx.Response) -> None:
            self.response = response
            made.append(self)

    class FakeStream:
        def __init__(
            self,
            response: httpx.Response,
            chunk_type: type[Any],
            *,
            client_logger: logging.Logger | None = None,
            end_marker: str | None = None,
        ) -> None:
            self.response, self.chunk_type, self.logger = (
                response,
                chunk_type,
                client_logger,
            )
            self.end_marker = end_marker
            made.append(self)

    def paginate_sync(
        fetch_page: Callable[[Mapping[str, object]], Any],
        items_field: str,
        cursor_param: str,
    ) -> Iterator[Any]:
        page = fetch_page({})
        while True:
            yield from getattr(page, items_field)
            if not page.has_more:
                return
            page = fetch_page({cursor_param: page.last_id})

    async def paginate_async(
        fetch_page: Callable[[Mapping[str, object]], Awaitable[Any]],
        items_field: str,
        cursor_param: str,
    ) -> AsyncIterator[Any]:
        page = await fetch_page({})
        while True:
            for item in getattr(page, items_field):
                yield item
            if not page.has_more:
                return
            page = await fetch_page({cursor_param: page.last_id})

    binary = types.ModuleType("oag_runtime._binary")
    binary.BinaryResponse = binary.AsyncBinaryResponse = FakeBinary  # type: ignore[attr-defined]
    streaming = types.ModuleType("oag_runtime._streaming")
    streaming.Stream = streaming.AsyncStream = FakeStream  # type: ignore[attr-defined]
    streaming.is_event_stream = is_event_stream  # type: ignore[attr-defined]
    streaming.event_stream_error = event_stream_error  # type: ignore[attr-defined]
    pagination = types.ModuleType("oag_runtime._pagination")
    pagination.paginate_sync = paginate_sync  # type: ignore[attr-defined]
    pagination.paginate_async = paginate_async  # type: ignore[attr-defined]
    for name, module in [
        ("_binary", binary),
        ("_streaming", streaming),
        ("_pagination", pagination),
    ]:
        monkeypatch.setitem(sys.modules, f"oag_runtime.{name}", module)
    return types.SimpleNamespace(
        made=made, FakeBinary=FakeBinary, FakeStream=FakeStream
    )


def test_binary_response_is_handed_over_unread(
    stand_ins: types.SimpleNamespace,
) -> None:
    client = client_for(
        lambda request: httpx.Response(200, content=streamed(b"\x00" * 10))
    )
    op = Operation("download", "get", "/files/1/content", response="binary")
    result = client.request(op, object)
    assert isinstance(result, stand_ins.FakeBinary)
    assert not result.response.is_stream_consumed  # sent with stream=True, not read
    assert result.response.read() == b"\x00" * 10


def test_sse_operation_and_request_stream_wrap_a_stream(
    stand_ins: types.SimpleNamespace,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=streamed(b"data: {}\n\n"))

    client = client_for(handler)
    sse = Operation("events", "post", "/events", body="json", response="sse")
    stream = client.request(sse, Choice, body={"stream": True})
    assert isinstance(stream, stand_ins.FakeStream)
    assert stream.chunk_type is Choice and stream.logger is logging.getLogger("fakeapi")
    assert not stream.response.is_stream_consumed
    assert seen[0].headers["accept"] == "text/event-stream"

    other = client.request_stream(Operation("c", "post", "/c", body="json"), Message)
    assert isinstance(other, stand_ins.FakeStream) and other.chunk_type is Message


async def test_async_dispatch_uses_async_wrappers(
    stand_ins: types.SimpleNamespace,
) -> None:
    client = async_client_for(
        lambda request: httpx.Response(200, content=astreamed(b"abc"))
    )
    binary = await client.request(
        Operation("d", "get", "/d", response="binary"), object
    )
    assert isinstance(binary, stand_ins.FakeBinary)
    assert await binary.response.aread() == b"abc"
    stream = await client.request_stream(Operation("s", "get", "/s"), Message)
    assert isinstance(stream, stand_ins.FakeStream) and stream.chunk_type is Message


class Page(pydantic.BaseModel):
    data: list[Message]
    has_more: bool
    last_id: str | None = None


def paging_handler(seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        after = request.url.params.get("after")
        if after is None:
            return httpx.Response(
                200,
                json={"data": [{"role": "user"}], "has_more": True, "last_id": "m1"},
            )
        return httpx.Response(
            200, json={"data": [{"role": "assistant"}], "has_more": False}
        )

    return handler


def test_paginate_fetches_pages_with_the_cursor(
    stand_ins: types.SimpleNamespace,
) -> None:
    seen: list[httpx.Request] = []
    client = client_for(paging_handler(seen))
    op = Operation("listMessages", "get", "/threads/{thread_id}/messages")
    items = client.paginate(
        op,
        Page,
        Message,
        path_params={"thread_id": "t1"},
        query={"limit": 1, "order": NOT_GIVEN},
    )
    assert seen == []  # lazy: nothing fetched before iterating
    assert [m.role for m in items] == ["user", "assistant"]
    assert [dict(r.url.params) for r in seen] == [
        {"limit": "1"},
        {"limit": "1", "after": "m1"},
    ]
    assert all(r.url.path == "/v1/threads/t1/messages" for r in seen)


async def test_async_paginate(stand_ins: types.SimpleNamespace) -> None:
    seen: list[httpx.Request] = []
    client = async_client_for(paging_handler(seen))
    op = Operation("listMessages", "get", "/messages")
    roles = [
        m.role async for m in client.paginate(op, Page, Message, cursor_param="after")
    ]
    assert roles == ["user", "assistant"] and len(seen) == 2


# -- lenient parsing ------------------------------------------------------------


def test_unknown_enum_value_is_kept_and_the_rest_typed() -> None:
    body = json.loads(json.dumps(GOOD))
    body["choices"][0]["finish_reason"] = "tool_calls"
    body["choices"][0]["message"]["role"] = "developer"
    result = client_for(json_reply(body)).request(GET, Completion)
    assert isinstance(result, Completion) and result.id == "c1" and result.created == 17
    choice = result.choices[0]
    assert isinstance(choice, Choice) and choice.finish_reason == "tool_calls"
    assert isinstance(choice.message, Message) and choice.message.role == "developer"
    assert choice.message.content == "hi"


def test_unknown_fields_are_kept_in_model_extra() -> None:
    body = {**GOOD, "system_fingerprint": "fp1", "created": "not a number"}
    result = lenient_model(Completion, body)
    assert result.model_extra == {"system_fingerprint": "fp1"}
    assert result.created == "not a number"  # type: ignore[comparison-overlap]
    assert isinstance(result.choices[0], Choice)


def test_missing_required_field_reads_as_none() -> None:
    result = lenient_model(Completion, {"id": "c2", "choices": []})
    assert result.created is None  # type: ignore[comparison-overlap]
    assert result.choices == [] and result.model_fields_set == {"id", "choices"}


class Run(pydantic.BaseModel):
    id: str
    last_error: Message  # the spec says nullable, the model does not


def test_null_where_an_object_was_declared_stays_none() -> None:
    result = lenient_model(Run, {"id": "r1", "last_error": None})
    assert result.id == "r1" and result.last_error is None
    drift = lenient_model(Run, {"id": "r1", "last_error": "oops"})
    assert drift.last_error == "oops"  # type: ignore[comparison-overlap]


def test_lenient_dict_values_and_bad_items() -> None:
    body = {**GOOD, "usage": {"prompt_tokens": 3, "details": {"cached": 1}}}
    result = lenient_model(Completion, body)
    assert result.usage == {"prompt_tokens": 3, "details": {"cached": 1}}
    assert isinstance(result.choices[0], Choice)


class Text(pydantic.BaseModel):
    type: Literal["text"]
    text: str


class Image(pydantic.BaseModel):
    type: Literal["image"]
    url: str
    detail: Literal["low", "high"] = "low"


class Post(pydantic.BaseModel):
    parts: list[Annotated[Union[Text, Image], pydantic.Field(discriminator="type")]]
    main: Text | Image | None = None


def test_union_members_are_built_leniently_by_their_tag() -> None:
    body = {
        "parts": [
            {"type": "text", "text": "a"},
            {"type": "image", "url": "u", "detail": "ultra"},
            {"type": "video", "src": "v"},
        ],
        "main": {"type": "image", "url": "u2", "detail": "max"},
    }
    result = lenient_model(Post, body)
    assert isinstance(result.parts[0], Text)
    assert isinstance(result.parts[1], Image) and result.parts[1].detail == "ultra"
    assert result.parts[2] == {"type": "video", "src": "v"}  # unknown variant: raw
    assert isinstance(result.main, Image) and result.main.url == "u2"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        42,
        {"id": None, "created": [], "choices": "x"},
        {"choices": [None, 1, "x", {"index": "no"}]},
        {"id": {"deep": [{"x": 1}]}, "usage": [1, 2]},
    ],
)
def test_lenient_parsing_never_raises(body: object) -> None:
    result = client_for(json_reply(body)).request(GET, Completion)
    assert isinstance(result, Completion)


def test_root_model_response() -> None:
    Items = pydantic.RootModel[list[Message]]
    ok = client_for(json_reply([{"role": "user"}])).request(GET, Items)
    assert isinstance(ok, Items) and isinstance(ok.root[0], Message)
    drift = client_for(json_reply([{"role": "tool"}])).request(GET, Items)
    assert isinstance(drift, Items) and drift.root[0].role == "tool"


def test_happy_path_validates_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = Completion.model_validate_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Completion], data: Any, **kwargs: Any) -> Completion:
        calls.append("json")
        return original(cls, data, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Completion, "model_validate_json", classmethod(counting))
    monkeypatch.setattr(
        Completion,
        "model_validate",
        classmethod(lambda cls, *a, **k: calls.append("py")),
    )
    client_for(json_reply(GOOD)).request(GET, Completion)
    assert calls == ["json"]


# -- raw responses ----------------------------------------------------------------


class Things:
    """What a generated resource looks like."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def retrieve(self, thing_id: str, *, verbose: bool = False) -> Completion:
        return self._client.request(
            Operation("getThing", "get", "/things/{thing_id}"),
            Completion,
            path_params={"thing_id": thing_id},
            query={"verbose": verbose},
        )

    def no_request(self) -> int:
        return 1


def headers_handler(seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=GOOD, headers={"x-request-id": "req_1"})

    return handler


def test_raw_response_wrapper() -> None:
    seen: list[httpx.Request] = []
    things = Things(client_for(headers_handler(seen)))
    retrieve_raw = to_raw_response_wrapper(things.retrieve)
    raw = retrieve_raw("t1", verbose=True)
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 201 and raw.headers["x-request-id"] == "req_1"
    assert isinstance(raw.http_response, httpx.Response)
    assert (
        seen[0].url.path == "/v1/things/t1" and seen[0].url.params["verbose"] == "true"
    )
    parsed = raw.parse()
    assert isinstance(parsed, Completion) and parsed.id == "c1"
    assert raw.parse() is parsed  # parsed once
    assert retrieve_raw.__name__ == "retrieve"
    # the flag does not leak: the plain method parses again
    assert isinstance(things.retrieve("t2"), Completion)


def test_raw_wrapper_needs_a_request() -> None:
    things = Things(client_for(json_reply(GOOD)))
    with pytest.raises(TypeError, match="did not make an API request"):
        to_raw_response_wrapper(things.no_request)()


async def test_async_raw_response_wrapper() -> None:
    seen: list[httpx.Request] = []
    client = async_client_for(headers_handler(seen))

    async def retrieve(thing_id: str) -> Completion:
        return await client.request(
            Operation("getThing", "get", "/things/{thing_id}"),
            Completion,
            path_params={"thing_id": thing_id},
        )

    raw = await async_to_raw_response_wrapper(retrieve)("t9")
    assert isinstance(raw, AsyncAPIResponse)
    assert raw.status_code == 201 and raw.headers["x-request-id"] == "req_1"
    parsed = await raw.parse()
    assert isinstance(parsed, Completion)
    assert isinstance(await retrieve("t9"), Completion)


def test_raw_response_of_a_stream(stand_ins: types.SimpleNamespace) -> None:
    client = client_for(lambda request: httpx.Response(200, text="data: {}\n\n"))

    def create_stream() -> Any:
        return client.request_stream(Operation("s", "post", "/s"), Message)

    raw = to_raw_response_wrapper(create_stream)()
    assert isinstance(raw, APIResponse) and raw.status_code == 200
    stream = raw.parse()
    assert isinstance(stream, stand_ins.FakeStream) and stream.chunk_type is Message
