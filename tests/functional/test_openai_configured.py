"""Issue 8, the generator's part, on the OpenAI 2.3.0 client generated as `make generate`
does it (specs/openai.oapigen.toml and its overlay), against the scripted server of
tests/servers/faulty.py (127.0.0.1, records every request as sent):

- `OpenAI-Beta: assistants=v2` on every Assistants and vector store operation, never an
  argument, and on no other operation;
- `organization=` / `project=` client options from arguments or OPENAI_ORG_ID /
  OPENAI_PROJECT_ID, sent as OpenAI-Organization / OpenAI-Project;
- query strings: `effective_at[gt]=...` (deepObject from the overlay), `project_ids[]`;
- a new enum value sent unchanged, a structurally wrong body refused before any I/O with
  the package's RequestValidationError;
- a CSV download returns the bytes, typed BinaryResponse;
- no RootModel reachable from a method's result, and the attribute paths of API.md read
  without `.root`.

Which operations are Assistants and vector store ones is read from the spec (its tags)
by tests/e2e/openai_cases, not from the generator.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import json
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pydantic
import pytest

from tests.conftest import (
    CONFIGURED_PACKAGE,
    OPENAI_CONFIG,
    GeneratedPackages,
    openai_spec,
)
from tests.e2e.openai_cases import build_call, operations, spec_path
from tests.servers.faulty import (  # noqa: F401  (faulty_server is a fixture)
    FaultyServer,
    Reply,
    faulty_server,
)

pytestmark = pytest.mark.openai

API_KEY = "sk-test-configured"
BETA = "assistants=v2"
StartServer = Callable[..., FaultyServer]
ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")
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
PAGE = {"object": "list", "data": [], "first_id": "", "last_id": "", "has_more": False}
MESSAGE = {
    "id": "msg_1",
    "object": "thread.message",
    "created_at": 1700000000,
    "thread_id": "thread_1",
    "status": "completed",
    "incomplete_details": None,
    "completed_at": 1700000001,
    "incomplete_at": None,
    "role": "assistant",
    "content": [{"type": "text", "text": {"value": "Hello there", "annotations": []}}],
    "assistant_id": "asst_1",
    "run_id": "run_1",
    "attachments": None,
    "metadata": {},
}
ASSISTANT = {
    "id": "asst_1",
    "object": "assistant",
    "created_at": 1700000000,
    "name": "Helper",
    "description": None,
    "model": "gpt-4o",
    "instructions": None,
    "tools": [
        {"type": "code_interpreter"},
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}},
        },
    ],
    "metadata": {},
}
RUN_STEP = {
    "id": "step_1",
    "object": "thread.run.step",
    "created_at": 1700000000,
    "assistant_id": "asst_1",
    "thread_id": "thread_1",
    "run_id": "run_1",
    "type": "tool_calls",
    "status": "completed",
    "step_details": {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "code_interpreter",
                "code_interpreter": {"input": "print(6 * 7)", "outputs": []},
            }
        ],
    },
    "last_error": None,
    "expired_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 1700000001,
    "metadata": None,
    "usage": None,
}


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api(openai_configured: ModuleType) -> ModuleType:
    return openai_configured


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def run(
    api: ModuleType,
    mode: str,
    server: FaultyServer,
    call: Callable[[Any], Any],
    **kw: Any,
) -> Any:
    """`call` on a fresh client (sync or async) of `server`; a coroutine it returns is
    awaited."""
    kw.setdefault("api_key", API_KEY)
    if mode == "sync":
        with api.Client(base_url=server.url, **kw) as client:
            return call(client)

    async def main() -> Any:
        async with api.AsyncClient(base_url=server.url, **kw) as client:
            return await call(client)

    return asyncio.run(main())


def beta_operations() -> list[Any]:
    """The Assistants and vector store operations of 2.3.0, by the spec's tags."""
    if not spec_path("2.3.0").is_file():
        return []
    return [
        op
        for op in operations("2.3.0")
        if op.resource in ("assistants", "vector_stores")
    ]


# -- OpenAI-Beta ----------------------------------------------------------------------


def test_every_assistants_and_vector_store_operation_sends_the_beta_header(
    api: ModuleType, faulty_server: StartServer
) -> None:
    openai_spec("2.3.0")
    ops = beta_operations()
    counts = {
        r: sum(op.resource == r for op in ops) for r in ("assistants", "vector_stores")
    }
    assert counts == {"assistants": 23, "vector_stores": 13}  # the figures
    server = faulty_server(default=Reply(200, {}), max_requests=len(ops) + 1)
    with api.Client(api_key=API_KEY, base_url=server.url, max_retries=0) as client:
        for op in ops:
            method = getattr(getattr(client, op.resource), op.method)
            parameters = inspect.signature(method).parameters
            assert not any("beta" in name for name in parameters), op.operation_id
            method(**build_call(op).kwargs)
    assert server.request_count == len(ops) == 36
    sent = [(r.method, r.path, r.headers.get("openai-beta")) for r in server.requests]
    expected = [
        (op.http_method.upper(), unquote(build_call(op).raw_path), BETA) for op in ops
    ]
    assert [(m, unquote(p), h) for m, p, h in sent] == expected


