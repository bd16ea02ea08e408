"""The generated OpenAI 2.3.0 client moving real payloads over real sockets (issue 3).

Every test drives `openai_api.Client` / `AsyncClient` (generated once per session from
specs/openai-2.3.0.yaml) against `tests/servers/payloads.PayloadServer`, a threaded
HTTP/1.1 server on 127.0.0.1 that this module starts and stops. The API paths are
mounted on the server's scripted routes: SSE for chat/completions streaming, a
multipart parser that echoes each part's size and SHA-256 for uploads, generated
bytes for speech, cursor pages for files. The 200 MB memory bounds run the client in a
subprocess and read its own peak RSS (marked slow).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import GeneratedPackages, openai_spec
from tests.servers.payloads import PayloadServer, binary_payload, binary_payload_sha256

pytestmark = pytest.mark.openai

# Bytes that look like multipart framing: a delimiter line with a boundary in httpx's
# format, part headers, a closing delimiter, stray dashes and CRLFs, every byte value.
BOUNDARY_LIKE = (
    b"\r\n--"
    + os.urandom(16).hex().encode()
    + b'\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune'
    + b"\r\n--"
    + b"-" * 20
    + b"boundary--\r\n--\r\n\r\n\r\n--"
    + bytes(range(256))
)
MESSAGES = [{"role": "user", "content": "Say hello"}]
FILE_REPLY = {
    "id": "file-abc123",
    "object": "file",
    "created_at": 1700000000,
    "purpose": "fine-tune",
    "status": "uploaded",
}
FILE_ITEM = {
    "object": "file",
    "bytes": 120000,
    "created_at": 1700000000,
    "filename": "train.jsonl",
    "purpose": "fine-tune",
    "status": "processed",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sse(payload: object, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n"


def chat_chunk(
    delta: dict[str, Any], finish_reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A chunk as the OpenAI API streams it (`finish_reason` null until the end)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        **extra,
    }


def tool_call_delta(arguments: str, first: bool) -> dict[str, Any]:
    call: dict[str, Any] = {"index": 0, "function": {"arguments": arguments}}
    if first:
        call.update(id="call_1", type="function")
        call["function"]["name"] = "get_weather"
    return {"tool_calls": [call]}


def chat_script() -> list[str]:
    """Role, text, a tool call in two pieces, the finish, usage, then [DONE]."""
    usage = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    return [
        sse(chat_chunk({"role": "assistant", "content": ""})),
        ": keep-alive\n\n",
        sse(chat_chunk({"content": "Hel"})),
        sse(chat_chunk({"content": "lo"})),
        sse(chat_chunk(tool_call_delta('{"city": ', first=True))),
        sse(chat_chunk(tool_call_delta('"Oslo"}', first=False))),
        sse(chat_chunk({}, finish_reason="tool_calls")),
        sse({**chat_chunk({}), "choices": [], "usage": usage}),
        "data: [DONE]\n\n",
    ]


def endless(pieces: list[str], tag: str) -> dict[str, Any]:
    """`pieces`, then a chunk every 10 ms for up to 5 s unless the client hangs up."""
    return {
        "pieces": pieces,
        "repeat": {"piece": sse(chat_chunk({"content": "more"})), "count": 500},
        "tag": tag,
    }


def disconnected(server: PayloadServer, tag: str) -> bool:
    """The /sse script `tag` ended because the client hung up (waits up to 5 s)."""
    return server.stream_event(tag).wait(5) and (
        server.stream_outcomes[tag] == "disconnected"
    )


async def adisconnected(server: PayloadServer, tag: str) -> bool:
    return await asyncio.to_thread(disconnected, server, tag)


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=400, timeout=30) as running:
        yield running


@pytest.fixture
def client(openai_package: ModuleType, server: PayloadServer) -> Iterator[Any]:
    with openai_package.Client(
        api_key="sk-test", base_url=f"{server.url}/v1", timeout=30.0
    ) as api:
        yield api


@pytest.fixture
async def aclient(
    openai_package: ModuleType, server: PayloadServer
) -> AsyncIterator[Any]:
    async with openai_package.AsyncClient(
        api_key="sk-test", base_url=f"{server.url}/v1", timeout=30.0
    ) as api:
        yield api


def mount_chat(server: PayloadServer, script: dict[str, Any]) -> None:
    server.mount("POST", "/v1/chat/completions", "sse", script=script)


def last_request(server: PayloadServer, path: str) -> dict[str, Any]:
    requests = server.requests_to(path)
    assert requests, f"no request to {path}"
    return requests[-1]


# -- chat completion streaming ------------------------------------------------------


def check_chat_chunks(api: ModuleType, chunks: list[Any]) -> None:
    models = api.models
    assert len(chunks) == 7  # nothing after [DONE], no keep-alive comment
    assert all(isinstance(c, models.CreateChatCompletionStreamResponse) for c in chunks)
    choices = [c.choices[0] for c in chunks[:-1]]
    assert all(
        isinstance(c, models.CreateChatCompletionStreamResponseChoice) for c in choices
    )
    assert all(
        isinstance(c.delta, models.ChatCompletionStreamResponseDelta) for c in choices
    )
    assert choices[0].delta.role == "assistant"
    assert "".join(c.delta.content or "" for c in choices) == "Hello"
    calls = [call for c in choices for call in c.delta.tool_calls or []]
    assert all(isinstance(c, models.ChatCompletionMessageToolCallChunk) for c in calls)
    assert calls[0].function.name == "get_weather"
    arguments = "".join(call.function.arguments for call in calls)
    assert json.loads(arguments) == {"city": "Oslo"}
    assert [c.finish_reason for c in choices] == [None] * 5 + ["tool_calls"]
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        9,
        4,
        13,
    )
    assert {c.id for c in chunks} == {"chatcmpl-1"}


def test_chat_stream_yields_typed_chunks_and_stops_at_done(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    # The server would go on for 5 s after [DONE]: the client must stop reading there.
    mount_chat(server, endless(chat_script(), "chat-done"))
    stream = client.chat.create_chat_completion(
        messages=MESSAGES,
        model="gpt-4o-mini",
        stream=True,
        stream_options={"include_usage": True},
    )
    assert isinstance(stream, openai_package.Stream)
    check_chat_chunks(openai_package, list(stream))
    assert stream.response.is_closed
    assert disconnected(server, "chat-done")
    sent = last_request(server, "/v1/chat/completions")
    assert sent["json"] == {
        "messages": MESSAGES,
        "model": "gpt-4o-mini",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert sent["headers"]["authorization"] == "Bearer sk-test"


async def test_async_chat_stream_yields_typed_chunks_and_stops_at_done(
    openai_package: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    mount_chat(server, endless(chat_script(), "achat-done"))
    stream = await aclient.chat.create_chat_completion(
        messages=MESSAGES,
        model="gpt-4o-mini",
        stream=True,
        stream_options={"include_usage": True},
    )
    assert isinstance(stream, openai_package.AsyncStream)
    check_chat_chunks(openai_package, [chunk async for chunk in stream])
    assert stream.response.is_closed
    assert await adisconnected(server, "achat-done")
    assert last_request(server, "/v1/chat/completions")["json"]["stream"] is True


def test_chat_chunk_as_openai_sends_it_validates(openai_package: ModuleType) -> None:
    chunk = json.dumps(chat_chunk({"content": "Hel"}))
    model = openai_package.models.CreateChatCompletionStreamResponse
    assert model.model_validate_json(chunk).choices[0].finish_reason is None


def test_chat_stream_schema_drift_never_raises(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    drifted = chat_chunk({"content": "x", "audio": {"id": "a1"}}, "paused", tier="p")
    drifted["choices"][0]["index"] = "zero"
    pieces = [sse(drifted), sse(chat_chunk({"content": "y"}, "stop"))]
    mount_chat(server, {"pieces": [*pieces, "data: [DONE]\n\n"]})
    stream = client.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    first, second = list(stream)
    models = openai_package.models
    assert isinstance(first, models.CreateChatCompletionStreamResponse)
    assert first.model_extra == {"tier": "p"}
    choice = first.choices[0]
    assert isinstance(choice, models.CreateChatCompletionStreamResponseChoice)
    assert (choice.finish_reason, choice.index) == ("paused", "zero")  # kept raw
    assert choice.delta.content == "x"
    assert choice.delta.model_extra == {"audio": {"id": "a1"}}
    assert second.choices[0].finish_reason == "stop"


ERROR = {"message": "The model is overloaded", "type": "server_error", "code": None}
ERROR_FORMS = {
    "event-error": sse({"error": ERROR}, event="error"),
    "data-error": sse({"error": ERROR}),  # how the OpenAI API reports it mid-stream
}


@pytest.mark.parametrize("form", list(ERROR_FORMS))
def test_chat_stream_error_event_mid_stream_raises(
    openai_package: ModuleType, client: Any, server: PayloadServer, form: str
) -> None:
    pieces = [sse(chat_chunk({"content": "Hel"})), ERROR_FORMS[form]]
    pieces.append(sse(chat_chunk({"content": "lo"})))
    mount_chat(server, {"pieces": pieces})
    stream = client.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    received = []
    with pytest.raises(openai_package.APIError) as raised:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == ["Hel"]
    error = raised.value
    assert not isinstance(error, openai_package.APIStatusError)  # the status was 200
    assert "The model is overloaded" in str(error)
    assert error.body == ERROR
    assert stream.response.is_closed


async def test_async_chat_stream_error_event_mid_stream_raises(
    openai_package: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    pieces = [sse(chat_chunk({"content": "Hel"})), ERROR_FORMS["event-error"]]
    mount_chat(server, {"pieces": pieces})
    stream = await aclient.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    received = []
    with pytest.raises(openai_package.APIError, match="The model is overloaded"):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == ["Hel"]
    assert stream.response.is_closed


@pytest.mark.parametrize("how", ["break", "with", "close"])
def test_chat_stream_early_close_hangs_up(
    client: Any, server: PayloadServer, how: str
) -> None:
    tag = f"chat-early-{how}"
    mount_chat(server, endless([sse(chat_chunk({"content": "Hel"}))], tag))
    stream = client.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    if how == "break":
        for chunk in stream:
            assert chunk.choices[0].delta.content == "Hel"
            break
    elif how == "with":
        with stream:
            assert next(stream).choices[0].delta.content == "Hel"
            assert next(stream).choices[0].delta.content == "more"
    else:
        stream.close()
    assert stream.response.is_closed  # at once, not when garbage collected
    assert disconnected(server, tag)  # long before the server's 5 s script ends
    assert list(stream) == []


async def test_async_chat_stream_early_close_hangs_up(
    aclient: Any, server: PayloadServer
) -> None:
    mount_chat(server, endless([sse(chat_chunk({"content": "Hel"}))], "achat-with"))
    stream = await aclient.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    async with stream:
        assert (await stream.__anext__()).choices[0].delta.content == "Hel"
    assert stream.response.is_closed
    assert await adisconnected(server, "achat-with")

    mount_chat(server, endless([sse(chat_chunk({"content": "Hel"}))], "achat-break"))
    stream = await aclient.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    async for _ in stream:
        break
    # The event loop finalizes the abandoned async iterator on one of its next turns.
    assert await adisconnected(server, "achat-break")


def test_chat_stream_http_error_raises_before_streaming(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    error = {"error": {"message": "Invalid model", "type": "invalid_request_error"}}
    server.mount("POST", "/v1/chat/completions", "json", reply=error, status=400)
    with pytest.raises(openai_package.BadRequestError, match="Invalid model") as raised:
        client.chat.create_chat_completion(
            messages=MESSAGES, model="gpt-x", stream=True
        )
    assert raised.value.status_code == 400


def test_chat_stream_through_with_raw_response(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    mount_chat(server, {"pieces": chat_script()})
    raw = client.chat.with_raw_response.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "text/event-stream"
    stream = raw.parse()
    assert isinstance(stream, openai_package.Stream)
    check_chat_chunks(openai_package, list(stream))


async def test_async_chat_stream_through_with_raw_response(
    openai_package: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    mount_chat(server, {"pieces": chat_script()})
    raw = await aclient.chat.with_raw_response.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", stream=True
    )
    stream = await raw.parse()
    assert isinstance(stream, openai_package.AsyncStream)
    check_chat_chunks(openai_package, [chunk async for chunk in stream])


@pytest.mark.parametrize("stream", [False, "not given"])
def test_chat_without_stream_returns_the_response_model(
    openai_package: ModuleType, client: Any, server: PayloadServer, stream: object
) -> None:
    reply = {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
    }
    server.mount("POST", "/v1/chat/completions", "json", reply=reply)
    options = {} if stream == "not given" else {"stream": stream}
    result = client.chat.create_chat_completion(
        messages=MESSAGES, model="gpt-4o-mini", **options
    )
    assert isinstance(result, openai_package.models.CreateChatCompletionResponse)
    assert result.choices[0].message.content == "Hello"
    sent = last_request(server, "/v1/chat/completions")["json"]
    assert sent.get("stream", "absent") == (False if stream is False else "absent")


# -- completions streaming: no event schema declared ----------------------------------


def completion_chunk(text: str) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1700000000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [
            {"text": text, "index": 0, "logprobs": None, "finish_reason": None}
        ],
    }


COMPLETION_PIECES = [
    sse(completion_chunk("Hel")),
    ": ping\n\n",
    "event: note\r\nid: 7\r\ndata: first line\r\ndata: second line\r\n\r\n",
    sse(completion_chunk("lo")),
    "data: [DONE]\n\n",
    sse(completion_chunk("after done")),
]


def check_completion_events(api: ModuleType, events: list[Any]) -> None:
    assert all(type(event) is api.ServerSentEvent for event in events)
    assert [event.event for event in events] == [None, "note", None]
    assert events[1].data == "first line\nsecond line" and events[1].id == "7"
    texts = [events[0].json(), events[2].json()]
    assert [t["choices"][0]["text"] for t in texts] == ["Hel", "lo"]


def test_completions_stream_yields_raw_events(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    server.mount("POST", "/v1/completions", "sse", script={"pieces": COMPLETION_PIECES})
    stream = client.completions.create_completion(
        model="gpt-3.5-turbo-instruct", prompt="Say hello", stream=True
    )
    assert isinstance(stream, openai_package.Stream)
    check_completion_events(openai_package, list(stream))
    assert stream.response.is_closed
    sent = last_request(server, "/v1/completions")["json"]
    assert sent == {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hello"} | {
        "stream": True
    }


async def test_async_completions_stream_yields_raw_events(
    openai_package: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    server.mount("POST", "/v1/completions", "sse", script={"pieces": COMPLETION_PIECES})
    stream = await aclient.completions.create_completion(
        model="gpt-3.5-turbo-instruct", prompt="Say hello", stream=True
    )
    assert isinstance(stream, openai_package.AsyncStream)
    check_completion_events(openai_package, [event async for event in stream])


def test_completions_stream_error_payload_raises(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    pieces = [sse(completion_chunk("Hel")), ERROR_FORMS["data-error"]]
    server.mount("POST", "/v1/completions", "sse", script={"pieces": pieces})
    stream = client.completions.create_completion(
        model="gpt-3.5-turbo-instruct", prompt="Say hello", stream=True
    )
    assert next(stream).json()["choices"][0]["text"] == "Hel"
    with pytest.raises(openai_package.APIError, match="The model is overloaded"):
        next(stream)


# -- createFile: bytes, path, open file, tuple ----------------------------------------

CONTENT = BOUNDARY_LIKE + os.urandom(300_000) + BOUNDARY_LIKE  # spans many chunks


def file_input(kind: str, tmp_path: Path, stack: list[Any]) -> tuple[object, str, str]:
    """The `file=` argument of one kind, its expected filename and content type."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(CONTENT)
    if kind == "bytes":
        return CONTENT, "upload", "application/octet-stream"
    if kind == "path":
        return path, "train.jsonl", "application/octet-stream"
    if kind == "file":
        handle = open(path, "rb")
        stack.append(handle)
        return handle, "train.jsonl", "application/octet-stream"
    name, content_type = "batch input.jsonl", "application/jsonl"
    return (name, CONTENT, content_type), name, content_type


