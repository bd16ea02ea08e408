"""A model module whose classes changed only in their descriptions, without dmcg.

dmcg writes a description nowhere but in a docstring, and the templates print the
docstring as `prepare.prewrapped` laid it out (`_docstring.jinja2`: the quotes and the
indentation added, nothing else). So besides its entry under its key (`groups`), a
printed module is indexed by its *prose-free* key (the same, with the descriptions of
its own classes left out), with the descriptions it was printed with (`ProseIndex`).
A module that misses the cache but hits there differs from that printing in
descriptions only: each old docstring is replaced by the new one, and the result is
formatted as a printed module is (`emit.format_generated`; black only if a docstring
now needs it).

Only when that is certain: the same classes, fields and places carry a description;
every changed docstring is found, as printed, at least once; no old text is changed
into two new ones; and no text holds a backslash or a triple quote (whose escapes are
dmcg's business). Otherwise the module is printed by dmcg, as before.
`tests/unit/test_modelgen_prose.py` compares both ways over the fuzzed specs and the
OpenAI ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ..emit import format_generated
from .cache import ModelsCache
from .groups import DATA_KEYS, Prepared, content_digest

ENTRY_FORMAT = "oapigen-prose-1"

Slots = dict[str, str]  # json path of a description -> its prewrapped text


def split(schema: Any, path: tuple[Any, ...] = ()) -> tuple[Any, Slots]:
    """`schema` without its descriptions, and the descriptions by their place."""
    slots: Slots = {}
    return _split(schema, path, slots), slots


def _split(schema: Any, path: tuple[Any, ...], slots: Slots) -> Any:
    if isinstance(schema, list):
        return [_split(item, (*path, i), slots) for i, item in enumerate(schema)]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            slots[json.dumps([*path], ensure_ascii=False)] = value
            continue
        if key in DATA_KEYS:
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _split(sub, (*path, key, name), slots)
                for name, sub in value.items()
            }
        else:
            out[key] = _split(value, (*path, key), slots)
    return out


def prose_free_key(prepared: Prepared, module: str) -> tuple[str, Slots]:
    """The key of `module` as if its own classes had no descriptions, and those
    descriptions by place (class, then path in its prepared schema)."""
    own: list[Any] = []
    slots: Slots = {}
    for name in prepared.classes[module]:
        part = list(prepared._own_part(name, printed=True))
        bare, found = split(part[1], (name,))
        part[1] = bare
        own.append(part)
        slots.update(found)
    read = [
        prepared.read_digest(name)
        for other in sorted(prepared.closure(module) - {module})
        for name in prepared.classes[other]
    ]
    return content_digest([ENTRY_FORMAT, prepared.salt, own, read]), slots


class ProseIndex:
    """Which printing each module of a package's last generation came from: its
    prose-free key -> [its key, its descriptions]. One cache entry per package (keyed by
    the package name: a spec bump keeps it), read only when a module misses and written
    only when a module was printed or rewritten: one write a run, not one per module."""

    def __init__(self, cache: ModelsCache, prepared: Prepared, package: str) -> None:
        self.cache = cache
        self.prepared = prepared
        digest = hashlib.sha256(f"{ENTRY_FORMAT}\0index\0{prepared.salt}\0".encode())
        digest.update(package.encode("utf-8", "surrogatepass"))
        self.key = digest.hexdigest()
        self._entries: dict[str, list[Any]] | None = None
        self._keys: dict[str, tuple[str, Slots]] = {}  # module -> its prose-free key

    def _prose_key(self, module: str) -> tuple[str, Slots]:
        found = self._keys.get(module)
        if found is None:
            found = self._keys[module] = prose_free_key(self.prepared, module)
        return found

    def entries(self) -> dict[str, list[Any]]:
        if self._entries is None:
            self._entries = {}
            found = self.cache.get(self.key)
            try:
                loaded = json.loads(found) if found is not None else {}
            except ValueError:
                loaded = {}
            if isinstance(loaded, dict):
                self._entries = loaded
        return self._entries

    def recall(self, module: str) -> str | None:
        """`module` from a printing that differs only in descriptions, or None."""
        if not self.entries():
            return None  # a first generation: nothing to rewrite from
        prose_key, slots = self._prose_key(module)
        entry = self.entries().get(prose_key)
        if not (isinstance(entry, list) and len(entry) == 2):
            return None
        key, old = entry
        text = self.cache.get(key) if isinstance(key, str) else None
        if text is None or not isinstance(old, dict):
            return None
        return reapply(text, old, slots)

    def save(self, new: set[str]) -> None:
        """Index the package's modules now; `new` were printed or rewritten this run
        (the others' entries are kept, or made if missing)."""
        keys = self.prepared.keys
        current = set(keys.values())
        kept = {
            prose_key: entry
            for prose_key, entry in self.entries().items()
            if isinstance(entry, list) and entry and entry[0] in current
        }
        known = {entry[0] for entry in kept.values()}
        for module, key in keys.items():
            if module in new or key not in known:
                prose_key, slots = self._prose_key(module)
                kept[prose_key] = [key, slots]
        self._entries = kept
        text = json.dumps(kept, sort_keys=True, ensure_ascii=False)
        self.cache.put(self.key, text)


def reapply(text: str, old: Slots, new: Slots) -> str | None:
    """`text`, printed with the descriptions `old`, as printed with `new`; None when
    that cannot be done for certain."""
    if old.keys() != new.keys():
        return None  # a description added or dropped changes the layout
    changes: dict[str, str] = {}
    for place, before in old.items():
        after = new[place]
        if not isinstance(before, str):
            return None
        if before != after:
            if changes.setdefault(before, after) != after:
                return None  # one docstring, two new texts: which one goes where?
    if not changes:
        return text
    for place, before in old.items():
        if before in changes and new[place] != changes[before]:
            return None  # printed the same, one kept and one changed
    for before, after in changes.items():
        if not (_plain(before) and _plain(after)):
            return None
    blocks = {_block(before): _block(after) for before, after in changes.items()}
    pattern = re.compile(
        "|".join(
            f"(?<=\n){re.escape(block)}(?=\n)"
            for block in sorted(blocks, key=lambda b: (-len(b), b))
        )
    )
    found: set[str] = set()
    pieces: list[str] = []
    changed: set[int] = set()  # lines of the new blocks: black formatted the rest
    position = line = 0
    for match in pattern.finditer(text):
        found.add(match.group())
        block = blocks[match.group()]
        line += text.count("\n", position, match.start())
        changed.update(range(line, line + block.count("\n") + 1))
        line += block.count("\n")
        pieces += [text[position : match.start()], block]
        position = match.end()
    if found != blocks.keys():
        return None  # a docstring is not where it was printed (black changed it?)
    return format_generated("".join(pieces) + text[position:], changed)


def _plain(text: str) -> bool:
    """Text dmcg prints as it is (its escapes are its own business), in lines that
    Jinja's `indent` splits where we do, without a tab (black expands those)."""
    if "\\" in text or '"""' in text or "\t" in text:
        return False
    return text.splitlines() == text.split("\n")


def _block(text: str) -> str:
    """The docstring `_docstring.jinja2` prints for `text` (at a class body's indent),
    without the newlines around it; Jinja's `indent` leaves blank lines blank."""
    if "\n" not in text:
        return f'    """{text}"""'
    lines = text.split("\n")
    rest = "\n".join(f"    {line}" if line else line for line in lines[1:])
    return f'    """{lines[0]}\n{rest}\n    """'
