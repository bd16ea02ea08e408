"""Typed event streams and stream ends on a small invented spec, end to end: the
generated package is black-formatted and passes mypy --strict (with a user script whose
revealed types are checked), and its streams behave against the fault server."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oapigen.config import GeneratorConfig
from oapigen.pipeline import generate
from tests.functional.test_stream_typing import MypyRun, check_revealed, start_mypy
from tests.servers.faulty import (  # noqa: F401  (faulty_server is a fixture)
    Events,
    FaultyServer,
    faulty_server,
)

StartServer = Callable[..., FaultyServer]
PACKAGE = "jobs_events_api"

SPEC = """
openapi: 3.1.0
info: {title: Jobs Events, version: "1.0.0"}
servers: [{url: "http://localhost/v1"}]
paths:
  /jobs:
    post:
      operationId: runJob
      tags: [Jobs]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties: {name: {type: string}, stream: {type: boolean}}
      responses:
        "200":
          description: a job, or its events with stream=true
          content:
            application/json: {schema: {$ref: "#/components/schemas/Job"}}
            text/event-stream: {schema: {$ref: "#/components/schemas/JobEvent"}}
  /jobs/feed:
    get:
      operationId: watchJobs
      tags: [Jobs]
      x-oapigen-stream-end: "[END]"
      responses:
        "200":
          description: events, ending with data [END]
          content: {text/event-stream: {schema: {$ref: "#/components/schemas/JobEvent"}}}
components:
  schemas:
    Job:
      type: object
      required: [id]
      properties: {id: {type: string}, state: {type: string}}
    Progress:
      type: object
      required: [percent]
      properties: {percent: {type: integer}}
    JobEvent:
      oneOf:
        - type: object
          required: [event, data]
          properties:
            event: {type: string, enum: [job.created]}
            data: {$ref: "#/components/schemas/Job"}
        - type: object
          required: [event, data]
          properties:
            event: {type: string, const: job.progress}
            data: {$ref: "#/components/schemas/Progress"}
"""

USER_SCRIPT = """\
from __future__ import annotations

from jobs_events_api import AsyncClient, Client


def sync_calls(client: Client) -> None:
    for item in client.jobs.run_job(name="n", stream=True):
        reveal_type(item)  # R:run_item
    reveal_type(client.jobs.run_job(name="n"))  # R:run_result
    for item in client.jobs.watch_jobs():
        reveal_type(item)  # R:watch_item


async def async_calls(client: AsyncClient) -> None:
    async for item in await client.jobs.run_job(name="n", stream=True):
        reveal_type(item)  # R:async_run_item
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("events")
    spec = root / "jobs.yaml"
    spec.write_text(textwrap.dedent(SPEC).lstrip("\n"), encoding="utf-8")
    config = GeneratorConfig(stream_end_marker="[DONE]")
    return generate(spec, output=root / "out", package=PACKAGE, config=config).target


@pytest.fixture(scope="module")
def api(project: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(project))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(project))


def test_generated_package_is_black_formatted(project: Path) -> None:
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", PACKAGE],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert black.returncode == 0, black.stderr


def test_mypy_strict_sees_typed_events(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("ty")
    package = start_mypy(f"import {PACKAGE}\n", "pkg.py", project, workdir)
    package_run = package.result()
    assert package_run.returncode == 0, package_run.output
    run: MypyRun = start_mypy(USER_SCRIPT, "user.py", project, workdir).result()
    assert run.stray_errors == [] and run.returncode == 0, run.output
    events = ("JobCreatedEvent", "JobProgressEvent")
    union = " | ".join([*events, "ServerSentEvent"])
    alternatives = (union, f"Union[{', '.join([*events, 'ServerSentEvent'])}]")
    check_revealed(
        run,
        {
            "run_item": alternatives,
            "run_result": "Job",
            "watch_item": alternatives,
            "async_run_item": alternatives,
        },
    )


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def collect(mode: str, api: ModuleType, url: str, method: str, **kw: Any) -> Any:
    items: list[Any] = []
    try:
        if mode == "sync":
            with api.Client(api_key="k", base_url=url) as client:
                for item in getattr(client.jobs, method)(**kw):
                    items.append(item)
        else:

            async def run() -> None:
                async with api.AsyncClient(api_key="k", base_url=url) as client:
                    async for item in await getattr(client.jobs, method)(**kw):
                        items.append(item)

            asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - returned for the test to check
        return items, exc
    return items, None


def event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


CREATED = event("job.created", {"id": "j1", "state": "new"})
PROGRESS = event("job.progress", {"percent": 50})
NEW = event("job.paused", {"id": "j1"})


def test_events_are_typed_by_name_and_unknown_ones_pass(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server([Events([CREATED, NEW, PROGRESS, "data: [DONE]\n\n"])])
    items, raised = collect(mode, api, server.url, "run_job", name="n", stream=True)
    assert raised is None
    created, paused, progress = items
    assert type(created) is api.models.JobCreatedEvent
    assert type(created.data) is api.models.Job and created.data.id == "j1"
    assert type(paused) is api.ServerSentEvent and paused.event == "job.paused"
    assert type(progress.data) is api.models.Progress and progress.data.percent == 50


def test_the_config_marker_missing_raises(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    server = faulty_server([Events([CREATED, PROGRESS])])
    items, raised = collect(mode, api, server.url, "run_job", name="n", stream=True)
    assert len(items) == 2
    assert isinstance(raised, api._runtime.IncompleteStreamError)
    assert raised.events_received == 2


def test_the_operation_marker_wins(
    mode: str, api: ModuleType, faulty_server: StartServer
) -> None:
    # watchJobs ends with [END]: [DONE] alone ends any stream, so the body stops here
    # without either, and then with its own marker.
    server = faulty_server([Events([CREATED]), Events([CREATED, "data: [END]\n\n"])])
    items, raised = collect(mode, api, server.url, "watch_jobs")
    assert len(items) == 1 and isinstance(raised, api._runtime.IncompleteStreamError)
    items, raised = collect(mode, api, server.url, "watch_jobs")
    assert raised is None and [i.data.id for i in items] == ["j1"]
