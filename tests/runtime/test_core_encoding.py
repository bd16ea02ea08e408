"""Request encoding: path parameters, query strings, headers, JSON/form/multipart/raw
bodies, extra_* options (httpx.MockTransport, no network)."""

from __future__ import annotations

import enum
import json
import sys
import types
from collections.abc import Mapping
from urllib.parse import parse_qsl

import httpx
import pydantic
import pytest

from oag_runtime import (
    NOT_GIVEN,
    ClientConfig,
    Operation,
    RequestValidationError,
    SyncAPIClient,
)
from oag_runtime._encoding import build_path, encode_query

CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")


class Client(SyncAPIClient):
    _config = CONFIG


class Color(str, enum.Enum):
    RED = "red"


def recording_client() -> tuple[list[httpx.Request], Client]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return seen, Client(api_key="sk-x", http_client=http)


def query_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


# -- path parameters ------------------------------------------------------------


def test_path_params_are_percent_encoded_including_slashes() -> None:
    seen, client = recording_client()
    op = Operation("getFile", "get", "/orgs/{org}/files/{file_id}")
    client.request(op, object, path_params={"org": "a b", "file_id": "x/../y?z#"})
    assert seen[0].url.raw_path == b"/v1/orgs/a%20b/files/x%2F..%2Fy%3Fz%23"


@pytest.mark.parametrize("value", ["", None, NOT_GIVEN])
def test_empty_path_param_raises_before_any_io(value: object) -> None:
    seen, client = recording_client()
    op = Operation("getFile", "get", "/files/{file_id}")
    with pytest.raises(ValueError, match="file_id"):
        client.request(op, object, path_params={"file_id": value})
    with pytest.raises(ValueError, match="file_id"):
        client.request(op, object)
    assert seen == []


def test_build_path_values() -> None:
    assert build_path("/a/{x}/b/{y}", {"x": 12, "y": Color.RED}) == "/a/12/b/red"
    assert build_path("/plain", None) == "/plain"
    assert build_path("/{x}", {"x": True}) == "/true"


# -- query ----------------------------------------------------------------------


def test_query_encoding_rules() -> None:
    seen, client = recording_client()
    op = Operation("list", "get", "/things")
    client.request(
        op,
        object,
        query={
            "include[]": ["a.b", "c"],
            "stream": True,
            "verbose": False,
            "limit": 10,
            "ratio": 0.5,
            "skip": None,
            "order": NOT_GIVEN,
            "color": Color.RED,
            "tags": ("x", "y"),
            "text": "a b&c",
        },
    )
    assert query_pairs(seen[0]) == [
        ("include[]", "a.b"),
        ("include[]", "c"),
        ("stream", "true"),
        ("verbose", "false"),
        ("limit", "10"),
        ("ratio", "0.5"),
        ("color", "red"),
        ("tags", "x"),
        ("tags", "y"),
        ("text", "a b&c"),
    ]
    assert b"a%20b%26c" in seen[0].url.query  # spaces as %20, not "+"


def test_query_styles() -> None:
    styles = {
        "metadata": "deepObject",
        "filter": "form",
        "ids": "form:noexplode",
        "words": "spaceDelimited",
        "pipes": "pipeDelimited",
    }
    out: list[tuple[str, str]] = []
    encode_query(
        {
            "metadata": {"team": "blue", "nested": {"k": 1}, "gone": None},
            "filter": {"status": "open", "mine": True},
            "ids": [1, 2, 3],
            "words": ["a", "b"],
            "pipes": ["a", "b"],
        },
        styles,
        out,
    )
    assert out == [
        ("metadata[team]", "blue"),
        ("metadata[nested][k]", "1"),
        ("status", "open"),
        ("mine", "true"),
        ("ids", "1,2,3"),
        ("words", "a b"),
        ("pipes", "a|b"),
    ]


def test_object_query_param_without_explode() -> None:
    out: list[tuple[str, str]] = []
    encode_query({"point": {"x": 1, "y": 2}}, {"point": "form:noexplode"}, out)
    assert out == [("point", "x,1,y,2")]


def test_op_query_styles_and_extra_query_reach_the_url() -> None:
    seen, client = recording_client()
    op = Operation("list", "get", "/things", query_styles={"metadata": "deepObject"})
    client.request(
        op,
        object,
        query={"metadata": {"a": "1"}},
        extra_query={"debug": True, "trace": ["t1", "t2"]},
    )
    assert query_pairs(seen[0]) == [
        ("metadata[a]", "1"),
        ("debug", "true"),
        ("trace", "t1"),
        ("trace", "t2"),
    ]