def check_file_upload(
    api: ModuleType, result: Any, server: PayloadServer, filename: str, ctype: str
) -> None:
    assert isinstance(result, api.models.OpenAIFile)
    assert (result.id, result.bytes, result.filename) == (
        "file-abc123",
        len(CONTENT),
        filename,
    )
    upload = server.uploads[-1]["parts"]
    assert [(p["name"], p["filename"]) for p in upload] == [
        ("purpose", None),
        ("file", filename),
    ]
    assert upload[0]["text"] == "fine-tune"
    assert upload[1]["content_type"] == ctype
    assert (upload[1]["size"], upload[1]["sha256"]) == (len(CONTENT), sha256(CONTENT))
    headers = last_request(server, "/v1/files")["headers"]
    assert headers["content-type"].startswith("multipart/form-data; boundary=")


FILE_KINDS = ["bytes", "path", "file", "tuple"]


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_create_file_uploads_every_input_kind(
    openai_package: ModuleType,
    client: Any,
    server: PayloadServer,
    tmp_path: Path,
    kind: str,
) -> None:
    server.mount(
        "POST", "/v1/files", "multipart", reply=FILE_REPLY, describe_part="file"
    )
    stack: list[Any] = []
    try:
        file, filename, ctype = file_input(kind, tmp_path, stack)
        result = client.files.create_file(file=file, purpose="fine-tune")
    finally:
        for handle in stack:
            handle.close()
    check_file_upload(openai_package, result, server, filename, ctype)


