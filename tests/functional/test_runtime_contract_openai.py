"""Issue 8, the runtime's part, on the generated OpenAI 2.3.0 client against the scripted
server of tests/servers/faulty.py (127.0.0.1, records every request as sent):

- a file download (declared `application/json` + `type: string`) of CSV, JSONL or PDF
  comes back as bytes;
- request bodies are forward compatible: new enum values and extra members are sent as
  given, a structurally wrong JSON or multipart body raises RequestValidationError and
  the server sees nothing;
- server-directed retries: `x-should-retry` both ways, `Retry-After` up to 120 s (the
  client's sleep is a recorder: nothing waits), `Retry-After: 0` falls back to backoff;
- `_request_id` on results and `.request_id` on raw responses;
- a missing key is refused at construction; client options become headers;
- wire names of query parameters (`project_ids[]`) are sent as written.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.servers.faulty import (  # noqa: F401  (faulty_server is a fixture)
    FaultyServer,
    Reply,
    faulty_server,
)

pytestmark = pytest.mark.openai

API_KEY = "sk-test-issue-8"
StartServer = Callable[..., FaultyServer]
MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
}
FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 6,
    "created_at": 1700000000,
    "filename": "batch.jsonl",
    "purpose": "batch",
    "status": "processed",
}
CSV = b"step,train_loss\n1,2.31\n2,1.97\n"
JSONL = b'{"custom_id": "r1", "body": {}}\n{"custom_id": "r2", "body": {}}\n'
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api(openai_package: ModuleType) -> ModuleType:
    return openai_package


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def run(
    api: ModuleType,
    mode: str,
    server: FaultyServer,
    call: Callable[[Any], Any],
    *,
    sleeps: list[float] | None = None,
    client_class: str = "",
    **options: Any,
) -> Any:
    """`call` on a fresh client (sync or async) of `server`; retry waits are recorded
    into `sleeps`, never slept. A coroutine returned by `call` is awaited."""
    options.setdefault("api_key", API_KEY)
    waits = [] if sleeps is None else sleeps
    if mode == "sync":
        cls = getattr(api, client_class or "Client")
        with cls(base_url=server.url, **options) as client:
            client._sleep = waits.append
            return call(client)

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> Any:
        cls = getattr(api, client_class or "AsyncClient")
        async with cls(base_url=server.url, **options) as client:
            client._sleep = record
            return await call(client)

    return asyncio.run(main())


def chat(**arguments: Any) -> Callable[[Any], Any]:
    return lambda client: client.chat.create_chat_completion(**arguments)


# -- content negotiation: a download returns the bytes ---------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (CSV, "text/csv"),
        (JSONL, "application/jsonl"),
        (JSONL, "application/octet-stream"),
        (PDF, "application/pdf"),
    ],
    ids=["csv", "jsonl", "jsonl-octet-stream", "pdf"],
)
def test_download_file_returns_the_bytes(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    content: bytes,
    content_type: str,
) -> None:
    headers = {"Content-Type": content_type, "x-request-id": "req_dl"}
    server = faulty_server([Reply(200, content, headers)], max_requests=2)

    def download(client: Any) -> Any:
        result = client.files.download_file("file-abc")
        if mode == "sync":
            return result, result.content

        async def read() -> Any:
            awaited = await result
            return awaited, await awaited.read()

        return read()

    result, body = run(api, mode, server, download)
    expected = api.BinaryResponse if mode == "sync" else api.AsyncBinaryResponse
    assert isinstance(result, expected)
    assert body == content
    assert result.headers["content-type"] == content_type
    assert result.request_id == "req_dl"
    assert server.requests[0].target == "/files/file-abc/content"


def test_a_download_is_streamed_to_a_file(
    api: ModuleType, faulty_server: StartServer, tmp_path: Path
) -> None:
    server = faulty_server([Reply(200, JSONL, {"Content-Type": "application/jsonl"})])
    with api.Client(api_key=API_KEY, base_url=server.url) as client:
        client.files.download_file("file-abc").write_to_file(tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == JSONL


def test_a_chat_completion_answered_with_a_web_page_is_still_an_error(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    page = b"<html><body>Sign in to the network</body></html>"
    server = faulty_server([Reply(200, page, {"Content-Type": "text/html"})])
    with pytest.raises(api.APIResponseValidationError, match="text/html"):
        run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"))


# -- requests stay forward compatible ----------------------------------------------


def test_new_enum_values_and_extra_members_are_sent_unchanged(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION)])
    messages = [{"role": "user", "content": "hi", "new_member": {"x": 1}}]
    result = run(
        api,
        mode,
        server,
        chat(
            messages=messages,
            model="gpt-5",
            reasoning_effort="minimal",
            service_tier="flex",
            extra_body={"verbosity": "low"},
        ),
    )
    assert result.choices[0].message.content == "Hello!"
    assert json.loads(server.requests[0].body) == {
        "messages": messages,
        "model": "gpt-5",
        "reasoning_effort": "minimal",
        "service_tier": "flex",
        "verbosity": "low",
    }


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            {"messages": [{"role": "user"}], "model": "gpt-4o"},
            "messages[0].content: field required",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "model": 4},
            "model: input should be a valid string",
        ),
        (
            {"messages": MESSAGES, "model": "gpt-4o", "temperature": "warm"},
            "temperature: input should be a valid number",
        ),
    ],
    ids=["missing-member", "wrong-type", "wrong-scalar"],
)
def test_a_structurally_wrong_json_body_never_reaches_the_server(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    arguments: dict[str, Any],
    problem: str,
) -> None:
    server = faulty_server([Reply(200, COMPLETION)])
    error = api._runtime.RequestValidationError
    with pytest.raises(error) as caught:
        run(api, mode, server, chat(**arguments))
    assert server.request_count == 0
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.startswith("createChatCompletion: invalid request body: ")
    assert problem in message


def test_multipart_bodies_get_the_same_checks(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, FILE)], max_requests=3)
    error = api._runtime.RequestValidationError
    wrong = [
        (
            lambda c: c.files.create_file(file=b"{}\n", purpose=7),
            "purpose: input should be a valid string",
        ),
        (
            lambda c: c.audio.create_transcription(
                file=("a.mp3", b"ID3"),
                model="whisper-1",
                timestamp_granularities="word",
            ),
            "timestamp_granularities[]: input should be a valid list",  # wire name
        ),
    ]
    for call, problem in wrong:
        with pytest.raises(error, match=re.escape(problem)):
            run(api, mode, server, call)
    assert server.request_count == 0
    # a new purpose is sent as given
    created = run(
        api,
        mode,
        server,
        lambda c: c.files.create_file(file=("a.jsonl", b"{}\n"), purpose="evals"),
    )
    assert created.id == "file-1"
    assert b'name="purpose"\r\n\r\nevals\r\n' in server.requests[0].body


def test_every_body_model_of_the_package_gets_the_widened_check(
    api: ModuleType,
) -> None:
    from importlib import import_module

    validation = import_module(f"{api.__name__}._runtime._validation")
    resources = Path(api.__file__).parent / "resources"
    models = {}
    for path in resources.glob("*.py"):
        # body models are named by the resource module's ModelRef constants
        module = import_module(f"{api.__name__}.resources.{path.stem}")
        for constant in re.findall(r"body_model=(\w+)", path.read_text()):
            model = getattr(module, constant).resolve()
            models[model.__name__] = model
    assert len(models) >= 40
    for name, model in sorted(models.items()):
        checker = validation._build(model, frozenset())
        assert not checker.exact, name  # never the model's own (enum-strict) validator


# -- server-directed retries --------------------------------------------------------


def test_x_should_retry_true_retries_a_400(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    error = {"error": {"message": "try again", "type": "x", "code": None}}
    server = faulty_server(
        [Reply(400, error, {"x-should-retry": "true"}), Reply(200, COMPLETION)]
    )
    sleeps: list[float] = []
    run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"), sleeps=sleeps)
    assert server.request_count == 2 and len(sleeps) == 1


def test_x_should_retry_false_stops_a_503(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    error = {"error": {"message": "do not retry", "type": "x", "code": None}}
    server = faulty_server(
        [Reply(503, error, {"x-should-retry": "false"})], default=Reply(200, COMPLETION)
    )
    sleeps: list[float] = []
    with pytest.raises(api.InternalServerError, match="do not retry"):
        run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"), sleeps=sleeps)
    assert server.request_count == 1 and sleeps == []


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "90"}, {"retry-after-ms": "90000"}], ids=["s", "ms"]
)
def test_a_90_second_retry_after_is_honoured(
    api: ModuleType, mode: str, faulty_server: StartServer, headers: dict[str, str]
) -> None:
    limited = {"error": {"message": "slow down", "type": "requests", "code": None}}
    server = faulty_server([Reply(429, limited, headers), Reply(200, COMPLETION)])
    sleeps: list[float] = []
    run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"), sleeps=sleeps)
    assert sleeps == [90.0] and server.request_count == 2


def test_retry_after_0_falls_back_to_the_backoff(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    limited = Reply(429, {"error": {"message": "x"}}, {"Retry-After": "0"})
    server = faulty_server([limited, limited, Reply(200, COMPLETION)])
    sleeps: list[float] = []
    run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"), sleeps=sleeps)
    assert server.request_count == 3
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


# -- request ids -----------------------------------------------------------------------


def test_results_carry_the_request_id(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION, {"x-request-id": "req_123"})])
    result = run(api, mode, server, chat(messages=MESSAGES, model="gpt-4o"))
    assert isinstance(result, api.models.CreateChatCompletionResponse)
    assert result._request_id == "req_123"
    assert "req_123" not in result.model_dump_json()


def test_raw_responses_carry_the_request_id(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION, {"x-request-id": "req_raw"})])

    def raw(client: Any) -> Any:
        call = client.chat.with_raw_response.create_chat_completion(
            messages=MESSAGES, model="gpt-4o"
        )
        if mode == "sync":
            return call, call.parse()

        async def both() -> Any:
            response = await call
            return response, await response.parse()

        return both()

    response, parsed = run(api, mode, server, raw)
    assert response.request_id == "req_raw"
    assert parsed._request_id == "req_raw"


# -- construction: the key, client options ------------------------------------------


def test_a_missing_key_is_refused_naming_the_env_var(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION)])
    for client_class in (api.Client, api.AsyncClient):
        with pytest.raises(ValueError) as caught:
            client_class(base_url=server.url)
        assert "OPENAI_API_KEY" in str(caught.value)
    assert server.request_count == 0


def with_options(api: ModuleType, base: type) -> type:
    """A subclass of a generated client as templates/client.py.jinja will render it
    from the project's OpenAI config: the options declared, keywords passed on."""
    rt = api._runtime
    config = base._config.replace(
        options=(
            rt.ClientOption("organization", "OpenAI-Organization", "OPENAI_ORG_ID"),
            rt.ClientOption("project", "OpenAI-Project", "OPENAI_PROJECT_ID"),
        ),
    )

    def __init__(
        self: Any,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = rt.DEFAULT_TIMEOUT,
        max_retries: int = rt.DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: Any = None,
    ) -> None:
        base.__init__(
            self,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
            client_options={"organization": organization, "project": project},
        )

    return type(base.__name__, (base,), {"_config": config, "__init__": __init__})


