"""Issue 8, runtime: request bodies stay forward compatible. Unknown enum values, values
beyond the spec's limits and extra members are sent as given; a structurally wrong body
(a required member missing, a wrong type) raises RequestValidationError, naming where,
before any I/O; JSON, multipart and form bodies alike (httpx.MockTransport)."""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

import httpx
import pydantic
import pytest

from oag_runtime import (
    NOT_GIVEN,
    AsyncAPIClient,
    ClientConfig,
    Operation,
    RequestValidationError,
    SyncAPIClient,
)
from oag_runtime import _validation

CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")
CHAT = Operation("createChatCompletion", "post", "/chat/completions", body="json")
UPLOAD = Operation(
    "createFile",
    "post",
    "/files",
    body="multipart",
    file_fields=frozenset({"file", "extra_files"}),
)
FORM = Operation("createToken", "post", "/token", body="form")


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


class Base(pydantic.BaseModel):
    """Like the generated base model."""

    model_config = pydantic.ConfigDict(
        extra="allow", validate_by_name=True, validate_by_alias=True, defer_build=True
    )


class TextPart(Base):
    type: Literal["text"]
    text: str


class ImagePart(Base):
    type: Literal["image_url"]
    image_url: str


class UserMessage(Base):
    role: Literal["user"]
    content: Union[str, list[Annotated[Union[TextPart, ImagePart], pydantic.Field(discriminator="type")]]]  # fmt: skip
    name: str | None = None


class SystemMessage(Base):
    role: Literal["system"]
    content: str


class NamedToolChoice(Base):
    type: Literal["function"]
    function: dict[str, str]


class ChatRequest(Base):
    messages: list[Annotated[Union[UserMessage, SystemMessage], pydantic.Field(discriminator="role")]]  # fmt: skip
    model: str
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    service_tier: Literal["auto", "default"] | None = None
    tool_choice: Union[Literal["none", "auto", "required"], NamedToolChoice] | None = (
        None
    )
    temperature: Annotated[float, pydantic.Field(ge=0, le=2)] | None = None
    n: Annotated[int, pydantic.Field(ge=1, le=128)] | None = None
    stop: Annotated[str, pydantic.Field(max_length=10)] | None = None
    hate_threatening: bool | None = pydantic.Field(None, alias="hate/threatening")


class FileRequest(Base):
    file: bytes
    purpose: Literal["assistants", "batch", "fine-tune", "vision"]
    extra_files: list[bytes] | None = None
    expires_after: int | None = None


class TokenRequest(Base):
    grant_type: Literal["client_credentials", "refresh_token"]
    scope: str | None = None


MESSAGES = [{"role": "user", "content": "hi"}]


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(200, json={"id": "x"})

    def client(self) -> Client:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return Client(api_key="sk-test", http_client=http)

    def async_client(self) -> AsyncClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return AsyncClient(api_key="sk-test", http_client=http)

    def json(self) -> object:
        return json.loads(self.requests[-1].content)


def chat(client: Client, **members: object) -> object:
    return client.request(CHAT, object, body=members, body_model=ChatRequest)


# -- sent as given ----------------------------------------------------------------


def test_unknown_enum_values_are_sent_unchanged() -> None:
    recorder = Recorder()
    chat(
        recorder.client(),
        messages=MESSAGES,
        model="gpt-4o",
        reasoning_effort="minimal",
        service_tier="flex",
        tool_choice="any",
    )
    assert recorder.json() == {
        "messages": MESSAGES,
        "model": "gpt-4o",
        "reasoning_effort": "minimal",
        "service_tier": "flex",
        "tool_choice": "any",
    }


def test_extra_members_are_sent_unchanged_at_every_depth() -> None:
    recorder = Recorder()
    messages = [{"role": "user", "content": "hi", "cache_hint": {"ttl": 5}}]
    chat(recorder.client(), messages=messages, model="gpt-4o", new_option=[1, 2])
    assert recorder.json() == {
        "messages": messages,
        "model": "gpt-4o",
        "new_option": [1, 2],
    }


def test_values_beyond_the_specs_limits_are_the_servers_to_judge() -> None:
    recorder = Recorder()
    chat(
        recorder.client(),
        messages=MESSAGES,
        model="gpt-4o",
        temperature=2.5,
        n=500,
        stop="a stop sequence longer than ten",
    )
    sent = recorder.json()
    assert isinstance(sent, dict)
    assert (sent["temperature"], sent["n"]) == (2.5, 500)


