"""`python -m openai_api ...`: the command line of the package generated from the OpenAI
2.3.0 spec, against the payload server on 127.0.0.1 (chat JSON and streamed, a file
upload, speech downloaded to a file, an error, help, a missing argument)."""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.cli.runner import API_KEY, PackageCLI, help_entries
from tests.conftest import GeneratedPackages, openai_spec
from tests.servers.payloads import PayloadServer, binary_payload_sha256

pytestmark = pytest.mark.openai

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
    "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
}


def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        ],
    }


CHUNKS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({}, finish="stop"),
]


@pytest.fixture(scope="module")
def project(generated: GeneratedPackages) -> Path:
    return generated.project(openai_spec("2.3.0"))


@pytest.fixture
def cli(openai_package: ModuleType, project: Path, server: PayloadServer) -> PackageCLI:
    return PackageCLI(openai_package, project, f"{server.url}/v1")


def test_chat_completion_json(cli: PackageCLI, server: PayloadServer) -> None:
    server.mount("POST", "/v1/chat/completions", "json", reply=COMPLETION)
    result = cli.subprocess(
        "chat",
        "create-chat-completion",
        "--model",
        "gpt-4o",
        "--messages",
        json.dumps(MESSAGES),
        "--temperature",
        "0.5",
        "--max-completion-tokens",
        "20",
    )
    assert result.code == 0, result.err
    assert result.json() == COMPLETION
    request = server.requests_to("/v1/chat/completions")[-1]
    assert request["json"] == {
        "model": "gpt-4o",
        "messages": MESSAGES,
        "temperature": 0.5,
        "max_completion_tokens": 20,
    }
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    result.assert_secret_free()


def test_chat_completion_streamed(cli: PackageCLI, server: PayloadServer) -> None:
    pieces = [f"data: {json.dumps(c)}\n\n" for c in CHUNKS]
    script = {
        "pieces": [pieces[0], ": keep-alive\n\n", *pieces[1:], "data: [DONE]\n\n"]
    }
    server.mount("POST", "/v1/chat/completions", "sse", script=script)
    result = cli.subprocess(
        "chat",
        "create-chat-completion",
        "--model",
        "gpt-4o",
        "--messages",
        json.dumps(MESSAGES),
        "--stream",
    )
    assert result.code == 0, result.err
    assert result.lines() == CHUNKS  # typed chunks, dumped as the server sent them
    sent = server.requests_to("/v1/chat/completions")[-1]["json"]
    assert sent == {"model": "gpt-4o", "messages": MESSAGES, "stream": True}


def test_file_upload(cli: PackageCLI, server: PayloadServer, tmp_path: Path) -> None:
    content = b'{"prompt": "a", "completion": "b"}\n' * 2000
    path = tmp_path / "train.jsonl"
    path.write_bytes(content)
    reply = {
        "id": "file-1",
        "object": "file",
        "bytes": len(content),
        "created_at": 1700000000,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
    }
    server.mount("POST", "/v1/files", "multipart", reply=reply)
    result = cli.subprocess(
        "files", "create-file", "--file", f"@{path}", "--purpose", "fine-tune"
    )
    assert result.code == 0, result.err
    assert result.json()["id"] == "file-1"
    parts = {part["name"]: part for part in server.uploads[-1]["parts"]}
    assert parts["file"]["filename"] == "train.jsonl"
    assert parts["file"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert parts["purpose"]["text"] == "fine-tune"


def test_speech_download_to_output(
    cli: PackageCLI, server: PayloadServer, tmp_path: Path
) -> None:
    size = 1024 * 1024 + 7
    query = {"size": size, "type": "audio/mpeg"}
    server.mount("POST", "/v1/audio/speech", "binary", query=query)
    target = tmp_path / "speech.mp3"
    result = cli.subprocess(
        "audio",
        "create-speech",
        "--model",
        "tts-1",
        "--input",
        "Hello",
        "--voice",
        "alloy",
        "--speed",
        "1.25",
        "--output",
        str(target),
    )
    assert result.code == 0, result.err
    assert hashlib.sha256(target.read_bytes()).hexdigest() == binary_payload_sha256(
        size
    )
    sent = server.requests_to("/v1/audio/speech")[-1]["json"]
    assert sent == {"model": "tts-1", "input": "Hello", "voice": "alloy", "speed": 1.25}


def test_api_error_one_line(cli: PackageCLI, server: PayloadServer) -> None:
    error = {
        "error": {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    server.mount("POST", "/v1/chat/completions", "json", reply=error, status=401)
    result = cli.inprocess(
        "chat",
        "create-chat-completion",
        "--model",
        "gpt-4o",
        "--messages",
        json.dumps(MESSAGES),
    )
    assert result.code == 1
    assert result.out == b""
    assert result.err == "error: 401 Unauthorized: Incorrect API key provided.\n"
    result.assert_secret_free()


def test_missing_required_messages_exits_2(
    cli: PackageCLI, server: PayloadServer
) -> None:
    before = len(server.requests)
    result = cli.subprocess("chat", "create-chat-completion", "--model", "gpt-4o")
    assert result.code == 2
    assert "the following arguments are required: --messages" in result.err
    assert len(server.requests) == before


def test_help_at_every_level(cli: PackageCLI, openai_package: ModuleType) -> None:
    top = cli.subprocess("--help", options=False)
    assert top.code == 0, top.err
    for resource in ("chat", "audio", "files", "vector-stores", "fine-tuning"):
        assert f"\n    {resource} " in top.text
    assert "$OPENAI_API_KEY" in top.text

    chat = cli.inprocess("chat", "--help", options=False)
    assert chat.code == 0
    listing = " ".join(chat.text.split())
    assert (
        "create-chat-completion Creates a model response for the given chat "
        "conversation." in listing
    )

    method = cli.inprocess("chat", "create-chat-completion", "--help", options=False)
    assert method.code == 0
    text = " ".join(method.text.split())
    assert "POST /chat/completions" in text
    from openai_api.resources.chat import ChatResource

    parameters = inspect.signature(ChatResource.create_chat_completion).parameters
    entries = help_entries(method.text)
    for name, parameter in parameters.items():
        if name in ("self", "extra_headers", "extra_query", "extra_body", "timeout"):
            continue
        option = "--" + name.strip("_").replace("_", "-")
        need = (
            "required" if parameter.default is inspect.Parameter.empty else "optional"
        )
        assert f", {need}." in entries[option], name
    assert entries["--stream"].startswith("--stream, --no-stream ")
