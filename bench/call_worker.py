"""Per-call client overhead, measured inside one bench venv (run as a script).

Every target sends the same two small JSON operations through an in-memory
`MockTransport` whose handler returns canned, pre-encoded bodies, so what is timed is
the client: building the request, the transport plumbing, decoding and model parsing.

    python call_worker.py --targets httpx,oapigen,openai --n 2000   # prints JSON
    python call_worker.py --first-call oapigen                   # one import + call
    python call_worker.py --first-call floor      # httpx + pydantic, one client, one model

Targets: httpx / httpx2 (plain client: request, raise_for_status, .json()), oapigen
(the generated package on PYTHONPATH), openai (the official SDK of this venv; 2.x is
built on httpx, 3.x on httpx2). Only the standard library is imported at module
level, so `--first-call none` is the baseline that `--first-call X` is compared with.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

BASE_URL = "https://api.bench.invalid/v1"
API_KEY = "sk-bench-not-a-real-key"
MODEL_ID = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Say hello"}]
MODEL_BODY = {
    "id": MODEL_ID,
    "object": "model",
    "created": 1721172741,
    "owned_by": "system",
}
CHAT_BODY = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1721172741,
    "model": MODEL_ID,
    "system_fingerprint": "fp_bench",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
}
OPERATIONS = ("retrieve_model", "create_chat_completion")
MODES = ("sync", "async")


def _bodies() -> dict[str, bytes]:
    import json  # lazily: the --first-call baseline must not pay for it

    return {
        f"/v1/models/{MODEL_ID}": json.dumps(MODEL_BODY).encode(),
        "/v1/chat/completions": json.dumps(CHAT_BODY).encode(),
    }


def _handler(http: Any) -> Callable[[Any], Any]:
    """One handler for every target: look the path up, answer with canned bytes."""
    bodies = _bodies()
    headers = {"content-type": "application/json"}

    def handle(request: Any) -> Any:
        return http.Response(200, headers=headers, content=bodies[request.url.path])

    return handle


STREAM_TOKENS = 100  # content chunks per streamed response (plus a first and a last)


def _chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1721172741,
        "model": MODEL_ID,
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
    }


def _stream_body() -> tuple[list[bytes], int, str]:
    """An SSE chat completion: (its events, chunks in it, the content they spell)."""
    import json

    tokens = [f"w{index} " for index in range(STREAM_TOKENS)]
    chunks = [_chunk({"role": "assistant", "content": ""}, None)]
    chunks += [_chunk({"content": token}, None) for token in tokens]
    chunks.append(_chunk({}, "stop"))
    events = [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks]
    events.append(b"data: [DONE]\n\n")
    return events, len(chunks), "".join(tokens)


def _stream_handler(
    http: Any, events: list[bytes], asynchronous: bool
) -> Callable[[Any], Any]:
    """The body arrives one event per read, as a server flushing each event sends it."""
    headers = {"content-type": "text/event-stream"}

    async def aiter_events() -> Any:
        for event in events:
            yield event

    def handle(request: Any) -> Any:
        content = aiter_events() if asynchronous else iter(events)
        return http.Response(200, headers=headers, content=content)

    return handle


def _delta_text(chunk: Any) -> str:
    choices = _field(chunk, "choices")
    if not choices:
        return ""
    delta = _field(choices[0], "delta")
    content = delta.get("content") if isinstance(delta, dict) else delta.content
    return content or ""


def _http_module(target: str) -> Any:
    if target == "httpx2":
        return importlib.import_module("httpx2")
    if target == "openai":
        # The SDK's transport library: openai 3.x moved from httpx to httpx2.
        openai = importlib.import_module("openai")
        major = int(openai.__version__.split(".")[0])
        return importlib.import_module("httpx2" if major >= 3 else "httpx")
    return importlib.import_module("httpx")


Call = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]


def _field(value: Any, name: str) -> Any:
    """`value[name]` for plain JSON, `value.name` for a model."""
    return value[name] if isinstance(value, dict) else getattr(value, name)


def _check(op: str, result: object) -> None:
    """Fail loudly if a target measured an error path instead of a real result."""
    if op == "retrieve_model":
        ok = _field(result, "id") == MODEL_ID
    else:
        message = _field(_field(result, "choices")[0], "message")
        ok = _field(message, "content") == "Hello!"
    if not ok:
        raise AssertionError(f"{op} returned {result!r}")


def _sync_calls(target: str) -> tuple[dict[str, Call], Callable[[], None]]:
    http = _http_module(target)
    transport = http.MockTransport(_handler(http))
    if target in ("httpx", "httpx2"):
        client = http.Client(
            base_url=BASE_URL,
            transport=transport,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

        def retrieve() -> object:
            response = client.get(f"/models/{MODEL_ID}")
            response.raise_for_status()
            return response.json()

        def chat() -> object:
            response = client.post(
                "/chat/completions", json={"model": MODEL_ID, "messages": MESSAGES}
            )
            response.raise_for_status()
            return response.json()

        return {"retrieve_model": retrieve, "create_chat_completion": chat}, (
            client.close
        )
    http_client = http.Client(transport=transport)
    if target == "oapigen":
        from openai_api import Client  # type: ignore[import-not-found]

        ours = Client(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)
        return {
            "retrieve_model": lambda: ours.models.retrieve_model(MODEL_ID),
            "create_chat_completion": lambda: ours.chat.create_chat_completion(
                model=MODEL_ID, messages=MESSAGES
            ),
        }, ours.close
    openai = importlib.import_module("openai")
    sdk = openai.OpenAI(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)
    return {
        "retrieve_model": lambda: sdk.models.retrieve(MODEL_ID),
        "create_chat_completion": lambda: sdk.chat.completions.create(
            model=MODEL_ID, messages=MESSAGES
        ),
    }, sdk.close


def _async_calls(target: str) -> tuple[dict[str, AsyncCall], Callable[[], Any]]:
    http = _http_module(target)
    transport = http.MockTransport(_handler(http))
    if target in ("httpx", "httpx2"):
        client = http.AsyncClient(
            base_url=BASE_URL,
            transport=transport,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

        async def retrieve() -> object:
            response = await client.get(f"/models/{MODEL_ID}")
            response.raise_for_status()
            return response.json()

        async def chat() -> object:
            response = await client.post(
                "/chat/completions", json={"model": MODEL_ID, "messages": MESSAGES}
            )
            response.raise_for_status()
            return response.json()

        return {"retrieve_model": retrieve, "create_chat_completion": chat}, (
            client.aclose
        )
    http_client = http.AsyncClient(transport=transport)
    if target == "oapigen":
        from openai_api import AsyncClient

        ours = AsyncClient(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)
        return {
            "retrieve_model": lambda: ours.models.retrieve_model(MODEL_ID),
            "create_chat_completion": lambda: ours.chat.create_chat_completion(
                model=MODEL_ID, messages=MESSAGES
            ),
        }, ours.aclose
    openai = importlib.import_module("openai")
    sdk = openai.AsyncOpenAI(
        api_key=API_KEY, base_url=BASE_URL, http_client=http_client
    )
    return {
        "retrieve_model": lambda: sdk.models.retrieve(MODEL_ID),
        "create_chat_completion": lambda: sdk.chat.completions.create(
            model=MODEL_ID, messages=MESSAGES
        ),
    }, sdk.close


def _time_sync(call: Call, n: int) -> float:
    """Microseconds per call over `n` back-to-back calls."""
    started = time.perf_counter_ns()
    for _ in range(n):
        call()
    return (time.perf_counter_ns() - started) / n / 1000


async def _time_async(call: AsyncCall, n: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(n):
        await call()
    return (time.perf_counter_ns() - started) / n / 1000


StreamCall = Callable[[], str]
AsyncStreamCall = Callable[[], Awaitable[str]]


def _sync_stream(
    target: str, body: list[bytes]
) -> tuple[StreamCall, Callable[[], None]]:
    """One streamed chat completion read to its end; returns the text it spelled."""
    http = _http_module(target)
    transport = http.MockTransport(_stream_handler(http, body, False))
    request = {"model": MODEL_ID, "messages": MESSAGES, "stream": True}
    if target in ("httpx", "httpx2"):
        import json

        client = http.Client(base_url=BASE_URL, transport=transport)

        def raw() -> str:
            # The floor: lines, the `data: ` prefix, json.loads, no model.
            parts = []
            with client.stream("POST", "/chat/completions", json=request) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    parts.append(_delta_text(json.loads(data)))
            return "".join(parts)

        return raw, client.close
    http_client = http.Client(transport=transport)
    if target == "oapigen":
        from openai_api import Client

        ours = Client(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)

        def generated() -> str:
            stream = ours.chat.create_chat_completion(
                model=MODEL_ID, messages=MESSAGES, stream=True
            )
            with stream:
                return "".join(_delta_text(chunk) for chunk in stream)

        return generated, ours.close
    openai = importlib.import_module("openai")
    sdk = openai.OpenAI(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)

    def official() -> str:
        stream = sdk.chat.completions.create(
            model=MODEL_ID, messages=MESSAGES, stream=True
        )
        with stream:
            return "".join(_delta_text(chunk) for chunk in stream)

    return official, sdk.close


def _async_stream(
    target: str, body: list[bytes]
) -> tuple[AsyncStreamCall, Callable[[], Any]]:
    http = _http_module(target)
    transport = http.MockTransport(_stream_handler(http, body, True))
    request = {"model": MODEL_ID, "messages": MESSAGES, "stream": True}
    if target in ("httpx", "httpx2"):
        import json

        client = http.AsyncClient(base_url=BASE_URL, transport=transport)

        async def raw() -> str:
            parts = []
            async with client.stream(
                "POST", "/chat/completions", json=request
            ) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    parts.append(_delta_text(json.loads(data)))
            return "".join(parts)

        return raw, client.aclose
    http_client = http.AsyncClient(transport=transport)
    if target == "oapigen":
        from openai_api import AsyncClient

        ours = AsyncClient(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)

        async def generated() -> str:
            stream = await ours.chat.create_chat_completion(
                model=MODEL_ID, messages=MESSAGES, stream=True
            )
            parts = []
            async with stream:
                async for chunk in stream:
                    parts.append(_delta_text(chunk))
            return "".join(parts)

        return generated, ours.aclose
    openai = importlib.import_module("openai")
    sdk = openai.AsyncOpenAI(
        api_key=API_KEY, base_url=BASE_URL, http_client=http_client
    )

    async def official() -> str:
        stream = await sdk.chat.completions.create(
            model=MODEL_ID, messages=MESSAGES, stream=True
        )
        parts = []
        async with stream:
            async for chunk in stream:
                parts.append(_delta_text(chunk))
        return "".join(parts)

    return official, sdk.close


def measure_streams(
    targets: list[str], streams: int, rounds: int, warmup: int
) -> dict[str, Any]:
    """µs per SSE chunk of every target: `rounds` blocks of `streams` whole streamed
    responses, interleaved across targets like the calls."""
    import asyncio

    body, chunks, text = _stream_body()
    results: dict[str, dict[str, list[float]]] = {
        target: {mode: [] for mode in MODES} for target in targets
    }
    errors: dict[str, str] = {}

    def failed(target: str, exc: BaseException) -> None:
        errors[target] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]

    def check(target: str, got: str) -> None:
        if got != text:
            raise AssertionError(f"{target} streamed {got[:60]!r}...")

    sync: dict[str, tuple[StreamCall, Callable[[], None]]] = {}
    for target in targets:
        try:
            call, close = _sync_stream(target, body)
            check(target, call())
            for _ in range(warmup):
                call()
        except Exception as exc:  # noqa: BLE001 - reported per target
            failed(target, exc)
        else:
            sync[target] = (call, close)
    for _ in range(rounds):
        for target, (call, _) in sync.items():
            started = time.perf_counter_ns()
            for _ in range(streams):
                call()
            elapsed = time.perf_counter_ns() - started
            results[target]["sync"].append(elapsed / (streams * chunks) / 1000)
    for _, close in sync.values():
        close()

    async def run_async() -> None:
        live: dict[str, tuple[AsyncStreamCall, Callable[[], Any]]] = {}
        for target in targets:
            if target in errors:
                continue
            try:
                call, aclose = _async_stream(target, body)
                check(target, await call())
                for _ in range(warmup):
                    await call()
            except Exception as exc:  # noqa: BLE001 - reported per target
                failed(target, exc)
            else:
                live[target] = (call, aclose)
        for _ in range(rounds):
            for target, (call, _) in live.items():
                started = time.perf_counter_ns()
                for _ in range(streams):
                    await call()
                elapsed = time.perf_counter_ns() - started
                results[target]["async"].append(elapsed / (streams * chunks) / 1000)
        for _, aclose in live.values():
            await aclose()

    asyncio.run(run_async())
    return {
        target: {
            "chunks_per_stream": chunks,
            "streams": streams,
            "error": errors.get(target),
            "us_per_chunk": results[target],
        }
        for target in targets
    }


def measure(targets: list[str], n: int, rounds: int, warmup: int) -> dict[str, Any]:
    """Per-call µs of every target, rounds interleaved across targets and operations
    so that a burst of load from elsewhere on the machine hits all of them alike."""
    import asyncio

    results: dict[str, Any] = {
        target: {op: {mode: [] for mode in MODES} for op in OPERATIONS}
        for target in targets
    }
    errors: dict[str, str] = {}

    def failed(target: str, exc: BaseException) -> None:
        # One broken target must not cost the others their numbers.
        errors[target] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]

    sync_clients = {}
    for target in targets:
        try:
            calls, close = _sync_calls(target)
            for op, call in calls.items():
                _check(op, call())
                _time_sync(call, warmup)
        except Exception as exc:  # noqa: BLE001 - reported per target
            failed(target, exc)
        else:
            sync_clients[target] = (calls, close)
    for _ in range(rounds):
        for target, (calls, _) in sync_clients.items():
            for op, call in calls.items():
                results[target][op]["sync"].append(_time_sync(call, n))
    for _, close in sync_clients.values():
        close()

    async def run_async() -> None:
        async_clients = {}
        for target in targets:
            if target in errors:
                continue
            try:
                calls, aclose = _async_calls(target)
                for op, call in calls.items():
                    _check(op, await call())
                    await _time_async(call, warmup)
            except Exception as exc:  # noqa: BLE001 - reported per target
                failed(target, exc)
            else:
                async_clients[target] = (calls, aclose)
        for _ in range(rounds):
            for target, (calls, _) in async_clients.items():
                for op, call in calls.items():
                    results[target][op]["async"].append(await _time_async(call, n))
        for _, aclose in async_clients.values():
            await aclose()

    asyncio.run(run_async())
    return {
        target: {
            "python": sys.version.split()[0],
            "versions": _versions(target),
            "n": n,
            "rounds": rounds,
            "error": errors.get(target),
            "us_per_call": results[target],
        }
        for target in targets
    }


def _versions(target: str) -> dict[str, str]:
    from importlib import metadata

    names = ["httpx2"] if target == "httpx2" else ["httpx"]
    if target == "openai":
        names = ["openai", "httpx", "httpx2", "pydantic"]
    elif target == "oapigen":
        names = ["httpx", "pydantic"]
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _dependency_floor() -> None:
    """What any httpx + pydantic client pays first: import both, build one
    httpx.Client (on the same MockTransport as the clients, so no TLS context) and
    validate one model."""
    import httpx
    import pydantic

    class ChatCompletion(pydantic.BaseModel):
        id: str
        object: str
        created: int
        model: str
        choices: list[dict[str, Any]]
        usage: dict[str, int]

    client = httpx.Client(
        base_url=BASE_URL, transport=httpx.MockTransport(_handler(httpx))
    )
    completion = ChatCompletion.model_validate(CHAT_BODY)
    if completion.id != CHAT_BODY["id"]:
        raise AssertionError("the floor's model did not validate")
    client.close()


def first_call(target: str) -> None:
    """What a fresh process pays before its first result: import, client, one call."""
    if target == "none":
        return
    if target == "floor":
        _dependency_floor()
        return
    calls, close = _sync_calls(target)
    _check("create_chat_completion", calls["create_chat_completion"]())
    close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", help="comma-separated, measured interleaved")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--first-call", metavar="TARGET")
    parser.add_argument(
        "--streams",
        type=int,
        default=0,
        help="also time streaming: blocks of this many streamed responses "
        '(output key "streaming")',
    )
    parser.add_argument(
        "--print-modules",
        action="store_true",
        help="with --first-call: print how " "many modules are loaded at the end",
    )
    args = parser.parse_args()
    if args.first_call:
        first_call(args.first_call)
        if args.print_modules:
            print(len(sys.modules))
        return 0
    import json

    targets = args.targets.split(",")
    results = measure(targets, args.n, args.rounds, args.warmup)
    if args.streams > 0:
        streaming = measure_streams(targets, args.streams, args.rounds, warmup=3)
        for target in targets:
            results[target]["streaming"] = streaming[target]
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
