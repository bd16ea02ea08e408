"""The generator config: files, validation with located errors, command-line overrides."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oapigen import cli
from oapigen.config import (
    ClientOption,
    GeneratorConfig,
    OperationNames,
    find_config,
    from_arguments,
    load_config,
)
from oapigen.diagnostics import GeneratorError

ROOT = Path(__file__).resolve().parents[2]

FULL = """
package = "cats"
package-version = "2024.1.5"
env-prefix = "CATS"
client-class = "CatClient"
async-client-class = "AsyncCatClient"
stream-end-marker = "[END]"
overlays = ["overlays/one.yaml", "../two.yaml"]

[client-options.organization]
header = "Cat-Organization"
env = "CAT_ORG"
description = "Whose cats."

[client-options.region]
header = "Cat-Region"

[operations.listFacts]
method = "facts"
resource = "facts"

[operations."get-fact"]
method = "fact"
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems(
    path: Path | None, overrides: list[tuple[str, str]] | None = None
) -> list[str]:
    with pytest.raises(GeneratorError) as info:
        load_config(path, overrides or [])
    return [d.format() for d in info.value.diagnostics]


def arguments(*argv: str) -> argparse.Namespace:
    return cli._parser().parse_args(["spec.yaml", *argv])


def test_every_key_of_an_oapigen_toml(in_tmp: Path) -> None:
    write(in_tmp, "conf/oapigen.toml", FULL)
    config = load_config(Path("conf/oapigen.toml"))
    assert config.package == "cats"
    assert config.package_version == "2024.1.5"
    assert config.env_prefix == "CATS"
    assert (config.client_class, config.async_client_class) == (
        "CatClient",
        "AsyncCatClient",
    )
    assert config.stream_end_marker == "[END]"
    # relative to the config file
    assert config.overlays == (Path("conf/overlays/one.yaml"), Path("two.yaml"))
    assert config.client_options == (
        ClientOption("organization", "Cat-Organization", "CAT_ORG", "Whose cats."),
        ClientOption("region", "Cat-Region", None, ""),
    )
    assert config.operations == (
        ("get-fact", OperationNames(method="fact")),
        ("listFacts", OperationNames(method="facts", resource="facts")),
    )
    assert config.operation("listFacts") == OperationNames("facts", "facts")
    assert config.operation("nope") is None
    assert config.locate("operations", "listFacts", "method") == (
        "conf/oapigen.toml",
        18,
        "#/operations/listFacts/method",
    )


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config == GeneratorConfig()
    assert config.package is None and config.client_class == "Client"
    assert config.overlays == () and config.client_options == ()


def test_unknown_keys_are_located_with_a_suggestion(in_tmp: Path) -> None:
    write(
        in_tmp,
        "oapigen.toml",
        """
        env_prefix = "CATS"
        pakage = "cats"
        colour = "red"

        [client-options.organization]
        headr = "Cat-Organization"
        """,
    )
    assert problems(Path("oapigen.toml")) == [
        "oapigen.toml:1 #/env_prefix: error E702: unknown config key 'env_prefix' "
        "(hint: did you mean 'env-prefix'?)",
        "oapigen.toml:2 #/pakage: error E702: unknown config key 'pakage' "
        "(hint: did you mean 'package'?)",
        "oapigen.toml:3 #/colour: error E702: unknown config key 'colour'",
        "oapigen.toml:6 #/client-options/organization/headr: error E702: unknown config "
        "key 'headr' in client-options.organization (hint: did you mean 'header'?)",
        "oapigen.toml:5 #/client-options/organization: error E703: "
        "client-options.organization needs a header",
    ]