def test_other_operations_send_no_beta_header(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION), Reply(200, PAGE)])

    def two(client: Any) -> Any:
        if mode == "sync":
            client.chat.create_chat_completion(messages=MESSAGES, model="gpt-4o")
            return client.files.list_files()

        async def both() -> Any:
            await client.chat.create_chat_completion(messages=MESSAGES, model="gpt-4o")
            return await client.files.list_files()

        return both()

    run(api, mode, server, two)
    assert [r.path for r in server.requests] == ["/chat/completions", "/files"]
    assert all("openai-beta" not in r.headers for r in server.requests)


def test_the_async_client_sends_the_beta_header(
    api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, ASSISTANT), Reply(200, PAGE)])

    async def two(client: Any) -> Any:
        await client.assistants.get_assistant("asst_1")
        return await client.vector_stores.list_vector_stores(limit=1)

    run(api, "async", server, two)
    assert [r.headers["openai-beta"] for r in server.requests] == [BETA, BETA]
    assert server.requests[1].target == "/vector_stores?limit=1"


# -- client options --------------------------------------------------------------------


def test_organization_and_project_from_env_and_arguments(
    api: ModuleType,
    mode: str,
    faulty_server: StartServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = faulty_server([Reply(200, COMPLETION)] * 3)
    chat = {"messages": MESSAGES, "model": "gpt-4o"}
    run(api, mode, server, lambda c: c.chat.create_chat_completion(**chat))
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    run(api, mode, server, lambda c: c.chat.create_chat_completion(**chat))
    run(
        api,
        mode,
        server,
        lambda c: c.chat.create_chat_completion(**chat),
        organization="org-arg",
    )
    none, env, argument = server.requests
    assert "openai-organization" not in none.headers
    assert "openai-project" not in none.headers
    assert env.headers["openai-organization"] == "org-env"
    assert env.headers["openai-project"] == "proj_env"
    assert argument.headers["openai-organization"] == "org-arg"  # over the env var
    assert argument.headers["openai-project"] == "proj_env"
    for cls in (api.Client, api.AsyncClient):
        names = list(inspect.signature(cls.__init__).parameters)
        assert names[1:4] == ["api_key", "organization", "project"]


# -- query strings -----------------------------------------------------------------------


def test_audit_log_filters_on_the_wire(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, PAGE)])
    run(
        api,
        mode,
        server,
        lambda c: c.audit_logs.list_audit_logs(
            effective_at={"gt": 1700000000, "lte": 1700086400},
            project_ids=["a", "b"],
            limit=5,
        ),
    )
    assert server.requests[0].target == (
        "/organization/audit_logs?effective_at[gt]=1700000000"
        "&effective_at[lte]=1700086400&project_ids[]=a&project_ids[]=b&limit=5"
    )


# -- request bodies ------------------------------------------------------------------------


def test_a_new_enum_value_is_sent_unchanged(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION)])
    run(
        api,
        mode,
        server,
        lambda c: c.chat.create_chat_completion(
            messages=MESSAGES,
            model="o3-mini",
            reasoning_effort="minimal",  # not in 2.3.0's enum
            service_tier="flex",
        ),
    )
    body = json.loads(server.requests[0].body)
    assert (body["reasoning_effort"], body["service_tier"]) == ("minimal", "flex")


