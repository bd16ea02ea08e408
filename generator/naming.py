"""The one naming authority: every identifier in generated code is made here.

Two steps, the same for every kind of name (package, module, class, field, parameter,
method, resource, constant):

1. `identifier(kind, text)` spells any text as a safe identifier of that kind: the text is
   NFKC-normalised and reduced to ASCII (accents dropped, other characters are word
   breaks), cased for the kind (snake_case, PascalCase, UPPER_SNAKE; fields keep a spelling
   that is already an identifier), never empty, never starting with a digit or an
   underscore (`2fa` -> `n_2fa`, `_id` -> `id`).
2. A `Scope` hands out names: `claim` gives the first of the wishes that is neither
   reserved nor taken, else the first wish with underscores appended until it is free
   (`class` -> `class_`, `self` -> `self_`, a second `self_` -> `self__`). That is the one
   collision rule. Python keywords are reserved in every scope; each kind adds its own
   reserved names (builtins where a name would shadow one, names the runtime, pydantic and
   the generated modules use). Module scopes compare case-insensitively, so `Foo` and
   `foo` never become two files that collide on a case-insensitive file system.

Results never depend on traversal order or on hashing: `Scope.assign` settles a batch of
claims in sorted order of their keys, so only the set of names matters.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Literal, TypeVar

Kind = Literal[
    "package",
    "module",
    "class",
    "field",
    "parameter",
    "method",
    "resource",
    "constant",
]

_WORD = re.compile(
    r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+[a-z]*"
)
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")

KEYWORDS = frozenset(keyword.kwlist)
SOFT_KEYWORDS = frozenset(keyword.softkwlist)  # match, case, type, _
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))

# Attributes of pydantic's BaseModel: a field spelled like one would shadow it. (The
# generated base model turns pydantic's protected name prefixes off, so `model_id` is fine.)
PYDANTIC_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)

# Names a model or params module imports or uses in annotations: a class or field spelled
# the same would shadow them (`class Field`, a field `date: date`).
MODULE_NAMES = frozenset(
    {
        "Annotated",
        "Any",
        "BaseModel",
        "ConfigDict",
        "Field",
        "Literal",
        "Required",
        "RootModel",
        "Sequence",
        "Mapping",
        "TypeAlias",
        "TypedDict",
        "Union",
        "annotations",
        "date",
        "datetime",
        "time",
    }
)

# Names every generated method body or signature uses besides the spec's parameters.
METHOD_RESERVED = frozenset(
    {
        "self",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "body",
        "_models",
        "_params",
        "_rt",
        "httpx",
        "warnings",
    }
)

# Attributes of the client classes that a resource attribute must not shadow.
CLIENT_RESERVED = frozenset(
    {
        "api_key",
        "base_url",
        "timeout",
        "max_retries",
        "default_headers",
        "with_options",
        "close",
        "aclose",
        "is_closed",
        "request",
        "request_stream",
        "request_or_stream",
        "paginate",
        "with_raw_response",
    }
)

# Attributes of the resource classes that an operation method must not shadow.
RESOURCE_RESERVED = frozenset({"with_raw_response"})

# What each kind of scope reserves besides the keywords (and what the caller adds).
_RESERVED: dict[Kind, frozenset[str]] = {
    "package": BUILTINS | SOFT_KEYWORDS,
    "module": BUILTINS | SOFT_KEYWORDS | {"__init__"},
    "class": MODULE_NAMES,
    # and, per class, the names its annotations use (see planner.models)
    "field": PYDANTIC_ATTRIBUTES | {"Field"},
    "parameter": METHOD_RESERVED,
    "method": RESOURCE_RESERVED,
    "resource": CLIENT_RESERVED,
    "constant": frozenset(),
}
_RESERVED_KEYS: dict[Kind, frozenset[str]] = {
    kind: frozenset(
        n.casefold() if kind in ("module", "package") else n
        for n in (*names, *KEYWORDS)
    )
    for kind, names in _RESERVED.items()
}
_FALLBACK: dict[Kind, str] = {
    "package": "api_client",
    "module": "module",
    "class": "Model",
    "field": "field",
    "parameter": "value",
    "method": "call",
    "resource": "default",
    "constant": "_OPERATION",
}


def ascii_text(text: str) -> str:
    """NFKC-normalised, accents dropped, anything else not ASCII turned into a space.

    Python reads identifiers NFKC-normalised, so two spellings that normalise alike would
    be one name; ASCII also keeps module files portable across file systems."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isascii() else " " for c in kept)


