"""Wrong inputs get exit 2 and exactly one located line, never a traceback, never a
client generated from nothing, and nothing is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import NOTES_V1, ROOT, oapigen, write

SWAGGER = """
swagger: "2.0"
info: {title: Pets, version: "1.0"}
paths: {}
"""
NOT_OPENAPI_YAML = """
name: my-app
version: 3
dependencies: [httpx, pydantic]
"""
OPENAPI_4 = """
openapi: 4.0.0
info: {title: Pets, version: "1.0"}
paths: {}
"""

NOT_OPENAPI = "missing required field 'openapi': not an OpenAPI 3.x document"
CASES = {
    "swagger-2.0": (
        "pets.yaml",
        SWAGGER,
        "pets.yaml:1 #/swagger: error E602: swagger '2.0': OpenAPI 2.0 (Swagger) is "
        "not supported; convert it to 3.x first (e.g. with swagger2openapi)",
    ),
    "not-openapi-yaml": (
        "app.yaml",
        NOT_OPENAPI_YAML,
        f"app.yaml:1 #: error E601: {NOT_OPENAPI}",
    ),
    "not-openapi-json": (
        "package.json",
        '{\n  "name": "my-app",\n  "version": "1.0.0"\n}\n',
        f"package.json:1 #: error E601: {NOT_OPENAPI}",
    ),
    "openapi-4": (
        "pets.yaml",
        OPENAPI_4,
        "pets.yaml:1 #/openapi: error E602: unsupported OpenAPI version '4.0.0' "
        "(3.0.x, 3.1.x and 3.2.x are)",
    ),
}


def refused(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_document_that_is_not_openapi_3_is_refused(tmp_path: Path, case: str) -> None:
    name, text, line = CASES[case]
    write(tmp_path, name, text)
    refused(oapigen(name, "-o", "out", cwd=tmp_path), line)
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_the_spec(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    result = oapigen("specs", "-o", "out", cwd=tmp_path)
    refused(
        result,
        "specs: error E121: is a folder, not a spec file "
        "(hint: name the OpenAPI YAML or JSON file itself)",
    )


def test_a_spec_that_does_not_exist(tmp_path: Path) -> None:
    refused(
        oapigen("nope.yaml", cwd=tmp_path), "nope.yaml: error E103: spec file not found"
    )


def test_a_missing_openai_spec_says_make_specs(tmp_path: Path) -> None:
    refused(
        oapigen("specs/openai-2.3.0.yaml", cwd=tmp_path),
        "specs/openai-2.3.0.yaml: error E103: spec file not found (hint: the OpenAI "
        "specs are not in the repository: run `make specs` first)",
    )


def test_a_pipe_given_as_the_spec(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "spec.yaml")  # opening it to read would block forever
    refused(
        oapigen("spec.yaml", cwd=tmp_path, timeout=60),
        "spec.yaml: error E122: is not a regular file",
    )


def test_an_unreadable_spec(tmp_path: Path) -> None:
    spec = write(tmp_path, "spec.yaml", NOTES_V1)
    spec.chmod(0)
    command = [sys.executable, "-m", "oapigen", "spec.yaml", "-o", "out"]
    if os.geteuid() == 0:  # root reads anything: run as nobody
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip(
                "running as root without setpriv: cannot make a file unreadable"
            )
        tmp_path.chmod(0o777)
        command = [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            *command,
        ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    refused(
        result, "spec.yaml: error E122: cannot read the spec file: Permission denied"
    )


@pytest.mark.parametrize("output", ["taken", "taken/deeper"])
def test_output_pointing_at_a_file(tmp_path: Path, output: str) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    (tmp_path / "taken").write_text("a file\n")
    refused(
        oapigen("spec.yaml", "-o", output, cwd=tmp_path),
        "taken: error E511: is a file, not a folder "
        "(hint: --output names the folder projects are written into)",
    )
    assert (tmp_path / "taken").read_text() == "a file\n"


def test_a_non_empty_folder_oapigen_did_not_generate(tmp_path: Path) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    project = tmp_path / "out" / "tiny_notes"
    project.mkdir(parents=True)
    (project / "main.py").write_text("print('mine')\n")
    refused(
        oapigen("spec.yaml", "-o", "out", cwd=tmp_path),
        "out/tiny_notes: error E510: the folder is not empty and oapigen did not "
        "generate it (no .oapigen-manifest.json) (hint: pass --overwrite to write "
        "into it anyway; files oapigen does not generate are kept)",
    )
    assert [p.name for p in project.iterdir()] == ["main.py"]


def make(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """make in a copy of the repository's Makefile, with this venv (never rebuilt)."""
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "-o", f"{venv}/.installed", f"VENV={venv}", "LINK=no", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """What a fresh clone has for `make generate`: the Makefile and specs/example*.yaml,
    without the OpenAI specs (they are not in the repository)."""
    clone = tmp_path / "clone"
    (clone / "specs").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", clone)
    return clone


def test_make_generate_copies_a_missing_openai_spec_in(
    fresh_clone: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared" / "specs"
    shared.mkdir(parents=True)
    # A stand-in: the Makefile's logic is under test here, not the OpenAI spec.
    write(shared, "openai-2.3.0.yaml", NOTES_V1)
    # CONFIG= : the stand-in is not OpenAI's spec, so not the project's OpenAI config.
    result = make(
        "generate", "SPEC=specs/openai-2.3.0.yaml", f"SHARED={shared.parent}", "CONFIG=",
        cwd=fresh_clone,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"cp {shared.parent}/specs/openai-*.yaml specs/" in result.stdout
    assert (fresh_clone / "generated" / "tiny_notes" / "tiny_notes").is_dir()


def test_make_generate_says_what_to_run_without_the_specs(
    fresh_clone: Path, tmp_path: Path
) -> None:
    result = make(
        "generate", "SPEC=specs/openai-2.3.0.yaml", f"SHARED={tmp_path / 'none'}",
        cwd=fresh_clone,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Run: make specs SHARED=<folder holding specs/openai-*.yaml>" in (
        result.stdout
    )
    assert not (fresh_clone / "generated").exists()
