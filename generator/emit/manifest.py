"""Which files of a generated project oapigen owns: `<project>/.oapigen-manifest.json`.

The manifest lists every file oapigen wrote into the project folder with its SHA-256. Its
bytes are deterministic (sorted keys, fixed indentation, no timestamp), so it can be
committed with the project. Regeneration replaces and deletes only the files it lists;
everything else in the folder (a `.git`, the user's own files, build leftovers) is never
touched, and a hash that no longer matches tells that an owned file was edited by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from .paths import path_problem

MANIFEST_NAME = ".oapigen-manifest.json"
FORMAT = 1
_PREFIX = "sha256:"


class ManifestError(Exception):
    """The manifest exists but is not one oapigen wrote (damaged or edited)."""


def digest(data: bytes) -> str:
    return _PREFIX + hashlib.sha256(data).hexdigest()


def manifest_bytes(payload: Mapping[str, bytes]) -> bytes:
    """The manifest of `payload` ({posix path: bytes}), the manifest itself excluded."""
    body = {
        "format": FORMAT,
        "generator": "oapigen",
        "note": "files written by oapigen: regenerating replaces or deletes only these",
        "files": {path: digest(payload[path]) for path in sorted(payload)},
    }
    return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("ascii")


def read_manifest(project: Path) -> dict[str, str] | None:
    """{owned path: digest} from the project's manifest; None when there is none.

    Every listed path is vetted like an output path: the manifest decides what gets
    deleted, so a path that could reach outside the project makes it invalid.
    """
    location = project / MANIFEST_NAME
    try:
        info = os.lstat(location)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise ManifestError(f"{MANIFEST_NAME} is not a regular file")
    try:
        data = json.loads(location.read_bytes())
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{MANIFEST_NAME} cannot be read: {exc}") from None
    files = data.get("files") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("generator") != "oapigen"
        or data.get("format") != FORMAT
        or not isinstance(files, dict)
    ):
        raise ManifestError(f"{MANIFEST_NAME} is not an oapigen manifest (format 1)")
    for path, value in files.items():
        problem = path_problem(path) if isinstance(path, str) else "not text"
        if problem is None and path == MANIFEST_NAME:
            problem = "the manifest itself"
        if problem is not None or not isinstance(value, str):
            raise ManifestError(f"{MANIFEST_NAME} lists an invalid path {path!r}")
    return {str(path): str(value) for path, value in files.items()}
