"""Is the spec path a readable file at all? Checked before any real work.

A wrong path gets one clear line (exit 2) instead of a traceback: missing (with a hint
for the OpenAI specs), a folder, a pipe or device, unreadable. Whether the file is an
OpenAPI 3 document (not Swagger 2.0, not some other YAML/JSON) is the validation
stage's first check (validate.py, E601/E602).
"""

from __future__ import annotations

import os
from pathlib import Path

from .diagnostics import GeneratorError, error


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
