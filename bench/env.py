"""The anchors' virtual environments under .tools/bench/ (git-ignored), one per tool.

Each is installed from bench/requirements/<name>.txt (exact pins) on first use and
reinstalled only when that file changes: a stamp in the venv holds the file's digest.
A venv that cannot be installed (no network, a yanked release) makes its anchor
"unavailable" in the results instead of stopping the benchmark.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = ROOT / ".tools" / "bench"
REQUIREMENTS_DIR = Path(__file__).resolve().parent / "requirements"
STAMP = ".bench-installed"
INSTALL_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Venv:
    name: str
    path: Path
    error: str | None  # why it is unusable, or None

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def ok(self) -> bool:
        return self.error is None


def requirements(name: str) -> Path:
    return REQUIREMENTS_DIR / f"{name}.txt"


def pins(name: str) -> dict[str, str]:
    """{distribution: version} from a requirements file (for the results' record)."""
    found: dict[str, str] = {}
    for line in requirements(name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            dist, version = line.split("==", 1)
            found[dist.strip()] = version.strip()
    return found


def _digest(name: str) -> str:
    return hashlib.sha256(requirements(name).read_bytes()).hexdigest()


def _ensure(name: str) -> Venv:
    path = TOOLS_DIR / name
    stamp = path / STAMP
    digest = _digest(name)
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return Venv(name, path, None)
    print(
        f"  installing {name} into {path.relative_to(ROOT)} (first use) ...", flush=True
    )
    if path.exists():
        shutil.rmtree(path)
    steps = [
        [sys.executable, "-m", "venv", str(path)],
        [
            str(path / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements(name)),
        ],
    ]
    for step in steps:
        try:
            done = subprocess.run(
                step,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Venv(
                name, path, f"install timed out after {INSTALL_TIMEOUT_S:.0f} s"
            )
        if done.returncode != 0:
            lines = [
                line
                for line in (done.stderr + done.stdout).splitlines()
                if line.strip() and "is ignored" not in line
            ]
            reason = lines[-1].strip() if lines else f"exit {done.returncode}"
            return Venv(name, path, f"install failed: {reason[:160]}")
    stamp.write_text(digest + "\n")
    return Venv(name, path, None)


def ensure_all(names: list[str]) -> dict[str, Venv]:
    """Install (in parallel, pip is mostly waiting on the network) what is missing."""
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        venvs = list(pool.map(_ensure, names))
    return {venv.name: venv for venv in venvs}


def java_error() -> str | None:
    """openapi-generator runs on the JVM; say so plainly when there is none."""
    java = shutil.which("java")
    if java is None:
        return "java not found on PATH (apt-get install default-jre-headless)"
    done = subprocess.run(
        [java, "-version"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    return None if done.returncode == 0 else "java -version failed"


def java_version() -> str:
    java = shutil.which("java")
    if java is None:
        return "none"
    done = subprocess.run(
        [java, "-version"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    lines = (done.stderr or done.stdout).splitlines()
    return lines[0].strip() if lines else "unknown"