def test_wire_names_with_brackets_reach_the_wire_as_written() -> None:
    # Issue 8: `project_ids[]` is matched literally by servers, brackets included.
    seen, client = recording_client()
    op = Operation(
        "list-audit-logs",
        "get",
        "/organization/audit_logs",
        query_styles={"effective_at": "deepObject"},
    )
    client.request(
        op,
        object,
        query={
            "effective_at": {"gt": 1700000000, "lte": 1800000000},
            "project_ids[]": ["proj_a", "proj b"],
            "event_types[]": NOT_GIVEN,
            "limit": 5,
        },
        extra_query={"tags[]": ("x[1]",)},
    )
    assert seen[0].url.raw_path == (
        b"/v1/organization/audit_logs?effective_at[gt]=1700000000"
        b"&effective_at[lte]=1800000000&project_ids[]=proj_a&project_ids[]=proj%20b"
        b"&limit=5&tags[]=x%5B1%5D"  # brackets in values are data: encoded
    )


def test_without_deep_object_style_an_object_is_exploded_as_form() -> None:
    seen, client = recording_client()
    op = Operation("list", "get", "/things")
    client.request(op, object, query={"effective_at": {"gt": 1}})
    assert seen[0].url.raw_path == b"/v1/things?gt=1"


# -- headers --------------------------------------------------------------------


def test_header_params_and_extra_headers() -> None:
    seen, client = recording_client()
    op = Operation("list", "get", "/things")
    client.request(
        op,
        object,
        headers={"OpenAI-Beta": "assistants=v2", "X-Count": 3, "X-None": None},
        extra_headers={"X-Extra": "1", "openai-beta": "override"},
    )
    headers = seen[0].headers
    assert headers.get_list("openai-beta") == ["override"]
    assert headers["x-count"] == "3" and headers["x-extra"] == "1"
    assert "x-none" not in headers


def test_extra_headers_none_removes_a_default_header() -> None:
    seen, client = recording_client()
    op = Operation("list", "get", "/things")
    client.request(op, object, extra_headers={"Authorization": None})  # type: ignore[dict-item]
    assert "authorization" not in seen[0].headers


# -- JSON bodies ----------------------------------------------------------------


class Settings(pydantic.BaseModel):
    level: int
    label: str | None = None


class CreateThing(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    name: str
    size: int | None = None
    note: str | None = None
    hate_threatening: bool | None = pydantic.Field(None, alias="hate/threatening")
    settings: Settings | None = None


CREATE = Operation("createThing", "post", "/things", body="json")


def sent_json(request: httpx.Request) -> object:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def test_json_body_drops_not_given_and_keeps_explicit_none() -> None:
    seen, client = recording_client()
    client.request(CREATE, object, body={"name": "a", "size": NOT_GIVEN, "note": None})
    assert sent_json(seen[0]) == {"name": "a", "note": None}


def test_json_body_dumps_models_inside_by_alias_and_unset() -> None:
    seen, client = recording_client()
    client.request(
        CREATE,
        object,
        body={"name": "a", "settings": Settings(level=1), "items": [Settings(level=2)]},
    )
    assert sent_json(seen[0]) == {
        "name": "a",
        "settings": {"level": 1},
        "items": [{"level": 2}],
    }


def test_body_model_checks_the_body_and_sends_it_as_given() -> None:
    seen, client = recording_client()
    client.request(
        CREATE,
        object,
        body={
            "name": "a",
            "hate/threatening": True,
            "note": None,
            "size": NOT_GIVEN,
            "settings": {"level": 3, "unknown": [1]},
        },
        body_model=CreateThing,
    )
    # wire names as given, None kept, absent left out, extra members kept
    assert sent_json(seen[0]) == {
        "name": "a",
        "hate/threatening": True,
        "note": None,
        "settings": {"level": 3, "unknown": [1]},
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"size": 1}, "name: field required"),
        ({"name": "a", "size": "big"}, "size: input should be a valid integer"),
        # never coerced: the body goes out as given, so "3" would reach the server
        ({"name": "a", "settings": {"level": "3"}}, "settings.level: input should be"),
        ({"name": "a", "settings": {}}, "settings.level: field required"),
        ({"name": 5}, "name: input should be a valid string"),
    ],
)
def test_body_model_rejects_a_wrong_structure_before_any_io(
    body: dict[str, object], problem: str
) -> None:
    seen, client = recording_client()
    with pytest.raises(RequestValidationError) as caught:
        client.request(CREATE, object, body=body, body_model=CreateThing)
    assert seen == []
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert str(caught.value).startswith("createThing: invalid request body: ")
    assert problem in str(caught.value)


