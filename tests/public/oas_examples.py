"""The public corpus: the npm package `@readme/oas-examples` (OpenAPI 2.0, 3.0 and 3.1
documents by others), installed once into `.tools/oas-examples/` at a pinned version
(`.ci/run` installs it too); an existing install of that version is reused."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSION = "8.2.2"
PACKAGE = f"@readme/oas-examples@{VERSION}"
TOOLS = ROOT / ".tools" / "oas-examples"
INSTALLED = TOOLS / "node_modules" / "@readme" / "oas-examples"


class Unavailable(RuntimeError):
    """npm is missing or the install failed; the message says what to do."""


def installed_version() -> str | None:
    try:
        return str(json.loads((INSTALLED / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def install() -> Path:
    if installed_version() == VERSION:
        return INSTALLED
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable(
            f"npm is not on PATH: needed to install {PACKAGE} into {TOOLS}"
        )
    TOOLS.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(TOOLS), PACKAGE, "--no-audit",
               "--no-fund", "--ignore-scripts", "--loglevel=error"]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0 or installed_version() != VERSION:
        raise Unavailable(f"npm install {PACKAGE} failed: {done.stderr.strip()[-500:]}")
    return INSTALLED


def documents(root: Path) -> list[Path]:
    """Every document, JSON and YAML (the two forms differ in places upstream)."""
    return sorted(
        path
        for version in ("2.0", "3.0", "3.1")
        for path in (root / version).rglob("*")
        if path.suffix in (".json", ".yaml") and path.is_file()
    )


if __name__ == "__main__":  # `.ci/run`: install before the tests
    print(install())
