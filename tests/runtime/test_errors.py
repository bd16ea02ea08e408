"""The error hierarchy, status errors and their messages, bodies that are not JSON
(httpx.MockTransport, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pydantic
import pytest

import oag_runtime
from oag_runtime import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    ConflictError,
    InternalServerError,
    NotFoundError,
    Operation,
    PermissionDeniedError,
    RateLimitError,
    SyncAPIClient,
    UnprocessableEntityError,
    make_status_error,
)

API_KEY = "sk-errors-secret-42"
CONFIG = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")
GET = Operation("getThing", "get", "/things/1")


class Client(SyncAPIClient):
    _config = CONFIG


class Thing(pydantic.BaseModel):
    id: str


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(api_key=API_KEY, http_client=http, max_retries=0)


def reply(status: int, content: bytes, content_type: str) -> Client:
    return client_for(
        lambda request: httpx.Response(
            status, content=content, headers={"content-type": content_type}
        )
    )


OPENAI_ERROR = {
    "error": {
        "message": "The model `gpt-9` does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
}


def test_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, APIError)
    assert issubclass(APIStatusError, APIError)
    assert issubclass(APIResponseValidationError, APIError)
    assert not issubclass(APIResponseValidationError, APIStatusError)
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
    ):
        assert issubclass(cls, APIStatusError)
        assert getattr(oag_runtime, cls.__name__) is cls


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
        (418, APIStatusError),
        (402, APIStatusError),
    ],
)
def test_status_maps_to_class(status: int, cls: type[APIStatusError]) -> None:
    client = reply(status, b'{"error": {"message": "nope"}}', "application/json")
    with pytest.raises(APIStatusError) as caught:
        client.request(GET, Thing)
    assert type(caught.value) is cls
    assert caught.value.status_code == status
    assert caught.value.response.status_code == status
    assert f"Error code: {status} - nope" == str(caught.value)


def test_openai_style_error_body() -> None:
    client = client_for(
        lambda request: httpx.Response(
            400, json=OPENAI_ERROR, headers={"x-request-id": "req_abc"}
        )
    )
    with pytest.raises(BadRequestError) as caught:
        client.request(GET, Thing)
    error = caught.value
    assert "The model `gpt-9` does not exist" in error.message
    assert (
        "invalid_request_error" in error.message and "model_not_found" in error.message
    )
    assert error.body == OPENAI_ERROR["error"]  # as the official SDK exposes it
    assert error.response.json() == OPENAI_ERROR  # the whole body stays reachable
    assert (error.code, error.type, error.param) == (
        "model_not_found",
        "invalid_request_error",
        "model",
    )
    assert error.request_id == "req_abc"
    assert error.request is not None and error.request.url.path == "/v1/things/1"


def test_html_error_page_body_is_its_text() -> None:
    page = (
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"
    )
    client = reply(502, page.encode(), "text/html")
    with pytest.raises(InternalServerError) as caught:
        client.request(GET, Thing)
    assert caught.value.body == page
    assert str(caught.value).startswith("Error code: 502 - <html> <head><title>502 Bad")


def test_other_error_shapes() -> None:
    for body, expected in [
        ({"message": "top-level message"}, "top-level message"),
        ({"detail": "fastapi style"}, "fastapi style"),
        ({"error": "just a string"}, "just a string"),
        ({"errors": [1, 2]}, '{"errors": [1, 2]}'),
        (["a"], '["a"]'),
    ]:
        client = reply(422, json.dumps(body).encode(), "application/json")
        with pytest.raises(UnprocessableEntityError) as caught:
            client.request(GET, Thing)
        assert str(caught.value) == f"Error code: 422 - {expected}"


def test_empty_error_body() -> None:
    with pytest.raises(NotFoundError) as caught:
        reply(404, b"", "application/json").request(GET, Thing)
    assert str(caught.value) == "Error code: 404" and caught.value.body is None


def test_long_error_text_is_cut() -> None:
    with pytest.raises(InternalServerError) as caught:
        reply(500, b"x" * 5000, "text/plain").request(GET, Thing)
    assert len(str(caught.value)) < 250 and str(caught.value).endswith("...")


def test_2xx_html_raises_response_validation_error_quoting_it() -> None:
    page = b"<!DOCTYPE html><html><body>" + b"Maintenance " * 40 + b"</body></html>"
    client = reply(200, page, "text/html; charset=utf-8")
    with pytest.raises(APIResponseValidationError) as caught:
        client.request(GET, Thing)
    error = caught.value
    assert not isinstance(error, json.JSONDecodeError)
    assert "text/html; charset=utf-8" in error.message
    assert page[:200].decode() in error.message
    assert page[:201].decode() not in error.message  # only the first 200 bytes
    assert error.status_code == 200 and error.body == page.decode()
    # untyped operations are covered too
    with pytest.raises(APIResponseValidationError):
        client.request(GET, object)


def test_2xx_invalid_json_raises_response_validation_error() -> None:
    client = reply(200, b'{"id": "x",', "application/json")
    with pytest.raises(APIResponseValidationError, match="application/json"):
        client.request(GET, Thing)


def test_server_echoing_the_key_is_redacted_from_the_message() -> None:
    body = {"error": {"message": f"Incorrect API key provided: {API_KEY}"}}
    client = reply(401, json.dumps(body).encode(), "application/json")
    with pytest.raises(AuthenticationError) as caught:
        client.request(GET, Thing)
    assert API_KEY not in str(caught.value) and API_KEY not in repr(caught.value)
    assert "<redacted>" in str(caught.value)


def test_connection_and_timeout_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(APIConnectionError) as caught:
        client_for(refuse).request(GET, Thing)
    assert type(caught.value) is APIConnectionError
    assert "Connection refused" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    with pytest.raises(APITimeoutError) as timed_out:
        client_for(slow).request(GET, Thing)
    assert str(timed_out.value) == "Request timed out."
    assert timed_out.value.request is not None


def test_make_status_error_directly() -> None:
    request = httpx.Request("GET", "https://x.test")
    response = httpx.Response(429, request=request)
    error = make_status_error(response, {"error": {"message": "slow down"}})
    assert (
        isinstance(error, RateLimitError)
        and error.message == "Error code: 429 - slow down"
    )
