"""The generated Example Notes API client: configuration, copies, deprecations."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import httpx
import pytest

from .mock import Recorder, notebook, reply


def health_server() -> Recorder:
    return Recorder(
        lambda request: httpx.Response(
            200, text="ok", headers={"content-type": "text/plain"}
        )
    )


def test_default_base_url_is_the_first_server(api: ModuleType) -> None:
    recorder = health_server()
    client = api.Client(http_client=recorder.sync_client())
    assert str(client.base_url) == "https://api.example.com/v1"
    client.health.get_health()
    assert str(recorder.last.url) == "https://api.example.com/v1/health"


def test_api_key_and_base_url_come_from_the_environment(
    api: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_API_KEY", "sk-from-env")
    monkeypatch.setenv("EXAMPLE_BASE_URL", "http://127.0.0.1:9/notes-api")
    recorder = health_server()
    client = api.Client(http_client=recorder.sync_client())
    client.health.get_health()
    assert str(recorder.last.url) == "http://127.0.0.1:9/notes-api/health"
    assert recorder.last.headers["authorization"] == "Bearer sk-from-env"


def test_arguments_win_over_the_environment(
    api: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_API_KEY", "sk-from-env")
    monkeypatch.setenv("EXAMPLE_BASE_URL", "http://127.0.0.1:9/env")
    recorder = health_server()
    client = api.Client(
        api_key="sk-arg",
        base_url="http://127.0.0.1:9/arg",
        http_client=recorder.sync_client(),
    )
    client.health.get_health()
    assert str(recorder.last.url) == "http://127.0.0.1:9/arg/health"
    assert recorder.last.headers["authorization"] == "Bearer sk-arg"


def test_without_a_key_the_client_is_refused_naming_the_env_var(
    api: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spec declares bearer auth: a keyless client could only get 401s.
    monkeypatch.delenv("EXAMPLE_API_KEY")
    recorder = health_server()
    for client_class in (api.Client, api.AsyncClient):
        with pytest.raises(ValueError, match="EXAMPLE_API_KEY"):
            client_class(http_client=recorder.sync_client())
    assert recorder.requests == []


def test_the_key_never_appears_in_the_repr(api: ModuleType) -> None:
    client = api.Client(api_key="sk-very-secret", http_client=httpx.Client())
    assert "sk-very-secret" not in repr(client)
    assert "api.example.com" in repr(client)


def test_with_options_returns_a_changed_copy(api: ModuleType) -> None:
    recorder = health_server()
    client = api.Client(
        api_key="sk-1",
        max_retries=2,
        default_headers={"X-App": "notes"},
        http_client=recorder.sync_client(),
    )
    copy = client.with_options(
        max_retries=5, timeout=3.0, default_headers={"X-Extra": "1"}
    )
    assert type(copy) is api.Client and copy is not client
    assert (copy.max_retries, client.max_retries) == (5, 2)
    copy.health.get_health()
    sent = recorder.last
    assert sent.headers["x-app"] == "notes" and sent.headers["x-extra"] == "1"
    assert sent.headers["authorization"] == "Bearer sk-1"
    assert sent.extensions["timeout"]["read"] == 3.0
    client.health.get_health()
    assert "x-extra" not in recorder.last.headers
    assert recorder.last.extensions["timeout"]["read"] == 600.0


def test_with_options_can_change_key_and_base_url(api: ModuleType) -> None:
    recorder = health_server()
    client = api.Client(api_key="sk-1", http_client=recorder.sync_client())
    other = client.with_options(api_key="sk-2", base_url="http://127.0.0.1:9/v9")
    other.health.get_health()
    assert str(recorder.last.url) == "http://127.0.0.1:9/v9/health"
    assert recorder.last.headers["authorization"] == "Bearer sk-2"


def test_per_call_timeout_is_applied(api: ModuleType) -> None:
    recorder = health_server()
    api.Client(http_client=recorder.sync_client()).health.get_health(timeout=2.5)
    assert recorder.last.extensions["timeout"]["read"] == 2.5


def test_client_is_a_context_manager_that_closes_its_own_http_client(
    api: ModuleType,
) -> None:
    with api.Client(base_url="http://127.0.0.1:9") as client:
        assert not client.is_closed
    assert client.is_closed


def test_a_user_http_client_is_not_closed(api: ModuleType) -> None:
    http = health_server().sync_client()
    with api.Client(http_client=http):
        pass
    assert not http.is_closed


def test_a_deprecated_operation_warns(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook(archived=True)))
    client = api.Client(http_client=recorder.sync_client())
    with pytest.warns(DeprecationWarning, match="archive"):
        result = client.note_books.archive_notebook("nb_1")
    assert result.archived is True
    assert recorder.last.url.path == "/v1/notebooks/nb_1/archive"


def _deprecations(call: Any) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_a_deprecated_operation_warns_once_per_call(api: ModuleType) -> None:
    """Once: the generated method and the runtime must not both warn."""
    recorder = Recorder(reply(notebook()))
    client = api.Client(http_client=recorder.sync_client())
    caught = _deprecations(lambda: client.note_books.archive_notebook("nb_1"))
    assert len(caught) == 1
    assert "archive_notebook" in str(caught[0].message)


def test_the_deprecation_warning_points_at_the_caller(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    client = api.Client(http_client=recorder.sync_client())
    caught = _deprecations(lambda: client.note_books.archive_notebook("nb_1"))
    assert caught and all(w.filename == __file__ for w in caught)


def test_operations_that_are_not_deprecated_do_not_warn(api: ModuleType) -> None:
    recorder = Recorder(reply(notebook()))
    client = api.Client(http_client=recorder.sync_client())
    assert _deprecations(lambda: client.note_books.get_notebook("nb_1")) == []


def test_method_docstrings_carry_the_spec_text(api: ModuleType) -> None:
    resource = type(api.Client(base_url="https://x.test").notes)
    doc = resource.create_note.__doc__
    assert "Creates a note." in doc
    assert "C:\\Notes\\" in doc  # the description ends with a backslash
    assert "from_: The ID of a note to copy content from." in doc
    archive = type(api.Client(base_url="https://x.test").note_books).archive_notebook
    assert "deprecated" in archive.__doc__.lower()
