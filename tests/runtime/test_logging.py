"""Logging: DEBUG lines for responses and retries on the package logger, nothing
above DEBUG, and no secret in any record (httpx.MockTransport, no network)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx
import pytest

from oag_runtime import (
    AuthScheme,
    ClientConfig,
    InternalServerError,
    Operation,
    SyncAPIClient,
)

API_KEY = "sk-log-secret/+=9x"  # URL-unsafe characters: quoted forms must not leak
GET = Operation("listThings", "get", "/things")


def client_class(auth: AuthScheme) -> type[SyncAPIClient]:
    config = ClientConfig("logapi", "2.0", "LOGAPI", "https://api.example.test", auth)
    return type("LogClient", (SyncAPIClient,), {"_config": config})


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    auth: AuthScheme = AuthScheme(),
    **options: object,
) -> SyncAPIClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = client_class(auth)(api_key=API_KEY, http_client=http, **options)  # type: ignore[arg-type]
    client._sleep = lambda seconds: None  # type: ignore[method-assign]
    return client


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": []})


def test_response_line_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(ok)
    with caplog.at_level(logging.DEBUG, logger="logapi"):
        client.request(GET, object, query={"limit": 5})
    lines = [r for r in caplog.records if r.name == "logapi"]
    assert len(lines) == 1 and lines[0].levelno == logging.DEBUG
    assert re.fullmatch(
        r"listThings: GET https://api\.example\.test/things\?limit=5 -> 200 \(\d+\.\d ms\)",
        lines[0].getMessage(),
    )


def test_nothing_above_debug_even_on_errors(caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(lambda request: httpx.Response(500, text="boom"))
    with caplog.at_level(logging.DEBUG, logger="logapi"):
        with pytest.raises(InternalServerError):
            client.request(GET, object)
    ours = [r for r in caplog.records if r.name == "logapi"]
    assert len(ours) == 5  # 3 responses, 2 retries
    assert {r.levelno for r in ours} == {logging.DEBUG}


def test_disabled_logging_costs_no_formatting(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(ok)

    def fail(*args: object) -> str:
        raise AssertionError("URL formatted although DEBUG is off")

    monkeypatch.setattr(client, "_safe_url", fail)
    with caplog.at_level(logging.INFO, logger="logapi"):
        client.request(GET, object)
    assert not [r for r in caplog.records if r.name == "logapi"]


def all_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.__dict__}"
        for record in caplog.records
    )


@pytest.mark.parametrize(
    "auth",
    [AuthScheme(), AuthScheme("header", "X-Api-Key"), AuthScheme("basic")],
)
def test_header_credentials_never_logged(
    auth: AuthScheme, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"retry-after": "0"})
        return httpx.Response(200, json={})

    client = make_client(handler, auth)
    with caplog.at_level(logging.DEBUG):
        client.request(GET, object)
    assert API_KEY in str(seen[0].headers.raw) or auth.kind == "basic"
    text = all_text(caplog)
    assert "logapi" in text and "retry 1 of 2" in text
    assert API_KEY not in text and "Bearer" not in text


def test_query_credentials_are_redacted_from_all_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    client = make_client(handler, AuthScheme("query", "key"))
    with caplog.at_level(logging.DEBUG):
        client.request(GET, object, query={"q": "x"})
    assert seen[0].url.params["key"] == API_KEY  # it was sent
    text = all_text(caplog)
    quoted = str(seen[0].url).split("key=")[1]
    assert API_KEY not in text and quoted not in text
    ours = [r.getMessage() for r in caplog.records if r.name == "logapi"]
    assert "key=<redacted>" in ours[0] and "q=x" in ours[0]
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines and all("key=<redacted>" in line for line in httpx_lines)
