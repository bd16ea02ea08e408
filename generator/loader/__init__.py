"""Stage 1: spec file(s) -> an immutable Document with a source map.

YAML 1.2 (libyaml) or JSON, `$ref`s across files checked at load, bundling into one
document whose refs are all local, and (file, line) for any pointer on demand.
"""

from .document import Document, load
from .limits import LoadOptions
from .pointer import escape, split_pointer, to_pointer, to_ref

__all__ = [
    "Document",
    "LoadOptions",
    "escape",
    "load",
    "split_pointer",
    "to_pointer",
    "to_ref",
]
