"""AsyncClient: a representative subset of the sync tests, as coroutines."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import pytest

from .mock import Recorder, export, json_of, note, note_summary, notebook, reply, sse


def client_for(api: ModuleType, recorder: Recorder, **options: Any) -> Any:
    return api.AsyncClient(
        api_key="sk-test", http_client=recorder.async_client(), **options
    )


async def test_path_parameters_are_encoded_and_the_model_returned(
    api: ModuleType,
) -> None:
    recorder = Recorder(reply(notebook(extra_field=1)))
    async with client_for(api, recorder) as client:
        result = await client.note_books.get_notebook("a/b c")
    assert recorder.last.url.raw_path == b"/v1/notebooks/a%2Fb%20c"
    assert recorder.last.headers["authorization"] == "Bearer sk-test"
    assert type(result) is api.models.Notebook
    assert result.model_extra == {"extra_field": 1}


async def test_an_empty_path_parameter_raises_before_any_io(api: ModuleType) -> None:
    recorder = Recorder(reply(note()))
    with pytest.raises(ValueError, match="note_id"):
        await client_for(api, recorder).notes.get_note("nb_1", "")
    assert recorder.requests == []


async def test_query_header_and_body_encoding(api: ModuleType) -> None:
    recorder = Recorder(reply({"object": "list", "data": [], "has_more": False}))
    client = client_for(api, recorder)
    await client.notes.list_notes("nb_1", include=["blocks", "thread"], pinned=False)
    assert recorder.last.url.query == b"include[]=blocks&include[]=thread&pinned=false"
    recorder.respond = reply(export())
    await client.exports.create_export(
        notebook_id="nb_1", format="application/pdf", idempotency_key="k"
    )
    assert recorder.last.headers["idempotency-key"] == "k"
    assert json_of(recorder.last) == {
        "notebook_id": "nb_1",
        "format": "application/pdf",
    }


async def test_flattened_body_omits_missing_and_keeps_explicit_none(
    api: ModuleType,
) -> None:
    recorder = Recorder(reply(notebook()))
    await client_for(api, recorder).note_books.create_notebook(
        name="n", description=None
    )
    assert json_of(recorder.last) == {"name": "n", "description": None}


async def test_validation_error_before_any_io(api: ModuleType) -> None:
    recorder = Recorder(reply(note()))
    with pytest.raises(api._runtime.RequestValidationError, match="title: input"):
        await client_for(api, recorder).notes.create_note("nb_1", title=["not", "str"])
    assert recorder.requests == []


async def test_no_content_text_and_binary_results(api: ModuleType) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path.endswith("/health"):
            return httpx.Response(
                200, text="ok", headers={"content-type": "text/plain"}
            )
        return httpx.Response(
            200, content=b"ID3...", headers={"content-type": "audio/mpeg"}
        )

    client = client_for(api, Recorder(respond))
    assert await client.note_books.delete_notebook("nb_1") is None
    assert await client.health.get_health() == "ok"
    speech = await client.notes.read_note_aloud("nb_1", "note_1", voice="alloy")
    assert isinstance(speech, api.AsyncBinaryResponse)
    assert await speech.read() == b"ID3..."


async def test_event_stream_yields_variant_models(api: ModuleType) -> None:
    events = [
        {"type": "note.created", "sequence": 1, "note": note_summary()},
        {"type": "note.deleted", "sequence": 2, "note_id": "note_1"},
    ]
    recorder = Recorder(
        lambda request: httpx.Response(
            200, content=sse(events), headers={"content-type": "text/event-stream"}
        )
    )
    stream = await client_for(api, recorder).events.stream_events()
    async with stream:
        received = [getattr(event, "root", event) async for event in stream]
    assert [type(e) for e in received] == [
        api.models.NoteCreatedEvent,
        api.models.NoteDeletedEvent,
    ]


async def test_pagination_iterates_every_page(api: ModuleType) -> None:
    pages = {
        None: {"object": "list", "data": [note_summary("n_1")], "has_more": True},
        "n_1": {"object": "list", "data": [note_summary("n_2")], "has_more": False},
    }
    recorder = Recorder(
        lambda r: httpx.Response(200, json=pages[r.url.params.get("after")])
    )
    client = client_for(api, recorder)
    ids = [item.id async for item in client.notes.list_notes_iter("nb_1", limit=1)]
    assert ids == ["n_1", "n_2"]


async def test_with_raw_response_parses_on_demand(api: ModuleType) -> None:
    recorder = Recorder(
        lambda request: httpx.Response(200, json=note(), headers={"x-request-id": "r"})
    )
    raw = await client_for(api, recorder).notes.with_raw_response.get_note("nb", "n")
    assert raw.status_code == 200 and raw.headers["x-request-id"] == "r"
    assert type(await raw.parse()) is api.models.Note


async def test_a_deprecated_operation_warns(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    with pytest.warns(DeprecationWarning):
        await client_for(api, recorder).note_books.archive_notebook("nb_1")


async def test_status_errors_are_raised(api: ModuleType) -> None:
    recorder = Recorder(lambda request: httpx.Response(409, json={"error": {}}))
    with pytest.raises(api.ConflictError):
        await client_for(api, recorder, max_retries=0).note_books.get_notebook("nb")
    assert len(recorder.requests) == 1


async def test_with_options_copies_the_async_client(
    api: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_BASE_URL", "http://127.0.0.1:9/env")
    recorder = Recorder(reply(notebook()))
    client = api.AsyncClient(http_client=recorder.async_client())
    copy = client.with_options(api_key="sk-copy")
    assert type(copy) is api.AsyncClient
    await copy.note_books.get_notebook("nb_1")
    assert str(recorder.last.url) == "http://127.0.0.1:9/env/notebooks/nb_1"
    assert recorder.last.headers["authorization"] == "Bearer sk-copy"
