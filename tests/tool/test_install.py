"""oapigen installed the ways people install tools: a wheel in a brand-new venv,
`pip install .`, `pipx install .`; then used from another working directory.

The distribution is built from a copy of the files it is made of (pyproject.toml,
README.md, generator/, templates/), so nothing of the checkout (its venv, specs/, tests/)
can make it work by accident. Installs reuse pip's cache (downloads only once per machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import openai_spec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - black depends on tomli before 3.11
    import tomli as tomllib

from .helpers import EXAMPLE_SPEC, ROOT

INSTALL_TIMEOUT = 900
DISTRIBUTED = ("pyproject.toml", "README.md", "generator", "templates")

IMPORT_CHECK = """
import sys, {package} as pkg
client = pkg.Client(api_key="k", base_url="https://api.invalid")
print(pkg.__name__, pkg.__version__, len([a for a in dir(pkg.Client) if not a.startswith("_")]))
"""


def run(
    args: list[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = INSTALL_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def clean_env() -> dict[str, str]:
    """The environment without this test run's venv and sources on the path."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin
    )
    return env


def source_copy(folder: Path) -> Path:
    source = folder / "oapigen-src"
    source.mkdir()
    for name in DISTRIBUTED:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    return source


def fresh_venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / "bin"


def user_workdir(folder: Path) -> Path:
    """A working directory far from the checkout, holding the user's own `generator`
    package (the reason the import name is not `generator`) and the spec files."""
    work = folder / "work"
    (work / "generator").mkdir(parents=True)
    (work / "generator" / "__init__.py").write_text("")
    (work / "generator" / "__main__.py").write_text("print('the user generator')\n")
    for spec in EXAMPLE_SPEC.parent.glob("example*.yaml"):
        shutil.copy(spec, work)
    return work


def generate_and_import(
    oapigen: list[str | Path], python: Path, work: Path, spec: str, package: str
) -> str:
    """Generate `spec` in `work` with the installed command, import it with `python`."""
    env = clean_env()
    result = run([*oapigen, spec, "--output", "clients"], cwd=work, env=env)
    assert result.stdout.startswith(f"clients/{package}: "), result.stdout
    project = work / "clients" / package
    assert (project / ".oapigen-manifest.json").is_file()
    imported = run(
        [python, "-c", IMPORT_CHECK.format(package=package)],
        cwd=work,
        env={**env, "PYTHONPATH": str(project)},
    )
    return imported.stdout


def generates_openai(oapigen: list[str | Path], python: Path, work: Path) -> None:
    """The issue's yardstick: the OpenAI 2.3.0 client, generated and imported."""
    shutil.copy(openai_spec("2.3.0"), work)
    out = generate_and_import(oapigen, python, work, "openai-2.3.0.yaml", "openai_api")
    assert out.startswith("openai_api 2.3.0 ")


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_generates_from_any_directory(tmp_path: Path) -> None:
    source = source_copy(tmp_path)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            "dist",
            "./oapigen-src",
        ],
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("oapigen-*.whl")
    shutil.rmtree(source)  # the installed package must stand on its own
    bin_dir = fresh_venv(tmp_path / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path)
    work = user_workdir(tmp_path)

    version = run([bin_dir / "oapigen", "--version"], cwd=work, env=clean_env())
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    black = next(d for d in pins["dependencies"] if d.startswith("black=="))
    assert version.stdout.splitlines()[0] == "oapigen 0.1.0"
    assert f"black {black.split('==')[1]} (pinned)" in version.stdout

    out = generate_and_import(
        [bin_dir / "oapigen"],
        bin_dir / "python",
        work,
        "example.yaml",
        "example_notes_api",
    )
    assert out.startswith("example_notes_api 1.0.0 ")
    # `python -m oapigen` is the tool even beside a `generator` package of the user's.
    module = run([bin_dir / "python", "-m", "oapigen", "--version"], cwd=work)
    assert module.stdout == version.stdout
    theirs = run([bin_dir / "python", "-m", "generator"], cwd=work)
    assert theirs.stdout == "the user generator\n"

    generates_openai([bin_dir / "python", "-m", "oapigen"], bin_dir / "python", work)


@pytest.mark.slow
def test_pip_install_dot_in_a_fresh_venv(tmp_path: Path) -> None:
    source_copy(tmp_path)
    bin_dir = fresh_venv(tmp_path / "venv")
    run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "./oapigen-src"],
        cwd=tmp_path,
    )
    work = user_workdir(tmp_path)
    out = generate_and_import(
        [bin_dir / "oapigen"],
        bin_dir / "python",
        work,
        "example.yaml",
        "example_notes_api",
    )
    assert out.startswith("example_notes_api 1.0.0 ")
    generates_openai([bin_dir / "oapigen"], bin_dir / "python", work)


@pytest.mark.slow
def test_pipx_install_dot(tmp_path: Path) -> None:
    """pipx from the machine, or installed from PyPI into a throwaway venv."""
    source = source_copy(tmp_path)
    pipx = shutil.which("pipx", path=clean_env()["PATH"])
    if pipx is None:
        tools = fresh_venv(tmp_path / "pipx-venv")
        run([tools / "python", "-m", "pip", "install", "--quiet", "pipx"], cwd=tmp_path)
        pipx = str(tools / "pipx")
    home = tmp_path / "pipx-home"
    env = {
        **clean_env(),
        "PIPX_HOME": str(home),
        "PIPX_BIN_DIR": str(tmp_path / "pipx-bin"),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
        "PIPX_DEFAULT_PYTHON": sys.executable,  # a Python 3.10+, pipx makes its own venv
    }
    run([pipx, "install", source], cwd=tmp_path, env=env)
    installed = tmp_path / "pipx-bin" / "oapigen"
    assert installed.is_file()
    app_python = home / "venvs" / "oapigen" / "bin" / "python"
    work = user_workdir(tmp_path)
    out = generate_and_import(
        [installed], app_python, work, "example.yaml", "example_notes_api"
    )
    assert out.startswith("example_notes_api 1.0.0 ")
    generates_openai([installed], app_python, work)


def test_every_source_package_is_in_the_distribution() -> None:
    """The packages list in pyproject.toml is explicit (package-dir maps generator/ to
    oapigen/): a new subpackage left out of it would be missing from every install."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]
    folders = {
        "oapigen": ROOT / "generator",
        "oapigen.templates": ROOT / "templates",
    }
    found = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder).parts
            found.add(".".join((name, *relative)))
    found.add("oapigen.templates")  # templates/ holds data files, no __init__.py
    assert set(setuptools["packages"]) == found
    assert setuptools["package-dir"] == {
        "oapigen": "generator",
        "oapigen.templates": "templates",
    }
