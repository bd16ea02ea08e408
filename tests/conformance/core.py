"""openapi-core as the second, independent judge of requests and responses.

The adapters present a captured httpx exchange through openapi-core's Request/Response
protocols. The client talks to 127.0.0.1 while the spec's server is
`https://api.openai.com/v1`, so the request URL is re-based onto the spec's server (the
path below the client's base URL is kept) and openapi-core matches it as it would match
a request to the real API.

The specs are loaded with spec validation off: 2.0.0 is invalid per
openapi-spec-validator (`default: inf` on an integer, `minItems` on an empty array
example), which is reported separately (`spec_validator_errors`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import OpenAPIV30SpecValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .specs import Spec

MESSAGE_LIMIT = 240


class CoreRequest:
    """openapi_core.protocols.Request over a captured httpx request."""

    def __init__(
        self, request: httpx.Request, body: bytes, client_base: str, server_url: str
    ) -> None:
        self._request = request
        self._body = body
        server = httpx.URL(server_url)
        self.host_url = f"{server.scheme}://{server.netloc.decode()}"
        base_path = httpx.URL(client_base).path.rstrip("/")
        relative = request.url.path.removeprefix(base_path)
        self.path = server.path.rstrip("/") + relative
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._body or None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("content-type", ""))


class CoreResponse:
    """openapi_core.protocols.Response over a captured httpx response."""

    def __init__(
        self,
        status_code: int,
        headers: httpx.Headers,
        body: bytes,
        content_type: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = Headers(list(headers.multi_items()))
        self.data: bytes | None = body
        self.content_type = content_type or headers.get("content-type", "")


class CoreJudge:
    """openapi-core validators for one spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        config = Config(
            spec_validator_cls=None,  # see the module docstring
            extra_media_type_deserializers={"text/event-stream": _one_event},
        )
        self.app = OpenAPI.from_dict(spec.doc, config=config)

    def request(
        self, request: httpx.Request, body: bytes, client_base: str
    ) -> CoreRequest:
        return CoreRequest(request, body, client_base, self.spec.server_url)

    def request_errors(self, request: CoreRequest) -> list[str]:
        return describe_all(self.app.request_validator.iter_errors(request))

    def response_errors(
        self, request: CoreRequest, response: CoreResponse
    ) -> list[str]:
        return describe_all(self.app.response_validator.iter_errors(request, response))


def _one_event(data: bytes) -> Any:
    """`text/event-stream` bodies are validated one event's data at a time."""
    return json.loads(data)


def describe_all(errors: Iterable[BaseException]) -> list[str]:
    found: list[str] = []
    for error in errors:
        found.extend(describe(error))
    return found


def describe(error: BaseException) -> list[str]:
    """One line per underlying schema error, located (`body/messages/0: ...`)."""
    nested = getattr(error, "errors", None)
    if isinstance(nested, Iterable) and not isinstance(nested, (str, bytes, Mapping)):
        return describe_all(nested)
    head = str(error) if not isinstance(error, Exception) else _head(error)
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(
        error, "schema_errors", None
    )
    if schema_errors:
        return [f"{head}: {_schema_error(e)}" for e in schema_errors]
    if cause is not None:
        return [f"{head}: {_short(str(cause))}"]
    return [head]


def _head(error: Exception) -> str:
    text = str(error)
    # openapi-core repeats the value and all schema errors in str(); keep the first part.
    return _short(text.split(": Value ", 1)[0].split(" Value ", 1)[0].rstrip(": "))


def _schema_error(error: Any) -> str:
    location = "/".join(str(p) for p in getattr(error, "absolute_path", ()))
    message = _short(str(getattr(error, "message", error)))
    return f"{location or '<root>'}: {message}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def spec_validator_errors(spec: Spec, limit: int = 20) -> list[str]:
    """openapi-spec-validator's verdict on the document (empty: valid)."""
    validator = OpenAPIV30SpecValidator(spec.doc)
    found = []
    for error in validator.iter_errors():
        location = "/".join(str(p) for p in error.absolute_path) or _locate(
            spec.doc, error.schema
        )
        found.append(f"{location}: {_short(error.message)}")
        if len(found) >= limit:
            break
    return found


def _locate(doc: Any, node: Any) -> str:
    """Where `node` (a schema the validator complained about) sits in the document:
    the validator reports errors in a schema's own default or example without a path."""
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, current = stack.pop()
        if current is node:
            return path.lstrip("/")
        if isinstance(current, Mapping):
            stack.extend((f"{path}/{k}", v) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((f"{path}/{i}", v) for i, v in enumerate(current))
    return "<unknown>"
