"""The Prism mock server (`@stoplight/prism-cli` from npm): install, start, judge, stop.

Prism is installed once into `.tools/prism/` (git-ignored) at a pinned version; an
existing install of that version is reused. `prism mock` serves a spec on 127.0.0.1 at
an ephemeral port, with paths relative to the spec's server (so the client's base URL
has no `/v1`). It validates each request against the spec and answers an invalid one
with 422 `application/problem+json` listing the violations (`validation`); a request
that passes gets a response built from the spec (its examples, else its schema).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from .specs import ROOT

PRISM_VERSION = "5.16.0"
PRISM_PACKAGE = f"@stoplight/prism-cli@{PRISM_VERSION}"
TOOLS = ROOT / ".tools" / "prism"
INSTALL_TIMEOUT = 300.0
START_TIMEOUT = 90.0
READY_LINE = "Prism is listening on"


class PrismUnavailable(RuntimeError):
    """Prism could not be installed or started; the message says why and what to do."""


def prism_executable() -> Path:
    return TOOLS / "node_modules" / ".bin" / "prism"


def installed_version() -> str | None:
    manifest = TOOLS / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def install_prism() -> Path:
    """Installs the pinned Prism unless it is already there; returns the executable."""
    executable = prism_executable()
    if installed_version() == PRISM_VERSION and executable.exists():
        return executable
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailable(
            "npm is not on PATH: the conformance suite needs Node.js 18+ and npm to "
            f"install {PRISM_PACKAGE} into {TOOLS}"
        )
    TOOLS.mkdir(parents=True, exist_ok=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(TOOLS),
        PRISM_PACKAGE,
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",  # Prism needs none; this also skips an analytics postinstall
        "--loglevel=error",
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrismUnavailable(
            f"`{' '.join(command)}` did not finish in {INSTALL_TIMEOUT:.0f} s "
            "(is the npm registry reachable?)"
        ) from exc
    if done.returncode != 0 or installed_version() != PRISM_VERSION:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise PrismUnavailable(
            f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}"
        )
    return executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrismServer:
    """One `prism mock` process for one spec; `stop()` ends it (and its children)."""

    def __init__(self, executable: Path, spec: Path, log: Path) -> None:
        self.executable = executable
        self.spec = spec
        self.log = log
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrismServer:
        for _attempt in range(3):  # a port taken between probe and bind: try another
            self.port = free_port()
            with self.log.open("wb") as out:
                self._process = subprocess.Popen(
                    [
                        str(self.executable),
                        "mock",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(self.port),
                        str(self.spec),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own process group, stopped as one
                    env={**os.environ, "SCARF_ANALYTICS": "false"},
                )
            if self._wait_ready():
                return self
            address_taken = "EADDRINUSE" in self.log_text()
            self.stop()
            if not address_taken:
                break
        raise PrismUnavailable(
            f"prism mock {self.spec.name} did not start within {START_TIMEOUT:.0f} s; "
            f"log {self.log}:\n{self.log_text()[-3000:]}"
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            if READY_LINE in self.log_text():
                return True
            time.sleep(0.2)
        return False

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def prism_violations(response: httpx.Response, body: bytes) -> list[str]:
    """Why Prism rejected a request (empty when it accepted it).

    Rejections are 422 `application/problem+json` with a `validation` list; Prism also
    reports violations of an accepted request in an `sl-violations` header.
    """
    found: list[str] = []
    header = response.headers.get("sl-violations")
    if header:
        found.extend(_violations(_loads(header.encode())))
    if response.status_code >= 300:
        problem = _loads(body)
        if isinstance(problem, dict) and problem.get("validation"):
            found.extend(_violations(problem["validation"]))
        elif isinstance(problem, dict):
            found.append(
                f"{response.status_code} {problem.get('title', '')}: "
                f"{problem.get('detail', '')}".strip()
            )
        else:
            found.append(f"{response.status_code}: {body[:200]!r}")
    return found


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _violations(items: Any) -> list[str]:
    if not isinstance(items, list):
        return [str(items)]
    return [
        f"{'/'.join(str(p) for p in item.get('location', ()))}: {item.get('message')}"
        for item in items
        if isinstance(item, dict)
    ]