def test_models_and_aliases_inside_the_body_are_accepted() -> None:
    recorder = Recorder()
    message = UserMessage(role="user", content=[TextPart(type="text", text="hi")])
    members = {"messages": [message], "model": "m", "hate/threatening": True}
    recorder.client().request(CHAT, object, body=members, body_model=ChatRequest)
    assert recorder.json() == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "model": "m",
        "hate/threatening": True,
    }


def test_not_given_is_left_out_and_none_sent_as_null() -> None:
    recorder = Recorder()
    chat(
        recorder.client(),
        messages=MESSAGES,
        model="m",
        reasoning_effort=None,
        temperature=NOT_GIVEN,
    )
    assert recorder.json() == {
        "messages": MESSAGES,
        "model": "m",
        "reasoning_effort": None,
    }


# -- structurally wrong: RequestValidationError before any I/O ------------------


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        (
            {"messages": [{"role": "user"}], "model": "m"},
            "messages[0].content: field required",
        ),
        ({"messages": MESSAGES}, "model: field required"),
        (
            {
                "messages": [{"role": "user", "content": [{"type": "text"}]}],
                "model": "m",
            },
            "messages[0].content[0].text: field required",
        ),
        (
            {"messages": [{"role": "wizard", "content": "x"}], "model": "m"},
            "messages[0]: input tag 'wizard'",
        ),
        ({"messages": "hi", "model": "m"}, "messages: input should be a valid list"),
        (
            {"messages": MESSAGES, "model": "m", "temperature": "hot"},
            "temperature: input should be a valid number",
        ),
        # strict: the body is sent as given, so "2" would reach the server as a string
        (
            {"messages": MESSAGES, "model": "m", "n": "2"},
            "n: input should be a valid integer",
        ),
        ({"messages": MESSAGES, "model": 4}, "model: input should be a valid string"),
        (
            {"messages": MESSAGES, "model": "m", "tool_choice": 5},
            "tool_choice: input should be a valid string",
        ),
    ],
)
def test_a_structurally_wrong_json_body_is_rejected_before_any_io(
    members: dict[str, object], problem: str
) -> None:
    recorder = Recorder()
    with pytest.raises(RequestValidationError) as caught:
        recorder.client().request(CHAT, object, body=members, body_model=ChatRequest)
    assert recorder.requests == []
    error = caught.value
    assert isinstance(error, ValueError)
    assert not isinstance(error, pydantic.ValidationError)
    assert error.__cause__ is None and error.__suppress_context__
    message = str(error)
    assert message.startswith("createChatCompletion: invalid request body: ")
    assert problem in message
    assert "\x00" not in message  # no union member labels in the paths
    assert error.operation == "createChatCompletion"
    assert any(problem.startswith(f"{path}: ") for path, _ in error.errors)


async def test_async_a_structurally_wrong_json_body_is_rejected_before_any_io() -> None:
    recorder = Recorder()
    client = recorder.async_client()
    with pytest.raises(RequestValidationError, match=r"messages\[0\].content"):
        await client.request(
            CHAT,
            object,
            body={"messages": [{"role": "user"}], "model": "m"},
            body_model=ChatRequest,
        )
    assert recorder.requests == []
    await client.request(
        CHAT,
        object,
        body={"messages": MESSAGES, "model": "m", "reasoning_effort": "minimal"},
        body_model=ChatRequest,
    )
    assert recorder.json() == {
        "messages": MESSAGES,
        "model": "m",
        "reasoning_effort": "minimal",
    }


def test_many_problems_are_listed_up_to_five() -> None:
    recorder = Recorder()
    members = {
        "messages": [{"role": "user"}] * 7,
        "model": "m",
    }
    with pytest.raises(RequestValidationError) as caught:
        recorder.client().request(CHAT, object, body=members, body_model=ChatRequest)
    assert len(caught.value.errors) == 7
    assert str(caught.value).endswith("(and 2 more)")
    assert "messages[4].content" in str(caught.value)
    assert "messages[5].content" not in str(caught.value)


def test_a_required_member_given_in_extra_body_counts_as_present() -> None:
    recorder = Recorder()
    recorder.client().request(
        CHAT,
        object,
        body={"messages": MESSAGES},
        body_model=ChatRequest,
        extra_body={"model": "from-extra"},
    )
    assert recorder.json() == {"messages": MESSAGES, "model": "from-extra"}