def test_extra_body_is_merged_last() -> None:
    seen, client = recording_client()
    client.request(
        CREATE,
        object,
        body={"name": "a", "size": 1},
        body_model=CreateThing,
        extra_body={"size": "unchecked", "beta_flag": True},
    )
    assert sent_json(seen[0]) == {"name": "a", "size": "unchecked", "beta_flag": True}


def test_non_object_json_body() -> None:
    seen, client = recording_client()
    client.request(CREATE, object, body=[1, "two", None])
    client.request(CREATE, object, body="just text")
    assert sent_json(seen[0]) == [1, "two", None]
    assert sent_json(seen[1]) == "just text"
    with pytest.raises(TypeError, match="extra_body"):
        client.request(CREATE, object, body=[1], extra_body={"x": 1})


def test_json_body_not_given_sends_no_body() -> None:
    seen, client = recording_client()
    client.request(CREATE, object)
    assert seen[0].content == b"" and "content-type" not in seen[0].headers


def test_json_body_is_compact_utf8() -> None:
    seen, client = recording_client()
    client.request(CREATE, object, body={"name": "héllo ✓"})
    assert seen[0].content == '{"name":"héllo ✓"}'.encode()


# -- form, raw and multipart bodies -----------------------------------------------


def test_form_body() -> None:
    seen, client = recording_client()
    op = Operation("token", "post", "/token", body="form")
    client.request(
        op,
        object,
        body={"grant_type": "password", "scope": ["a", "b"], "skip": NOT_GIVEN},
        extra_body={"client_id": "c1"},
    )
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(seen[0].content.decode()) == [
        ("grant_type", "password"),
        ("scope", "a"),
        ("scope", "b"),
        ("client_id", "c1"),
    ]


def test_raw_body() -> None:
    seen, client = recording_client()
    op = Operation("upload", "put", "/blob", body="raw")
    client.request(op, object, body=b"\x00\x01binary")
    client.request(op, object, body=b"{}", headers={"Content-Type": "text/csv"})
    assert seen[0].content == b"\x00\x01binary"
    assert seen[0].headers["content-type"] == "application/octet-stream"
    assert seen[1].headers["content-type"] == "text/csv"


@pytest.fixture
def multipart_stand_in(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replaces `_multipart` (owned elsewhere) by its documented interface."""
    calls: list[object] = []

    def build_multipart(
        fields: Mapping[str, object], file_fields: frozenset[str]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, object]], bool]:
        calls.append((dict(fields), file_fields))
        form = [(k, str(v)) for k, v in fields.items() if k not in file_fields]
        files: list[tuple[str, object]] = [
            (k, ("f.bin", v, "application/octet-stream"))
            for k, v in fields.items()
            if k in file_fields
        ]
        return form, files, True

    module = types.ModuleType("oag_runtime._multipart")
    module.build_multipart = build_multipart  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "oag_runtime._multipart", module)
    return calls


def test_multipart_body_with_files(multipart_stand_in: list[object]) -> None:
    seen, client = recording_client()
    op = Operation(
        "createFile",
        "post",
        "/files",
        body="multipart",
        file_fields=frozenset({"file"}),
    )
    client.request(
        op,
        object,
        body={"file": b"DATA", "purpose": "fine-tune"},
        extra_body={"tag": "t"},
    )
    assert multipart_stand_in == [
        ({"file": b"DATA", "purpose": "fine-tune", "tag": "t"}, frozenset({"file"}))
    ]
    content_type = seen[0].headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = seen[0].content
    assert b'name="purpose"\r\n\r\nfine-tune' in body
    assert b'name="tag"\r\n\r\nt' in body
    assert b'name="file"; filename="f.bin"' in body and b"DATA" in body


def test_multipart_body_without_files_stays_multipart(
    multipart_stand_in: list[object],
) -> None:
    seen, client = recording_client()
    op = Operation("note", "post", "/notes", body="multipart")
    client.request(op, object, body={"text": 'say "hi"', "n": 2})
    content_type = seen[0].headers["content-type"]
    boundary = content_type.split("boundary=")[1]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert (
        seen[0].content
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
            f'say "hi"\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="n"\r\n\r\n2\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )
