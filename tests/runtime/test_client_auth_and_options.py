"""Issue 8, runtime: a missing API key is refused at construction when the API declares
auth; client options declared in the config (organization, project) become keyword
arguments with env fallbacks, sent as headers on every request and carried by
with_options. The subclasses below are written as the generated ones will be."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from oag_runtime import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncAPIClient,
    AuthScheme,
    ClientConfig,
    ClientOption,
    Operation,
    SyncAPIClient,
)

GET = Operation("listModels", "get", "/models")
OPTIONS = (
    ClientOption("organization", "OpenAI-Organization", "OPENAI_ORG_ID"),
    ClientOption("project", "OpenAI-Project", "OPENAI_PROJECT_ID"),
)
CONFIG = ClientConfig(
    "openai_api",
    "2.3.0",
    "OPENAI",
    "https://api.openai.com/v1",
    auth=AuthScheme("bearer", required=True),
    options=OPTIONS,
)
ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


class Client(SyncAPIClient):
    """What templates/client.py.jinja renders for a config with options."""

    _config = CONFIG

    def __init__(
        self,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
            client_options={"organization": organization, "project": project},
        )


class AsyncClient(AsyncAPIClient):
    _config = CONFIG

    def __init__(
        self,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
            client_options={"organization": organization, "project": project},
        )


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    def sync(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


# -- a missing key ------------------------------------------------------------------


def test_a_missing_key_is_refused_at_construction_naming_the_env_var() -> None:
    with pytest.raises(ValueError) as caught:
        Client()
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message and "api_key=" in message
    assert message.startswith("Client needs an API key")


async def test_async_a_missing_key_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        AsyncClient()


@pytest.mark.parametrize("key", ["", None])
def test_an_empty_key_counts_as_missing(
    key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "")
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        Client(api_key=key)


def test_the_key_from_the_env_var_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    recorder = Recorder()
    Client(http_client=recorder.sync()).request(GET, object)
    assert recorder.requests[0].headers["authorization"] == "Bearer sk-env"


def test_credentials_in_default_headers_are_enough() -> None:
    # A gateway that takes its own credentials (any case of the header name).
    recorder = Recorder()
    client = Client(
        default_headers={"AUTHORIZATION": "Bearer gateway"},
        http_client=recorder.sync(),
    )
    client.request(GET, object)
    assert recorder.requests[0].headers["authorization"] == "Bearer gateway"


def test_a_header_scheme_is_satisfied_by_its_own_header() -> None:
    class KeyClient(SyncAPIClient):
        _config = ClientConfig(
            "x", "1", "X", "https://x.test", auth=AuthScheme("header", "api-key", True)
        )

    with pytest.raises(ValueError, match="X_API_KEY"):
        KeyClient(default_headers={"Authorization": "Bearer other"})
    KeyClient(default_headers={"Api-Key": "k"})


def test_without_declared_auth_no_key_is_fine() -> None:
    class OpenClient(SyncAPIClient):
        _config = ClientConfig("x", "1", "X", "https://x.test")

    recorder = Recorder()
    OpenClient(http_client=recorder.sync()).request(GET, object)
    assert "authorization" not in recorder.requests[0].headers


def test_the_error_names_no_env_var_when_there_is_no_prefix() -> None:
    class NoPrefix(SyncAPIClient):
        _config = ClientConfig(
            "x", "1", "", "https://x.test", auth=AuthScheme(required=True)
        )

    with pytest.raises(ValueError) as caught:
        NoPrefix()
    assert "pass api_key=..." in str(caught.value)
    assert "_API_KEY" not in str(caught.value)


def test_with_options_keeps_the_key() -> None:
    client = Client(api_key="sk-1")
    assert client.with_options(max_retries=0).api_key == "sk-1"


# -- client options as headers -------------------------------------------------------


def test_options_are_sent_as_headers_on_every_request() -> None:
    recorder = Recorder()
    client = Client(
        api_key="sk-1",
        organization="org-1",
        project="proj_1",
        http_client=recorder.sync(),
    )
    client.request(GET, object)
    client.request(GET, object)
    for request in recorder.requests:
        assert request.headers["openai-organization"] == "org-1"
        assert request.headers["openai-project"] == "proj_1"
    assert dict(client.client_options) == {"organization": "org-1", "project": "proj_1"}


def test_options_fall_back_to_their_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    recorder = Recorder()
    client = Client(api_key="sk-1", project="proj_arg", http_client=recorder.sync())
    client.request(GET, object)
    headers = recorder.requests[0].headers
    assert headers["openai-organization"] == "org-env"
    assert headers["openai-project"] == "proj_arg"  # the argument wins


def test_unset_options_send_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "")  # empty: not set
    recorder = Recorder()
    Client(api_key="sk-1", http_client=recorder.sync()).request(GET, object)
    headers = recorder.requests[0].headers
    assert "openai-organization" not in headers and "openai-project" not in headers


async def test_async_options_are_sent_as_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    recorder = Recorder()
    client = AsyncClient(
        api_key="sk-1", organization="org-1", http_client=recorder.async_()
    )
    await client.request(GET, object)
    copy = client.with_options(timeout=5.0)
    await copy.request(GET, object)
    for request in recorder.requests:
        assert request.headers["openai-organization"] == "org-1"
        assert request.headers["openai-project"] == "proj_env"


def test_with_options_carries_options_and_can_change_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    client = Client(api_key="sk-1", organization="org-1", http_client=recorder.sync())
    # the env var appearing later must not replace a carried value
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    client.with_options(max_retries=0).request(GET, object)
    client.with_options(client_options={"project": "proj_2"}).request(GET, object)
    client.with_options(client_options={"organization": None}).request(GET, object)
    first, second, third = (request.headers for request in recorder.requests)
    assert first["openai-organization"] == "org-1" and "openai-project" not in first
    assert second["openai-organization"] == "org-1"
    assert second["openai-project"] == "proj_2"
    assert "openai-organization" not in third
    assert dict(client.client_options) == {"organization": "org-1", "project": None}


def test_default_headers_and_extra_headers_override_options() -> None:
    recorder = Recorder()
    client = Client(
        api_key="sk-1",
        organization="org-1",
        project="proj_1",
        default_headers={"OpenAI-Project": "proj_header"},
        http_client=recorder.sync(),
    )
    client.request(GET, object, extra_headers={"OpenAI-Organization": "org-call"})
    headers = recorder.requests[0].headers
    assert headers["openai-project"] == "proj_header"
    assert headers["openai-organization"] == "org-call"


def test_unknown_options_are_rejected() -> None:
    with pytest.raises(TypeError, match="'organisation'"):
        SyncAPIClient.__init__(
            Client.__new__(Client), api_key="k", client_options={"organisation": "x"}
        )
    client = Client(api_key="k")
    with pytest.raises(TypeError, match="'team'"):
        client.with_options(client_options={"team": "x"})


def test_client_options_are_read_only() -> None:
    client = Client(api_key="k", organization="org-1")
    with pytest.raises(TypeError):
        client.client_options["organization"] = "org-2"  # type: ignore[index]
