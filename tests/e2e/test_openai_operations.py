"""Every operation of every OpenAI spec, called through the generated client against
`httpx.MockTransport`: the request must be what the spec defines (method, percent-encoded
path, query, JSON body or multipart parts) and the 2xx response must come back as the
declared type. Arguments, expected wire values and responses are built from the spec by
`openai_cases`, never from the generator's output."""

from __future__ import annotations

import email.parser
import email.policy
import json
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import pydantic
import pytest

from tests.conftest import OPENAI_VERSIONS, openai_spec
from tests.e2e.openai_cases import (
    BINARY_BODY,
    TEXT_BODY,
    Call,
    OperationSpec,
    build_call,
    component_name,
    has_stream_flag,
    operations,
    response_kind,
    sample,
    spec_path,
)

BASE_URL = "https://api.test/v1"
BASE_PATH = "/v1"


def _operation_params(
    select: Callable[[list[OperationSpec]], list[OperationSpec]],
) -> list[Any]:
    """One pytest param per operation, built from the spec at collection time. A missing
    spec gives one param whose test skips (locally) or fails (CI) via `openai_spec`."""
    params: list[Any] = []
    for version in OPENAI_VERSIONS:
        if not spec_path(version).is_file():
            params.append(pytest.param(version, None, id=f"{version}-spec-missing"))
            continue
        for op in select(operations(version)):
            params.append(pytest.param(version, op, id=op.test_id))
    return params


def _one_per_resource(ops: list[OperationSpec]) -> list[OperationSpec]:
    first: dict[str, OperationSpec] = {}
    for op in ops:
        first.setdefault(op.resource, op)
    return list(first.values())


def _streaming(ops: list[OperationSpec]) -> list[OperationSpec]:
    return [op for op in ops if has_stream_flag(op)]


ALL_OPERATIONS = _operation_params(lambda ops: ops)
ASYNC_SAMPLE = _operation_params(_one_per_resource)
STREAMING = _operation_params(_streaming)
DEPRECATED = _operation_params(lambda ops: [op for op in ops if op.deprecated])


# -- the mock server side --------------------------------------------------------------


@dataclass
class Served:
    """The response a handler serves and the payload in it."""

    status: int
    content: bytes
    content_type: str | None
    payload: Any = None


class Recorder:
    """A MockTransport handler answering every request with one canned response."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        headers = (
            {"content-type": self.served.content_type}
            if self.served.content_type
            else {}
        )
        return httpx.Response(
            self.served.status, content=self.served.content, headers=headers
        )

    @property
    def request(self) -> httpx.Request:
        assert (
            len(self.requests) == 1
        ), f"expected one request, got {len(self.requests)}"
        return self.requests[0]


def serve_response(op: OperationSpec, full: bool = False) -> Served:
    status = op.response_status or 200
    kind = response_kind(op)
    if kind == "json":
        payload = sample(op.version, op.response_schemas[_json_media(op)], full)
        return Served(status, json.dumps(payload).encode(), "application/json", payload)
    if kind == "binary":
        return Served(status, BINARY_BODY, op.response_media[0])
    if kind == "text":
        return Served(status, TEXT_BODY.encode(), "text/plain; charset=utf-8")
    if kind == "empty":
        return Served(status, b"", None)
    raise AssertionError(f"{op.test_id}: no rule for a {kind} response")


def serve_events(op: OperationSpec) -> Served:
    """One event and the [DONE] sentinel; the event is the declared event schema's sample,
    or (none declared) the JSON response's sample."""
    schema = (
        op.response_schemas.get("text/event-stream")
        or op.response_schemas[_json_media(op)]
    )
    payload = sample(op.version, schema)
    text = f"data: {json.dumps(payload)}\n\ndata: [DONE]\n\n"
    return Served(
        op.response_status or 200, text.encode(), "text/event-stream", payload
    )


def _json_media(op: OperationSpec) -> str:
    return next(
        m for m in op.response_media if m == "application/json" or m.endswith("+json")
    )


# -- checks ----------------------------------------------------------------------------


