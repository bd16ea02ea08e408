"""The CI regeneration of templates/ci/ (regenerate.sh, smoke_test.py, regenerate.yml),
run as a user's repository would run it: a temporary git repository holding a spec, the
client generated from it and the scripts, then a spec bump on a branch.

The OpenAI spec bump runs the real `oapigen diff`; the quick tests of the gate give
the script a stand-in `OAPIGEN` whose `diff` answers as the test says and whose every
other command is the real generator.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_SPEC, ROOT, GeneratedPackages, openai_spec

CI = ROOT / "templates" / "ci"
OAPIGEN = f"{sys.executable} -m oapigen"
GIT = ["git", "-c", "user.name=ci-test", "-c", "user.email=ci@localhost"]
# A stand-in for oapigen whose `diff` logs its call, keeps a copy of the old spec it
# was given and answers as the test sets; every other command runs the real generator.
STAND_IN = """#!/usr/bin/env bash
set -euo pipefail
if [ "$1" = diff ]; then
    printf '%s\\n' "$*" >>"$STANDIN_LOG"
    cp "$2" "$STANDIN_LOG.old"
    case " $* " in
        *" --format json "*) printf '{"breaking": 1}\\n' ;;
        *) printf '# API changes\\n\\nBreaking changes: 1 (stand-in)\\n' ;;
    esac
    exit "$STANDIN_EXIT"
