"""Stage 5: format rendered sources with black, then write or check the tree.

with Formatter() as formatter:      # workers start importing black now
    ...                             # plan, render; formatter.submit(path, text)
    files = formatter.results()
write_tree(files, Path("generated/openai_client"))  # or check_tree(...) for --check
"""

from .cache import FormatCache, default_cache_dir
from .formatter import (
    LINE_LENGTH,
    TARGET_VERSIONS,
    FormatError,
    Formatter,
    FormatStats,
    black_mode,
    format_python,
    format_sources,
)
from .tree import check_tree, validated_paths, write_tree

__all__ = [
    "LINE_LENGTH",
    "TARGET_VERSIONS",
    "FormatCache",
    "FormatError",
    "FormatStats",
    "Formatter",
    "black_mode",
    "check_tree",
    "default_cache_dir",
    "format_python",
    "format_sources",
    "validated_paths",
    "write_tree",
]
