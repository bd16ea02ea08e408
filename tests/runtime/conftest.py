"""Load templates/runtime as the package `oag_runtime` (no copying), so tests can
`import oag_runtime`; expose the faulty-server fixture."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIR = _ROOT / "templates" / "runtime"
_TESTS_DIR = _ROOT / "tests"


def _load_runtime() -> ModuleType:
    loaded = sys.modules.get("oag_runtime")
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(
        "oag_runtime",
        RUNTIME_DIR / "__init__.py",
        submodule_search_locations=[str(RUNTIME_DIR)],
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["oag_runtime"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["oag_runtime"]
        raise
    return module


oag_runtime = _load_runtime()

if str(_TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(_TESTS_DIR))

from servers.faulty import faulty_server  # noqa: E402,F401  (a fixture)
