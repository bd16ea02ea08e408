"""Per-call client overhead, measured inside one bench venv (run as a script).

Every target sends the same two small JSON operations through an in-memory
`MockTransport` whose handler returns canned, pre-encoded bodies, so what is timed is
the client: building the request, the transport plumbing, decoding and model parsing.

    python call_worker.py --targets httpx,oapigen,openai --n 2000   # prints JSON
    python call_worker.py --first-call oapigen                   # one import + call

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


def first_call(target: str) -> None:
    """What a fresh process pays before its first result: import, client, one call."""
    if target == "none":
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

    print(
        json.dumps(measure(args.targets.split(","), args.n, args.rounds, args.warmup))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