def test_a_structurally_wrong_body_never_reaches_the_server(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    server = faulty_server([Reply(200, COMPLETION)])
    assert api.RequestValidationError is api._runtime.RequestValidationError
    with pytest.raises(api.RequestValidationError, match=r"messages\[0\]"):
        run(
            api,
            mode,
            server,
            lambda c: c.chat.create_chat_completion(
                messages=[{"role": "user"}], model="gpt-4o"  # no content
            ),
        )
    with pytest.raises(api.RequestValidationError, match="instructions"):
        run(
            api,
            mode,
            server,
            lambda c: c.assistants.create_assistant(model="gpt-4o", instructions=42),
        )
    assert server.request_count == 0


# -- results -------------------------------------------------------------------------------


def test_a_csv_download_returns_the_bytes(
    api: ModuleType, mode: str, faulty_server: StartServer
) -> None:
    csv = b"step,train_loss\n1,2.31\n2,1.97\n"
    server = faulty_server([Reply(200, csv, {"Content-Type": "text/csv"})])

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
    assert isinstance(result, expected) and body == csv
    resources = importlib.import_module(f"{api.__name__}.resources")
    sync_hint = typing.get_type_hints(resources.FilesResource.download_file)["return"]
    async_hint = typing.get_type_hints(resources.AsyncFilesResource.download_file)
    assert sync_hint is api.BinaryResponse
    assert async_hint["return"] is api.AsyncBinaryResponse


def reachable_root_models(package: ModuleType) -> dict[str, str]:
    """RootModel classes a user reaches from a method's result type, through model
    fields at any depth: {class name: where it was first met}."""
    resources = importlib.import_module(f"{package.__name__}.resources")
    seen: set[type] = set()
    found: dict[str, str] = {}

    def walk(tp: object, where: str) -> None:
        if typing.get_origin(tp) is not None:
            for argument in typing.get_args(tp):
                walk(argument, where)
            return
        if not (isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)):
            return
        if tp in seen:
            return
        seen.add(tp)
        if issubclass(tp, pydantic.RootModel):
            found.setdefault(tp.__name__, where)
        for name, field in tp.model_fields.items():
            walk(field.annotation, f"{tp.__name__}.{name}")

    methods = 0
    for name in resources.__all__:
        cls = getattr(resources, name)
        if not name.endswith("Resource"):
            continue
        names = type_checking_names(sys.modules[cls.__module__])
        for attr, function in inspect.getmembers(cls, inspect.isfunction):
            if not attr.startswith("_"):
                methods += 1
                hints = typing.get_type_hints(function, globalns=names)
                walk(hints["return"], f"{name}.{attr}")
    assert methods > 200  # every public method of both flavours was read
    assert len(seen) > 200  # and the models behind them
    return found


def type_checking_names(module: ModuleType) -> dict[str, Any]:
    """The module's globals plus what its `if TYPE_CHECKING:` blocks define (the event
    unions of typed streams are aliases for type checkers only)."""
    names = dict(vars(module))
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            block = ast.Module(body=node.body, type_ignores=[])
            exec(compile(block, module.__name__, "exec"), names)
    return names


def test_no_root_model_is_reachable_from_a_result(
    api: ModuleType, openai_package: ModuleType
) -> None:
    assert reachable_root_models(api) == {}
    assert reachable_root_models(openai_package) == {}  # without the config too


def serve_one(
    api: ModuleType,
    faulty_server: StartServer,
    body: object,
    call: Callable[[Any], Any],
) -> Any:
    server = faulty_server([Reply(200, body)])
    return run(api, "sync", server, call)


def test_attribute_paths_read_without_root(
    api: ModuleType, faulty_server: StartServer
) -> None:
    msg = serve_one(
        api, faulty_server, MESSAGE, lambda c: c.assistants.get_message("t", "m")
    )
    assert msg.content[0].text.value == "Hello there"
    assistant = serve_one(
        api, faulty_server, ASSISTANT, lambda c: c.assistants.get_assistant("asst_1")
    )
    assert assistant.tools[1].function.name == "get_weather"
    step = serve_one(
        api,
        faulty_server,
        RUN_STEP,
        lambda c: c.assistants.get_run_step("thread_1", "run_1", "step_1"),
    )
    assert step.step_details.tool_calls[0].code_interpreter.input == "print(6 * 7)"
    transcription = serve_one(
        api,
        faulty_server,
        {"text": "hello world"},
        lambda c: c.audio.create_transcription(file=b"RIFF", model="whisper-1"),
    )
    assert transcription.text == "hello world"
    models = api.models
    assert isinstance(transcription, models.CreateTranscriptionResponseJson)
    assert isinstance(msg.content[0], models.MessageContentTextObject)
    for value in (msg, msg.content[0], assistant.tools[1], step.step_details):
        assert not isinstance(value, pydantic.RootModel)


def test_the_package_exports_the_runtime_errors(api: ModuleType) -> None:
    runtime = api._runtime
    assert "RequestValidationError" in api.__all__
    has_incomplete = "IncompleteStreamError" in runtime.__all__
    assert ("IncompleteStreamError" in api.__all__) is has_incomplete
    if has_incomplete:
        assert api.IncompleteStreamError is runtime.IncompleteStreamError


# -- tools -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_configured_package_passes_mypy_strict_and_black(
    generated: GeneratedPackages, tmp_path: Path
) -> None:
    project = generated.project(openai_spec("2.3.0"), CONFIGURED_PACKAGE, OPENAI_CONFIG)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "-p",
            CONFIGURED_PACKAGE,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    done = subprocess.run(
        [sys.executable, "-m", "black", "--check", str(project)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
