"""The generated Example Notes API client moving real payloads over real sockets.

The counterpart of test_payloads_openai.py for specs/example.yaml (see specs/README.md):
`createSummary` streamed without a declared chunk schema, `streamEvents` (a GET
`text/event-stream` of the discriminated `Event` union, with `Last-Event-ID`),
`uploadAttachment` (a file, an array of files, form fields, a JSON-encoded object),
`downloadAttachment` / `readNoteAloud` (binary), and both kinds of cursor pagination
(`last_id` and `has_more` only), sync and async, against `PayloadServer` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.functional.mock import attachment, note_summary, notebook
from tests.servers.payloads import PayloadServer, binary_payload_sha256

NOTE_PATH = "/v1/notebooks/nb_1/notes/note_1"
# Text that looks like multipart framing (delimiters, part headers, a closing one).
BOUNDARY_LIKE = (
    b"\r\n--"
    + os.urandom(16).hex().encode()
    + b'\r\nContent-Disposition: form-data; name="caption"\r\n\r\nforged'
    + b"\r\n--"
    + os.urandom(16).hex().encode()
    + b"--\r\n--\r\n\r\n"
)
PAGE = BOUNDARY_LIKE + os.urandom(150_000)
SCAN = os.urandom(90_000) + BOUNDARY_LIKE


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sse(payload: object, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}data: {json.dumps(payload)}\n\n"


def disconnected(server: PayloadServer, tag: str) -> bool:
    return server.stream_event(tag).wait(5) and (
        server.stream_outcomes[tag] == "disconnected"
    )


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=200, timeout=30) as running:
        yield running


@pytest.fixture
def client(api: ModuleType, server: PayloadServer) -> Iterator[Any]:
    with api.Client(api_key="sk-test", base_url=f"{server.url}/v1", timeout=30) as c:
        yield c


@pytest.fixture
async def aclient(api: ModuleType, server: PayloadServer) -> AsyncIterator[Any]:
    async with api.AsyncClient(
        api_key="sk-test", base_url=f"{server.url}/v1", timeout=30
    ) as c:
        yield c


def last_request(server: PayloadServer, path: str) -> dict[str, Any]:
    requests = server.requests_to(path)
    assert requests, f"no request to {path}"
    return requests[-1]


# -- createSummary: streamed, no chunk schema linked to the operation -----------------


def summary_chunk(delta: str, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "sum_1",
        "object": "summary.chunk",
        "delta": delta,
        "finish_reason": finish_reason,
    }


SUMMARY_PIECES = [
    sse(summary_chunk("Three ")),
    sse(summary_chunk("ideas.", "stop")),
    "data: [DONE]\n\n",
    sse(summary_chunk("never read")),
]


def check_summary_events(api: ModuleType, events: list[Any]) -> None:
    assert all(type(event) is api.ServerSentEvent for event in events)
    assert [event.json()["delta"] for event in events] == ["Three ", "ideas."]
    assert events[1].json()["finish_reason"] == "stop"


def test_create_summary_stream_yields_raw_events(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    path = f"{NOTE_PATH}/summaries"
    server.mount("POST", path, "sse", script={"pieces": SUMMARY_PIECES})
    stream = client.notes.create_summary(
        "nb_1", "note_1", model="3-sentence", stream=True
    )
    assert isinstance(stream, api.Stream)
    check_summary_events(api, list(stream))
    assert stream.response.is_closed
    assert last_request(server, path)["json"] == {"model": "3-sentence", "stream": True}


async def test_async_create_summary_stream_yields_raw_events(
    api: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    path = f"{NOTE_PATH}/summaries"
    server.mount("POST", path, "sse", script={"pieces": SUMMARY_PIECES})
    stream = await aclient.notes.create_summary(
        "nb_1", "note_1", model="gpt-4o", stream=True
    )
    assert isinstance(stream, api.AsyncStream)
    check_summary_events(api, [event async for event in stream])
    assert stream.response.is_closed


def test_create_summary_without_stream_returns_the_model(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    path = f"{NOTE_PATH}/summaries"
    reply = {
        "id": "sum_1",
        "object": "summary",
        "model": "gpt-4o",
        "text": "Three ideas.",
        "created_at": 1700000000,
    }
    server.mount("POST", path, "json", reply=reply)
    result = client.notes.create_summary("nb_1", "note_1", model="gpt-4o")
    assert isinstance(result, api.models.CreateSummaryResponse)
    assert result.text == "Three ideas."
    assert last_request(server, path)["json"] == {"model": "gpt-4o"}


# -- streamEvents: GET text/event-stream of a discriminated union ---------------------

EVENTS = [
    {"type": "note.created", "sequence": 41, "note": note_summary()},
    {"type": "note.deleted", "sequence": 42, "note_id": "note_9"},
    {"type": "note.archived", "sequence": 43, "note_id": "note_9"},  # not in the spec
]


def events_script(tag: str = "", endless: bool = False) -> dict[str, Any]:
    pieces = [sse(event, str(event["sequence"])) for event in EVENTS]
    script: dict[str, Any] = {"pieces": [": connected\n\n", *pieces], "tag": tag}
    if endless:
        ping = {"type": "note.deleted", "sequence": 44, "note_id": "n"}
        script["repeat"] = {"piece": sse(ping), "count": 500}
    return script


def check_events(api: ModuleType, events: list[Any]) -> None:
    models = api.models
    assert all(isinstance(event, models.Event) for event in events)
    created, deleted, unknown = (event.root for event in events)
    assert isinstance(created, models.NoteCreatedEvent)
    assert isinstance(created.note, models.NoteSummary)
    assert (created.sequence, created.note.id) == (41, "note_1")
    assert isinstance(deleted, models.NoteDeletedEvent)
    assert (deleted.sequence, deleted.note_id) == (42, "note_9")
    assert unknown == EVENTS[2]  # an event type the spec does not know: kept raw


def test_stream_events_yields_typed_union_members(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    server.mount("GET", "/v1/events", "sse", script=events_script())
    with client.events.stream_events(notebook_id="nb_1", last_event_id="40") as stream:
        assert isinstance(stream, api.Stream)
        check_events(api, list(stream))
    sent = last_request(server, "/v1/events")
    assert sent["query"] == {"notebook_id": "nb_1"}
    assert sent["headers"]["last-event-id"] == "40"
    assert sent["headers"]["accept"] == "text/event-stream"


async def test_async_stream_events_yields_typed_union_members(
    api: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    server.mount("GET", "/v1/events", "sse", script=events_script())
    stream = await aclient.events.stream_events(last_event_id="40")
    assert isinstance(stream, api.AsyncStream)
    check_events(api, [event async for event in stream])
    assert last_request(server, "/v1/events")["query"] == {}


def test_stream_events_break_hangs_up(client: Any, server: PayloadServer) -> None:
    server.mount("GET", "/v1/events", "sse", script=events_script("ev-break", True))
    stream = client.events.stream_events()
    for event in stream:
        assert event.root.sequence == 41
        break
    assert stream.response.is_closed
    assert disconnected(server, "ev-break")


async def test_async_stream_events_with_block_hangs_up(
    aclient: Any, server: PayloadServer
) -> None:
    server.mount("GET", "/v1/events", "sse", script=events_script("aev-with", True))
    async with await aclient.events.stream_events() as stream:
        assert (await stream.__anext__()).root.sequence == 41
    assert stream.response.is_closed
    assert await asyncio.to_thread(disconnected, server, "aev-with")


def test_stream_events_error_event_raises(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    error = {"error": {"message": "notebook deleted", "type": "gone", "code": "x"}}
    pieces = [sse(EVENTS[0]), f"event: error\ndata: {json.dumps(error)}\n\n"]
    server.mount("GET", "/v1/events", "sse", script={"pieces": pieces})
    stream = client.events.stream_events()
    assert next(stream).root.sequence == 41
    with pytest.raises(api.APIError, match="notebook deleted") as raised:
        next(stream)
    assert raised.value.body == error["error"]


# -- uploadAttachment: a file, an array of files, form fields -------------------------


def check_upload(
    api: ModuleType, result: Any, server: PayloadServer, file_name: str
) -> None:
    assert isinstance(result, api.models.Attachment)
    assert (result.id, result.bytes, result.filename) == ("att_1", len(SCAN), file_name)
    assert result.class_ == "archive"
    parts = server.uploads[-1]["parts"]
    summary = [(p["name"], p["filename"], p["content_type"]) for p in parts]
    assert sorted(summary, key=str) == sorted(
        [
            ("caption", None, None),
            ("source", None, None),
            ("class", None, None),
            ("file", file_name, "application/pdf"),
            ("pages", "page-1.png", "image/png"),
            ("pages", "page-2.bin", "application/octet-stream"),
        ],
        key=str,
    )
    by_name = {(p["name"], p["filename"]): p for p in parts}
    assert by_name[("file", file_name)]["sha256"] == sha256(SCAN)
    assert by_name[("pages", "page-1.png")]["sha256"] == sha256(PAGE)
    assert by_name[("pages", "page-2.bin")]["sha256"] == sha256(PAGE[::-1])
    assert by_name[("caption", None)]["text"] == 'Say """hi"""\r\n--\\'
    assert json.loads(by_name[("source", None)]["text"]) == {
        "app": "notes",
        "version": "1.0",
    }
    assert by_name[("class", None)]["text"] == "archive"


def upload_arguments(tmp_path: Path) -> dict[str, Any]:
    second = tmp_path / "page-2.bin"
    second.write_bytes(PAGE[::-1])
    return {
        "pages": [("page-1.png", PAGE, "image/png"), second],
        "caption": 'Say """hi"""\r\n--\\',
        "source": {"app": "notes", "version": "1.0"},
        "class_": "archive",
    }


def mount_upload(server: PayloadServer) -> str:
    path = f"{NOTE_PATH}/attachments"
    reply = attachment()
    server.mount(
        "POST", path, "multipart", reply=reply, describe_part="file", status=201
    )
    return path


def test_upload_attachment_sends_files_and_fields(
    api: ModuleType, client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    mount_upload(server)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(SCAN)
    with open(scan, "rb") as scan_file:
        result = client.attachments.upload_attachment(
            "nb_1", "note_1", file=scan_file, **upload_arguments(tmp_path)
        )
    check_upload(api, result, server, "scan.pdf")


async def test_async_upload_attachment_sends_files_and_fields(
    api: ModuleType, aclient: Any, server: PayloadServer, tmp_path: Path
) -> None:
    mount_upload(server)
    result = await aclient.attachments.upload_attachment(
        "nb_1",
        "note_1",
        file=("scan 2.pdf", SCAN, "application/pdf"),
        **upload_arguments(tmp_path),
    )
    check_upload(api, result, server, "scan 2.pdf")


# -- binary downloads -------------------------------------------------------------------

DOWNLOAD_SIZE = 2 * 1024 * 1024 + 7


def file_sha256(path: Path) -> str:
    return sha256(path.read_bytes())


def test_download_attachment_writes_to_a_file(
    api: ModuleType, client: Any, server: PayloadServer, tmp_path: Path
) -> None:
    path = "/v1/attachments/att_1/content"
    server.mount("GET", path, "binary", query={"size": DOWNLOAD_SIZE})
    target = tmp_path / "scan.pdf"
    download = client.attachments.download_attachment("att_1")
    assert isinstance(download, api.BinaryResponse)
    download.write_to_file(target)
    assert download.response.is_closed
    assert file_sha256(target) == binary_payload_sha256(DOWNLOAD_SIZE)
    assert last_request(server, path)["headers"]["accept"] == "*/*"


async def test_async_download_attachment_writes_to_a_file(
    api: ModuleType, aclient: Any, server: PayloadServer, tmp_path: Path
) -> None:
    path = "/v1/attachments/att_1/content"
    server.mount("GET", path, "binary", query={"size": DOWNLOAD_SIZE})
    target = tmp_path / "scan.pdf"
    download = await aclient.attachments.download_attachment("att_1")
    assert isinstance(download, api.AsyncBinaryResponse)
    await download.write_to_file(target)
    assert download.response.is_closed
    assert file_sha256(target) == binary_payload_sha256(DOWNLOAD_SIZE)


def test_read_note_aloud_streams_audio(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    path = f"{NOTE_PATH}/speech"
    query = {"size": DOWNLOAD_SIZE, "type": "audio/mpeg"}
    server.mount("POST", path, "binary", query=query)
    with client.notes.read_note_aloud("nb_1", "note_1", voice="nova") as audio:
        assert audio.headers["content-type"] == "audio/mpeg"
        digest, count = hashlib.sha256(), 0
        for chunk in audio.iter_bytes(32768):
            digest.update(chunk)
            count += 1
    assert digest.hexdigest() == binary_payload_sha256(DOWNLOAD_SIZE)
    assert count >= DOWNLOAD_SIZE // 32768
    assert last_request(server, path)["json"] == {"voice": "nova"}


async def test_async_read_note_aloud_reads_whole(
    aclient: Any, server: PayloadServer
) -> None:
    path = f"{NOTE_PATH}/speech"
    server.mount("POST", path, "binary", query={"size": 1000, "type": "audio/mpeg"})
    audio = await aclient.notes.read_note_aloud("nb_1", "note_1", voice="alloy")
    content = await audio.read()
    assert sha256(content) == binary_payload_sha256(1000)
    assert audio.content == content  # cached after read()


# -- cursor pagination: last_id (notebooks) and has_more only (notes) -----------------


def page_queries(server: PayloadServer, path: str) -> list[dict[str, str]]:
    return [entry["query"] for entry in server.requests_to(path)]


def mount_notebooks(server: PayloadServer) -> None:
    server.mount("GET", "/v1/notebooks", "pages", query={"total": 8}, item=notebook())


def mount_notes(server: PayloadServer) -> str:
    path = "/v1/notebooks/nb_1/notes"
    # last_id=0: pages carry only has_more, so the cursor is the last item's id.
    query = {"total": 5, "last_id": 0}
    server.mount("GET", path, "pages", query=query, item=note_summary())
    return path


def test_list_notebooks_iter_walks_three_pages(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    mount_notebooks(server)
    before = len(page_queries(server, "/v1/notebooks"))
    items = list(client.note_books.list_notebooks_iter(limit=3, archived=False))
    assert [item.id for item in items] == [f"item-{n}" for n in range(8)]
    assert all(isinstance(item, api.models.Notebook) for item in items)
    assert items[0].self_link.endswith("/notebooks/nb_1")
    assert page_queries(server, "/v1/notebooks")[before:] == [
        {"limit": "3", "archived": "false"},
        {"limit": "3", "archived": "false", "after": "item-2"},
        {"limit": "3", "archived": "false", "after": "item-5"},
    ]


async def test_async_list_notebooks_iter_walks_three_pages(
    api: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    mount_notebooks(server)
    before = len(page_queries(server, "/v1/notebooks"))
    items = [item async for item in aclient.note_books.list_notebooks_iter(limit=3)]
    assert [item.id for item in items] == [f"item-{n}" for n in range(8)]
    assert all(isinstance(item, api.models.Notebook) for item in items)
    assert len(page_queries(server, "/v1/notebooks")[before:]) == 3


def test_list_notes_iter_uses_the_last_item_id(
    api: ModuleType, client: Any, server: PayloadServer
) -> None:
    path = mount_notes(server)
    before = len(page_queries(server, path))
    items = list(client.notes.list_notes_iter("nb_1", limit=2, include=["content"]))
    assert [item.id for item in items] == [f"item-{n}" for n in range(5)]
    assert all(isinstance(item, api.models.NoteSummary) for item in items)
    assert page_queries(server, path)[before:] == [
        {"limit": "2", "include[]": "content"},
        {"limit": "2", "include[]": "content", "after": "item-1"},
        {"limit": "2", "include[]": "content", "after": "item-3"},
    ]


async def test_async_list_notes_iter_uses_the_last_item_id(
    api: ModuleType, aclient: Any, server: PayloadServer
) -> None:
    path = mount_notes(server)
    before = len(page_queries(server, path))
    items = [item async for item in aclient.notes.list_notes_iter("nb_1", limit=2)]
    assert [item.id for item in items] == [f"item-{n}" for n in range(5)]
    assert [q.get("after") for q in page_queries(server, path)[before:]] == [
        None,
        "item-1",
        "item-3",
    ]


def test_empty_notebook_page_validates(api: ModuleType) -> None:
    page = {
        "object": "list",
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }
    assert api.models.NotebookList.model_validate(page).last_id is None
