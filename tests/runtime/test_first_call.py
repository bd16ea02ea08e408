"""The first async call does not block the event loop while it loads its models
(and `ModelRef` works wherever a model class goes).

A fresh interpreter runs one call with asyncio's debug mode on, whose slow-callback
report names every step that held the loop longer than `slow_callback_duration`.
The models package is a stand-in whose model module takes LOAD_S seconds of CPU to
import (as a big generated models module does): named by `ModelRef`, the client loads
it in a worker thread and the report stays empty; passed as a class (evaluated in
the coroutine, as generated code does today), the report shows the import.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
from servers.faulty import FaultyServer, Reply

from oag_runtime import (
    AsyncAPIClient,
    ClientConfig,
    ModelRef,
    Operation,
    SyncAPIClient,
)

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "templates" / "runtime"
LOAD_S = 1.5  # CPU seconds to import the model module
REPORT_S = LOAD_S / 2  # the slow-callback threshold: far above any other step

MODELS_INIT = """
import importlib

def __getattr__(name):
    if name == "Thing":
        return importlib.import_module(".thing", __name__).Thing
    raise AttributeError(name)
"""

MODEL_MODULE = f"""
import time

import pydantic

end = time.perf_counter() + {LOAD_S}
while time.perf_counter() < end:  # a big module's worth of class building
    slice_end = time.perf_counter() + 0.001
    while time.perf_counter() < slice_end:
        pass
    time.sleep(0)  # as imports do (file reads): lets other threads take the GIL


class Thing(pydantic.BaseModel):
    id: str
"""

SCRIPT = """
import asyncio, importlib.util, json, logging, sys

runtime_dir, tests_dir, how = sys.argv[1:4]
spec = importlib.util.spec_from_file_location(
    "oag_runtime", runtime_dir + "/__init__.py",
    submodule_search_locations=[runtime_dir],
)
runtime = importlib.util.module_from_spec(spec)
sys.modules["oag_runtime"] = runtime
spec.loader.exec_module(runtime)
sys.path.insert(0, tests_dir)
from servers.faulty import FaultyServer, Reply

import slowmodels

reports = []


class Report(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if message.startswith("Executing"):
            reports.append(message)


logging.getLogger("asyncio").addHandler(Report())


class Client(runtime.AsyncAPIClient):
    _config = runtime.ClientConfig("firstcall", "1.0.0", "", "")


GET = runtime.Operation("getThing", "get", "/things/{thing_id}")


async def main(client):
    asyncio.get_running_loop().slow_callback_duration = float(sys.argv[4])
    if how == "ref":
        thing = await client.request(
            GET, runtime.ModelRef(slowmodels, "Thing"), path_params={"thing_id": "t1"}
        )
    else:  # what generated code passes today: the class, looked up in the coroutine
        thing = await client.request(
            GET, slowmodels.Thing, path_params={"thing_id": "t1"}
        )
    await client.aclose()
    return type(thing).__name__, thing.id


with FaultyServer(default=Reply(200, {"id": "t1"})) as server:
    # Made before the loop runs: the call is what is measured.
    client = Client(base_url=server.url, max_retries=0)
    result = asyncio.run(main(client), debug=True)
print(json.dumps({"result": result, "reports": reports}))
"""


def first_call(tmp_path: Path, how: str) -> dict[str, object]:
    package = tmp_path / "slowmodels"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text(MODELS_INIT)
    (package / "thing.py").write_text(MODEL_MODULE)
    script = tmp_path / "first_call.py"
    script.write_text(textwrap.dedent(SCRIPT))
    tests_dir = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(script), str(RUNTIME_DIR), str(tests_dir), how]
        + [str(REPORT_S)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return outcome


@pytest.mark.slow
def test_models_named_by_ref_load_off_the_event_loop(tmp_path: Path) -> None:
    outcome = first_call(tmp_path, "ref")
    assert outcome["result"] == ["Thing", "t1"]
    assert outcome["reports"] == []


@pytest.mark.slow
def test_models_passed_as_classes_block_the_loop(tmp_path: Path) -> None:
    """The meter works: the same import on the loop shows up in the report."""
    outcome = first_call(tmp_path, "class")
    assert outcome["result"] == ["Thing", "t1"]
    reports = outcome["reports"]
    assert isinstance(reports, list) and len(reports) == 1
    assert "main()" in reports[0] and "took" in reports[0]


# -- ModelRef wherever a model class goes (fast, in process) -------------------


class Created(pydantic.BaseModel):
    id: str
    name: str


class CreateBody(pydantic.BaseModel):
    name: str


class Models(types.ModuleType):
    """A models package stand-in recording the thread each class is loaded in."""

    def __init__(self) -> None:
        super().__init__("refmodels")
        self.loaded_in: dict[str, str] = {}

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        self.loaded_in[name] = threading.current_thread().name
        return globals()[name]


CREATE = Operation("createThing", "post", "/things", body="json")


class SyncRefClient(SyncAPIClient):
    _config = ClientConfig("reftest", "1.0.0", "", "")


class AsyncRefClient(AsyncAPIClient):
    _config = ClientConfig("reftest", "1.0.0", "", "")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_model_refs_for_the_result_and_the_body(
    mode: str, faulty_server: Callable[..., FaultyServer]
) -> None:
    server = faulty_server(default=Reply(200, {"id": "t1", "name": "a"}))
    models = Models()
    options: dict[str, Any] = {
        "body": {"name": "a"},
        "body_model": ModelRef(models, "CreateBody"),
    }
    if mode == "sync":
        with SyncRefClient(base_url=server.url, max_retries=0) as client:
            result = client.request(CREATE, ModelRef(models, "Created"), **options)
    else:

        async def run() -> Any:
            async with AsyncRefClient(base_url=server.url, max_retries=0) as client:
                return await client.request(
                    CREATE, ModelRef(models, "Created"), **options
                )

        result = asyncio.run(run())
    assert result == Created(id="t1", name="a")
    assert json.loads(server.requests[0].body) == {"name": "a"}
    main = threading.main_thread().name
    assert set(models.loaded_in) == {"Created", "CreateBody"}
    assert all((t == main) == (mode == "sync") for t in models.loaded_in.values())
