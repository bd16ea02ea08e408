"""Golden cases: discovery, generation and tree comparison, shared by the test and
`python -m tests.golden.refresh`.

A case is a folder `tests/golden/<case>/` with `expected/` (the reviewed output tree)
and either its own `spec.yaml` / `spec.json` (plus any file it refers to) or a
`case.toml` naming the spec elsewhere (`spec = "../../../specs/example.yaml"`) and,
optionally, `package = "name"`. The generated runtime (`<package>/_runtime/`) is left
out of expected/: it is a copy of templates/runtime, checked separately.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest and black depend on tomli before 3.11
    import tomli as tomllib

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parent.parent
RUNTIME_TEMPLATES = ROOT / "templates" / "runtime"
RUNTIME_DIR = "_runtime"
SPEC_NAMES = ("spec.yaml", "spec.yml", "spec.json")
IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache"})
# Hashes of every file, runtime included: tested in tests/tool, not a golden.
IGNORED_FILES = frozenset({".oapigen-manifest.json"})

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    spec: Path
    package: str | None = None

    @property
    def expected(self) -> Path:
        return self.folder / "expected"


def read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _read_case(folder: Path) -> Case | None:
    config = folder / "case.toml"
    if config.is_file():
        data = read_toml(config)
        spec = (folder / str(data["spec"])).resolve()
        package = data.get("package")
        return Case(folder.name, folder, spec, str(package) if package else None)
    for name in SPEC_NAMES:
        if (folder / name).is_file():
            return Case(folder.name, folder, folder / name)
    return None


def discover() -> list[Case]:
    """Every case folder under tests/golden, sorted by name."""
    found = []
    for folder in sorted(GOLDEN.iterdir()):
        if folder.is_dir() and not folder.name.startswith(("_", ".")):
            case = _read_case(folder)
            if case is not None:
                found.append(case)
    return found


def generate_case(case: Case, output: Path) -> Path:
    """Generate `case` into the (new) folder `output`; return the project folder.

    expected/ mirrors `output`: `<project>/<package>/...`, so the project's name is
    part of what is compared."""
    from oapigen.pipeline import generate

    return generate(case.spec, output=output, package=case.package).target


def read_tree(root: Path) -> dict[str, bytes]:
    """{posix path relative to root: bytes} of every file below an output folder,
    without the runtime copies."""
    files: dict[str, bytes] = {}
    if not root.is_dir():
        return files
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in IGNORED_DIRS for part in relative.parts) or not path.is_file():
            continue
        if relative.name in IGNORED_FILES:
            continue
        if is_runtime(relative.as_posix()):
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def is_runtime(relative: str) -> bool:
    """`<project>/<package>/_runtime/...` below an output folder."""
    parts = relative.split("/")
    return len(parts) > 3 and parts[2] == RUNTIME_DIR


def describe_differences(
    expected: Mapping[str, bytes], actual: Mapping[str, bytes], context: int = 3
) -> str:
    """Missing, extra and changed files, with a short diff of each changed file."""
    lines: list[str] = []
    for path in sorted(set(expected) - set(actual)):
        lines.append(f"missing from the generated tree: {path}")
    for path in sorted(set(actual) - set(expected)):
        lines.append(f"not in expected/: {path}")
    for path in sorted(set(expected) & set(actual)):
        if expected[path] == actual[path]:
            continue
        lines.append(f"changed: {path}")
        diff = difflib.unified_diff(
            expected[path].decode("utf-8", "replace").splitlines(),
            actual[path].decode("utf-8", "replace").splitlines(),
            f"expected/{path}",
            f"generated/{path}",
            n=context,
            lineterm="",
        )
        lines.extend(list(diff)[:40])
    return "\n".join(lines)


def write_expected(case: Case, tree: Mapping[str, bytes]) -> None:
    """Replace `case.expected` with exactly `tree`."""
    import shutil

    if case.expected.exists():
        shutil.rmtree(case.expected)
    for relative, data in tree.items():
        target = case.expected / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