fi
exec {oapigen} "$@"
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def make_repo(path: Path, spec_files: dict[str, Path], generated_project: Path) -> Path:
    """A repository as a user would set it up: specs/, the generated client in
    generated/<package>/, the scripts in scripts/, the workflow; one commit on main."""
    git(path.parent, "init", "-q", "-b", "main", str(path))
    (path / "specs").mkdir()
    for name, source in spec_files.items():
        shutil.copy(source, path / "specs" / name)
    shutil.copytree(
        generated_project,
        path / "generated" / generated_project.name,
        ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache"),
    )
    (path / "scripts").mkdir()
    for name in ("regenerate.sh", "smoke_test.py"):
        shutil.copy2(CI / name, path / "scripts" / name)
    (path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(
        CI / "regenerate.yml", path / ".github" / "workflows" / "regenerate.yml"
    )
    (path / ".gitignore").write_text("__pycache__/\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "API client from the spec")
    return path


@dataclass
class Run:
    code: int
    stderr: str
    report: Path
    step_summary: Path

    @property
    def summary(self) -> str:
        return (self.report / "summary.md").read_text()


class Workspace:
    """A clone of a base repository, on a branch, where the script runs."""

    def __init__(self, base: Path, path: Path, spec: str) -> None:
        self.path = path
        self.spec = spec
        git(path.parent, "clone", "-q", str(base), str(path))
        git(path, "checkout", "-q", "-b", "spec-bump")
        self.runs = 0

    def commit(self, message: str) -> None:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)

    def run(self, *args: str, **env: str) -> Run:
        self.runs += 1
        report = self.path.parent / f"report-{self.runs}"
        step_summary = self.path.parent / f"step-summary-{self.runs}.md"
        step_summary.write_text("earlier steps\n")
        inherited = {k: v for k, v in os.environ.items() if k != "BREAKING_OK"}
        environment = {
            **inherited,
            "SPEC": self.spec,
            "OUT": "generated",
            "OAPIGEN": OAPIGEN,
            "PYTHON": sys.executable,
            "REPORT_DIR": str(report),
            "GITHUB_STEP_SUMMARY": str(step_summary),
            **env,
        }
        done = subprocess.run(
            [str(self.path / "scripts" / "regenerate.sh"), *args],
            cwd=self.path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        return Run(done.returncode, done.stderr, report, step_summary)


def same_tree(left: Path, right: Path, *, spec_names: tuple[str, str]) -> bool:
    """Byte-identical trees (caches left out), but for the spec's file name in the
    header line of every file (`... from openapi.yaml.` / `... from openai-2.3.0.yaml.`)
    and the CHANGELOG.md a regeneration writes (a fresh generation has none).
    """

    def files(root: Path) -> list[str]:
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file()
            and "__pycache__" not in p.parts
            and ".mypy_cache" not in p.parts
            and p.relative_to(root) != Path("CHANGELOG.md")
        )

    names = files(left)
    if names != files(right):
        return False
    mine, theirs = (f" from {name}. ".encode() for name in spec_names)
    for name in names:
        if name == ".oapigen-manifest.json":  # hashes of files whose headers differ
            owned = [
                set(json.loads((root / name).read_text())["files"]) - {"CHANGELOG.md"}
                for root in (left, right)
            ]
            if owned[0] != owned[1]:
                return False
            continue
        text = (left / name).read_bytes().replace(mine, theirs, 1)
        if text != (right / name).read_bytes():
            return False
    return True


# -- the OpenAI spec bump, 2.0.0 -> 2.3.0 --------------------------------------------


@pytest.fixture(scope="module")
def openai_repo(
    generated: GeneratedPackages, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """main: specs/openapi.yaml is OpenAI 2.0.0 and generated/openai_api its client."""
    spec = openai_spec("2.0.0")
    project = generated.project(spec, "openai_api")
    root = tmp_path_factory.mktemp("ci-openai")
    return make_repo(root / "base", {"openapi.yaml": spec}, project)


def bump_openai(openai_repo: Path, tmp_path: Path) -> Workspace:
    work = Workspace(openai_repo, tmp_path / "work", "specs/openapi.yaml")
    shutil.copy(openai_spec("2.3.0"), work.path / "specs" / "openapi.yaml")
    work.commit("Bump the spec to 2.3.0")
    return work


@pytest.mark.slow
@pytest.mark.openai
def test_spec_bump_regenerates_checks_drift_and_smoke_tests(
    openai_repo: Path, tmp_path: Path, generated: GeneratedPackages
) -> None:
    work = bump_openai(openai_repo, tmp_path)
    client = work.path / "generated" / "openai_api"
    assert (client / "pyproject.toml").read_text().count('version = "2.0.0"') == 1

    # The branch bumped the spec but not the client: stale, regenerated, exit 1.
    first = work.run("--base", "origin/main", "--fail-on-drift", "--no-changelog")
    assert first.code == 1, first.stderr
    fresh = generated.project(openai_spec("2.3.0"))  # named openai_api too
    # Exactly what oapigen generates from 2.3.0, and the changelog of the bump.
    assert same_tree(client, fresh, spec_names=("openapi.yaml", "openai-2.3.0.yaml"))
    changelog = (client / "CHANGELOG.md").read_text()
    assert "\n## 2.0.0 -> 2.3.0\n" in changelog
    assert "| operations | 65 | 12 |" in changelog
    summary = first.summary
    assert "| package | `openai_api` 2.0.0 -> 2.3.0 |" in summary
    assert "| committed client | stale: " in summary
    assert "run scripts/regenerate.sh and commit generated/openai_api" in summary
    assert "| regenerated client | reproducible" in summary
    smoke = (first.report / "smoke.txt").read_text().splitlines()
    assert smoke[0] == "ok import openai_api 2.3.0"
    assert any(line.startswith("ok Client: client.") for line in smoke)
    assert any(line.startswith("ok AsyncClient: client.") for line in smoke)
    assert "| smoke test | 5 checks passed |" in summary
    assert first.step_summary.read_text() == "earlier steps\n" + summary

    # Committed, the client is up to date and the run passes.
    work.commit("Regenerate the client")
    second = work.run("--base", "origin/main", "--fail-on-drift", "--no-changelog")
    assert second.code == 0, second.stderr
    assert "| committed client | up to date |" in second.summary
    assert git(work.path, "status", "--porcelain") == ""  # nothing left to commit


def diff_command_exists(tmp_path: Path) -> bool:
    """`oapigen diff OLD NEW --format json` as issue 11 specifies it."""
    done = subprocess.run(
        [
            *OAPIGEN.split(),
            "diff",
            str(EXAMPLE_SPEC),
            str(EXAMPLE_SPEC),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.openai
def test_changelog_and_breaking_gate_with_oapigen_diff(
    openai_repo: Path, tmp_path: Path
) -> None:
    assert diff_command_exists(tmp_path)
    work = bump_openai(openai_repo, tmp_path)
    unreviewed = work.run("--base", "origin/main")
    # 2.0.0 -> 2.3.0 removes 12 operations: breaking, and nobody reviewed it.
    assert unreviewed.code == 1, unreviewed.stderr
    changelog = (unreviewed.report / "changelog.md").read_text()
    assert "| operations | 65 | 12 |" in changelog  # added, removed
    data = json.loads((unreviewed.report / "changelog.json").read_text())
    assert data["summary"]["operations"]["added"] == 65
    assert data["breaking"] > 0
    assert changelog.count("**breaking**") == data["breaking"] + 1  # + the legend
    assert "**not reviewed**" in unreviewed.summary
    assert changelog.strip() in unreviewed.step_summary.read_text()
    reviewed = work.run("--base", "origin/main", BREAKING_OK="true")
    assert reviewed.code == 0, reviewed.stderr
    assert "reviewed (BREAKING_OK)" in reviewed.summary


# -- the gate and the errors, on the example spec (quick) ------------------------------


@pytest.fixture(scope="module")
def example_repo(
    generated: GeneratedPackages, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """main: specs/example.yaml (+ the file it refers to) and its client."""
    project = generated.project(EXAMPLE_SPEC)
    root = tmp_path_factory.mktemp("ci-example")
    files = {
        "example.yaml": EXAMPLE_SPEC,
        "example-common.yaml": EXAMPLE_SPEC.parent / "example-common.yaml",
    }
    return make_repo(root / "base", files, project)


def bump_example(example_repo: Path, tmp_path: Path) -> Workspace:
    work = Workspace(example_repo, tmp_path / "work", "specs/example.yaml")
    spec = work.path / "specs" / "example.yaml"
    text = spec.read_text()
    assert text.count("\n  version: 1.0.0\n") == 1
    spec.write_text(text.replace("\n  version: 1.0.0\n", "\n  version: 1.1.0\n"))
    work.commit("Bump the spec to 1.1.0")
    return work


def stand_in(tmp_path: Path) -> Path:
    path = tmp_path / "oapigen-stand-in"
    path.write_text(STAND_IN.replace("{oapigen}", OAPIGEN))
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("diff_exit", "breaking_ok", "code", "verdict"),
    [
        (0, None, 0, "| breaking changes | none |"),
        (
            1,
            None,
            1,
            "| breaking changes | found, **not reviewed**: add the `breaking-ok`",
        ),
        (1, "true", 0, "| breaking changes | found, reviewed (BREAKING_OK) |"),
        (2, None, 2, "**Error:** oapigen diff failed (exit 2)"),
    ],
    ids=["no-breaking", "breaking-unreviewed", "breaking-reviewed", "diff-error"],
)
def test_breaking_change_gate(
    example_repo: Path,
    tmp_path: Path,
    diff_exit: int,
    breaking_ok: str | None,
    code: int,
    verdict: str,
) -> None:
    work = bump_example(example_repo, tmp_path)
    log = tmp_path / "diff-calls.log"
    env = {
        "OAPIGEN": str(stand_in(tmp_path)),
        "STANDIN_LOG": str(log),
        "STANDIN_EXIT": str(diff_exit),
    }
    if breaking_ok is not None:
        env["BREAKING_OK"] = breaking_ok
    run = work.run("--base", "origin/main", **env)
    assert run.code == code, run.stderr
    assert verdict in run.summary
    # The changelog compares the base commit's spec with the branch's.
    old = f"{run.report}/base/specs/example.yaml"
    calls = log.read_text().splitlines()
    assert calls[0] == f"diff {old} specs/example.yaml --format json --fail-on-breaking"
    old_spec = Path(f"{log}.old").read_text()
    assert old_spec == (example_repo / "specs" / "example.yaml").read_text()
    if diff_exit <= 1:
        assert calls[1:] == [f"diff {old} specs/example.yaml --format md"]
        step_summary = run.step_summary.read_text()
        assert "Breaking changes: 1 (stand-in)" in step_summary
        assert "<summary>API changelog</summary>" in step_summary
        assert "| package | `example_notes_api` 1.0.0 -> 1.1.0 |" in step_summary
        assert "| smoke test | 5 checks passed |" in step_summary
    else:
        assert len(calls) == 1


def test_spec_that_does_not_generate_exits_2(
    example_repo: Path, tmp_path: Path
) -> None:
    work = Workspace(example_repo, tmp_path / "work", "specs/example.yaml")
    (work.path / "specs" / "example.yaml").write_text("openapi: 3.0.3\npaths: [\n")
    work.commit("A broken spec")
    run = work.run("--base", "origin/main")
    assert run.code == 2
    assert "**Error:** oapigen cannot generate from specs/example.yaml (exit 2)" in (
        run.summary
    )
    assert "specs/example.yaml:" in run.stderr  # the located diagnostic
    assert git(work.path, "status", "--porcelain") == ""  # the client untouched
    assert run.step_summary.read_text().endswith(run.summary)


def test_no_spec_at_the_base_means_no_changelog(
    example_repo: Path, tmp_path: Path
) -> None:
    work = bump_example(example_repo, tmp_path)
    git(work.path, "mv", "specs/example.yaml", "specs/notes.yaml")
    work.commit("Rename the spec")
    log = tmp_path / "diff-calls.log"
    run = work.run(
        "--base",
        "origin/main",
        SPEC="specs/notes.yaml",
        PACKAGE="example_notes_api",
        OAPIGEN=str(stand_in(tmp_path)),
        STANDIN_LOG=str(log),
        STANDIN_EXIT="1",
    )
    assert run.code == 0, run.stderr
    assert "| breaking changes | not checked: no specs/notes.yaml at origin/main |" in (
        run.summary
    )
    assert not log.exists()


# -- the smoke test and the workflow ---------------------------------------------------


def test_smoke_test_passes_on_a_generated_package(
    generated: GeneratedPackages,
) -> None:
    project = generated.project(EXAMPLE_SPEC)
    done = subprocess.run(
        [sys.executable, str(CI / "smoke_test.py"), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ok import example_notes_api 1.0.0"
    assert lines[1].startswith("ok Client: client.")
    assert " -> " in lines[1] and lines[2].startswith("ok AsyncClient: client.")
    assert lines[3] == "ok python -m example_notes_api --help"
    assert len(lines) == 5


@pytest.fixture
def broken_copy(generated: GeneratedPackages, tmp_path: Path) -> Iterator[Path]:
    project = tmp_path / "example_notes_api"
    shutil.copytree(generated.project(EXAMPLE_SPEC), project)
    client = project / "example_notes_api" / "_client.py"
    client.write_text(client.read_text() + "\nraise RuntimeError('broken client')\n")
    yield project


def test_smoke_test_fails_on_a_broken_package(broken_copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(CI / "smoke_test.py"), str(broken_copy)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr == "FAILED: RuntimeError: broken client\n"
    assert done.stdout == ""


def test_workflow_runs_the_script_on_spec_changes() -> None:
    workflow = yaml.safe_load((CI / "regenerate.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["pull_request"]["paths"] == ["specs/**"]
    assert {"labeled", "unlabeled", "synchronize"} <= set(
        triggers["pull_request"]["types"]
    )
    assert triggers["push"]["paths"] == ["specs/**"]
    steps = workflow["jobs"]["regenerate"]["steps"]
    checkout = next(
        s for s in steps if s.get("uses", "").startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0  # the base commit, for the changelog
    (main,) = [s for s in steps if "scripts/regenerate.sh" in s.get("run", "")]
    assert "breaking-ok" in main["env"]["BREAKING_OK"]
    assert main["env"]["REPORT_DIR"].endswith("/regenerate")
    # Every option the workflow passes is one the script documents.
    usage = subprocess.run(
        [str(CI / "regenerate.sh"), "--help"], capture_output=True, text=True
    )
    assert usage.returncode == 0
    for word in main["run"].split():
        if word.startswith("--"):
            assert word in usage.stdout, word
    comment = steps[steps.index(main) + 1]
    assert comment["if"] == "always() && github.event_name == 'pull_request'"
    assert "gh pr comment" in comment["run"]
    assert "summary.md" in comment["env"]["REPORT"]
    assert workflow["permissions"]["pull-requests"] == "write"


def test_script_rejects_unknown_arguments() -> None:
    done = subprocess.run(
        [str(CI / "regenerate.sh"), "--frobnicate"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "unknown argument: --frobnicate" in done.stderr


def test_script_is_executable_in_git() -> None:
    """Copied with its mode, the workflow can run it as `scripts/regenerate.sh`."""
    mode = git(ROOT, "ls-files", "--stage", "templates/ci/regenerate.sh").split()[0]
    assert mode == "100755"
