"""Shared by the tests of oapigen as a tool: running the command, small specs, snapshots."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = ROOT / "specs" / "example.yaml"
TIMEOUT = 180

NOTES_V1 = """
openapi: 3.0.3
info: {title: Tiny Notes, version: "1.0"}
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
    Draft: {type: object, properties: {text: {type: string}}}
"""

# v2 drops the Draft schema (a stale owned model file) and adds a tag (a new resource).
NOTES_V2 = """
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
  /tags:
    get:
      operationId: listTags
      tags: [Tags]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: array, items: {type: string}}}}
components:
  schemas:
    Note: {type: object, required: [id], properties: {id: {type: string}}}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def oapigen(
    *args: str | Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """`python -m oapigen ARGS` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "oapigen", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(root: Path) -> dict[str, str | bytes]:
    """Every entry below `root`: file bytes, "<dir>", or "-> target" for a symlink."""
    found: dict[str, str | bytes] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        rel = path.relative_to(root).as_posix()
        if stat.S_ISLNK(mode):
            found[rel] = "-> " + os.readlink(path)
        elif stat.S_ISDIR(mode):
            found[rel] = "<dir>"
        else:
            found[rel] = path.read_bytes()
    return found
