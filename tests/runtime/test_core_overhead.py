"""Per-call overhead of the runtime over plain httpx, same MockTransport, same work
(build the request, send, decode and validate the JSON into the same model)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pydantic

from oag_runtime import NOT_GIVEN, ClientConfig, Operation, SyncAPIClient

CALLS = 1000
BUDGET_SECONDS = 0.0005  # the target: well under 0.5 ms per call


class Client(SyncAPIClient):
    _config = ClientConfig("fakeapi", "1.0.0", "FAKEAPI", "https://api.example.test/v1")


class Thing(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    id: str
    object: str
    size: int
    tags: list[str]


BODY = json.dumps(
    {"id": "t1", "object": "thing", "size": 3, "tags": ["a", "b"]}
).encode()
CREATE = Operation("createThing", "post", "/things/{group}", body="json")


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, content=BODY, headers={"content-type": "application/json"}
    )


def best_per_call(
    first: Callable[[], object], second: Callable[[], object], rounds: int = 3
) -> tuple[float, float]:
    """CPU seconds per call of each, best of `rounds` interleaved runs (CPU time and
    interleaving keep a busy machine from skewing one side)."""
    for _ in range(50):  # warm up caches
        first()
        second()
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, call in enumerate((first, second)):
            started = time.process_time()
            for _ in range(CALLS):
                call()
            best[index] = min(best[index], (time.process_time() - started) / CALLS)
    return best[0], best[1]


def test_per_call_overhead_over_plain_httpx() -> None:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(api_key="sk-x", http_client=http)
    url = "https://api.example.test/v1/things/g1"
    auth = {"Authorization": "Bearer sk-x"}

    def plain() -> Thing:
        response = http.post(
            url, params={"limit": 10}, json={"name": "n", "size": 3}, headers=auth
        )
        response.raise_for_status()
        return Thing.model_validate(response.json())

    def runtime() -> Thing:
        return client.request(
            CREATE,
            Thing,
            path_params={"group": "g1"},
            query={"limit": 10},
            body={"name": "n", "size": 3, "note": NOT_GIVEN},
        )

    assert plain() == runtime()
    plain_cost, runtime_cost = best_per_call(plain, runtime)
    overhead = runtime_cost - plain_cost
    assert overhead < BUDGET_SECONDS, f"{overhead * 1e6:.0f} us per call"
