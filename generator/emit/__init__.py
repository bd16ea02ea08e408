"""Stage 5: format rendered sources with black, then write or check the tree.

with Formatter() as formatter:      # workers start importing black now
    ...                             # plan, render; formatter.submit(path, text)
    files = formatter.results()
write_tree(files, Path("generated/openai_client"))  # or check_tree(...) for --check

The project folder keeps a manifest of the files oapigen owns (manifest.py); writing
replaces only those, in one journaled transaction (journal.py).
"""

from .cache import FormatCache, default_cache_dir
from .formatter import (
    LINE_LENGTH,
    TARGET_VERSIONS,
    FormatError,
    Formatter,
    FormatStats,
    black_mode,
    format_edited,
    format_generated,
    format_python,
    format_sources,
)
from .journal import OutputError, recover
from .manifest import MANIFEST_NAME
from .tree import WriteReport, check_tree, settle, validated_paths, write_tree

__all__ = [
    "LINE_LENGTH",
    "MANIFEST_NAME",
    "TARGET_VERSIONS",
    "FormatCache",
    "FormatError",
    "FormatStats",
    "OutputError",
    "WriteReport",
    "Formatter",
    "black_mode",
    "check_tree",
    "settle",
    "default_cache_dir",
    "format_edited",
    "format_generated",
    "format_python",
    "format_sources",
    "recover",
    "validated_paths",
    "write_tree",
]