@pytest.mark.parametrize("kind", FILE_KINDS)
async def test_async_create_file_uploads_every_input_kind(
    openai_package: ModuleType,
    aclient: Any,
    server: PayloadServer,
    tmp_path: Path,
    kind: str,
) -> None:
    server.mount(
        "POST", "/v1/files", "multipart", reply=FILE_REPLY, describe_part="file"
    )
    stack: list[Any] = []
    try:
        file, filename, ctype = file_input(kind, tmp_path, stack)
        result = await aclient.files.create_file(file=file, purpose="fine-tune")
    finally:
        for handle in stack:
            handle.close()
    check_file_upload(openai_package, result, server, filename, ctype)


def test_create_file_rejects_a_text_mode_file_before_any_io(
    client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("text")
    before = len(server.requests_to("/v1/files"))
    with open(path) as text_file, pytest.raises(TypeError, match="binary mode"):
        client.files.create_file(file=text_file, purpose="fine-tune")
    assert len(server.requests_to("/v1/files")) == before


@contextlib.contextmanager
def pipe_of(content: bytes) -> Iterator[Any]:
    """The read end of a pipe (not seekable) fed `content` by a thread."""
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with open(write_fd, "wb") as writer:
            try:
                writer.write(content)
            except BrokenPipeError:
                pass  # the reader stopped early

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    with open(read_fd, "rb") as reader:
        yield reader
    feeder.join(timeout=5)


def test_create_file_retry_rereads_a_path_but_never_resends_a_pipe(
    openai_package: ModuleType, server: PayloadServer, tmp_path: Path
) -> None:
    # status=500 answers with Retry-After-Ms: 10 after reading the whole body.
    server.mount("POST", "/v1/files", "multipart", query={"status": 500})
    path = tmp_path / "train.jsonl"
    path.write_bytes(CONTENT)
    base_url = f"{server.url}/v1"
    with openai_package.Client(api_key="sk-test", base_url=base_url) as api:
        before = len(server.uploads)
        with pytest.raises(openai_package.InternalServerError):
            api.files.create_file(file=path, purpose="fine-tune")
        from_path = server.uploads[before:]
        with (
            pipe_of(CONTENT) as pipe,
            pytest.raises(openai_package.InternalServerError),
        ):
            api.files.create_file(file=pipe, purpose="fine-tune")
        from_pipe = server.uploads[before + len(from_path) :]
    assert [u["parts"][1]["sha256"] for u in from_path] == [sha256(CONTENT)] * 3
    assert [u["parts"][1]["sha256"] for u in from_pipe] == [sha256(CONTENT)]
    assert last_request(server, "/v1/files")["headers"]["transfer-encoding"] == (
        "chunked"  # a pipe has no length to announce
    )


# -- createImageEdit: two files --------------------------------------------------------

IMAGE = b"\x89PNG\r\n\x1a\n" + BOUNDARY_LIKE + os.urandom(70_000)
MASK = b"\x89PNG\r\n\x1a\n" + os.urandom(50_000) + b"\r\n--"


def check_image_edit(api: ModuleType, result: Any, server: PayloadServer) -> None:
    assert isinstance(result, api.models.ImagesResponse)
    assert isinstance(result.data[0], api.models.Image)
    assert result.data[0].url == "https://example.test/edited.png"
    parts = {p["name"]: p for p in server.uploads[-1]["parts"]}
    assert sorted(parts) == ["image", "mask", "n", "prompt", "size"]
    assert (parts["image"]["filename"], parts["image"]["content_type"]) == (
        "otter.png",
        "image/png",
    )
    assert (parts["image"]["size"], parts["image"]["sha256"]) == (
        len(IMAGE),
        sha256(IMAGE),
    )
    assert (parts["mask"]["filename"], parts["mask"]["content_type"]) == (
        "mask.png",
        "image/png",
    )
    assert (parts["mask"]["size"], parts["mask"]["sha256"]) == (len(MASK), sha256(MASK))
    texts = {name: parts[name]["text"] for name in ("prompt", "n", "size")}
    assert texts == {"prompt": "Add a beret\r\n--x", "n": "2", "size": "256x256"}


IMAGE_REPLY = {
    "created": 1700000000,
    "data": [{"url": "https://example.test/edited.png"}],
}


def test_create_image_edit_sends_two_files(
    openai_package: ModuleType, client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    server.mount("POST", "/v1/images/edits", "multipart", reply=IMAGE_REPLY)
    image = tmp_path / "otter.png"
    image.write_bytes(IMAGE)
    result = client.images.create_image_edit(
        image=image,
        mask=("mask.png", MASK, "image/png"),
        prompt="Add a beret\r\n--x",
        n=2,
        size="256x256",
    )
    check_image_edit(openai_package, result, server)


async def test_async_create_image_edit_sends_two_files(
    openai_package: ModuleType, aclient: Any, server: PayloadServer, tmp_path: Path
) -> None:
    server.mount("POST", "/v1/images/edits", "multipart", reply=IMAGE_REPLY)
    image = tmp_path / "otter.png"
    image.write_bytes(IMAGE)
    with open(image, "rb") as image_file:
        result = await aclient.images.create_image_edit(
            image=image_file,
            mask=("mask.png", MASK, "image/png"),
            prompt="Add a beret\r\n--x",
            n=2,
            size="256x256",
        )
    check_image_edit(openai_package, result, server)


# -- createSpeech streamed to a file ---------------------------------------------------

SPEECH_SIZE = 3 * 1024 * 1024 + 123


def mount_speech(server: PayloadServer, size: int = SPEECH_SIZE) -> None:
    query = {"size": size, "type": "audio/mpeg"}
    server.mount("POST", "/v1/audio/speech", "binary", query=query)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_create_speech_streams_to_a_file(
    openai_package: ModuleType, client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    mount_speech(server)
    target = tmp_path / "speech.mp3"
    speech = client.audio.create_speech(model="tts-1", input="Hello", voice="alloy")
    assert isinstance(speech, openai_package.BinaryResponse)
    assert speech.headers["content-type"] == "audio/mpeg"
    assert not speech.response.is_closed  # handed over unread
    speech.write_to_file(target)
    assert speech.response.is_closed
    assert target.stat().st_size == SPEECH_SIZE
    assert file_sha256(target) == binary_payload_sha256(SPEECH_SIZE)
    sent = last_request(server, "/v1/audio/speech")
    assert sent["json"] == {"model": "tts-1", "input": "Hello", "voice": "alloy"}


def test_create_speech_iter_bytes_streams_chunks(
    client: Any, server: PayloadServer
) -> None:
    mount_speech(server)
    digest, sizes = hashlib.sha256(), []
    with client.audio.create_speech(model="tts-1", input="Hi", voice="nova") as speech:
        for chunk in speech.iter_bytes(65536):
            digest.update(chunk)
            sizes.append(len(chunk))
    assert sum(sizes) == SPEECH_SIZE and max(sizes) <= 65536 and len(sizes) > 40
    assert digest.hexdigest() == binary_payload_sha256(SPEECH_SIZE)


def test_create_speech_error_status_carries_the_body(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    error = {"error": {"message": "Voice not found", "type": "invalid_request_error"}}
    server.mount("POST", "/v1/audio/speech", "json", reply=error, status=404)
    with pytest.raises(openai_package.NotFoundError, match="Voice not found") as raised:
        client.audio.create_speech(model="tts-1", input="Hi", voice="alloy")
    assert raised.value.status_code == 404
    assert raised.value.body == error["error"]


def test_create_speech_connection_lost_mid_body_raises(
    openai_package: ModuleType, client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    query = {"size": SPEECH_SIZE, "abort_at": 100_000, "type": "audio/mpeg"}
    server.mount("POST", "/v1/audio/speech", "binary", query=query)
    speech = client.audio.create_speech(model="tts-1", input="Hi", voice="alloy")
    with pytest.raises(openai_package.APIConnectionError):
        speech.write_to_file(tmp_path / "speech.mp3")
    assert speech.response.is_closed


async def test_async_create_speech_streams_to_a_file(
    openai_package: ModuleType, aclient: Any, server: PayloadServer, tmp_path: Path
) -> None:
    mount_speech(server)
    target = tmp_path / "speech.mp3"
    speech = await aclient.audio.create_speech(
        model="tts-1-hd", input="Hello", voice="nova", speed=1.5
    )
    assert isinstance(speech, openai_package.AsyncBinaryResponse)
    await speech.write_to_file(target)
    assert speech.response.is_closed
    assert target.stat().st_size == SPEECH_SIZE
    assert file_sha256(target) == binary_payload_sha256(SPEECH_SIZE)
    sent = last_request(server, "/v1/audio/speech")["json"]
    assert sent == {"model": "tts-1-hd", "input": "Hello", "voice": "nova"} | {
        "speed": 1.5
    }


# -- list_files_iter across three pages ------------------------------------------------


def mount_files(server: PayloadServer) -> None:
    server.mount("GET", "/v1/files", "pages", query={"total": 7}, item=FILE_ITEM)


def file_page_queries(server: PayloadServer) -> list[dict[str, str]]:
    return [entry["query"] for entry in server.requests_to("/v1/files")]


def test_list_files_iter_walks_three_pages(
    openai_package: ModuleType, client: Any, server: PayloadServer
) -> None:
    mount_files(server)
    before = len(file_page_queries(server))
    files = client.files.list_files_iter(limit=3, purpose="fine-tune")
    assert len(file_page_queries(server)) == before  # lazy: nothing fetched yet
    first = next(files)
    assert len(file_page_queries(server)) == before + 1
    items = [first, *files]
    assert [item.id for item in items] == [f"item-{n}" for n in range(7)]
    assert all(isinstance(item, openai_package.models.OpenAIFile) for item in items)
    assert items[0].filename == "train.jsonl" and items[0].bytes == 120000
    assert file_page_queries(server)[before:] == [
        {"limit": "3", "purpose": "fine-tune"},
        {"limit": "3", "purpose": "fine-tune", "after": "item-2"},
        {"limit": "3", "purpose": "fine-tune", "after": "item-5"},
    ]


async def test_async_list_files_iter_walks_three_pages(
    openai_package: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    mount_files(server)
    before = len(file_page_queries(server))
    items = [item async for item in aclient.files.list_files_iter(limit=3)]
    assert [item.id for item in items] == [f"item-{n}" for n in range(7)]
    assert all(isinstance(item, openai_package.models.OpenAIFile) for item in items)
    assert file_page_queries(server)[before:] == [
        {"limit": "3"},
        {"limit": "3", "after": "item-2"},
        {"limit": "3", "after": "item-5"},
    ]


# -- memory bounds: 200 MB through the generated client, in a subprocess --------------

BIG = 200 * 1024 * 1024
LIMIT_MIB = 50

# The client's own peak RSS: VmHWM, reset to the current RSS through
# /proc/self/clear_refs where Linux allows it (getrusage's ru_maxrss can start at the
# parent's peak, so it is reported alongside only). The clock starts before the first
# call, so lazy imports and model building count against the bound too.
MEMORY_SCRIPT = r"""
import asyncio, json, resource, sys, time
from pathlib import Path

project, mode, operation, base_url, path = sys.argv[1:6]
sys.path.insert(0, project)
import openai_api

def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)

def options():
    return {"api_key": "sk-test", "base_url": base_url, "max_retries": 0,
            "timeout": 120.0}

def run_sync():
    with openai_api.Client(**options()) as client:
        if operation == "upload":
            return client.files.create_file(file=Path(path), purpose="batch").bytes
        client.audio.create_speech(
            model="tts-1", input="long", voice="alloy"
        ).write_to_file(path)
        return Path(path).stat().st_size

async def run_async():
    async with openai_api.AsyncClient(**options()) as client:
        if operation == "upload":
            result = await client.files.create_file(file=Path(path), purpose="batch")
            return result.bytes
        speech = await client.audio.create_speech(
            model="tts-1", input="long", voice="alloy"
        )
        await speech.write_to_file(path)
        return Path(path).stat().st_size

try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    peak_reset = True
except OSError:
    peak_reset = False
before = status_kib("VmHWM" if peak_reset else "VmRSS")
rusage_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
size = run_sync() if mode == "sync" else asyncio.run(run_async())
elapsed = time.perf_counter() - started
print(json.dumps({"before_kib": before, "after_kib": status_kib("VmHWM"),
                  "peak_reset": peak_reset, "rusage_before_kib": rusage_before,
                  "rusage_after_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": elapsed, "size": size}))
"""


@pytest.fixture(scope="module")
def openai_project(generated: GeneratedPackages) -> Path:
    return generated.project(openai_spec("2.3.0"))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("upload") / "big.jsonl"
    with open(path, "wb") as file:
        for piece in binary_payload(BIG):
            file.write(piece)
    yield path
    path.unlink()


def run_memory_script(
    project: Path, mode: str, operation: str, server: PayloadServer, path: Path
) -> dict[str, Any]:
    command = [sys.executable, "-c", MEMORY_SCRIPT, str(project), mode, operation]
    result = subprocess.run(
        [*command, f"{server.url}/v1", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    growth = (report["after_kib"] - report["before_kib"]) / 1024
    report["growth_mib"] = growth
    print(
        f"\n[{mode}] 200 MB {operation} via openai_api: RSS "
        f"{report['before_kib'] / 1024:.1f} -> peak {report['after_kib'] / 1024:.1f} "
        f"MiB (+{growth:.1f} MiB, peak reset: {report['peak_reset']}; ru_maxrss "
        f"{report['rusage_before_kib'] / 1024:.1f} -> "
        f"{report['rusage_after_kib'] / 1024:.1f} MiB) in {report['seconds']:.2f} s"
    )
    return report


memory_test = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads /proc (Linux)"
)


@pytest.mark.slow
@memory_test
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_200_mb_create_file_from_path_stays_under_50_mb(
    openai_project: Path, server: PayloadServer, big_file: Path, mode: str
) -> None:
    server.mount(
        "POST", "/v1/files", "multipart", reply=FILE_REPLY, describe_part="file"
    )
    report = run_memory_script(openai_project, mode, "upload", server, big_file)
    assert report["size"] == BIG  # the server counted every byte of the file part
    part = server.uploads[-1]["parts"][1]
    assert (part["name"], part["filename"]) == ("file", "big.jsonl")
    assert part["sha256"] == binary_payload_sha256(BIG)
    assert report["growth_mib"] < LIMIT_MIB


@pytest.mark.slow
@memory_test
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_200_mb_create_speech_to_file_stays_under_50_mb(
    openai_project: Path, server: PayloadServer, tmp_path: Path, mode: str
) -> None:
    mount_speech(server, BIG)
    target = tmp_path / "speech.mp3"
    report = run_memory_script(openai_project, mode, "download", server, target)
    assert report["size"] == BIG
    assert file_sha256(target) == binary_payload_sha256(BIG)
    assert report["growth_mib"] < LIMIT_MIB
