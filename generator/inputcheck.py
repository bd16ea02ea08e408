"""Is the input a readable OpenAPI 3.x document at all? Checked before any real work.

Two small gates, so a wrong file gets one clear line (exit 2) instead of a traceback or,
worse, an empty client: `check_spec_path` before loading (missing, a folder, unreadable)
and `check_document` right after (Swagger 2.0, or YAML/JSON that is not OpenAPI).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .diagnostics import GeneratorError, error
from .loader import Document

SWAGGER_MESSAGE = (
    "OpenAPI 2.0 (Swagger) is not supported; "
    "convert it to 3.x first (e.g. with swagger2openapi)"
)
_VERSION = re.compile(r"3\.\d+(\.\d+)?([-.+].*)?")


def check_spec_path(spec: Path) -> None:
    """GeneratorError unless `spec` names a readable file (E103, E121, E122)."""
    name = str(spec)
    if not os.path.exists(spec):
        hint = ""
        if spec.name.startswith("openai-"):
            hint = "the OpenAI specs are not in the repository: run `make specs` first"
        raise GeneratorError(
            [error("E103", name, None, "", "spec file not found", hint)]
        )
    if spec.is_dir():
        message = "is a folder, not a spec file"
        hint = "name the OpenAPI YAML or JSON file itself"
        raise GeneratorError([error("E121", name, None, "", message, hint)])
    if not spec.is_file():  # a pipe or a device: reading it could block forever
        message = "is not a regular file"
        raise GeneratorError([error("E122", name, None, "", message)])
    try:
        with open(spec, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        message = f"cannot read the spec file: {exc.strerror or exc}"
        raise GeneratorError([error("E122", name, None, "", message)]) from None


def check_document(document: Document) -> None:
    """GeneratorError unless the loaded document says it is OpenAPI 3.x (E123, E124)."""
    root = document.root
    version = root.get("openapi")
    if version is None and "swagger" in root:
        raise _located(document, "E123", "#/swagger", SWAGGER_MESSAGE)
    if version is None:
        message = "not an OpenAPI document: it has no top-level `openapi` field"
        hint = "oapigen reads OpenAPI 3.0 and 3.1 documents (YAML or JSON)"
        raise _located(document, "E124", "#", message, hint)
    if isinstance(version, float):
        version = str(version)  # `openapi: 3.1` unquoted reads as a number
    if isinstance(version, str) and version.startswith("2"):
        raise _located(document, "E123", "#/openapi", SWAGGER_MESSAGE)
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        message = f"openapi: {version!r} is not a version oapigen reads (3.x)"
        raise _located(document, "E124", "#/openapi", message)


def _located(
    document: Document, code: str, pointer: str, message: str, hint: str = ""
) -> GeneratorError:
    file, line = document.locate(pointer)
    return GeneratorError([error(code, file, line, pointer, message, hint)])
