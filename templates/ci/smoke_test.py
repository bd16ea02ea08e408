"""Smoke test of a generated client package, with no network.

    python smoke_test.py generated/<package>

Imports the package; builds `Client` and `AsyncClient` over `httpx.MockTransport`;
calls one operation with each (the first, in name order, that takes only plain
arguments and returns a model), checking the request that went out and the result;
runs `python -m <package> --help` and the chosen method's `--help`. Prints one
`ok ...` line per check and exits 0, or exits 1 naming what failed.

Needs only what the package needs (httpx, pydantic). Copied from oapigen's
templates/ci/ next to regenerate.sh, which runs it after every regeneration.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pydantic

BASE_URL = "https://smoke.invalid/v1"
API_KEY = "smoke-key"
MARKER = "smoke-7d1"  # the value of every text argument, looked for in the request
PLAIN_VALUES: dict[str, object] = {
    "str": MARKER,
    "int": 1,
    "float": 1.5,
    "bool": True,
}


class SmokeFailure(Exception):
    pass


class Operation:
    """The operation the smoke test calls."""

    def __init__(
        self, resource: str, method: str, kwargs: dict[str, object], returns: type
    ) -> None:
        self.resource = resource
        self.method = method
        self.kwargs = kwargs
        self.returns = returns

    def __str__(self) -> str:
        return f"client.{self.resource}.{self.method}"


def resource_names(client_cls: type) -> list[str]:
    """The resources of a generated client: the public properties of its class."""
    return sorted(
        name
        for name, value in vars(client_cls).items()
        if not name.startswith("_")
        and isinstance(value, (property, functools.cached_property))
    )


def annotation_name(annotation: object) -> str:
    if isinstance(annotation, str):
        return annotation
    return str(getattr(annotation, "__name__", annotation))


def model_returned(function: Any) -> type | None:
    """The pydantic model a method returns, or None (streams, bytes, text, unions)."""
    returns = inspect.signature(function).return_annotation
    if isinstance(returns, str):
        try:
            returns = eval(returns, function.__globals__)  # the module's own names
        except Exception:
            return None
    if isinstance(returns, type) and issubclass(returns, pydantic.BaseModel):
        return returns
    return None


def pick_operation(client: Any) -> Operation:
    for resource_name in resource_names(type(client)):
        resource = getattr(client, resource_name)
        for name, function in sorted(vars(type(resource)).items()):
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            returns = model_returned(function)
            if returns is None:
                continue
            kwargs = plain_arguments(function)
            if kwargs is not None:
                return Operation(resource_name, name, kwargs, returns)
    raise SmokeFailure("no operation takes only plain arguments and returns a model")


def plain_arguments(function: Any) -> dict[str, object] | None:
    """Values for the required arguments, when all are str/int/float/bool."""
    kwargs: dict[str, object] = {}
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        value = PLAIN_VALUES.get(annotation_name(parameter.annotation))
        if value is None:
            return None
        kwargs[parameter.name] = value
    return kwargs


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(200, json={}, headers={"x-request-id": "req_smoke"})


def check_call(
    package: ModuleType, operation: Operation, recorder: Recorder, result: object
) -> str:
    if len(recorder.requests) != 1:
        raise SmokeFailure(f"{operation} sent {len(recorder.requests)} requests, not 1")
    request = recorder.requests[0]
    url = str(request.url)
    if not url.startswith(BASE_URL + "/"):
        raise SmokeFailure(f"{operation} called {url}, outside {BASE_URL}")
    agent = request.headers.get("user-agent", "")
    if not agent.startswith(package.__name__ + "/"):
        raise SmokeFailure(f"{operation} sent User-Agent {agent!r}")
    if MARKER in operation.kwargs.values():
        if MARKER not in url and MARKER.encode() not in request.content:
            raise SmokeFailure(f"{operation} did not send its arguments")
    if not isinstance(result, operation.returns):
        raise SmokeFailure(
            f"{operation} returned {type(result).__name__}, "
            f"not {operation.returns.__name__}"
        )
    return f"{request.method} {request.url.path} -> {type(result).__name__}"


def sync_call(package: ModuleType) -> Operation:
    recorder = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with package.Client(api_key=API_KEY, base_url=BASE_URL, http_client=http) as client:
        operation = pick_operation(client)
        method = getattr(getattr(client, operation.resource), operation.method)
        result = method(**operation.kwargs)
    print(f"ok Client: {operation}: {check_call(package, operation, recorder, result)}")
    return operation


async def async_call(package: ModuleType, operation: Operation) -> None:
    recorder = Recorder()
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with package.AsyncClient(
        api_key=API_KEY, base_url=BASE_URL, http_client=http
    ) as client:
        method = getattr(getattr(client, operation.resource), operation.method)
        result = await method(**operation.kwargs)
    checked = check_call(package, operation, recorder, result)
    print(f"ok AsyncClient: {operation}: {checked}")


def command_line(project: Path, package: str, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(project))
    done = subprocess.run(
        [sys.executable, "-m", package, *args, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 or not done.stdout.startswith("usage: "):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SmokeFailure(f"python -m {package} {' '.join(args)} --help: {last}")
    print(f"ok python -m {' '.join([package, *args])} --help")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    project = Path(argv[0]).resolve()
    name = project.name
    sys.path.insert(0, str(project))
    try:
        package = importlib.import_module(name)
        version = getattr(package, "__version__", "?")
        print(f"ok import {name} {version}")
        operation = sync_call(package)
        asyncio.run(async_call(package, operation))
        command_line(project, name)
        command_line(
            project,
            name,
            operation.resource.replace("_", "-"),
            operation.method.replace("_", "-"),
        )
    except SmokeFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # an import or call that blew up: say where
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
