"""The command line, run as users run it: `python -m oapigen` in a subprocess.

Exit codes: 0 ok, 1 `--check` drift, 2 errors; a bad spec gives one located line per
problem on stderr (`file:line pointer: error Ennn: message`), never a traceback, and
leaves the previously generated package as it was.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = ROOT / "specs" / "example.yaml"
TIMEOUT = 120

GOOD_SPEC = """
openapi: 3.0.3
info: {title: Tiny Notes, version: "2.0"}
servers: [{url: "https://tiny.example.com"}]
paths:
  /notes/{note_id}:
    get:
      operationId: getNote
      parameters:
        - {name: note_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Note"}}}
components:
  schemas:
    Note: {type: object, required: [id], properties: {id: {type: string}}}
"""

# Line 5 closes a flow mapping twice.
UNPARSABLE_SPEC = """
openapi: 3.0.3
info: {title: Tiny Notes, version: "2.0"}
paths:
  /x:
    get: {operationId: getX}}
    post: {}
"""

# Line 10 refers to a schema that does not exist.
DANGLING_REF_SPEC = """
openapi: 3.0.3
info: {title: Tiny Notes, version: "2.0"}
paths:
  /x:
    get:
      operationId: getX
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Nope"}}}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def oapigen(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oapigen", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file and folder below `directory` (folders map to b"<dir>")."""
    return {
        path.relative_to(directory).as_posix(): (
            path.read_bytes() if path.is_file() else b"<dir>"
        )
        for path in sorted(directory.rglob("*"))
    }


LOCATED = re.compile(
    r"^(?P<file>\S+):(?P<line>\d+) (?P<pointer>#\S*): error (?P<code>E\d{3}): \S"
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GOOD_SPEC generated once as package `tiny`: `<dir>/good.yaml`, `<dir>/out/`."""
    directory = tmp_path_factory.mktemp("cli")
    spec = write(directory, "good.yaml", GOOD_SPEC)
    result = oapigen(spec, "--output", directory / "out", "--package", "tiny")
    assert result.returncode == 0, result.stderr
    assert (directory / "out" / "tiny" / "tiny" / "__init__.py").is_file()
    return directory