def check_request(
    op: OperationSpec, call: Call, request: httpx.Request, stream: bool = False
) -> None:
    assert request.method == op.http_method.upper()
    raw_path, _, _ = request.url.raw_path.decode("ascii").partition("?")
    assert raw_path == BASE_PATH + call.raw_path
    assert sorted(request.url.params.multi_items()) == call.query
    assert request.headers["authorization"] == "Bearer sk-test"
    if call.has_json_body:
        assert request.headers["content-type"] == "application/json"
        expected = call.json_body
        if stream:
            expected = {**expected, "stream": True}
        assert json.loads(request.content) == expected
    elif call.form_fields or call.file_fields:
        form, files = parse_multipart(request)
        assert form == call.form_fields
        assert files == call.file_fields
    else:
        assert request.content == b""
        assert "content-type" not in request.headers


def parse_multipart(
    request: httpx.Request,
) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]]:
    """The form fields and file parts of a multipart/form-data request, sorted."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary="), content_type
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    assert message.is_multipart()
    form: list[tuple[str, str]] = []
    files: list[tuple[str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str), part
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        if part.get_param("filename", header="content-disposition") is not None:
            files.append((name, content))
        else:
            form.append((name, content.decode()))
    return sorted(form), sorted(files)


def expected_result(
    package: ModuleType, op: OperationSpec, method: Callable[..., Any], payload: Any
) -> Any:
    """The spec-conformant payload validated strictly as the declared result:
    `<pkg>.models.<Component>` for a `$ref` response; for an inline schema, the type the
    method's return annotation names. A value-like result (a union of models) is the
    member itself (API.md: no RootModel, no `.root`)."""
    schema = op.response_schemas[_json_media(op)]
    name = component_name(schema)
    declared: Any = (
        getattr(package.models, name) if name is not None else return_annotation(method)
    )
    value = pydantic.TypeAdapter(declared).validate_python(payload)
    if isinstance(value, pydantic.RootModel):
        value = value.root
    return value


def return_annotation(method: Callable[..., Any]) -> Any:
    """The evaluated return annotation of a generated method. Only the return annotation:
    parameter annotations use aliases that exist for type checkers only (TYPE_CHECKING).
    """
    function = getattr(method, "__func__", method)

    def returns() -> None: ...

    returns.__annotations__ = {"return": function.__annotations__["return"]}
    return typing.get_type_hints(returns, globalns=function.__globals__)["return"]


def check_result(
    package: ModuleType,
    op: OperationSpec,
    method: Callable[..., Any],
    result: Any,
    served: Served,
    binary_class: type[Any],
) -> None:
    kind = response_kind(op)
    if kind == "json":
        # The result must accept the spec-conformant payload as it is (not leniently)
        # and keep every value of it.
        strict = expected_result(package, op, method, served.payload)
        assert isinstance(strict, pydantic.BaseModel), f"{op.test_id}: {strict!r}"
        assert not isinstance(result, pydantic.RootModel)
        assert type(result) is type(strict), f"{type(result).__name__} is not " + (
            type(strict).__name__
        )
        assert (
            strict.model_dump(mode="json", by_alias=True, exclude_unset=True)
            == served.payload
        )
        assert (
            result.model_dump(mode="json", by_alias=True, exclude_unset=True)
            == served.payload
        )
    elif kind == "binary":
        assert isinstance(result, binary_class)
        assert result.content == BINARY_BODY
    elif kind == "text":
        assert result == TEXT_BODY
    else:
        assert result is None


def make_client(package: ModuleType, handler: Recorder) -> tuple[Any, httpx.Client]:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return package.Client(api_key="sk-test", base_url=BASE_URL, http_client=http), http


# -- the tests -------------------------------------------------------------------------


def call_sync(
    package: ModuleType, op: OperationSpec, call: Call, served: Served
) -> tuple[Callable[..., Any], Any, httpx.Request, list[warnings.WarningMessage]]:
    """Call the sync method once through a MockTransport serving `served`."""
    recorder = Recorder(served)
    client, http = make_client(package, recorder)
    with http, client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        method = getattr(getattr(client, op.resource), op.method)
        result = method(**call.kwargs)
        if response_kind(op) == "binary":
            with result:
                result.read()
    return method, result, recorder.request, caught


@pytest.mark.parametrize(("version", "op"), ALL_OPERATIONS)
def test_operation_sync(
    version: str, op: OperationSpec | None, openai_module: Callable[[str], ModuleType]
) -> None:
    """Required arguments only: the request and the result are what the spec says."""
    openai_spec(version)  # skips (or fails in CI) when the spec is missing
    assert op is not None
    package = openai_module(version)
    call = build_call(op)
    served = serve_response(op)
    method, result, request, caught = call_sync(package, op, call, served)
    check_request(op, call, request)
    check_result(package, op, method, result, served, package.BinaryResponse)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert bool(deprecations) == op.deprecated, [str(w.message) for w in deprecations]


@pytest.mark.parametrize(("version", "op"), ALL_OPERATIONS)
def test_operation_sync_every_argument(
    version: str, op: OperationSpec | None, openai_module: Callable[[str], ModuleType]
) -> None:
    """Every parameter and body property, at every level, and a response with every
    property: optional arguments, array and object query parameters, aliases."""
    openai_spec(version)
    assert op is not None
    package = openai_module(version)
    call = build_call(op, full=True)
    served = serve_response(op, full=True)
    method, result, request, _ = call_sync(package, op, call, served)
    check_request(op, call, request)
    check_result(package, op, method, result, served, package.BinaryResponse)


@pytest.mark.parametrize(("version", "op"), DEPRECATED)
def test_deprecated_operation_warns_once(
    version: str, op: OperationSpec | None, openai_module: Callable[[str], ModuleType]
) -> None:
    """API.md: a deprecated operation emits a DeprecationWarning when called, pointing at
    the caller's line."""
    openai_spec(version)
    assert op is not None
    package = openai_module(version)
    call = build_call(op)
    *_, caught = call_sync(package, op, call, serve_response(op))
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [w.filename for w in deprecations] == [__file__]


