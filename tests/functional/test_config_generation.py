"""Every generator config key takes effect in the generated package (issue 8), on a small
invented spec: package version, env prefix, client class names, client options, operation
renames (from the file and from `--set`), and the spec-level rules the OpenAI overlay
relies on: a required one-value header is a constant, a JSON string result is bytes, a
union result is the member itself. Requests go through `httpx.MockTransport`; the
generated packages pass mypy --strict and black."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pydantic
import pytest

from oapigen import cli
from oapigen.config import from_arguments, load_config
from oapigen.diagnostics import GeneratorError
from oapigen.pipeline import generate
from tests.functional.mock import Recorder, reply

SPEC = """
openapi: 3.1.0
info: {title: Tiny Cats, version: "2024-10-01"}
servers: [{url: "https://cats.example.com/v1"}]
security: [{key: []}]
paths:
  /facts:
    get:
      operationId: listFacts
      tags: [Facts]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: Cats-Beta, in: header, required: true, schema: {type: string, enum: [v2]}}
        - {name: X-Trace, in: header, schema: {type: string, enum: ["on"]}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Fact"}}}
    post:
      operationId: createFact
      tags: [Facts]
      parameters:
        - {name: Cats-Version, in: header, required: true, schema: {const: 3}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [text]
              properties: {text: {type: string}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Post"}}}
  /facts/{fact_id}/content:
    get:
      operationId: get-fact
      tags: [Facts]
      parameters:
        - {name: fact_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the file
          content: {application/json: {schema: {type: string}}}
components:
  securitySchemes:
    key: {type: http, scheme: bearer}
  schemas:
    Fact:
      type: object
      required: [id, text]
      properties: {id: {type: string}, text: {type: string}}
    Meme:
      type: object
      required: [url]
      properties: {url: {type: string}, caption: {type: string}}
    Post:
      oneOf: [{$ref: "#/components/schemas/Fact"}, {$ref: "#/components/schemas/Meme"}]
"""

CONFIG = """
package-version = "1.4.0"
env-prefix = "KITTY"
client-class = "Cats"
async-client-class = "AsyncCats"

[client-options.organization]
header = "Cat-Organization"
env = "CAT_ORG"
description = "Whose cats these are."

[client-options.region]
header = "Cat-Region"

[operations.listFacts]
method = "every"
resource = "catalog"

[operations."get-fact"]
method = "fact"
"""

FACT = {"id": "f1", "text": "Cats sleep 16 hours a day."}


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def build(
    tmp_path: Path, package: str, config_text: str | None = CONFIG, *argv: str
) -> tuple[ModuleType, Path, list[str]]:
    """Generate the spec with the config (and command-line options `argv`, as
    `oapigen` reads them), import the package: (module, project, diagnostics)."""
    spec = write(tmp_path, "cats.yaml", SPEC)
    options = ["--package", package, *argv]
    if config_text is not None:
        options += ["--config", str(write(tmp_path, "oapigen.toml", config_text))]
    else:
        options.append("--no-config")
    config = from_arguments(cli._parser().parse_args([str(spec), *options]))
    result = generate(spec, output=tmp_path / "out", config=config)
    sys.path.insert(0, str(result.target))
    try:
        module = importlib.import_module(package)
    finally:
        sys.path.remove(str(result.target))
    return module, result.target, [d.format() for d in result.diagnostics]


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    module, _, _ = build(tmp_path_factory.mktemp("cats"), "tiny_cats_configured")
    return module


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KITTY_API_KEY", "KITTY_BASE_URL", "CAT_ORG", "TINY_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def resources(package: ModuleType) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.resources")


def keywords(function: Any) -> list[str]:
    return [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


# -- package version, class names, renames -------------------------------------------


def test_without_a_config_the_spec_decides(tmp_path: Path) -> None:
    module, project, diagnostics = build(tmp_path, "tiny_cats_plain", None)
    assert 'version = "0.0.0"' in (project / "pyproject.toml").read_text()
    assert any("W203" in d for d in diagnostics)  # the date is not PEP 440
    assert module.Client._config.env_prefix == "TINY"
    assert {"Client", "AsyncClient"} <= set(module.__all__)
    client = module.Client(api_key="k", base_url="https://x")
    assert callable(client.facts.list_facts) and callable(client.facts.get_fact)
    assert keywords(module.Client.__init__)[:2] == ["api_key", "base_url"]


def test_every_key_reaches_the_package(tmp_path: Path) -> None:
    module, project, diagnostics = build(tmp_path, "tiny_cats_keys")
    assert 'version = "1.4.0"' in (project / "pyproject.toml").read_text()
    assert not any("W203" in d for d in diagnostics)  # the config gave a version
    assert module.Cats._config.env_prefix == "KITTY"
    assert {"Cats", "AsyncCats"} <= set(module.__all__)
    assert "Client" not in module.__all__ and not hasattr(module, "Client")
    assert issubclass(module.AsyncCats, module._runtime.AsyncAPIClient)
    main = (project / "tiny_cats_keys" / "__main__.py").read_text()
    assert "main(Cats)" in main
    readme = (project / "README.md").read_text()
    assert "from tiny_cats_keys import Cats" in readme
    row = "| `organization` | `CAT_ORG` | none | the `Cat-Organization` header: Whose"
    assert row in readme
    client = module.Cats(api_key="k", base_url="https://x")
    assert callable(client.catalog.every)  # method and resource renamed
    assert callable(client.facts.fact)  # method renamed, resource kept
    assert not hasattr(client.facts, "list_facts") and not hasattr(client, "catalog_")
    for cls in (module.Cats, module.AsyncCats):
        assert keywords(cls.__init__) == [
            "api_key",
            "organization",
            "region",
            "base_url",
            "timeout",
            "max_retries",
            "default_headers",
            "http_client",
        ]
    assert "Whose cats these are." in (module.Cats.__init__.__doc__ or "")


def test_command_line_set_overrides_the_file(tmp_path: Path) -> None:
    module, project, _ = build(
        tmp_path,
        "tiny_cats_cli",
        CONFIG,
        "--set",
        "client-class=Felines",
        "--set",
        "operations.listFacts.method=all_of_them",
        "--set",
        "client-options.region.env=CAT_REGION",
        "--package-version",
        "2.0.1",
        "--env-prefix",
        "MEOW",
    )
    assert 'version = "2.0.1"' in (project / "pyproject.toml").read_text()
    assert module.Felines._config.env_prefix == "MEOW"
    assert [(o.name, o.env) for o in module.Felines._config.options] == [
        ("organization", "CAT_ORG"),
        ("region", "CAT_REGION"),
    ]
    client = module.Felines(api_key="k", base_url="https://x")
    assert callable(client.catalog.all_of_them)  # resource from the file, method --set


# -- env prefix and client options on the wire ------------------------------------------


def test_env_prefix_and_client_options_on_the_wire(
    configured: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(reply(FACT))
    monkeypatch.setenv("KITTY_API_KEY", "sk-kitty")
    monkeypatch.setenv("KITTY_BASE_URL", "https://env.cats.test/v2")
    monkeypatch.setenv("CAT_ORG", "org-env")
    with configured.Cats(http_client=recorder.sync_client()) as client:
        client.catalog.every()
        client.catalog.every(extra_headers={"Cat-Region": "moon"})
        with configured.Cats(
            organization="org-arg", region="eu", http_client=recorder.sync_client()
        ) as other:
            other.catalog.every()
        client.with_options(client_options={"region": "asia"}).catalog.every()
    env_only, extra, arguments, copied = recorder.requests
    assert str(env_only.url) == "https://env.cats.test/v2/facts"
    assert env_only.headers["authorization"] == "Bearer sk-kitty"
    assert env_only.headers["cat-organization"] == "org-env"
    assert "cat-region" not in env_only.headers  # no value, no env var: not sent
    assert extra.headers["cat-region"] == "moon"
    assert arguments.headers["cat-organization"] == "org-arg"  # the argument wins
    assert arguments.headers["cat-region"] == "eu"
    assert copied.headers["cat-organization"] == "org-env"
    assert copied.headers["cat-region"] == "asia"


def test_async_client_takes_the_options(configured: ModuleType) -> None:
    recorder = Recorder(reply(FACT))

    async def main() -> None:
        async with configured.AsyncCats(
            api_key="k",
            base_url="https://cats.test",
            organization="org-a",
            http_client=recorder.async_client(),
        ) as client:
            await client.catalog.every(limit=2)

    asyncio.run(main())
    assert recorder.last.headers["cat-organization"] == "org-a"
    assert recorder.last.url.query == b"limit=2"


def test_a_missing_key_names_the_prefixed_env_var(configured: ModuleType) -> None:
    with pytest.raises(ValueError, match="KITTY_API_KEY"):
        configured.Cats(base_url="https://cats.test")


# -- constant headers, binary and union results ----------------------------------------


def test_a_required_one_value_header_is_a_constant(configured: ModuleType) -> None:
    recorder = Recorder(reply(FACT))
    with configured.Cats(
        api_key="k", base_url="https://cats.test", http_client=recorder.sync_client()
    ) as client:
        assert "cats_beta" not in keywords(client.catalog.every)
        assert "x_trace" in keywords(client.catalog.every)  # optional: an argument
        assert "cats_version" not in keywords(client.facts.create_fact)
        client.catalog.every()
        client.catalog.every(x_trace="on")
        client.facts.create_fact(text="hi")
    first, traced, created = recorder.requests
    assert first.headers["cats-beta"] == "v2" and "x-trace" not in first.headers
    assert traced.headers["cats-beta"] == "v2" and traced.headers["x-trace"] == "on"
    assert created.headers["cats-version"] == "3"


def test_a_json_string_result_is_binary(configured: ModuleType) -> None:
    csv = b"id,text\nf1,purr\n"

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=csv, headers={"content-type": "text/csv"})

    recorder = Recorder(respond)
    rt = configured._runtime
    hints = typing.get_type_hints(resources(configured).FactsResource.fact)
    assert hints["return"] is rt.BinaryResponse
    with configured.Cats(
        api_key="k", base_url="https://cats.test", http_client=recorder.sync_client()
    ) as client:
        result = client.facts.fact("f1")
    assert isinstance(result, rt.BinaryResponse)
    assert result.content == csv


def test_a_union_result_is_the_member_itself(configured: ModuleType) -> None:
    meme = {"url": "https://cats.test/m.gif", "caption": "if I fits"}
    answers = iter([FACT, meme])

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    recorder = Recorder(respond)
    models = configured.models
    hints = typing.get_type_hints(resources(configured).FactsResource.create_fact)
    assert set(typing.get_args(hints["return"])) == {models.Fact, models.Meme}
    with configured.Cats(
        api_key="k", base_url="https://cats.test", http_client=recorder.sync_client()
    ) as client:
        fact = client.facts.create_fact(text="a")
        picture = client.facts.create_fact(text="b")
    assert isinstance(fact, models.Fact) and fact.text == FACT["text"]
    assert isinstance(picture, models.Meme) and picture.caption == "if I fits"
    assert not isinstance(fact, pydantic.RootModel)


# -- config errors the plan finds ------------------------------------------------------


def test_an_unknown_operation_id_is_a_located_error(tmp_path: Path) -> None:
    spec = write(tmp_path, "cats.yaml", SPEC)
    config_file = write(
        tmp_path,
        "oapigen.toml",
        """
        env-prefix = "KITTY"

        [operations.listFact]
        method = "every"
        """,
    )
    with pytest.raises(GeneratorError) as info:
        generate(spec, output=tmp_path / "out", config=load_config(config_file))
    assert [d.format() for d in info.value.diagnostics] == [
        f"{config_file}:3 #/operations/listFact: error E704: operations.listFact: "
        "no operation has this operationId"
    ]
    # through the command line: one located line, exit 2, nothing written
    done = subprocess.run(
        [sys.executable, "-m", "oapigen", "cats.yaml", "--output", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "oapigen.toml:3 #/operations/listFact: error E704: operations.listFact: "
        "no operation has this operationId"
    ]
    assert not (tmp_path / "out").exists()


def test_renames_onto_a_taken_name_are_errors(tmp_path: Path) -> None:
    spec = write(tmp_path, "cats.yaml", SPEC)
    config_file = write(
        tmp_path,
        "oapigen.toml",
        """
        [operations.listFacts]
        method = "create_fact"
        """,
    )
    with pytest.raises(GeneratorError) as info:
        generate(spec, output=tmp_path / "out", config=load_config(config_file))
    (message,) = [d.format() for d in info.value.diagnostics]
    assert message.startswith(
        f"{config_file}:2 #/operations/listFacts/method: error E704: "
        "operations.listFacts.method 'create_fact' is already a method"
    )
    write(tmp_path, "oapigen.toml", 'client-class = "Stream"\n')
    with pytest.raises(GeneratorError) as info:
        generate(spec, output=tmp_path / "out", config=load_config(config_file))
    assert [d.format() for d in info.value.diagnostics] == [
        f"{config_file}:1 #/client-class: error E703: client-class 'Stream' would "
        "hide a name the package exports"
    ]


# -- the generated packages pass the tools ---------------------------------------------


@pytest.mark.slow
def test_generated_packages_pass_mypy_strict_and_black(tmp_path: Path) -> None:
    projects = [
        build(tmp_path / name, name, config)[1]
        for name, config in (("cats_typed_plain", None), ("cats_typed", CONFIG))
        if (tmp_path / name).mkdir() is None
    ]
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", "/dev/null"]
    for project in projects:
        command += ["-p", project.name]
    env = {"MYPYPATH": ":".join(str(p) for p in projects)}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=_env(env)
    )
    assert done.returncode == 0, done.stdout[-4000:]
    done = subprocess.run(
        [sys.executable, "-m", "black", "--check", *map(str, projects)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}