@pytest.fixture
def good_output(pristine: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A fresh copy of the pristine output (and its spec) in tmp_path, and a snapshot."""
    shutil.copy(pristine / "good.yaml", tmp_path / "good.yaml")
    output = shutil.copytree(pristine / "out", tmp_path / "out")
    return output, snapshot(output)


@pytest.mark.parametrize(
    ("text", "line", "pointer", "code"),
    [
        (UNPARSABLE_SPEC, 5, "#", "E101"),
        (
            DANGLING_REF_SPEC,
            10,
            "#/paths/~1x/get/responses/200/content/application~1json/schema",
            "E102",
        ),
    ],
    ids=["unparsable", "dangling-ref"],
)
def test_a_bad_spec_exits_2_with_one_located_line_and_keeps_the_old_package(
    good_output: tuple[Path, dict[str, bytes]],
    tmp_path: Path,
    text: str,
    line: int,
    pointer: str,
    code: str,
) -> None:
    output, before = good_output
    spec = write(tmp_path, "bad.yaml", text)
    result = oapigen(spec, "--output", output, "--package", "tiny")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    match = LOCATED.match(lines[0])
    assert match, lines[0]
    assert Path(match["file"]).resolve() == spec.resolve()
    assert (int(match["line"]), match["pointer"], match["code"]) == (
        line,
        pointer,
        code,
    )
    assert snapshot(output) == before


def test_a_bad_json_spec_is_located_too(tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text('{"openapi": "3.0.3",\n "info": {"title": "T"},\n "paths": {,}}\n')
    result = oapigen(spec, "--output", tmp_path / "out")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    match = LOCATED.match(lines[0])
    assert match and match["code"] == "E101" and int(match["line"]) == 3, lines
    assert not (tmp_path / "out").exists()


def test_a_missing_spec_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = oapigen(tmp_path / "missing.yaml", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "missing.yaml" in result.stderr and "E103" in result.stderr


def test_check_is_0_when_up_to_date_and_1_naming_the_edited_file(
    good_output: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    output, before = good_output
    spec = tmp_path / "good.yaml"
    result = oapigen(spec, "--output", output, "--package", "tiny", "--check")
    assert (result.returncode, result.stderr) == (0, "")
    edited = output / "tiny" / "tiny" / "_client.py"
    edited.write_text(edited.read_text() + "# a local edit\n")
    result = oapigen(spec, "--output", output, "--package", "tiny", "--check")
    assert result.returncode == 1
    assert "tiny/_client.py" in result.stderr
    assert "Traceback" not in result.stderr
    assert edited.read_text().endswith("# a local edit\n")  # --check never writes


def test_check_reports_missing_owned_files_and_ignores_the_users(
    good_output: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    output, _ = good_output
    (output / "tiny" / "tiny" / "py.typed").unlink()
    (output / "tiny" / "tiny" / "notes.txt").write_text("mine\n")
    result = oapigen(
        tmp_path / "good.yaml", "--output", output, "--package", "tiny", "--check"
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{output}/tiny/tiny/py.typed: out of date"]


def test_check_without_any_output_is_drift(tmp_path: Path) -> None:
    spec = write(tmp_path, "good.yaml", GOOD_SPEC)
    result = oapigen(spec, "--output", tmp_path / "none", "--check")
    assert result.returncode == 1
    assert not (tmp_path / "none" / "tiny_notes").exists()


EXAMPLE_WARNINGS = {
    (
        "W201",
        "#/components/schemas/CreateExportRequest/properties/include_attachments/default",
    ),
    ("W202", "#/components/schemas/CreateExportRequest/required"),
    ("W201", "#/components/schemas/CreateSummaryRequest/properties/max_tokens/default"),
}
WARNING_LINE = re.compile(
    r"^specs/example\.yaml:(?P<line>\d+) (?P<pointer>#\S*): warning (?P<code>W\d{3}): \S"
)


def _warnings(stderr: str) -> set[tuple[str, str]]:
    found = set()
    for text in stderr.splitlines():
        match = WARNING_LINE.match(text)
        assert match, text
        found.add((match["code"], match["pointer"]))
    return found


def test_the_example_warns_and_strict_makes_the_warnings_errors(
    tmp_path: Path,
) -> None:
    relative = EXAMPLE_SPEC.relative_to(ROOT)
    result = oapigen(relative, "--output", tmp_path / "strict", "--strict")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert _warnings(result.stderr) == EXAMPLE_WARNINGS
    assert not (tmp_path / "strict").exists()

    result = oapigen(relative, "--output", tmp_path / "lenient")
    assert result.returncode == 0
    assert _warnings(result.stderr) == EXAMPLE_WARNINGS
    assert (tmp_path / "lenient" / "example_notes_api" / "pyproject.toml").is_file()


def test_package_overrides_the_package_name_everywhere(tmp_path: Path) -> None:
    spec = write(tmp_path, "good.yaml", GOOD_SPEC)
    result = oapigen(spec, "--output", tmp_path / "out", "--package", "my_notes")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["my_notes"]
    project = tmp_path / "out" / "my_notes"
    assert (project / "my_notes" / "__init__.py").is_file()
    texts = [p.read_text("utf-8") for p in project.rglob("*") if p.is_file()]
    assert not any("tiny_notes" in text for text in texts)
    assert 'package="my_notes"' in (project / "my_notes" / "_client.py").read_text()


def test_the_default_package_is_snake_case_of_the_title(tmp_path: Path) -> None:
    spec = write(tmp_path, "good.yaml", GOOD_SPEC)
    result = oapigen(spec, "--output", tmp_path / "out", "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "out" / "tiny_notes" / "tiny_notes" / "__init__.py").is_file()


def test_an_invalid_package_name_exits_2(tmp_path: Path) -> None:
    spec = write(tmp_path, "good.yaml", GOOD_SPEC)
    result = oapigen(spec, "--output", tmp_path / "out", "--package", "1bad")
    assert result.returncode == 2
    assert "E401" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_version_names_the_tool_and_the_pinned_formatters() -> None:
    from importlib import metadata

    from oapigen import __version__

    result = oapigen("--version")
    assert result.returncode == 0
    tools = ("datamodel-code-generator", "black")
    assert result.stdout.splitlines() == [
        f"oapigen {__version__}",
        *(f"{tool} {metadata.version(tool)} (pinned)" for tool in tools),
    ]
    pyproject = (ROOT / "pyproject.toml").read_text()
    for tool in tools:
        assert f'"{tool}=={metadata.version(tool)}"' in pyproject


def test_python_m_generator_is_not_the_way() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "run the generator as `oapigen` or `python -m oapigen`"
    )
