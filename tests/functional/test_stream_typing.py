"""mypy --strict sees the stream overloads of the generated clients as API.md states.

A small typed user script per package calls the streaming operations with
`stream=True`, `stream=False`, no `stream` and a plain `bool`, and `reveal_type`s the
results; mypy runs once per package (the generated project on MYPYPATH) and each test
reads its lines of the output. Statements marked `# E:` are deliberate mistakes that
mypy must report as `[assignment]` errors, so the check itself can fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_SPEC, GeneratedPackages, openai_spec

OPENAI_SCRIPT = """\
from __future__ import annotations

from openai_api import AsyncClient, AsyncStream, Client, Stream
from openai_api.models import (
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)
from openai_api.params import ChatCompletionRequestMessageParam

M: list[ChatCompletionRequestMessageParam] = [{"role": "user", "content": "hi"}]


def sync_calls(client: Client, flag: bool) -> None:
    streamed = client.chat.create_chat_completion(messages=M, model="o1", stream=True)
    reveal_type(streamed)  # R:stream_true
    for chunk in streamed:
        reveal_type(chunk)  # R:chunk
        reveal_type(chunk.choices[0].finish_reason)  # R:finish_reason
    done = client.chat.create_chat_completion(messages=M, model="o1", stream=False)
    reveal_type(done)  # R:stream_false
    default = client.chat.create_chat_completion(messages=M, model="o1")
    reveal_type(default)  # R:stream_absent
    either = client.chat.create_chat_completion(messages=M, model="o1", stream=flag)
    reveal_type(either)  # R:stream_bool
    ok_stream: Stream[CreateChatCompletionStreamResponse] = client.chat.create_chat_completion(messages=M, model="o1", stream=True)
    ok_response: CreateChatCompletionResponse = client.chat.create_chat_completion(messages=M, model="o1")
    raw = client.completions.create_completion(model="m", prompt="p", stream=True)
    reveal_type(raw)  # R:completions_stream
    reveal_type(client.audio.create_speech(model="tts-1", input="i", voice="alloy"))  # R:speech
    reveal_type(client.files.list_files_iter())  # R:files_iter


async def async_calls(client: AsyncClient, flag: bool) -> None:
    streamed = await client.chat.create_chat_completion(messages=M, model="o1", stream=True)
    reveal_type(streamed)  # R:async_stream_true
    async for chunk in streamed:
        reveal_type(chunk)  # R:async_chunk
    done = await client.chat.create_chat_completion(messages=M, model="o1", stream=False)
    reveal_type(done)  # R:async_stream_false
    default = await client.chat.create_chat_completion(messages=M, model="o1")
    reveal_type(default)  # R:async_stream_absent
    ok_stream: AsyncStream[CreateChatCompletionStreamResponse] = await client.chat.create_chat_completion(messages=M, model="o1", stream=True)


def mistakes(client: Client) -> None:
    a: CreateChatCompletionResponse = client.chat.create_chat_completion(messages=M, model="o1", stream=True)  # E:response_from_stream
    b: Stream[CreateChatCompletionStreamResponse] = client.chat.create_chat_completion(messages=M, model="o1")  # E:stream_from_default
    c: CreateChatCompletionResponse = client.chat.create_chat_completion(messages=M, model="o1", stream=bool(M))  # E:response_from_bool


async def async_mistakes(client: AsyncClient) -> None:
    d: Stream[CreateChatCompletionStreamResponse] = await client.chat.create_chat_completion(messages=M, model="o1", stream=True)  # E:sync_stream_from_async
"""

EXAMPLE_SCRIPT = """\
from __future__ import annotations

from example_notes_api import AsyncClient, Client, ServerSentEvent, Stream
from example_notes_api.models import CreateSummaryResponse