def test_client_options_are_sent_as_headers_with_env_fallback(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org_client = with_options(api, api.Client)
    async_org_client = with_options(api, api.AsyncClient)
    monkeypatch.setattr(api, "OrgClient", org_client, raising=False)
    monkeypatch.setattr(api, "AsyncOrgClient", async_org_client, raising=False)
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    server = faulty_server([Reply(200, COMPLETION)] * 2)

    def two_calls(client: Any) -> Any:
        copy = client.with_options(max_retries=0)
        first = client.chat.create_chat_completion(messages=MESSAGES, model="m")
        second = copy.chat.create_chat_completion(messages=MESSAGES, model="m")
        if mode == "sync":
            return first, second
        return asyncio.gather(first, second)

    run(
        api,
        mode,
        server,
        two_calls,
        client_class="OrgClient" if mode == "sync" else "AsyncOrgClient",
        organization="org-arg",
    )
    assert server.request_count == 2
    for request in server.requests:
        assert request.headers["openai-organization"] == "org-arg"
        assert request.headers["openai-project"] == "proj_env"


# -- wire names --------------------------------------------------------------------------


def test_query_wire_names_are_sent_as_written(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    page = {
        "object": "list",
        "data": [],
        "first_id": "",
        "last_id": "",
        "has_more": False,
    }
    server = faulty_server([Reply(200, page)])
    run(
        api,
        mode,
        server,
        lambda c: c.audit_logs.list_audit_logs(
            project_ids=["proj_a", "proj_b"],
            event_types=["api_key.created", "project.archived"],
            limit=2,
        ),
    )
    assert server.requests[0].target == (
        "/organization/audit_logs?project_ids[]=proj_a&project_ids[]=proj_b"
        "&event_types[]=api_key.created&event_types[]=project.archived&limit=2"
    )