def words(text: str) -> list[str]:
    """Split any spelling (camelCase, kebab-case, 'Title words', snake_case) into words."""
    return list(_words(text))


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    # the planner splits the same few thousand names ~11,000 times on OpenAI's spec
    found: list[str] = []
    for chunk in _NON_ALNUM.split(ascii_text(text)):
        found.extend(_WORD.findall(chunk))
    return tuple(found)


def snake(text: str) -> str:
    """`createChatCompletion` -> `create_chat_completion`; `admin-api-keys-create` -> ..."""
    name = "_".join(w.lower() for w in words(text))
    return name or "_"


def pascal(text: str) -> str:
    """`Vector stores` -> `VectorStores`; an existing PascalCase name is kept as is."""
    if (
        text.isascii()
        and text.isidentifier()
        and text[:1].isupper()
        and "_" not in text
    ):
        return text
    return "".join(w[:1].upper() + w[1:] for w in words(text))


def upper_snake(text: str) -> str:
    return snake(text).upper()


def python_identifier(text: str) -> str:
    """The wire name's own spelling where Python can take it (`max_tokens`, `fooBar`),
    only what it cannot take replaced (`hate/threatening` -> `hate_threatening`)."""
    name = _NON_ALNUM.sub("_", ascii_text(text)).strip("_")
    if name[:1].isdigit():
        name = f"n_{name}"
    return name


# Names made by joining a parent's name with a property's grow with nesting depth; a
# module file named after 80 nested objects would pass the file system's 255 bytes.
MAX_NAME = 80


def _shortened(parts: list[str], separator: str) -> str:
    """The first word and as many last words as fit in MAX_NAME characters: the first
    names the component, the last ones the place nested inside it."""
    kept: list[str] = []
    room = MAX_NAME - len(parts[0])
    for part in reversed(parts[1:]):
        room -= len(part) + len(separator)
        if room < 0:
            break
        kept.append(part)
    return separator.join([parts[0][:MAX_NAME], *reversed(kept)])


def identifier(kind: Kind, text: str) -> str:
    """`text` spelled as an identifier of `kind` (step 1; `Scope.claim` does step 2)."""
    if kind == "class":
        name = pascal(text)
        if len(name) > MAX_NAME:
            name = _shortened([w[:1].upper() + w[1:] for w in words(name)], "")
        if name[:1].isdigit():
            name = "N" + name
    elif kind == "constant":
        name = "_" + upper_snake(text) if words(text) else ""
    elif kind == "field":
        name = python_identifier(text)
    elif kind == "parameter":
        name = python_identifier(text)
        if not name.islower() and any(c.isalpha() for c in name):
            name = python_identifier(snake(text))
    else:  # package, module, method, resource: snake_case
        name = snake(text) if words(text) else ""
        if len(name) > MAX_NAME:
            name = _shortened(name.split("_"), "_")
        if name[:1].isdigit():
            name = f"n_{name}"
    return name or _FALLBACK[kind]


def argument_name(wire_name: str) -> str:
    """The argument a wire name becomes when nothing else in the method claims it:
    wire names already in snake_case are kept, others (`OpenAI-Beta`) are snake_cased.
    """
    return Scope("parameter").claim(wire_name)


K = TypeVar("K", bound=Hashable)


