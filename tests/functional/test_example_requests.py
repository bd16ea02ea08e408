"""What the generated Example Notes API client puts on the wire (API.md, "Operations").

Each test names the construct of specs/README.md it exercises.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pydantic
import pytest

from .mock import Recorder, attachment, export, json_of, note, notebook, reply

BASE = "https://api.example.com/v1"


def client_for(api: ModuleType, recorder: Recorder, **options: Any) -> Any:
    return api.Client(api_key="sk-test", http_client=recorder.sync_client(), **options)


@pytest.fixture
def notes_server() -> Recorder:
    return Recorder(reply(note()))


# -- path parameters ---------------------------------------------------------------


def test_path_parameters_are_percent_encoded(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    client_for(api, recorder).note_books.get_notebook("a/b c?#%")
    assert recorder.last.url.raw_path == b"/v1/notebooks/a%2Fb%20c%3F%23%25"


def test_two_path_parameters_fill_their_own_placeholders(
    api: ModuleType, notes_server: Recorder
) -> None:
    client_for(api, notes_server).notes.get_note("nb 1", note_id="n/2")
    assert notes_server.last.url.raw_path == b"/v1/notebooks/nb%201/notes/n%2F2"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.note_books.get_notebook(""),
        lambda c: c.note_books.delete_notebook(""),
        lambda c: c.notes.get_note("nb_1", ""),
        lambda c: c.notes.get_note("", "note_1"),
        lambda c: c.attachments.download_attachment(""),
    ],
    ids=["get_notebook", "delete_notebook", "get_note-note", "get_note-nb", "download"],
)
def test_an_empty_path_parameter_raises_value_error_before_any_io(
    api: ModuleType, call: Any
) -> None:
    recorder = Recorder(reply({}))
    with pytest.raises(ValueError, match="path parameter"):
        call(client_for(api, recorder))
    assert recorder.requests == []


# -- query and header parameters ---------------------------------------------------


def test_array_query_parameter_repeats_its_key_as_written(
    api: ModuleType, notes_server: Recorder
) -> None:
    client = client_for(api, notes_server)
    client.notes.get_note("nb_1", "note_1", include=["blocks", "thread"])
    url = notes_server.last.url
    assert url.params.get_list("include[]") == ["blocks", "thread"]
    assert url.query == b"include[]=blocks&include[]=thread"  # brackets as written


def test_boolean_query_parameters_are_true_and_false(api: ModuleType) -> None:
    recorder = Recorder(reply({"object": "list", "data": [], "has_more": False}))
    client = client_for(api, recorder)
    client.notes.list_notes("nb_1", pinned=True)
    assert recorder.last.url.params["pinned"] == "true"
    client.notes.list_notes("nb_1", pinned=False)
    assert recorder.last.url.params["pinned"] == "false"


def test_query_parameters_of_every_kind_together(api: ModuleType) -> None:
    recorder = Recorder(reply({"object": "list", "data": [], "has_more": False}))
    client_for(api, recorder).notes.list_notes(
        "nb_1",
        after="note_9",
        limit=50,
        include=["moderation"],
        order="asc",
        min_words=0,
    )
    params = recorder.last.url.params
    assert sorted(params.multi_items()) == sorted(
        [
            ("after", "note_9"),
            ("limit", "50"),
            ("include[]", "moderation"),
            ("order", "asc"),
            ("min_words", "0"),
        ]
    )


def test_optional_query_parameters_not_given_are_not_sent(api: ModuleType) -> None:
    """`order` has `default: desc` in the spec: the client still sends nothing."""
    recorder = Recorder(reply({"object": "list", "data": [], "has_more": False}))
    client_for(api, recorder).notes.list_notes("nb_1")
    assert recorder.last.url.query == b""


def test_header_parameters_are_sent_under_their_names(api: ModuleType) -> None:
    recorder = Recorder(reply(export()))
    client = client_for(api, recorder)
    client.exports.create_export(
        notebook_id="nb_1", format="text/plain", idempotency_key="key-1"
    )
    assert recorder.last.headers["Idempotency-Key"] == "key-1"
    client.exports.create_export(notebook_id="nb_1", format="text/plain")
    assert "idempotency-key" not in recorder.last.headers


# -- JSON bodies -------------------------------------------------------------------


def test_flattened_body_sends_only_the_arguments_given(
    api: ModuleType, notes_server: Recorder
) -> None:
    client_for(api, notes_server).notes.create_note("nb_1", title="Groceries")
    request = notes_server.last
    assert request.method == "POST"
    assert request.url.path == "/v1/notebooks/nb_1/notes"
    assert json_of(request) == {"title": "Groceries"}


def test_explicit_none_is_sent_as_null_for_nullable_fields(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    client_for(api, recorder).note_books.create_notebook(
        name="Ideas", description=None, schema=None, metadata=None
    )
    assert json_of(recorder.last) == {
        "name": "Ideas",
        "description": None,
        "schema": None,
        "metadata": None,
    }


def test_keyword_and_attribute_named_properties_go_out_under_wire_names(
    api: ModuleType, notes_server: Recorder
) -> None:
    """`from` (a keyword) is `from_`; `schema` (a BaseModel attribute) stays `schema`."""
    client_for(api, notes_server).notes.create_note(
        "nb_1", title="Copy", from_="note_0", tags=["a"], status="in-review"
    )
    assert json_of(notes_server.last) == {
        "title": "Copy",
        "from": "note_0",
        "tags": ["a"],
        "status": "in-review",
    }
    recorder = Recorder(reply(notebook()))
    schema = {"type": "object", "properties": {"due": {"type": "string"}}}
    client_for(api, recorder).note_books.create_notebook(name="Typed", schema=schema)
    assert json_of(recorder.last) == {"name": "Typed", "schema": schema}


def test_union_and_model_arguments_are_sent_as_json(
    api: ModuleType, notes_server: Recorder
) -> None:
    rich = api.models.RichText(format="text/markdown", text="**hi**")
    blocks = [
        {"type": "paragraph", "text": "p"},
        api.models.HeadingBlock(type="heading", text="h", level=2),
    ]
    client_for(api, notes_server).notes.create_note(
        "nb_1", title="Rich", content=rich, blocks=blocks, metadata={"k": "v"}
    )
    assert json_of(notes_server.last) == {
        "title": "Rich",
        "content": {"format": "text/markdown", "text": "**hi**"},
        "blocks": [
            {"type": "paragraph", "text": "p"},
            {"type": "heading", "text": "h", "level": 2},
        ],
        "metadata": {"k": "v"},
    }


def test_an_array_body_is_passed_as_body(
    api: ModuleType, notes_server: Recorder
) -> None:
    client_for(api, notes_server).notes.replace_note_tags(
        "nb_1", "note_1", body=["work", "urgent"]
    )
    request = notes_server.last
    assert request.method == "PUT"
    assert request.url.path == "/v1/notebooks/nb_1/notes/note_1/tags"
    assert json_of(request) == ["work", "urgent"]


def test_an_operation_without_body_sends_none(api: ModuleType) -> None:
    recorder = Recorder(lambda request: httpx.Response(204))
    client_for(api, recorder).note_books.delete_notebook("nb_1")
    assert recorder.last.method == "DELETE"
    assert recorder.last.content == b""
    assert "content-type" not in recorder.last.headers


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"name": 123}, "name: input should be a valid string"),
        ({"name": "ok", "metadata": {"k": 1}}, "metadata['k']: input should be"),
    ],
    ids=["wrong-type", "wrong-map-value"],
)
def test_a_request_that_does_not_validate_raises_before_any_io(
    api: ModuleType, arguments: dict[str, object], field: str
) -> None:
    recorder = Recorder(reply(notebook()))
    with pytest.raises(api._runtime.RequestValidationError) as info:
        client_for(api, recorder).note_books.create_notebook(**arguments)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, pydantic.ValidationError)
    assert field in str(info.value)
    assert recorder.requests == []


def test_values_the_spec_would_refuse_are_sent_for_the_server_to_judge(
    api: ModuleType, notes_server: Recorder
) -> None:
    # minLength: 1 on `name`; the API may relax its limits before the spec does.
    client_for(api, notes_server).note_books.create_notebook(name="")
    assert json_of(notes_server.last) == {"name": ""}


def test_an_enum_argument_outside_the_enum_is_sent_as_given(
    api: ModuleType,
) -> None:
    recorder = Recorder(
        lambda request: httpx.Response(
            200, content=b"mp3", headers={"content-type": "audio/mpeg"}
        )
    )
    client_for(api, recorder).notes.read_note_aloud("nb_1", "note_1", voice="robot")
    assert json_of(recorder.last)["voice"] == "robot"


def test_extra_headers_query_and_body_are_merged(
    api: ModuleType, notes_server: Recorder
) -> None:
    client_for(api, notes_server).notes.create_note(
        "nb_1",
        title="t",
        extra_headers={"X-Trace": "abc"},
        extra_query={"dry_run": True},
        extra_body={"beta_field": [1]},
    )
    request = notes_server.last
    assert request.headers["x-trace"] == "abc"
    assert request.url.params["dry_run"] == "true"
    assert json_of(request) == {"title": "t", "beta_field": [1]}


# -- multipart -----------------------------------------------------------------------


def test_multipart_upload_sends_files_form_fields_and_json_objects(
    api: ModuleType, tmp_path: Path
) -> None:
    page = tmp_path / "page1.png"
    page.write_bytes(b"PNG1")
    recorder = Recorder(reply(attachment(), status=201))
    result = client_for(api, recorder).attachments.upload_attachment(
        "nb_1",
        "note_1",
        file=b"%PDF",
        pages=[page, ("page2.txt", b"two", "text/plain")],
        caption='a """ caption',
        source={"app": "scanner", "version": "2"},
        class_="archive",
    )
    assert result.class_ == "archive"
    request = recorder.last
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = _multipart_parts(request)
    assert [name for name, _, _ in parts].count("pages") == 2
    by_name = {name: (filename, body) for name, filename, body in parts}
    assert by_name["file"][1] == b"%PDF"
    assert by_name["caption"] == (None, b'a """ caption')
    assert by_name["class"] == (None, b"archive")
    assert json.loads(by_name["source"][1]) == {"app": "scanner", "version": "2"}
    pages = [(f, body) for name, f, body in parts if name == "pages"]
    assert pages == [("page1.png", b"PNG1"), ("page2.txt", b"two")]


def _multipart_parts(
    request: httpx.Request,
) -> list[tuple[str, str | None, bytes]]:
    """(name, filename, body) of each part, parsed with the stdlib email parser."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        parts.append((name, part.get_filename(), payload))
    return parts


def test_requests_carry_the_bearer_key_and_a_user_agent(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    client_for(api, recorder).note_books.get_notebook("nb_1")
    headers = recorder.last.headers
    assert headers["authorization"] == "Bearer sk-test"
    assert headers["user-agent"].startswith("example_notes_api/1.0.0 ")
    assert str(recorder.last.url) == f"{BASE}/notebooks/nb_1"
