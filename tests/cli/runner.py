"""Running a generated package's command line: as a real `python -m <package>`
subprocess, or in this process through `<package>._runtime._cli.run` (where stdout can
pretend to be a terminal)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

# Environment variables the generated clients read; the tests decide them.
CLIENT_ENV = (
    "EXAMPLE_API_KEY",
    "EXAMPLE_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
)
# The key every test passes; no output may ever contain it.
API_KEY = "sk-cli-test-0c5e41f7"


@dataclass(frozen=True)
class Result:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.out)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.text.splitlines()]

    def assert_secret_free(self) -> None:
        assert API_KEY not in self.text and API_KEY not in self.err


class _Terminal(io.TextIOWrapper):
    """A text stream over bytes that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def value(self) -> bytes:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue()


class PackageCLI:
    """The command line of one generated package, pointed at a base URL."""

    def __init__(self, package: ModuleType, project: Path, base_url: str) -> None:
        self.package = package
        self.name = package.__name__
        self.project = project
        self.base_url = base_url

    def client_options(self) -> list[str]:
        return ["--base-url", self.base_url, "--api-key", API_KEY]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
        env["PYTHONPATH"] = str(self.project)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", self.name, *args]

    def subprocess(self, *args: str, options: bool = True) -> Result:
        """`python -m <package> [client options] ARGS` as a child process."""
        argv = [*self.client_options(), *args] if options else list(args)
        done = subprocess.run(
            self.command(*argv),
            env=self.env(),
            cwd=self.project,
            capture_output=True,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr.decode("utf-8"))

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(*self.client_options(), *args),
            env=self.env(),
            cwd=self.project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def inprocess(self, *args: str, tty: bool = False, options: bool = True) -> Result:
        """The same through `_cli.run` in this process; `tty`: stdout is a terminal."""
        cli = importlib.import_module(f"{self.name}._runtime._cli")
        argv = [*self.client_options(), *args] if options else list(args)
        stdout, stderr = _Terminal(tty), _Terminal(False)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli.run(self.package.Client, argv)
        return Result(code, stdout.value(), stderr.value().decode("utf-8"))


def help_entries(help_text: str) -> dict[str, str]:
    """The options of an argparse help text: first option string -> its whole entry
    (`--store, --no-store bool | null, optional. Whether ...`), lines joined."""
    entries: dict[str, str] = {}
    key = None
    for line in help_text.splitlines():
        if line.startswith("  -"):
            key = line.split()[0].rstrip(",")
            entries[key] = line.strip()
        elif key is not None and line.startswith("    "):
            entries[key] += " " + line.strip()
        else:
            key = None
    return entries