class Scope:
    """One namespace (a module's classes, a class's fields, a method's arguments...)."""

    def __init__(
        self,
        kind: Kind,
        reserved: Iterable[str] = (),
        *,
        shadows: AbstractSet[str] = frozenset(),
    ) -> None:
        """`reserved`: names this scope must not hand out; `shadows`: a (large, shared)
        set of names it must not hand out either, checked in place (not copied)."""
        self.kind = kind
        self._shadows = shadows
        self._fold = kind in ("module", "package")
        self._reserved = set(_RESERVED_KEYS[kind])
        self._reserved.update(self._key(n) for n in reserved)
        self._taken: set[str] = set()

    def _key(self, name: str) -> str:
        return name.casefold() if self._fold else name

    def is_free(self, name: str) -> bool:
        key = self._key(name)
        if key in self._reserved or key in self._taken:
            return False
        return name not in self._shadows

    def reserve(self, *names: str) -> None:
        """Names this scope must not hand out (used by generated code around it)."""
        self._reserved.update(self._key(n) for n in names)

    def take(self, name: str) -> str:
        """Mark an exact name as used (one that `claim` already made elsewhere)."""
        self._taken.add(self._key(name))
        return name

    def claim(self, *wishes: str) -> str:
        """The first free wish (each spelled by `identifier`), else the first one with
        underscores appended until it is free."""
        spelled = [identifier(self.kind, w) for w in wishes] or [_FALLBACK[self.kind]]
        for name in spelled:
            if self.is_free(name):
                return self.take(name)
        name = spelled[0]
        while not self.is_free(name):
            name += "_"
        return self.take(name)

    def claim_exact(self, name: str) -> str | None:
        """`name` itself if free (no suffix), else None."""
        return self.take(name) if self.is_free(name) else None

    def assign(self, wishes: Mapping[K, Sequence[str]]) -> dict[K, str]:
        """Settle many claims at once, in sorted order of their keys: the result depends
        only on the set of (key, wishes), never on the order they were met."""
        ordered = sorted(wishes, key=_sort_key)
        return {key: self.claim(*wishes[key]) for key in ordered}


def _sort_key(key: object) -> tuple[object, ...]:
    if isinstance(key, tuple):
        return tuple(_sort_key(part) for part in key)
    if isinstance(key, (int, float)):
        return (0, key, "")
    return (1, 0, str(key))


def package_name(title: str) -> str:
    """`OpenAI API` -> `openai_api` (snake_case of info.title, as API.md says)."""
    name = "_".join(w.lower() for w in _NON_ALNUM.split(ascii_text(title)) if w)
    return Scope("package").claim(name or "api_client")


def env_prefix(title: str) -> str:
    """Upper-cased first word of info.title: `OpenAI API` -> `OPENAI`."""
    first = next((w for w in _NON_ALNUM.split(ascii_text(title)) if w), "API")
    prefix = first.upper()
    return prefix if not prefix[0].isdigit() else f"API{prefix}"


def join_words(parent: str, child: str) -> str:
    """`parent` + `child` (both PascalCase) without repeating the words where they meet:
    `ThreadStreamEvent` + `EventData` -> `ThreadStreamEventData`. A child that is all
    overlap (`FileSearch` + `Search`) is appended whole; see `repeats_words`."""
    left, right = words(parent), words(child)
    for size in range(min(len(left), len(right) - 1), 0, -1):
        if [w.lower() for w in left[-size:]] == [w.lower() for w in right[:size]]:
            return parent + "".join(w[:1].upper() + w[1:] for w in right[size:])
    return parent + child


def singular(word: str) -> str:
    """`choices` -> `choice`, `entries` -> `entry`; words that are not plural stay."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word[-3:].isupper() else "y")
    if lower.endswith(("ses", "xes", "ches", "shes")) and len(word) > 4:
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def repeats_words(name: str) -> bool:
    """Whether a run of words comes twice in a row (`FileSearchFileSearch`)."""
    parts = [w.lower() for w in words(name)]
    for size in range(1, len(parts) // 2 + 1):
        for start in range(len(parts) - 2 * size + 1):
            if parts[start : start + size] == parts[start + size : start + 2 * size]:
                return True
    return False