def sync_calls(client: Client) -> None:
    streamed = client.notes.create_summary("nb", "n", model="gpt-4o", stream=True)
    reveal_type(streamed)  # R:summary_stream
    for event in streamed:
        reveal_type(event)  # R:summary_event
    reveal_type(client.notes.create_summary("nb", "n", model="gpt-4o"))  # R:summary
    for item in client.events.stream_events():
        reveal_type(item)  # R:event
    ok: Stream[ServerSentEvent] = client.notes.create_summary("nb", "n", model="m", stream=True)


async def async_calls(client: AsyncClient) -> None:
    streamed = await client.notes.create_summary("nb", "n", model="gpt-4o", stream=True)
    reveal_type(streamed)  # R:async_summary_stream
    reveal_type(await client.events.stream_events())  # R:async_events


def mistakes(client: Client) -> None:
    a: CreateSummaryResponse = client.notes.create_summary("nb", "n", model="m", stream=True)  # E:summary_from_stream
"""

_MARK = re.compile(r"# ([RE]):(\w+)\s*$")
_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<kind>\w+): (?P<text>.*)$")
_REVEALED = re.compile(r'^Revealed type is "(?P<type>.*)"$')
_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


@dataclass
class MypyRun:
    """What mypy said about one user script: revealed types and errors per marker."""

    output: str
    returncode: int
    revealed: dict[str, str]  # marker -> type with module paths stripped
    errors: dict[str, list[str]]  # marker -> error messages on its line
    stray_errors: list[str]  # errors on unmarked lines or in other files


def short_type(text: str) -> str:
    """`openai_api._runtime._streaming.Stream[a.b.C]` -> `Stream[C]`."""
    return _QUALIFIED.sub(r"\1", text)


@dataclass
class MypyJob:
    """A mypy process checking one script."""

    script: str
    name: str
    process: subprocess.Popen[str]

    def result(self) -> MypyRun:
        try:
            output, _ = self.process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return parse_mypy(self.script, self.name, output, self.process.returncode)


def start_mypy(script: str, name: str, project: Path, workdir: Path) -> MypyJob:
    (workdir / name).write_text(script)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-color-output",
            "--cache-dir",
            os.devnull,  # no cache: each run checks the freshly generated package
            name,
        ],
        cwd=workdir,  # no project config file applies
        env={**os.environ, "MYPYPATH": str(project)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return MypyJob(script, name, process)


def parse_mypy(script: str, name: str, output: str, returncode: int) -> MypyRun:
    markers = {}
    for number, line in enumerate(script.splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            markers[number] = (match.group(1), match.group(2))
    run = MypyRun(output, returncode, {}, {}, [])
    for line in output.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        kind, text = match.group("kind"), match.group("text")
        marker = None
        if match.group("file") == name:
            marker = markers.get(int(match.group("line")))
        if kind == "note" and marker is not None and marker[0] == "R":
            revealed = _REVEALED.match(text)
            if revealed:
                run.revealed[marker[1]] = short_type(revealed.group("type"))
        elif kind == "error":
            if marker is not None and marker[0] == "E":
                run.errors.setdefault(marker[1], []).append(text)
            else:
                run.stray_errors.append(line)
    return run


@pytest.fixture(scope="module")
def mypy_runs(
    generated: GeneratedPackages, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, MypyRun]:
    """Both scripts checked by mypy processes running side by side (the example one
    also while the OpenAI package is generated)."""
    jobs: dict[str, MypyJob] = {}
    try:
        example = generated.project(EXAMPLE_SPEC)
        jobs["example"] = start_mypy(
            EXAMPLE_SCRIPT, "user_example.py", example, tmp_path_factory.mktemp("ty")
        )
        try:
            openai: Path | None = generated.project(openai_spec("2.3.0"))
        except pytest.skip.Exception:
            openai = None  # no OpenAI spec here: the openai tests skip on their own
        if openai is not None:
            jobs["openai"] = start_mypy(
                OPENAI_SCRIPT, "user_openai.py", openai, tmp_path_factory.mktemp("ty")
            )
        return {key: job.result() for key, job in jobs.items()}
    finally:
        for job in jobs.values():
            if job.process.poll() is None:
                job.process.kill()
                job.process.wait()


@pytest.fixture
def openai_mypy(mypy_runs: dict[str, MypyRun]) -> MypyRun:
    if "openai" not in mypy_runs:
        openai_spec("2.3.0")  # skips (or fails in CI) with the reason
    return mypy_runs["openai"]


@pytest.fixture
def example_mypy(mypy_runs: dict[str, MypyRun]) -> MypyRun:
    return mypy_runs["example"]


def check_revealed(run: MypyRun, expected: dict[str, str | tuple[str, ...]]) -> None:
    for marker, wanted in expected.items():
        assert marker in run.revealed, f"no reveal_type for {marker}:\n{run.output}"
        choices = wanted if isinstance(wanted, tuple) else (wanted,)
        assert run.revealed[marker] in choices, (marker, run.revealed[marker])


def check_errors(run: MypyRun, expected: set[str]) -> None:
    assert run.stray_errors == [], "\n".join(run.stray_errors)
    assert set(run.errors) == expected, run.output
    for marker, messages in run.errors.items():
        assert any(
            m.startswith("Incompatible types in assignment")
            and m.endswith("[assignment]")
            for m in messages
        ), (marker, messages)
    assert run.returncode == 1, run.output  # errors found, not a crash


CHUNK = "CreateChatCompletionStreamResponse"
RESPONSE = "CreateChatCompletionResponse"


@pytest.mark.openai
def test_chat_stream_true_is_a_stream_of_chunks(openai_mypy: MypyRun) -> None:
    check_revealed(
        openai_mypy,
        {"stream_true": f"Stream[{CHUNK}]", "chunk": CHUNK},
    )


@pytest.mark.openai
def test_chat_without_stream_true_is_the_response(openai_mypy: MypyRun) -> None:
    check_revealed(
        openai_mypy,
        {
            "stream_false": RESPONSE,
            "stream_absent": RESPONSE,
            "stream_bool": (
                f"{RESPONSE} | Stream[{CHUNK}]",
                f"Union[{RESPONSE}, Stream[{CHUNK}]]",
            ),
        },
    )


@pytest.mark.openai
def test_async_chat_overloads(openai_mypy: MypyRun) -> None:
    check_revealed(
        openai_mypy,
        {
            "async_stream_true": f"AsyncStream[{CHUNK}]",
            "async_chunk": CHUNK,
            "async_stream_false": RESPONSE,
            "async_stream_absent": RESPONSE,
        },
    )


@pytest.mark.openai
def test_other_payload_results(openai_mypy: MypyRun) -> None:
    check_revealed(
        openai_mypy,
        {
            "completions_stream": "Stream[ServerSentEvent]",
            "speech": "BinaryResponse",
            "files_iter": "Iterator[OpenAIFile]",
        },
    )


@pytest.mark.openai
def test_wrong_assignments_are_reported_and_nothing_else(
    openai_mypy: MypyRun,
) -> None:
    check_errors(
        openai_mypy,
        {
            "response_from_stream",
            "stream_from_default",
            "response_from_bool",
            "sync_stream_from_async",
        },
    )


@pytest.mark.openai
def test_chunk_finish_reason_may_be_none(openai_mypy: MypyRun) -> None:
    assert "None" in openai_mypy.revealed["finish_reason"]


def test_example_stream_overloads(example_mypy: MypyRun) -> None:
    check_revealed(
        example_mypy,
        {
            "summary_stream": "Stream[ServerSentEvent]",
            "summary_event": "ServerSentEvent",
            "summary": "CreateSummaryResponse",
            "event": "Event",
            "async_summary_stream": "AsyncStream[ServerSentEvent]",
            "async_events": "AsyncStream[Event]",
        },
    )
    check_errors(example_mypy, {"summary_from_stream"})
