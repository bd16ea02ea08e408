"""The one naming authority: every identifier in generated code is made here.

Rules, all deterministic and independent of traversal order:
- snake_case for packages, modules, methods, arguments; PascalCase for classes.
- Python keywords get a trailing underscore (`class` -> `class_`); names that are not
  identifiers are mapped character-wise (`hate/threatening` -> `hate_threatening`,
  `2fa` -> `n_2fa`).
- Names the generated code itself uses in a scope are reserved there (method arguments may
  not be `self`, `timeout`, `extra_headers`...); a clash gets a trailing underscore.
- Collisions between different wire names that map to the same identifier are resolved by
  sorting the wire names and suffixing the later ones (`_2`, `_3`), so the result depends only
  on the set of names, never on the order they were met.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable

_WORD_BOUNDARY = re.compile(
    r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+[a-z]*"
)
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")

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
        "_rt",
        "_op",
        "_path",
        "_query",
        "_headers",
        "_body",
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
        "paginate",
        "with_raw_response",
    }
)


def words(text: str) -> list[str]:
    """Split any spelling (camelCase, kebab-case, 'Title words', snake_case) into words."""
    found: list[str] = []
    for chunk in _NON_ALNUM.split(text):
        found.extend(_WORD_BOUNDARY.findall(chunk))
    return found


def snake(text: str) -> str:
    """`createChatCompletion` -> `create_chat_completion`; `admin-api-keys-create` -> ..."""
    name = "_".join(w.lower() for w in words(text))
    return name or "_"


def pascal(text: str) -> str:
    """`Vector stores` -> `VectorStores`; an existing PascalCase name is kept as is."""
    if text.isidentifier() and text[:1].isupper() and "_" not in text:
        return text
    return "".join(w[:1].upper() + w[1:] for w in words(text)) or "X"


def upper_snake(text: str) -> str:
    return snake(text).upper()


def python_identifier(text: str) -> str:
    """A valid, non-keyword snake-ish identifier for an arbitrary wire name.

    Unlike `snake`, this keeps the wire name's own spelling where it is already valid
    (`max_tokens` stays, `logit_bias` stays) and only replaces what Python cannot take.
    """
    name = _NON_ALNUM.sub("_", text).strip("_") or "_"
    if name[0].isdigit():
        name = f"n_{name}"
    if keyword.iskeyword(name):
        name = f"{name}_"
    return name


def argument_name(wire_name: str, reserved: Iterable[str] = METHOD_RESERVED) -> str:
    """Wire names already in snake_case are kept; others (`OpenAI-Beta`) are snake_cased."""
    name = python_identifier(wire_name)
    if not name.islower() and any(c.isalpha() for c in name):
        name = python_identifier(snake(wire_name))
    if name in reserved:
        name = f"{name}_"
    return name


def unique_names(
    wire_names: Iterable[str], make: Callable[[str], str], taken: Iterable[str] = ()
) -> dict[str, str]:
    """Map each wire name to a distinct identifier, independent of input order."""
    used = set(taken)
    result: dict[str, str] = {}
    for wire in sorted(set(wire_names)):
        base = make(wire)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        result[wire] = name
    return result


def package_name(title: str) -> str:
    """`OpenAI API` -> `openai_api` (snake_case of info.title, as API.md says)."""
    name = "_".join(w.lower() for w in _NON_ALNUM.split(title) if w)
    name = python_identifier(name) if name else "api_client"
    return name


def env_prefix(title: str) -> str:
    """Upper-cased first word of info.title: `OpenAI API` -> `OPENAI`."""
    first = next((w for w in _NON_ALNUM.split(title) if w), "API")
    prefix = re.sub(r"[^0-9A-Za-z]", "", first).upper()
    return prefix if prefix and not prefix[0].isdigit() else f"API{prefix}"
