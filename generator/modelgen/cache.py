"""Printed model modules, cached by what produced them.

An entry maps a module's key (see `groups`: its classes' prepared schemas and what they
refer to, salted with `salt()`: the versions of dmcg, black and oapigen and the bytes of
this package and of its templates) to the module, formatted, without the header line
(which names the spec file): a spec bump prints again only the modules that changed.
Entries live in `models/` under the cache directory (`$OAPIGEN_CACHE_DIR`, else
`~/.cache/oapigen`); storage is the black cache's (one SQLite database, a digest per
entry; a damaged entry reads as a miss). A printed bin's modules are stored in one
transaction.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from .. import __version__
from ..emit.cache import FormatCache

CACHE_FORMAT = "oapigen-models-cache-2"


def models_cache_dir() -> Path:
    override = os.environ.get("OAPIGEN_CACHE_DIR", "")
    if override:
        return Path(override) / "models"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "oapigen" / "models"


@cache
def salt() -> str:
    """Everything besides a group's schemas that its output depends on."""
    from ..emit.formatter import MODE_FINGERPRINT, _installed_black_version
    from .dmcg import dmcg_version, template_dir

    digest = hashlib.sha256()
    for part in (
        CACHE_FORMAT,
        __version__,
        dmcg_version(),
        _installed_black_version() or "no black",
        MODE_FINGERPRINT,
    ):
        digest.update(part.encode("utf-8") + b"\0")
    here = Path(__file__).resolve().parent
    sources = sorted(here.glob("*.py")) + sorted(template_dir().rglob("*.jinja2"))
    sources.append(here.parent / "emit" / "selective.py")  # formats what is cached
    for path in sources:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ModelsCache(FormatCache):
    """Best effort: any I/O problem is a miss, never an error."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(root or models_cache_dir())