@pytest.mark.parametrize(("version", "op"), STREAMING)
def test_operation_stream(
    version: str, op: OperationSpec | None, openai_module: Callable[[str], ModuleType]
) -> None:
    openai_spec(version)
    assert op is not None
    package = openai_module(version)
    call = build_call(op)
    served = serve_events(op)
    recorder = Recorder(served)
    client, http = make_client(package, recorder)
    with http, client:
        stream = getattr(getattr(client, op.resource), op.method)(
            **call.kwargs, stream=True
        )
        assert isinstance(stream, package.Stream)
        with stream:
            chunks = list(stream)
        check_request(op, call, recorder.request, stream=True)
    assert recorder.request.headers["accept"] == "text/event-stream"
    assert len(chunks) == 1, chunks
    (chunk,) = chunks
    event_schema = op.response_schemas.get("text/event-stream")
    if event_schema is not None:
        name = component_name(event_schema)
        assert name is not None
        cls = getattr(package.models, name)
        assert isinstance(chunk, cls)
        assert (
            chunk.model_dump(mode="json", by_alias=True, exclude_unset=True)
            == served.payload
        )
    else:
        assert isinstance(chunk, package.ServerSentEvent)
        assert json.loads(chunk.data) == served.payload


@pytest.mark.parametrize(("version", "op"), ASYNC_SAMPLE)
async def test_operation_async(
    version: str, op: OperationSpec | None, openai_module: Callable[[str], ModuleType]
) -> None:
    openai_spec(version)
    assert op is not None
    package = openai_module(version)
    call = build_call(op)
    served = serve_response(op)
    recorder = Recorder(served)
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http:
        async with package.AsyncClient(
            api_key="sk-test", base_url=BASE_URL, http_client=http
        ) as client:
            method = getattr(getattr(client, op.resource), op.method)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = await method(**call.kwargs)
            if response_kind(op) == "binary":
                assert isinstance(result, package.AsyncBinaryResponse)
                assert await result.read() == BINARY_BODY
                await result.aclose()
    check_request(op, call, recorder.request)
    if response_kind(op) != "binary":
        check_result(package, op, method, result, served, package.AsyncBinaryResponse)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert bool(deprecations) == op.deprecated, [str(w.message) for w in deprecations]
