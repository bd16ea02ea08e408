"""What the generated Example Notes API client returns (API.md, "Results" and "Models")."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from .mock import (
    Recorder,
    attachment,
    audit_event,
    export,
    json_of,
    note,
    note_summary,
    notebook,
    reply,
    sse,
    user,
)


def client_for(api: ModuleType, recorder: Recorder, **options: Any) -> Any:
    return api.Client(api_key="sk-test", http_client=recorder.sync_client(), **options)


def test_no_content_returns_none(api: ModuleType) -> None:
    recorder = Recorder(lambda request: httpx.Response(204))
    assert client_for(api, recorder).note_books.delete_notebook("nb_1") is None


def test_text_plain_returns_str(api: ModuleType) -> None:
    recorder = Recorder(
        lambda request: httpx.Response(
            200, text="ok", headers={"content-type": "text/plain"}
        )
    )
    result = client_for(api, recorder).health.get_health()
    assert result == "ok" and type(result) is str
    assert recorder.last.url.path == "/v1/health"


@pytest.mark.parametrize("media_type", ["audio/mpeg", "application/octet-stream"])
def test_binary_responses_are_binary_response_objects(
    api: ModuleType, media_type: str, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 4
    recorder = Recorder(
        lambda request: httpx.Response(
            200, content=data, headers={"content-type": media_type}
        )
    )
    client = client_for(api, recorder)
    speech = client.notes.read_note_aloud("nb_1", "note_1", voice="nova", speed=1.5)
    assert json_of(recorder.last) == {"voice": "nova", "speed": 1.5}
    assert isinstance(speech, api.BinaryResponse)
    assert speech.content == data
    download = client.attachments.download_attachment("att_1")
    assert isinstance(download, api.BinaryResponse)
    target = tmp_path / "file.bin"
    download.write_to_file(target)
    assert target.read_bytes() == data


def test_json_response_is_the_response_model(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook(archived=True)))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    assert type(result) is api.models.Notebook
    assert (result.id, result.name, result.archived) == ("nb_1", "Ideas", True)
    assert result.self_link == "https://api.example.com/v1/notebooks/nb_1"


def test_response_models_keep_unknown_fields(api: ModuleType) -> None:
    payload = notebook(
        shared_with=["u_2"],
        root_folder={"id": "f_1", "name": "root", "children": [], "colour": "teal"},
    )
    recorder = Recorder(reply(payload))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    assert result.model_extra == {"shared_with": ["u_2"]}
    assert result.root_folder.model_extra == {"colour": "teal"}
    assert result.model_dump(by_alias=True)["shared_with"] == ["u_2"]


@pytest.mark.parametrize(
    ("payload", "call", "read"),
    [
        (
            export(status="paused"),
            lambda c: c.exports.create_export(notebook_id="nb_1", format="text/plain"),
            lambda r: r.status,
        ),
        (
            attachment(content_type="image/webp"),
            lambda c: c.attachments.upload_attachment("nb_1", "note_1", file=b"x"),
            lambda r: r.content_type,
        ),
    ],
    ids=["Export.status", "Attachment.content_type"],
)
def test_an_unknown_enum_value_in_a_response_is_kept_not_raised(
    api: ModuleType, payload: dict[str, object], call: Any, read: Any
) -> None:
    recorder = Recorder(reply(payload))
    result = call(client_for(api, recorder))
    assert read(result) in ("paused", "image/webp")


def test_an_unknown_note_status_is_kept(api: ModuleType) -> None:
    recorder = Recorder(reply(note(status="archived")))
    result = client_for(api, recorder).notes.get_note("nb_1", "note_1")
    status = getattr(
        result.status, "root", result.status
    )  # NoteStatus may be a root model
    assert status == "archived"


def test_non_identifier_property_names_are_read_from_their_wire_names(
    api: ModuleType,
) -> None:
    moderation = {
        "flagged": True,
        "categories": {"hate": False, "hate/threatening": True, "self-harm": False},
    }
    recorder = Recorder(reply(note(moderation=moderation, attachments=[attachment()])))
    result = client_for(api, recorder).notes.get_note("nb_1", "note_1")
    assert result.moderation.categories.hate_threatening is True
    assert result.moderation.categories.self_harm is False
    assert result.attachments[0].class_ == "archive"
    assert result.self_link.endswith("/notes/note_1")
    audit = api.models.AuditEvent.model_validate(audit_event())
    assert audit.x_count == 3
    owner = api.models.User.model_validate(user())
    assert owner.model_dump(by_alias=True)["2fa_enabled"] is True
    assert owner.model_extra == {}  # `2fa_enabled` was read into its field


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (
            "NoteModerationCategories",
            {"hate": False, "hate/threatening": True, "self-harm": False},
        ),
        ("AuditEvent", audit_event()),
        ("Attachment", attachment()),
        ("User", user()),
        ("Notebook", notebook(schema={"type": "object"})),
    ],
)
def test_models_dump_back_to_their_wire_names(
    api: ModuleType, model: str, payload: dict[str, object]
) -> None:
    cls = getattr(api.models, model)
    dumped = cls.model_validate(payload).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    assert dumped == payload


def test_blocks_parse_into_their_variant_classes_by_type_tag(api: ModuleType) -> None:
    blocks = [
        {"type": "paragraph", "text": "p"},
        {"type": "heading", "text": "h", "level": 2},
        {
            "type": "list",
            "items": [
                {"type": "list", "items": [{"type": "paragraph", "text": "deep"}]}
            ],
        },
    ]
    recorder = Recorder(reply(note(blocks=blocks)))
    result = client_for(api, recorder).notes.get_note("nb_1", "note_1")
    variants = [getattr(block, "root", block) for block in result.blocks]
    models = api.models
    assert [type(v) for v in variants] == [
        models.ParagraphBlock,
        models.HeadingBlock,
        models.ListBlock,
    ]
    assert variants[1].level == 2
    inner = getattr(variants[2].items[0], "root", variants[2].items[0])
    assert type(inner) is models.ListBlock
    deepest = getattr(inner.items[0], "root", inner.items[0])
    assert type(deepest) is models.ParagraphBlock and deepest.text == "deep"


def test_events_parse_into_the_variant_their_discriminator_maps(
    api: ModuleType,
) -> None:
    events = [
        {"type": "note.created", "sequence": 1, "note": note_summary()},
        {"type": "note.deleted", "sequence": 2, "note_id": "note_1"},
        {"type": "export.progress", "sequence": 3, "percent": 40, "export": export()},
    ]
    models = api.models
    parsed = [getattr(e, "root", e) for e in map(models.Event.model_validate, events)]
    assert [type(e) for e in parsed] == [
        models.NoteCreatedEvent,
        models.NoteDeletedEvent,
        models.ExportProgressEvent,
    ]
    assert parsed[2].export.status == "queued"


def test_the_event_stream_yields_parsed_events_and_stops_at_done(
    api: ModuleType,
) -> None:
    events = [
        {"type": "note.deleted", "sequence": 7, "note_id": "note_1"},
        {"type": "export.progress", "sequence": 8, "percent": 99, "export": export()},
    ]
    recorder = Recorder(
        lambda request: httpx.Response(
            200, content=sse(events), headers={"content-type": "text/event-stream"}
        )
    )
    client = client_for(api, recorder)
    with client.events.stream_events(last_event_id="6", notebook_id="nb_1") as stream:
        received = [getattr(event, "root", event) for event in stream]
    assert [type(e).__name__ for e in received] == [
        "NoteDeletedEvent",
        "ExportProgressEvent",
    ]
    assert [e.sequence for e in received] == [7, 8]
    request = recorder.last
    assert request.headers["last-event-id"] == "6"
    assert request.headers["accept"] == "text/event-stream"
    assert request.url.params["notebook_id"] == "nb_1"


def test_recursive_folders_parse_at_every_depth(api: ModuleType) -> None:
    leaf = {"id": "f_3", "name": "leaf", "children": []}
    tree = {
        "id": "f_1",
        "name": "root",
        "children": [{"id": "f_2", "name": "mid", "children": [leaf]}],
    }
    recorder = Recorder(reply(notebook(root_folder=tree)))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    deepest = result.root_folder.children[0].children[0]
    assert type(deepest) is api.models.Folder
    assert (deepest.id, deepest.children) == ("f_3", [])


def test_mutually_recursive_threads_and_comments_parse(api: ModuleType) -> None:
    thread = {
        "id": "t_1",
        "comments": [
            {
                "id": "c_1",
                "author": user(),
                "text": "first",
                "replies": {
                    "id": "t_2",
                    "comments": [{"id": "c_2", "author": user(), "text": "reply"}],
                },
            }
        ],
    }
    recorder = Recorder(reply(note(thread=thread)))
    result = client_for(api, recorder).notes.get_note("nb_1", "note_1")
    reply_comment = result.thread.comments[0].replies.comments[0]
    assert type(result.thread) is api.models.Thread
    assert type(reply_comment) is api.models.Comment
    assert reply_comment.text == "reply"


def test_a_ref_chain_component_reads_like_its_target(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    assert result.owner.id == "u_1"


def test_an_enum_component_field_compares_equal_to_its_value(api: ModuleType) -> None:
    recorder = Recorder(reply(note(status="draft")))
    result = client_for(api, recorder).notes.get_note("nb_1", "note_1")
    assert result.status == "draft"
    assert api.models.Export.model_validate(export()).format == "text/plain"


def test_a_map_component_reads_as_a_dict_of_its_values(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook(metadata={"team": "blue"})))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    metadata = getattr(result.metadata, "root", result.metadata)
    assert metadata == {"team": "blue"}


def test_required_nullable_fields_accept_null_when_validated(api: ModuleType) -> None:
    parsed = api.models.Export.model_validate(export(expires_at=None))
    assert parsed.expires_at is None


def test_required_nullable_null_in_a_response_is_still_returned(
    api: ModuleType,
) -> None:
    """Whatever the model says, the client never raises on a null from the server."""
    recorder = Recorder(reply(notebook(description=None)))
    result = client_for(api, recorder).note_books.get_notebook("nb_1")
    assert result.description is None


def test_with_raw_response_exposes_status_headers_and_parse(api: ModuleType) -> None:
    recorder = Recorder(
        lambda request: httpx.Response(
            201, json=notebook(), headers={"x-request-id": "req_1"}
        )
    )
    client = client_for(api, recorder)
    raw = client.note_books.with_raw_response.create_notebook(name="Ideas")
    assert raw.status_code == 201
    assert raw.headers["x-request-id"] == "req_1"
    assert isinstance(raw.http_response, httpx.Response)
    parsed = raw.parse()
    assert type(parsed) is api.models.Notebook and parsed.id == "nb_1"
    assert raw.parse() is parsed


def test_with_raw_response_of_text_and_empty_results(api: ModuleType) -> None:
    recorder = Recorder(
        lambda request: (
            httpx.Response(204)
            if request.method == "DELETE"
            else httpx.Response(200, text="ok", headers={"content-type": "text/plain"})
        )
    )
    client = client_for(api, recorder)
    assert client.health.with_raw_response.get_health().parse() == "ok"
    deleted = client.note_books.with_raw_response.delete_notebook("nb_1")
    assert deleted.status_code == 204 and deleted.parse() is None


def test_status_errors_carry_status_and_parsed_body(api: ModuleType) -> None:
    error = {
        "message": "No such notebook",
        "type": "not_found",
        "param": None,
        "code": None,
    }
    recorder = Recorder(lambda request: httpx.Response(404, json={"error": error}))
    client = client_for(api, recorder, max_retries=0)
    with pytest.raises(api.NotFoundError) as info:
        client.note_books.get_notebook("nb_x")
    assert info.value.status_code == 404
    assert info.value.body == error
    assert "sk-test" not in str(info.value) + repr(info.value)


def test_cursor_pagination_follows_last_id(api: ModuleType) -> None:
    pages = {
        None: {
            "object": "list",
            "data": [notebook("nb_1"), notebook("nb_2")],
            "has_more": True,
            "first_id": "nb_1",
            "last_id": "nb_2",
        },
        "nb_2": {
            "object": "list",
            "data": [notebook("nb_3")],
            "has_more": False,
            "first_id": "nb_3",
            "last_id": "nb_3",
        },
    }
    recorder = Recorder(
        lambda r: httpx.Response(200, json=pages[r.url.params.get("after")])
    )
    client = client_for(api, recorder)
    ids = [
        nb.id for nb in client.note_books.list_notebooks_iter(limit=2, archived=False)
    ]
    assert ids == ["nb_1", "nb_2", "nb_3"]
    assert [dict(r.url.params) for r in recorder.requests] == [
        {"limit": "2", "archived": "false"},
        {"limit": "2", "archived": "false", "after": "nb_2"},
    ]


def test_pagination_without_last_id_uses_the_last_items_id(api: ModuleType) -> None:
    pages = {
        None: {
            "object": "list",
            "data": [note_summary("n_1"), note_summary("n_2")],
            "has_more": True,
        },
        "n_2": {"object": "list", "data": [note_summary("n_3")], "has_more": False},
    }
    recorder = Recorder(
        lambda r: httpx.Response(200, json=pages[r.url.params.get("after")])
    )
    items = list(client_for(api, recorder).notes.list_notes_iter("nb_1"))
    assert [type(i) for i in items] == [api.models.NoteSummary] * 3
    assert [i.id for i in items] == ["n_1", "n_2", "n_3"]
    assert len(recorder.requests) == 2


def test_audit_events_list_is_not_paginated(api: ModuleType) -> None:
    resource = type(api.Client(base_url="https://x.test").audit_log)
    assert hasattr(resource, "list_audit_events")
    assert not hasattr(resource, "list_audit_events_iter")


def test_create_summary_without_stream_returns_the_response_model(
    api: ModuleType,
) -> None:
    summary = {
        "id": "s_1",
        "object": "summary",
        "model": "gpt-4o",
        "text": "short",
        "created_at": 1700000000,
    }
    recorder = Recorder(reply(summary))
    result = client_for(api, recorder).notes.create_summary(
        "nb_1", "note_1", model="3-sentence", max_tokens=50
    )
    assert type(result) is api.models.CreateSummaryResponse and result.text == "short"
    assert json_of(recorder.last) == {"model": "3-sentence", "max_tokens": 50}


CHUNKS = [
    {"id": "s_1", "object": "summary.chunk", "delta": "sh", "finish_reason": None},
    {"id": "s_1", "object": "summary.chunk", "delta": "ort", "finish_reason": "stop"},
]


def _summary_stream_server() -> Recorder:
    return Recorder(
        lambda request: httpx.Response(
            200, content=sse(CHUNKS), headers={"content-type": "text/event-stream"}
        )
    )


def test_create_summary_with_stream_true_sends_stream_and_streams(
    api: ModuleType,
) -> None:
    recorder = _summary_stream_server()
    client = client_for(api, recorder)
    with client.notes.create_summary(
        "nb_1", "note_1", model="gpt-4o", stream=True
    ) as s:
        received = list(s)
    assert len(received) == 2
    assert json_of(recorder.last) == {"model": "gpt-4o", "stream": True}


def test_create_summary_stream_without_declared_events_yields_server_sent_events(
    api: ModuleType,
) -> None:
    # createSummary declares only application/json: with no event schema in the spec, the
    # chunks are ServerSentEvents (issue 3: "where the spec declares none, yield a
    # ServerSentEvent"), whose JSON is still at hand.
    client = client_for(api, _summary_stream_server())
    with client.notes.create_summary(
        "nb_1", "note_1", model="gpt-4o", stream=True
    ) as s:
        received = list(s)
    assert [type(c) for c in received] == [api.ServerSentEvent] * 2
    assert "".join(c.json()["delta"] for c in received) == "short"
