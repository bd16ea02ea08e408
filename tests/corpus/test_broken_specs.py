"""The corpus of broken specs: each file in cases/ gives exactly its one located line on
stderr (expected.txt), exit 2, no traceback, and leaves the previous output untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oapigen.cli import main
from oapigen.pipeline import generate

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOOD_SPEC = """
openapi: 3.0.3
info: {title: Previous, version: '1'}
paths:
  /ping:
    get:
      operationId: ping
      responses: {'204': {description: pong}}
"""


def expected() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (HERE / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, diagnostic = line.partition(" => ")
            found[name] = diagnostic
    return found


EXPECTED = expected()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding a generated package, as a user's would."""
    root = tmp_path_factory.mktemp("previous")
    spec = root / "good.yaml"
    spec.write_text(GOOD_SPEC, encoding="utf-8")
    generate(spec, output=root / "out")
    return root / "out"


def test_every_case_has_its_expected_line_and_there_are_enough() -> None:
    files = {p.name for p in CASES.iterdir() if p.is_file()}
    assert files == set(EXPECTED)
    assert len(files) >= 40
    codes = {line.split(": ")[1].split()[1] for line in EXPECTED.values()}
    assert len(codes) >= 15  # many different failures, not one failure many times


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_broken_spec_gives_its_one_line_and_exit_2(
    case: str,
    previous: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    before = snapshot(out)
    monkeypatch.chdir(CASES)  # diagnostics name the file as the user named it
    # --jobs 1: no formatter pool to start and stop for a run that stops at loading
    assert main([case, "--output", str(out), "--jobs", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == EXPECTED[case]
    assert captured.out == ""
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "case", ["alias-bomb.yaml", "paths-a-list.yaml", "yaml-recursive-alias.yaml"]
)
def test_the_command_line_prints_no_traceback(case: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "oapigen", case, "-o", str(tmp_path / "out")],
        cwd=CASES,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr.strip()) == (2, EXPECTED[case])
    assert not (tmp_path / "out").exists()