def test_wrong_types_and_values_are_located(in_tmp: Path) -> None:
    write(
        in_tmp,
        "oapigen.toml",
        """
        package = 3
        package-version = "2024-01-01"
        env-prefix = "cats"
        client-class = "class"
        overlays = "one.yaml"

        [client-options.timeout]
        header = "X-Timeout"

        [client-options.org]
        header = "Bad Header"
        env = "1ORG"

        [operations.listFacts]
        method = "list facts"
        """,
    )
    assert problems(Path("oapigen.toml")) == [
        "oapigen.toml:1 #/package: error E703: package must be a string, found an integer",
        "oapigen.toml:2 #/package-version: error E703: package-version '2024-01-01' is "
        "not a PEP 440 version (hint: e.g. 1.2.0, 2024.1.5, 1.0.0rc1)",
        "oapigen.toml:3 #/env-prefix: error E703: env-prefix 'cats' must be upper-case "
        "letters, digits and _, starting with a letter (e.g. OPENAI)",
        "oapigen.toml:4 #/client-class: error E703: client-class 'class' is not a valid "
        "Python class name",
        "oapigen.toml:5 #/overlays: error E703: overlays must be an array of paths, "
        "found a string",
        "oapigen.toml:7 #/client-options/timeout: error E703: client option 'timeout' "
        "would hide the client's own argument",
        "oapigen.toml:11 #/client-options/org/header: error E703: header 'Bad Header' is "
        "not an HTTP header name",
        "oapigen.toml:12 #/client-options/org/env: error E703: env '1ORG' is not an "
        "environment variable name",
        "oapigen.toml:15 #/operations/listFacts/method: error E703: "
        "operations.listFacts.method 'list facts' is not a valid Python name",
    ]


def test_invalid_toml_is_located(in_tmp: Path) -> None:
    write(in_tmp, "oapigen.toml", 'package = "cats"\nenv-prefix = CATS\n')
    assert problems(Path("oapigen.toml")) == [
        "oapigen.toml:2 #: error E701: invalid TOML: Invalid value (column 14)"
    ]


def test_a_missing_config_file(in_tmp: Path) -> None:
    assert problems(Path("nope.toml")) == ["nope.toml #: error E103: file not found"]


