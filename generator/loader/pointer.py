"""JSON pointers (RFC 6901) and `$ref` strings: parsing, escaping, walking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

# Characters a URI fragment may hold unencoded (RFC 3986 pchar, "/" and "?"), so
# generated refs stay readable while `{`, `}`, `%` and spaces are percent-encoded.
_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def escape(segment: str) -> str:
    """One reference token: `~` -> `~0`, `/` -> `~1`."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def to_pointer(segments: Iterable[str]) -> str:
    """`("paths", "/a")` -> `"#/paths/~1a"` (JSON-pointer escapes only, as diagnostics show)."""
    return "#" + "".join("/" + escape(s) for s in segments)


def to_ref(segments: Iterable[str]) -> str:
    """Like to_pointer, but percent-encoded as a URI fragment: what bundled `$ref`s hold."""
    return "#" + "".join("/" + quote(escape(s), safe=_FRAGMENT_SAFE) for s in segments)


def split_pointer(pointer: str, *, percent_decode: bool) -> tuple[str, ...] | None:
    """`"#/a/b~1c"` (or `"/a/b~1c"`) -> `("a", "b/c")`; None when it is not a pointer.

    A `$ref` fragment is URI-encoded, so it is percent-decoded before it is split
    (RFC 6901 section 6); pointers built by hand (diagnostics) are not.
    """
    text = pointer[1:] if pointer.startswith("#") else pointer
    if percent_decode:
        text = unquote(text)
    if text == "":
        return ()
    if not text.startswith("/"):
        return None
    return tuple(unescape(token) for token in text[1:].split("/"))


@dataclass(frozen=True)
class Missing:
    """Where a pointer walk stopped: `segments[:depth]` exists, `segments[depth]` does not."""

    depth: int
    reason: str


def walk(data: Any, segments: Sequence[str]) -> Any:
    """The node at `segments` inside `data`, or a Missing saying where the walk stopped."""
    node = data
    for depth, segment in enumerate(segments):
        if isinstance(node, dict):
            if segment not in node:
                return Missing(depth, f"no key {segment!r}")
            node = node[segment]
        elif isinstance(node, list):
            if not _is_index(segment) or int(segment) >= len(node):
                return Missing(depth, f"no item {segment!r} in a list of {len(node)}")
            node = node[int(segment)]
        else:
            return Missing(depth, f"{type_name(node)} has no member {segment!r}")
    return node


def lookup(
    data: Any, pointer: str, *, decoded_first: bool
) -> tuple[Any, tuple[str, ...]]:
    """Walk a pointer, trying it percent-decoded and raw (in the order asked for).

    Returns the node (or a Missing from the preferred reading) and the segments used.
    Specs write `{id}` raw as often as `%7Bid%7D`, and hand-built pointers never
    percent-encode, so a key holding `%` must still be found.
    """
    orders = (True, False) if decoded_first else (False, True)
    first: tuple[Any, tuple[str, ...]] | None = None
    for decode in orders:
        segments = split_pointer(pointer, percent_decode=decode)
        if segments is None:
            continue
        node = walk(data, segments)
        if not isinstance(node, Missing):
            return node, segments
        if first is None:
            first = (node, segments)
        if "%" not in pointer:
            break
    if first is None:
        return Missing(0, f"{pointer!r} is not a JSON pointer"), ()
    return first


def type_name(node: Any) -> str:
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    if node is None:
        return "null"
    return f"a {type(node).__name__}"


def _is_index(segment: str) -> bool:
    return (
        segment.isdigit()
        and segment.isascii()
        and (segment == "0" or segment[0] != "0")
    )


@dataclass(frozen=True)
class RefParts:
    """A `$ref` split into the file part (empty: same file) and a JSON pointer fragment."""

    file: str  # percent-decoded for a local path; as written for a URL
    fragment: str  # "" for the whole document, else "/..." (still percent-encoded)
    remote: bool = False  # `file` is a URL (`https://...`, `//host/...`)


def split_ref(ref: str) -> RefParts | str:
    """Split a `$ref`; a string result is the reason it cannot be followed."""
    file, _, fragment = ref.partition("#")
    if fragment and not fragment.startswith("/") and unquote(fragment)[:1] != "/":
        return f"fragment {fragment!r} is not a JSON pointer (plain-name anchors are not supported)"
    if ref.startswith("//") or _has_scheme(ref):
        return RefParts(file, fragment, remote=True)
    return RefParts(unquote(file), fragment)


def is_url(name: str) -> bool:
    return _has_scheme(name) or name.startswith("//")


def _has_scheme(ref: str) -> bool:
    match = _SCHEME.match(ref)
    # One letter is a Windows drive (`C:\\specs\\a.yaml`), not a URI scheme.
    return match is not None and len(match.group(1)) > 1
