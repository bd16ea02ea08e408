"""SyncAPIClient / AsyncAPIClient configuration: key, base URL, auth, headers, http
client ownership, with_options, timeouts, repr (httpx.MockTransport, no network)."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable

import httpx
import pytest

from oag_runtime import (
    DEFAULT_TIMEOUT,
    AsyncAPIClient,
    AuthScheme,
    ClientConfig,
    Operation,
    SyncAPIClient,
)

API_KEY = "sk-test-0123456789abcdef"
CONFIG = ClientConfig(
    package="fakeapi",
    version="1.2.3",
    env_prefix="FAKEAPI",
    default_base_url="https://api.example.test/v1",
)
GET_THING = Operation("getThing", "get", "/things")


class Client(SyncAPIClient):
    _config = CONFIG


class AsyncClient(AsyncAPIClient):
    _config = CONFIG


def make_client_class(auth: AuthScheme, default_base_url: str = "") -> type[Client]:
    config = ClientConfig(
        package="fakeapi",
        version="1.2.3",
        env_prefix="FAKEAPI",
        default_base_url=default_base_url or CONFIG.default_base_url,
        auth=auth,
    )
    return type("AuthClient", (Client,), {"_config": config})


def recording_http(
    respond: Callable[[httpx.Request], httpx.Response] | None = None,
) -> tuple[list[httpx.Request], httpx.Client]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return respond(request) if respond else httpx.Response(200, json={})

    return seen, httpx.Client(transport=httpx.MockTransport(handler))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAKEAPI_API_KEY", raising=False)
    monkeypatch.delenv("FAKEAPI_BASE_URL", raising=False)


# -- api key and base URL ---------------------------------------------------------


def test_api_key_argument_is_sent_as_bearer() -> None:
    seen, http = recording_http()
    Client(api_key=API_KEY, http_client=http).request(GET_THING, object)
    assert seen[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_api_key_falls_back_to_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEAPI_API_KEY", "sk-from-env")
    seen, http = recording_http()
    client = Client(http_client=http)
    client.request(GET_THING, object)
    assert client.api_key == "sk-from-env"
    assert seen[0].headers["authorization"] == "Bearer sk-from-env"


def test_argument_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEAPI_API_KEY", "sk-from-env")
    monkeypatch.setenv("FAKEAPI_BASE_URL", "https://env.example.test")
    client = Client(api_key="sk-arg", base_url="https://arg.example.test/")
    assert client.api_key == "sk-arg"
    assert str(client.base_url) == "https://arg.example.test"
    client.close()


def test_no_key_sends_no_auth_header() -> None:
    seen, http = recording_http()
    Client(http_client=http).request(GET_THING, object)
    assert "authorization" not in seen[0].headers


def test_base_url_from_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen, http = recording_http()
    Client(http_client=http).request(GET_THING, object)
    assert str(seen[0].url) == "https://api.example.test/v1/things"
    monkeypatch.setenv("FAKEAPI_BASE_URL", "http://localhost:8080/api/")
    Client(http_client=http).request(GET_THING, object)
    assert str(seen[1].url) == "http://localhost:8080/api/things"


@pytest.mark.parametrize("default", ["", "/v1"])
def test_missing_or_relative_base_url_raises_naming_env_var(default: str) -> None:
    config = ClientConfig("fakeapi", "1", "FAKEAPI", default)
    cls = type("NoServer", (SyncAPIClient,), {"_config": config})
    with pytest.raises(ValueError, match="FAKEAPI_BASE_URL"):
        cls()
    assert str(cls(base_url="https://ok.example.test").base_url).startswith(
        "https://ok"
    )


def test_subclass_without_config_is_rejected() -> None:
    with pytest.raises(TypeError, match="_config"):
        SyncAPIClient()


# -- auth schemes -------------------------------------------------------------------


def test_basic_auth() -> None:
    seen, http = recording_http()
    cls = make_client_class(AuthScheme("basic"))
    cls(api_key="user:pass", http_client=http).request(GET_THING, object)
    token = base64.b64encode(b"user:pass").decode()
    assert seen[0].headers["authorization"] == f"Basic {token}"


def test_header_auth() -> None:
    seen, http = recording_http()
    cls = make_client_class(AuthScheme("header", "X-Api-Key"))
    cls(api_key=API_KEY, http_client=http).request(GET_THING, object)
    assert seen[0].headers["x-api-key"] == API_KEY
    assert "authorization" not in seen[0].headers


def test_query_auth() -> None:
    seen, http = recording_http()
    cls = make_client_class(AuthScheme("query", "api_key"))
    cls(api_key=API_KEY, http_client=http).request(
        GET_THING, object, query={"limit": 2}
    )
    assert seen[0].url.params.multi_items() == [("limit", "2"), ("api_key", API_KEY)]
    assert "authorization" not in seen[0].headers


def test_auth_none_sends_nothing() -> None:
    seen, http = recording_http()
    cls = make_client_class(AuthScheme("none"))
    cls(api_key=API_KEY, http_client=http).request(GET_THING, object)
    assert "authorization" not in seen[0].headers
    assert API_KEY not in str(seen[0].url)


# -- headers --------------------------------------------------------------------------


def test_user_agent_accept_and_default_headers() -> None:
    seen, http = recording_http()
    client = Client(http_client=http, default_headers={"X-Team": "blue"})
    client.request(GET_THING, object)
    headers = seen[0].headers
    assert headers["user-agent"] == f"fakeapi/1.2.3 python-httpx/{httpx.__version__}"
    assert headers["accept"] == "application/json"
    assert headers["x-team"] == "blue"


def test_default_headers_may_override_auth_and_user_agent() -> None:
    seen, http = recording_http()
    client = Client(
        api_key=API_KEY,
        http_client=http,
        default_headers={"Authorization": "Token custom", "User-Agent": "mine/1"},
    )
    client.request(GET_THING, object)
    assert seen[0].headers.get_list("authorization") == ["Token custom"]
    assert seen[0].headers.get_list("user-agent") == ["mine/1"]


def test_headers_of_a_user_http_client_are_kept() -> None:
    seen, http = recording_http()
    http.headers["X-Proxy-Tag"] = "corp"
    Client(http_client=http).request(GET_THING, object)
    assert seen[0].headers["x-proxy-tag"] == "corp"


# -- http client ownership and with_options -----------------------------------------


def test_user_http_client_is_not_closed() -> None:
    _, http = recording_http()
    with Client(http_client=http) as client:
        client.request(GET_THING, object)
    assert not http.is_closed


def test_own_http_client_is_closed_by_context_manager() -> None:
    with Client() as client:
        assert not client.is_closed
    assert client.is_closed


def test_wrong_http_client_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="httpx.Client"):
        Client(http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="httpx.AsyncClient"):
        AsyncClient(http_client=httpx.Client())  # type: ignore[arg-type]


def test_with_options_shares_the_owned_pool_without_owning_it() -> None:
    client = Client(api_key=API_KEY)
    copy = client.with_options(max_retries=0)
    assert type(copy) is Client and copy._http is client._http
    copy.close()
    assert not client.is_closed
    client.close()
    assert copy.is_closed


def test_with_options_changes_settings_and_keeps_the_rest() -> None:
    seen, http = recording_http()
    client = Client(api_key=API_KEY, http_client=http, default_headers={"X-A": "1"})
    copy = client.with_options(timeout=3.0, max_retries=7, default_headers={"X-B": "2"})
    assert (copy.max_retries, client.max_retries) == (7, 2)
    assert copy.timeout.read == 3.0 and client.timeout.read == 600.0
    copy.request(GET_THING, object)
    client.request(GET_THING, object)
    assert seen[0].headers["x-a"] == "1" and seen[0].headers["x-b"] == "2"
    assert seen[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert timeout_of(seen[0])["read"] == 3.0
    assert "x-b" not in seen[1].headers and timeout_of(seen[1])["read"] == 600.0


def test_with_options_can_change_key_and_base_url() -> None:
    seen, http = recording_http()
    client = Client(api_key=API_KEY, http_client=http)
    copy = client.with_options(api_key="sk-other", base_url="https://b.example.test")
    copy.request(GET_THING, object)
    assert str(seen[0].url) == "https://b.example.test/things"
    assert seen[0].headers["authorization"] == "Bearer sk-other"


async def test_async_client_ownership_and_context_manager() -> None:
    async with AsyncClient() as client:
        assert not client.is_closed
        copy = client.with_options(max_retries=0)
        assert copy._http is client._http
        assert copy._gate is client._gate is not None  # one bound for the shared pool
        await copy.aclose()
        assert not client.is_closed
    assert client.is_closed
    user_http = httpx.AsyncClient()
    async with AsyncClient(http_client=user_http):
        pass
    assert not user_http.is_closed
    await user_http.aclose()


# -- timeouts -----------------------------------------------------------------------


def timeout_of(request: httpx.Request) -> dict[str, float | None]:
    timeout: dict[str, float | None] = request.extensions["timeout"]
    return timeout


def test_default_timeout_is_600_with_5_connect() -> None:
    seen, http = recording_http()
    Client(http_client=http).request(GET_THING, object)
    assert timeout_of(seen[0]) == DEFAULT_TIMEOUT.as_dict()
    assert DEFAULT_TIMEOUT.as_dict() == {
        "connect": 5.0,
        "read": 600.0,
        "write": 600.0,
        "pool": 600.0,
    }


def test_client_and_per_call_timeouts() -> None:
    seen, http = recording_http()
    client = Client(http_client=http, timeout=20.0)
    client.request(GET_THING, object)
    client.request(GET_THING, object, timeout=2.5)
    client.request(GET_THING, object, timeout=httpx.Timeout(1.0, read=9.0))
    client.request(GET_THING, object, timeout=None)
    assert timeout_of(seen[0]) == {
        "connect": 5.0,
        "read": 20.0,
        "write": 20.0,
        "pool": 20.0,
    }
    assert timeout_of(seen[1]) == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }
    assert timeout_of(seen[2])["read"] == 9.0 and timeout_of(seen[2])["connect"] == 1.0
    assert timeout_of(seen[3]) == {
        "connect": None,
        "read": None,
        "write": None,
        "pool": None,
    }


# -- repr, deprecation --------------------------------------------------------------


def test_repr_shows_base_url_and_never_the_key() -> None:
    client = Client(api_key=API_KEY)
    text = repr(client)
    assert "https://api.example.test/v1" in text and "Client(" in text
    assert API_KEY not in text and API_KEY not in str(client)
    client.close()


def test_deprecated_operations_are_not_warned_about_twice() -> None:
    # Generated methods warn at the caller's line; the runtime must stay silent.
    _, http = recording_http()
    client = Client(http_client=http)
    old = Operation("oldThing", "get", "/old", deprecated=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.request(old, object)
