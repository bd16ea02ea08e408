"""Content-addressed cache of black output, shared by all generator runs of a user.

An entry maps sha256(cache format, black version, mode, source) to the formatted
text. Black's output is a pure function of those inputs, so a hit is always safe.
Entries are written atomically and carry a digest of their body: a damaged entry
reads as a miss and is rewritten, it never reaches generated code.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

# Bump when the entry layout or the meaning of the key changes.
CACHE_FORMAT = "oapigen-black-cache-1"


def default_cache_dir() -> Path:
    """`$OAPIGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/oapigen/black`, else
    `~/.cache/oapigen/black`."""
    override = os.environ.get("OAPIGEN_CACHE_DIR", "")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "oapigen" / "black"


def template_cache_dir(fingerprint: str) -> Path:
    """Where compiled Jinja templates are kept: beside the black cache (`templates/` in
    `$OAPIGEN_CACHE_DIR`, else `.../oapigen/templates`), one folder per `fingerprint`
    of what the compiled code depends on besides a template's source."""
    override = os.environ.get("OAPIGEN_CACHE_DIR", "")
    root = Path(override) if override else default_cache_dir().parent
    digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]
    return root / "templates" / digest


def template_bytecode_cache(fingerprint: str) -> Any:
    """A `jinja2.BytecodeCache` for `template_cache_dir(fingerprint)`, or None when that
    folder cannot be made. Jinja checks each entry against the template's source and the
    Python version; `fingerprint` adds the environment's settings and Jinja's version.
    Compiling oapigen's templates costs ~0.3 s a run."""
    import jinja2

    directory = template_cache_dir(f"{jinja2.__version__}\0{fingerprint}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def cache_key(black_version: str, mode_fingerprint: str, source: str) -> str:
    digest = hashlib.sha256()
    for part in (CACHE_FORMAT, black_version, mode_fingerprint):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    # surrogatepass: hashing must not fail on text black itself would reject.
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class FormatCache:
    """Best-effort store: any I/O problem degrades to a miss, never to an error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _entry(self, key: str) -> Path:
        # Two-character fan-out keeps directories small as the cache grows.
        return self.root / key[:2] / key[2:]

    def get(self, key: str) -> str | None:
        try:
            data = self._entry(key).read_bytes()
        except OSError:
            return None
        header, newline, body = data.partition(b"\n")
        expected = f"{CACHE_FORMAT} {hashlib.sha256(body).hexdigest()}".encode()
        if not newline or header != expected:
            return None
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def put(self, key: str, text: str) -> None:
        entry = self._entry(key)
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:
            return
        header = f"{CACHE_FORMAT} {hashlib.sha256(body).hexdigest()}\n".encode()
        tmp_name: str | None = None
        try:
            try:
                fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=entry.parent)
            except FileNotFoundError:  # first entry of this fan-out directory
                entry.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=entry.parent)
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(header + body)
            os.replace(tmp_name, entry)
            tmp_name = None
        except OSError:
            pass  # read-only or full disk: the run still succeeds, just uncached
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
