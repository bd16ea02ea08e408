"""Issue 8, runtime: what a JSON-declared operation returns when the response is not JSON
(content negotiation), and the server's request id on results and raw responses
(httpx.MockTransport, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pydantic
import pytest

from oag_runtime import (
    APIResponseValidationError,
    AsyncAPIClient,
    AsyncBinaryResponse,
    BinaryResponse,
    ClientConfig,
    Operation,
    SyncAPIClient,
    async_to_raw_response_wrapper,
    to_raw_response_wrapper,
)

CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")
DOWNLOAD = Operation("downloadFile", "get", "/files/{file_id}/content")
GET = Operation("getThing", "get", "/things/1")
STREAMED = Operation("streamThing", "post", "/things", body="json", response="sse")

CSV = b"id,name\n1,alpha\n2,beta\n"
JSONL = b'{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n'
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>a file that is a web page</body></html>"


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Thing(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    id: str


class Text(pydantic.RootModel[str]):
    """What the generator makes of `application/json` + `type: string` today."""


Handler = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int, body: bytes, content_type: str | None, **headers: str
) -> Handler:
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["content-type"] = content_type
    return lambda request: httpx.Response(status, content=body, headers=all_headers)


def sync_client(handler: Handler) -> Client:
    transport = httpx.MockTransport(handler)
    return Client(http_client=httpx.Client(transport=transport))


def async_client(handler: Handler) -> AsyncClient:
    transport = httpx.MockTransport(handler)
    return AsyncClient(http_client=httpx.AsyncClient(transport=transport))


DOCUMENTS = [
    (CSV, "text/csv; charset=utf-8"),
    (JSONL, "application/jsonl"),
    (JSONL, "application/x-ndjson"),
    (PDF, "application/pdf"),
    (PDF, "application/octet-stream"),
    (HTML, "text/html"),  # a downloaded web page is a document too
    (b"plain words", "text/plain"),
]


@pytest.mark.parametrize(("body", "content_type"), DOCUMENTS)
@pytest.mark.parametrize("cast_to", [str, Text], ids=["str", "root-model-of-str"])
def test_a_string_result_that_is_not_json_comes_back_as_bytes(
    body: bytes, content_type: str, cast_to: type
) -> None:
    client = sync_client(reply(200, body, content_type, **{"x-request-id": "req_1"}))
    result = client.request(DOWNLOAD, cast_to, path_params={"file_id": "file-1"})
    assert isinstance(result, BinaryResponse)
    assert result.content == body
    assert result.headers["content-type"] == content_type
    assert result.request_id == "req_1"


@pytest.mark.parametrize(("body", "content_type"), DOCUMENTS[:4])
async def test_async_a_string_result_that_is_not_json_comes_back_as_bytes(
    body: bytes, content_type: str
) -> None:
    client = async_client(reply(200, body, content_type))
    result = await client.request(DOWNLOAD, Text, path_params={"file_id": "file-1"})
    assert isinstance(result, AsyncBinaryResponse)
    assert await result.read() == body
    assert [chunk async for chunk in result.aiter_bytes()] == [body]


def test_a_jsonl_download_is_written_to_a_file_unparsed(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    client = sync_client(reply(200, JSONL, "application/jsonl"))
    result = client.request(DOWNLOAD, str, path_params={"file_id": "file-1"})
    assert isinstance(result, BinaryResponse)
    result.write_to_file(tmp_path / "batch.jsonl")
    assert (tmp_path / "batch.jsonl").read_bytes() == JSONL


def test_a_string_result_sent_as_json_is_still_decoded() -> None:
    client = sync_client(reply(200, b'"hello"', "application/json"))
    assert client.request(DOWNLOAD, str, path_params={"file_id": "f"}) == "hello"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (CSV, "text/csv"),
        (PDF, "application/pdf"),
        (JSONL, "application/jsonl"),  # JSON Lines is not one JSON document
        (HTML, "text/html; charset=utf-8"),
        (b'{"id": "t1"}', "text/plain"),  # JSON-looking, but not labelled JSON
    ],
)
@pytest.mark.parametrize("cast_to", [Thing, object, list[Thing]])
def test_a_structured_result_that_is_not_json_is_an_error_never_decoded(
    body: bytes, content_type: str, cast_to: type
) -> None:
    client = sync_client(reply(200, body, content_type))
    with pytest.raises(APIResponseValidationError) as caught:
        client.request(GET, cast_to)
    error = caught.value
    assert content_type in error.message and "status 200" in error.message
    assert body.split(b"\n")[0][:40].decode() in error.message  # quoted
    assert error.response.content == body  # the bytes stay reachable


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.x+json"],
)
def test_json_media_types_are_decoded(content_type: str) -> None:
    client = sync_client(reply(200, b'{"id": "t1"}', content_type))
    assert client.request(GET, Thing).id == "t1"


def test_no_content_type_is_decoded_and_a_bad_body_still_quoted() -> None:
    client = sync_client(reply(200, b'{"id": "t1"}', None))
    assert client.request(GET, Thing).id == "t1"
    client = sync_client(reply(200, b"<html>", None))
    with pytest.raises(APIResponseValidationError, match="no content type"):
        client.request(GET, Thing)


def test_a_json_labelled_body_that_is_not_json_keeps_todays_error() -> None:
    client = sync_client(reply(200, b'{"id": "t1", ', "application/json"))
    with pytest.raises(APIResponseValidationError) as caught:
        client.request(GET, Thing)
    assert "application/json" in caught.value.message
    assert '{"id": "t1", ' in caught.value.message


# -- request ids ------------------------------------------------------------------


def test_parsed_models_carry_the_request_id() -> None:
    body = json.dumps({"id": "t1"}).encode()
    client = sync_client(
        reply(200, body, "application/json", **{"x-request-id": "req_abc"})
    )
    thing = client.request(GET, Thing)
    assert thing._request_id == "req_abc"  # type: ignore[attr-defined]
    # not a field: dumps, equality and repr are those of the data
    assert thing.model_dump() == {"id": "t1"}
    assert thing == Thing(id="t1")
    assert "req_abc" not in repr(thing)


def test_a_leniently_built_model_carries_the_request_id() -> None:
    body = json.dumps({"id": 5, "extra": True}).encode()  # drift: id is not a str
    client = sync_client(reply(200, body, "application/json", **{"x-request-id": "r"}))
    thing = client.request(GET, Thing)
    assert thing._request_id == "r"  # type: ignore[attr-defined]


def test_without_the_header_the_request_id_is_none() -> None:
    client = sync_client(reply(200, b'{"id": "t1"}', "application/json"))
    assert client.request(GET, Thing)._request_id is None  # type: ignore[attr-defined]


async def test_async_parsed_models_carry_the_request_id() -> None:
    client = async_client(
        reply(200, b'{"id": "t1"}', "application/json", **{"x-request-id": "req_2"})
    )
    thing = await client.request(GET, Thing)
    assert thing._request_id == "req_2"  # type: ignore[attr-defined]


def test_raw_responses_carry_the_request_id_and_so_does_their_parse() -> None:
    client = sync_client(
        reply(200, b'{"id": "t1"}', "application/json", **{"x-request-id": "req_raw"})
    )

    def get_thing() -> Thing:
        return client.request(GET, Thing)

    raw = to_raw_response_wrapper(get_thing)()
    assert raw.request_id == "req_raw"
    assert raw.parse()._request_id == "req_raw"  # type: ignore[attr-defined]


async def test_async_raw_responses_carry_the_request_id() -> None:
    client = async_client(
        reply(200, b'{"id": "t1"}', "application/json", **{"x-request-id": "req_a"})
    )

    async def get_thing() -> Thing:
        return await client.request(GET, Thing)

    raw = await async_to_raw_response_wrapper(get_thing)()
    assert raw.request_id == "req_a"
    assert (await raw.parse())._request_id == "req_a"  # type: ignore[attr-defined]


def test_a_raw_streamed_call_carries_the_request_id() -> None:
    events = b'data: {"id": "t1"}\n\ndata: [DONE]\n\n'
    client = sync_client(
        reply(200, events, "text/event-stream", **{"x-request-id": "req_sse"})
    )

    def stream() -> object:
        return client.request(STREAMED, Thing, body={})

    raw = to_raw_response_wrapper(stream)()
    assert raw.request_id == "req_sse"
    raw.close()
