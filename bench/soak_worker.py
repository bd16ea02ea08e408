"""Soak and cancellation-storm measurements of one client, inside a bench venv (run as
a script; prints JSON). The server is bench/soak_server.py, in another process.

    python soak_worker.py load  --client oapigen --mode async --url URL --calls N
    python soak_worker.py storm --client openai --url URL

Clients: `oapigen` (the generated OpenAI package on PYTHONPATH), `openai` (the
official SDK of this venv, on its default httpx transport), `httpx` (a plain
`httpx.AsyncClient` / `httpx.Client`: post, raise_for_status, .json()). In `load`
each client has its own default pool, as users get it (oapigen: 100 connections, all
kept alive; the official SDK: 1,000 connections, 100 kept alive), plain httpx 100 /
100. In `storm` every client gets the same pool, 100 / 100, so stuck slots compare.

`load`: `--calls` create_chat_completion calls, `--concurrency` at a time (async:
tasks on one loop; sync: threads sharing one client), after a warm-up; reports
calls/s, latency percentiles, and RSS after the warm-up and at the end. The warm-up
is the client's first `--concurrency` calls, all at once on a fresh client (modules
imported, nothing else used yet): its slowest call is reported as `first_batch_ms`.

`storm`: `--cancellations` async calls cancelled by `asyncio.wait_for` with random
timeouts of 0.5-60 ms, `--concurrency` at a time; then counts the pool's stuck slots
(connections neither idle nor closed with no call in flight) and runs 300 normal
calls, 50 at a time (fewer than the pool's slots, so a healthy pool never makes one
wait), with a 5 s pool timeout, counting those that succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import random
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

API_KEY = "sk-soak-not-a-real-key"
MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Say hello"}]
LIMIT = 100
NORMAL_CALLS = 300


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def server_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/__stats", timeout=10) as reply:
        stats: dict[str, int] = json.loads(reply.read())
    return stats


def _check(result: Any) -> None:
    choices = result["choices"] if isinstance(result, dict) else result.choices
    message = (
        choices[0]["message"] if isinstance(choices[0], dict) else choices[0].message
    )
    content = message["content"] if isinstance(message, dict) else message.content
    if content != "Hello!":
        raise AssertionError(f"unexpected result {result!r}")


def _limits(httpx: Any) -> Any:
    return httpx.Limits(max_connections=LIMIT, max_keepalive_connections=LIMIT)


def make_async(
    client: str, url: str, pool_timeout: float | None = None
) -> tuple[Callable[[], Awaitable[Any]], Any, Callable[[], Awaitable[None]]]:
    """(call, the httpx.AsyncClient behind it, close). With `pool_timeout` (the
    storm), every client gets the same pool of LIMIT connections."""
    import httpx

    same_pool = pool_timeout is not None
    timeout = httpx.Timeout(600.0, connect=5.0, pool=pool_timeout or 600.0)
    base = url + "/v1"
    if client == "httpx":
        http = httpx.AsyncClient(
            base_url=base,
            limits=_limits(httpx),
            timeout=timeout,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

        async def plain() -> Any:
            response = await http.post(
                "/chat/completions", json={"model": MODEL, "messages": MESSAGES}
            )
            response.raise_for_status()
            return response.json()

        return plain, http, http.aclose
    if client == "oapigen":
        from openai_api import AsyncClient  # type: ignore[import-not-found]

        if same_pool:
            AsyncClient._connection_limits = _limits(httpx)
        ours = AsyncClient(
            api_key=API_KEY, base_url=base, max_retries=0, timeout=timeout
        )

        async def generated() -> Any:
            return await ours.chat.create_chat_completion(
                model=MODEL, messages=MESSAGES
            )

        return generated, ours._http, ours.aclose
    openai = importlib.import_module("openai")
    sdk = openai.AsyncOpenAI(
        api_key=API_KEY,
        base_url=base,
        max_retries=0,
        timeout=timeout,
        http_client=(
            openai.DefaultAsyncHttpxClient(limits=_limits(httpx), timeout=timeout)
            if same_pool
            else None
        ),
    )
    http = sdk._client

    async def official() -> Any:
        return await sdk.chat.completions.create(model=MODEL, messages=MESSAGES)

    return official, http, sdk.close


def make_sync(client: str, url: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    import httpx

    base = url + "/v1"
    if client == "httpx":
        http = httpx.Client(
            base_url=base,
            limits=_limits(httpx),
            timeout=600.0,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

        def plain() -> Any:
            response = http.post(
                "/chat/completions", json={"model": MODEL, "messages": MESSAGES}
            )
            response.raise_for_status()
            return response.json()

        return plain, http.close
    if client == "oapigen":
        from openai_api import Client

        ours = Client(api_key=API_KEY, base_url=base, max_retries=0)
        return (
            lambda: ours.chat.create_chat_completion(model=MODEL, messages=MESSAGES),
            ours.close,
        )
    openai = importlib.import_module("openai")
    sdk = openai.OpenAI(api_key=API_KEY, base_url=base, max_retries=0)
    return (
        lambda: sdk.chat.completions.create(model=MODEL, messages=MESSAGES),
        sdk.close,
    )


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    begin = time.perf_counter()
    await call()
    return time.perf_counter() - begin


def timed_sync(call: Callable[[], Any]) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


def first(batch: list[float], latencies: list[float]) -> dict[str, float]:
    """The first calls of a fresh client, all at once; and the p99 had they been
    counted with the others (as a soak without a warm-up would)."""
    everything = sorted(batch + latencies)
    return {
        "first_batch_ms": max(batch) * 1000,
        "p99_with_first_batch_ms": percentile(everything, 0.99) * 1000,
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(
    latencies: list[float], wall: float, cpu: float, rss_start: float
) -> dict[str, Any]:
    latencies.sort()
    return {
        "calls": len(latencies),
        "wall_s": wall,
        "calls_per_s": len(latencies) / wall if wall else None,
        "cpu_us_per_call": cpu / len(latencies) * 1e6,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_mb(),
    }


async def load_async(client: str, url: str, calls: int, concurrency: int) -> Any:
    call, _, close = make_async(client, url)
    first_batch = await asyncio.gather(*(timed(call) for _ in range(concurrency)))
    _check(await call())
    rss_start = rss_mb()
    latencies: list[float] = []
    started = 0

    async def worker() -> None:
        nonlocal started
        while started < calls:
            started += 1
            begin = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - begin)

    begin, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - begin, time.process_time() - cpu
    await close()
    return {**summary(latencies, wall, cpu, rss_start), **first(first_batch, latencies)}


def load_sync(client: str, url: str, calls: int, concurrency: int) -> Any:
    call, close = make_sync(client, url)
    lock = threading.Lock()
    latencies: list[float] = []
    started = 0

    def worker() -> None:
        nonlocal started
        while True:
            with lock:
                if started >= calls:
                    return
                started += 1
            begin = time.perf_counter()
            call()
            elapsed = time.perf_counter() - begin
            with lock:
                latencies.append(elapsed)

    with ThreadPoolExecutor(concurrency) as pool:
        first_batch = list(pool.map(lambda _: timed_sync(call), range(concurrency)))
        _check(call())
        rss_start = rss_mb()
        begin, cpu = time.perf_counter(), time.process_time()
        futures = [pool.submit(worker) for _ in range(concurrency)]
        for future in futures:
            future.result()
        wall, cpu = time.perf_counter() - begin, time.process_time() - cpu
    close()
    return {**summary(latencies, wall, cpu, rss_start), **first(first_batch, latencies)}


def stuck_slots(http: Any) -> int:
    """Connections neither idle nor closed while no call is in flight."""
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    connections = getattr(pool, "_connections", None)
    if connections is None:
        return -1  # not an httpcore pool: cannot tell
    return sum(
        1
        for connection in connections
        if not connection.is_idle() and not connection.is_closed()
    )


async def storm(client: str, url: str, cancellations: int, concurrency: int) -> Any:
    call, http, close = make_async(client, url, pool_timeout=5.0)
    _check(await call())
    rng = random.Random(1093)
    cancelled = completed = late = failed = 0

    async def worker() -> None:
        nonlocal cancelled, completed, late, failed
        while cancelled < cancellations:
            limit = rng.uniform(0.0005, 0.060)
            begin = time.perf_counter()
            try:
                await asyncio.wait_for(call(), limit)
            except asyncio.TimeoutError:
                cancelled += 1
            except Exception:  # noqa: BLE001 - a stuck pool times out: counted
                failed += 1
                cancelled += 1  # waiting out a pool timeout: as good as cancelled
            else:
                completed += 1
                # Returned well after wait_for's timeout: the cancellation was lost.
                if time.perf_counter() - begin > 2 * limit + 0.05:
                    late += 1

    begin = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    storm_s = time.perf_counter() - begin
    for _ in range(20):
        await asyncio.sleep(0.01)
    stuck = stuck_slots(http)
    gate = asyncio.Semaphore(50)

    async def normal() -> Any:
        async with gate:
            return await call()

    outcomes = await asyncio.gather(
        *(normal() for _ in range(NORMAL_CALLS)), return_exceptions=True
    )
    ok = sum(1 for outcome in outcomes if not isinstance(outcome, BaseException))
    errors = sorted(
        {type(o).__name__ for o in outcomes if isinstance(o, BaseException)}
    )
    stats = await asyncio.to_thread(server_stats, url)
    await close()
    return {
        "cancellations": cancelled,
        "completed_during_storm": completed,
        "completed_late": late,
        "failed_during_storm": failed,
        "storm_s": storm_s,
        "stuck_slots": stuck,
        "pool_limit": LIMIT,
        "normal_calls": NORMAL_CALLS,
        "normal_ok": ok,
        "normal_errors": errors,
        "server_open_connections": stats["open"],
    }


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0]}
    for name in ("httpx", "httpcore", "openai", "openai_api"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found[name] = str(getattr(module, "__version__", "?"))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["load", "storm"])
    parser.add_argument(
        "--client", required=True, choices=["oapigen", "openai", "httpx"]
    )
    parser.add_argument("--mode", default="async", choices=["async", "sync"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--cancellations", type=int, default=2000)
    args = parser.parse_args()
    if args.what == "storm":
        result = asyncio.run(
            storm(args.client, args.url, args.cancellations, args.concurrency)
        )
    elif args.mode == "async":
        result = asyncio.run(
            load_async(args.client, args.url, args.calls, args.concurrency)
        )
    else:
        result = load_sync(args.client, args.url, args.calls, args.concurrency)
    result["versions"] = versions()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