# -- multipart and form bodies ----------------------------------------------------


def upload(client: Client, **fields: object) -> object:
    return client.request(UPLOAD, object, body=fields, body_model=FileRequest)


@pytest.mark.parametrize(
    "file",
    [
        b"line\n",
        ("batch.jsonl", b"line\n", "application/jsonl"),
        ("batch.jsonl", b"line\n"),
    ],
    ids=["bytes", "tuple3", "tuple2"],
)
def test_multipart_takes_any_file_input_and_a_new_enum_value(file: object) -> None:
    recorder = Recorder()
    upload(recorder.client(), file=file, purpose="evals", expires_after=NOT_GIVEN)
    body = recorder.requests[0].content
    assert b'name="purpose"\r\n\r\nevals\r\n' in body
    assert b"line\n" in body


def test_multipart_takes_a_path_and_a_list_of_files(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"from disk\n")
    recorder = Recorder()
    upload(recorder.client(), file=path, purpose="batch", extra_files=[b"a", b"b"])
    body = recorder.requests[0].content
    assert b"from disk\n" in body and body.count(b'name="extra_files"') == 2


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"purpose": "batch"}, "file: field required"),
        ({"file": None, "purpose": "batch"}, "file: field required"),  # None: not sent
        ({"file": b"x"}, "purpose: field required"),
        ({"file": b"x", "purpose": 7}, "purpose: input should be a valid string"),
        (
            {"file": b"x", "purpose": "batch", "expires_after": "soon"},
            "expires_after: input should be a valid integer",
        ),
    ],
)
def test_a_structurally_wrong_multipart_body_is_rejected_before_any_io(
    fields: dict[str, object], problem: str
) -> None:
    recorder = Recorder()
    with pytest.raises(RequestValidationError) as caught:
        upload(recorder.client(), **fields)
    assert recorder.requests == []
    assert str(caught.value).startswith("createFile: invalid request body: ")
    assert problem in str(caught.value)


async def test_async_multipart_bodies_are_checked_too() -> None:
    recorder = Recorder()
    client = recorder.async_client()
    with pytest.raises(RequestValidationError, match="file: field required"):
        await client.request(
            UPLOAD, object, body={"purpose": "batch"}, body_model=FileRequest
        )
    assert recorder.requests == []


def test_form_bodies_are_checked_and_sent_as_given() -> None:
    recorder = Recorder()
    client = recorder.client()
    with pytest.raises(RequestValidationError, match="grant_type: field required"):
        client.request(FORM, object, body={"scope": "a"}, body_model=TokenRequest)
    assert recorder.requests == []
    client.request(
        FORM, object, body={"grant_type": "device_code"}, body_model=TokenRequest
    )
    assert recorder.requests[0].content == b"grant_type=device_code"


# -- how the check is built --------------------------------------------------------


def test_the_checker_is_built_once_per_model_and_file_fields() -> None:
    recorder = Recorder()
    client = recorder.client()
    chat(client, messages=MESSAGES, model="m")
    checker = _validation._CHECKERS[(ChatRequest, frozenset())]
    chat(client, messages=MESSAGES, model="m")
    assert _validation._CHECKERS[(ChatRequest, frozenset())] is checker
    assert not checker.exact


def test_the_models_own_validator_is_left_untouched() -> None:
    recorder = Recorder()
    chat(recorder.client(), messages=MESSAGES, model="m", reasoning_effort="minimal")
    with pytest.raises(pydantic.ValidationError):
        ChatRequest.model_validate(
            {"messages": MESSAGES, "model": "m", "reasoning_effort": "minimal"}
        )


def test_an_unknown_core_schema_falls_back_to_the_model_ignoring_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Other(Base):
        kind: Literal["a", "b"]
        count: Annotated[int, pydantic.Field(le=3)]

    def unknown_schema(node: object) -> object:
        raise KeyError("a schema shape this runtime does not know")

    monkeypatch.setattr(_validation, "_widen", unknown_schema)
    _validation.check_body("op", Other, {"kind": "c", "count": 9})  # values pass
    assert _validation._CHECKERS[(Other, frozenset())].exact
    with pytest.raises(RequestValidationError, match="count: field required"):
        _validation.check_body("op", Other, {"kind": "a"})