def test_pyproject_tool_oapigen_is_found_in_the_working_directory(in_tmp: Path) -> None:
    assert find_config(Path(".")) is None
    write(in_tmp, "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(Path(".")) is None  # a pyproject.toml without [tool.oapigen]
    assert from_arguments(arguments()) == GeneratorConfig()
    write(
        in_tmp,
        "pyproject.toml",
        """
        [project]
        name = "x"

        [tool.oapigen]
        package = "cats"
        env-prefix = "cat"
        """,
    )
    assert find_config(Path(".")) == Path("pyproject.toml")
    with pytest.raises(GeneratorError) as info:
        from_arguments(arguments())
    assert [d.format() for d in info.value.diagnostics] == [
        "pyproject.toml:6 #/tool/oapigen/env-prefix: error E703: env-prefix 'cat' must "
        "be upper-case letters, digits and _, starting with a letter (e.g. OPENAI)"
    ]
    # the command line replaces the file's values (and so its bad one)
    config = from_arguments(arguments("--env-prefix", "CATS"))
    assert (config.package, config.env_prefix) == ("cats", "CATS")
    assert config.locate("package") == ("pyproject.toml", 5, "#/tool/oapigen/package")
    # an oapigen.toml beside it wins; --no-config ignores both
    write(in_tmp, "oapigen.toml", 'package = "felines"\n')
    assert find_config(Path(".")) == Path("oapigen.toml")
    assert from_arguments(arguments()).package == "felines"
    assert from_arguments(arguments("--no-config")) == GeneratorConfig()


def test_config_given_as_a_pyproject_needs_the_table(in_tmp: Path) -> None:
    write(in_tmp, "sub/pyproject.toml", '[project]\nname = "x"\n')
    assert problems(Path("sub/pyproject.toml")) == [
        "sub/pyproject.toml #/tool/oapigen: error E701: no [tool.oapigen] table in this "
        "pyproject.toml"
    ]
    write(in_tmp, "sub/pyproject.toml", '[tool.oapigen]\npackage = "cats"\n')
    assert load_config(Path("sub/pyproject.toml")).package == "cats"


def test_command_line_overrides_config_values(in_tmp: Path) -> None:
    write(in_tmp, "conf/oapigen.toml", FULL)
    config = from_arguments(
        arguments(
            "--config",
            "conf/oapigen.toml",
            "--package",
            "kittens",
            "--package-version",
            "3.0",
            "--env-prefix",
            "KIT",
            "--set",
            "client-options.organization.env=KIT_ORG",
            "--set",
            "client-options.team.header=Kit-Team",
            "--set",
            "stream-end-marker=[STOP]",
            "--overlay",
            "cli.yaml",
        )
    )
    assert (config.package, config.package_version, config.env_prefix) == (
        "kittens",
        "3.0",
        "KIT",
    )
    assert config.stream_end_marker == "[STOP]"
    assert config.client_options == (
        ClientOption("organization", "Cat-Organization", "KIT_ORG", "Whose cats."),
        ClientOption("region", "Cat-Region", None, ""),
        ClientOption("team", "Kit-Team", None, ""),
    )
    # the config's overlays first, then the command line's, in order
    assert config.overlays == (
        Path("conf/overlays/one.yaml"),
        Path("two.yaml"),
        Path("cli.yaml"),
    )
    assert config.client_class == "CatClient"  # not overridden: the file's value
    assert config.locate("env-prefix") == ("<command line>", None, "#/env-prefix")
    assert config.locate("client-class")[:2] == ("conf/oapigen.toml", 4)


def test_bad_command_line_values_name_the_command_line(in_tmp: Path) -> None:
    with pytest.raises(GeneratorError) as info:
        from_arguments(
            arguments("--no-config", "--set", "env_prefix=X", "--package", "my-pkg")
        )
    assert [d.format() for d in info.value.diagnostics] == [
        "<command line> #/env_prefix: error E702: unknown config key 'env_prefix' "
        "(hint: did you mean 'env-prefix'?)",
        "<command line> #/package: error E401: package 'my-pkg' is not a valid Python "
        "package name",
    ]
    with pytest.raises(GeneratorError) as info:
        from_arguments(arguments("--no-config", "--set", "package"))
    assert [d.format() for d in info.value.diagnostics] == [
        "<command line> #: error E703: --set 'package': expected KEY=VALUE"
    ]


def test_the_project_openai_config() -> None:
    config = load_config(ROOT / "specs" / "openai.oapigen.toml")
    assert config.env_prefix == "OPENAI"
    assert config.stream_end_marker == "[DONE]"
    assert config.overlays == (ROOT / "specs" / "openai.overlay.yaml",)
    assert config.overlays[0].is_file()
    assert [(o.name, o.header, o.env) for o in config.client_options] == [
        ("organization", "OpenAI-Organization", "OPENAI_ORG_ID"),
        ("project", "OpenAI-Project", "OPENAI_PROJECT_ID"),
    ]


GOOD_SPEC = """
openapi: 3.0.3
info: {title: Tiny Cats, version: "2.0"}
servers: [{url: "https://cats.example.com"}]
paths:
  /facts:
    get:
      operationId: listFacts
      tags: [Facts]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: object}}}
"""


def oapigen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oapigen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_uses_the_config_and_reports_its_errors(tmp_path: Path) -> None:
    write(tmp_path, "spec.yaml", GOOD_SPEC)
    write(tmp_path, "oapigen.toml", 'package = "whiskers"\noverlays = ["o.yaml"]\n')
    write(
        tmp_path,
        "o.yaml",
        """
        overlay: 1.0.0
        info: {title: t, version: "1"}
        actions:
          - target: $.paths['/nope']
            remove: true
        """,
    )
    done = oapigen(tmp_path, "spec.yaml", "--output", "out", "--strict")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "o.yaml:4 #/actions/0/target: warning W653: target $.paths['/nope'] matches "
        "nothing in the document "
        "(hint: check the path, or mark the action x-oapigen-optional: true)"
    ]
    assert not (tmp_path / "out").exists()
    done = oapigen(tmp_path, "spec.yaml", "--output", "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "whiskers" / "pyproject.toml").is_file()
    done = oapigen(tmp_path, "spec.yaml", "--output", "out", "--set", "pakage=x")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "<command line> #/pakage: error E702: unknown config key 'pakage' "
        "(hint: did you mean 'package'?)"
    ]
