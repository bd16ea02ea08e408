"""Every package the session generated imports completely: every module, every model built.

Runs last (see conftest.py), over the packages the `generated` fixture made for the other
tests (the example, the OpenAI specs, the robustness specs...). Models build lazily, so
without this a pattern or a forward reference that breaks a model would surface only in
the first user's hands."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT, GeneratedPackages
from tests.modelcheck import check_package


def test_every_model_of_every_generated_package_builds(
    generated: GeneratedPackages,
) -> None:
    projects = generated.projects()
    if not projects:
        pytest.skip("no test in this run generated a package")
    names = Counter(project.name for project in projects)
    problems: dict[str, list[str]] = {}
    for project in projects:
        if names[project.name] == 1:
            found = check_package(project)
        else:  # two projects, one package name: one process each
            found = _check_elsewhere(project)
        if found:
            problems[str(project)] = found
    assert problems == {}


def _check_elsewhere(project: Path) -> list[str]:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from tests.modelcheck import check_package\n"
        "print('\\n'.join(check_package(Path(sys.argv[2]))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(project)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        return [done.stderr.strip().splitlines()[-1]]
    return [line for line in done.stdout.splitlines() if line]
