"""The runtime's cancellation safety and stream endings, through the generated OpenAI
2.3.0 client (tests/conftest.py generates it), against the fault server."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from servers.faulty import Events, FaultyServer, Reply

StartServer = Callable[..., FaultyServer]
CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
}
MESSAGES = [{"role": "user", "content": "hi"}]


def chunk(n: int) -> str:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": f"t{n}"}, "finish_reason": None}],
    }
    return f"data: {json.dumps(body)}\n\n"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def stream_chat(mode: str, package: ModuleType, url: str) -> tuple[list[str], Any]:
    """The delta texts received, and what was raised (or None)."""
    texts: list[str] = []
    try:
        if mode == "sync":
            with package.Client(api_key="sk-test", base_url=url) as client:
                stream = client.chat.create_chat_completion(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True
                )
                for item in stream:
                    texts.append(item.choices[0].delta.content)
        else:

            async def run() -> None:
                async with package.AsyncClient(api_key="sk-test", base_url=url) as c:
                    stream = await c.chat.create_chat_completion(
                        model="gpt-4o-mini", messages=MESSAGES, stream=True
                    )
                    async for item in stream:
                        texts.append(item.choices[0].delta.content)

            asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - returned for the test to check
        return texts, exc
    return texts, None


@pytest.mark.openai
def test_chat_stream_cut_mid_event(
    mode: str, openai_package: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server([Events([chunk(0), chunk(1), chunk(2)[:40]])])
    texts, raised = stream_chat(mode, openai_package, server.url)
    assert texts == ["t0", "t1"]
    runtime = openai_package._runtime
    assert isinstance(raised, runtime.IncompleteStreamError)
    assert isinstance(raised, openai_package.APIConnectionError)
    assert raised.events_received == 2


@pytest.mark.openai
def test_chat_stream_answered_with_html(
    mode: str, openai_package: ModuleType, faulty_server: StartServer
) -> None:
    page = Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
    server = faulty_server([page])
    texts, raised = stream_chat(mode, openai_package, server.url)
    assert texts == []
    assert isinstance(raised, openai_package.APIResponseValidationError)
    assert "text/html" in str(raised) and "maintenance" in str(raised)


@pytest.mark.openai
@pytest.mark.slow
async def test_generated_async_client_survives_cancellations(
    openai_package: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server(default=Reply(200, CHAT, delay=0.002), max_requests=10**6)
    limit = 20

    class Client(openai_package.AsyncClient):  # type: ignore[name-defined,misc]
        _connection_limits = httpx.Limits(
            max_connections=limit, max_keepalive_connections=limit
        )

    timeout = httpx.Timeout(10.0, pool=20.0)
    async with Client(api_key="sk-test", base_url=server.url, timeout=timeout) as c:

        async def call() -> None:
            result = await c.chat.create_chat_completion(
                model="gpt-4o-mini", messages=MESSAGES
            )
            assert result.choices[0].message.content == "Hi"

        rng = random.Random(14)
        cancelled = 0

        async def worker() -> None:
            nonlocal cancelled
            while cancelled < 1000:
                try:
                    await asyncio.wait_for(call(), rng.uniform(0.0005, 0.060))
                except asyncio.TimeoutError:
                    cancelled += 1

        await asyncio.gather(*(worker() for _ in range(2 * limit)))
        for _ in range(5):
            await asyncio.sleep(0.01)
        pool = c._http._transport._pool
        assert [
            conn for conn in pool._connections if not conn.is_idle()
        ] == [] and pool._requests == []
        results = await asyncio.gather(*(call() for _ in range(300)))
        assert results == [None] * 300


FIRST_CALL = """
import asyncio, json, logging, sys, threading

project, tests_dir, url, message = sys.argv[1:5]
sys.path[:0] = [project, tests_dir]
import openai_api
from openai_api._runtime import _validation

during_call = False
imported = []  # (module, thread) of every model module the call imported
built = []  # thread of every request check built during the call


class Recorder:  # sees every module about to be imported (by any means), finds none

    @staticmethod
    def find_spec(name, path=None, target=None):
        if during_call and name.startswith("openai_api.models."):
            imported.append((name, threading.current_thread().name))
        return None


sys.meta_path.insert(0, Recorder)
build = _validation._build


def recording_build(*args):
    if during_call:
        built.append(threading.current_thread().name)
    return build(*args)


_validation._build = recording_build
slow = []


class Report(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("Executing"):
            slow.append(record.getMessage())


logging.getLogger("asyncio").addHandler(Report())


async def main(client):
    global during_call
    asyncio.get_running_loop().slow_callback_duration = 0.1
    during_call = True
    result = await client.chat.create_chat_completion(
        model="gpt-4o-mini", messages=[json.loads(message)]
    )
    during_call = False
    await client.aclose()
    return result.choices[0].message.content


client = openai_api.AsyncClient(api_key="sk-test", base_url=url, max_retries=0)
content = asyncio.run(main(client), debug=True)
print(json.dumps({"content": content, "imported": imported, "built": built, "slow": slow}))
"""


def _async_first_call(
    package: ModuleType, url: str, tmp_path: Path, message: dict[str, object]
) -> dict[str, Any]:
    project = Path(package.__file__ or "").resolve().parents[1]
    script = tmp_path / "first_call.py"
    script.write_text(FIRST_CALL)
    tests_dir = Path(__file__).resolve().parents[1]
    argv = [str(script), str(project), str(tests_dir), url, json.dumps(message)]
    done = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert outcome["content"] == "Hi"
    return outcome


@pytest.mark.openai
@pytest.mark.slow
def test_generated_async_first_call_loads_models_off_the_loop(
    openai_package: ModuleType, faulty_server: StartServer, tmp_path: Path
) -> None:
    """The generated methods name their models by ModelRef: the first async call
    imports the result's model modules in a worker thread; a body that fits its
    shape needs neither its model nor the model's request check."""
    server = faulty_server(default=Reply(200, CHAT))
    message = {"role": "user", "content": "hi"}
    outcome = _async_first_call(openai_package, server.url, tmp_path, message)
    modules = {module for module, _ in outcome["imported"]}
    assert "openai_api.models.create_chat_completion_response" in modules
    assert "openai_api.models.create_chat_completion_request" not in modules
    on_loop = [m for m, thread in outcome["imported"] if thread == "MainThread"]
    assert on_loop == []
    assert outcome["built"] == []


@pytest.mark.openai
@pytest.mark.slow
def test_generated_async_body_outside_its_shape_is_checked_off_the_loop(
    openai_package: ModuleType, faulty_server: StartServer, tmp_path: Path
) -> None:
    """A member the shape does not declare (the model's check lets it pass): the
    body's model is imported and its request check built in the worker thread."""
    server = faulty_server(default=Reply(200, CHAT))
    message = {"role": "user", "content": "hi", "x_trace": "t1"}
    outcome = _async_first_call(openai_package, server.url, tmp_path, message)
    modules = {module for module, _ in outcome["imported"]}
    assert "openai_api.models.create_chat_completion_response" in modules
    assert "openai_api.models.create_chat_completion_request" in modules
    on_loop = [m for m, thread in outcome["imported"] if thread == "MainThread"]
    assert on_loop == []
    assert outcome["built"] and "MainThread" not in outcome["built"]
