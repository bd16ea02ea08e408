"""The printed modules of each group of models, cached by what produced them.

An entry maps a group's key (sha256 of its prepared schemas, aliases and template data,
salted with `salt()`: the versions of dmcg, black and oapigen and the bytes of this
package and of its templates) to the group's modules, formatted, without the header
line (which names the spec file): a spec bump re-runs only the groups that changed.
Entries live in `models/` under the cache directory (`$OAPIGEN_CACHE_DIR`, else
`~/.cache/oapigen`); storage is the black cache's (atomic writes, a digest per entry;
a damaged entry reads as a miss).
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from .. import __version__
from ..emit.cache import FormatCache

CACHE_FORMAT = "oapigen-models-cache-1"


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
    for path in sources:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ModelsCache:
    """Best effort: any I/O problem is a miss, never an error."""

    def __init__(self, root: Path | None = None) -> None:
        self._store = FormatCache(root or models_cache_dir())

    @property
    def root(self) -> Path:
        return self._store.root

    def get(self, key: str) -> dict[str, str] | None:
        text = self._store.get(key)
        if text is None:
            return None
        try:
            modules = json.loads(text)
        except ValueError:
            return None
        if not isinstance(modules, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in modules.items()
        ):
            return None
        return modules

    def put(self, key: str, modules: dict[str, str]) -> None:
        self._store.put(key, json.dumps(modules, sort_keys=True, ensure_ascii=False))
