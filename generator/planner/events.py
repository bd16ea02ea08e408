"""How a stream of server-sent events ends, and which model each named event is.

- The end marker: the data of the event that ends every stream of an operation
  (`[DONE]` for OpenAI). The generator config gives it for the whole API
  (`stream-end-marker`); `x-oapigen-stream-end` on an operation wins (a string, or
  `false` (or `null`) for an operation whose streams have none).
- Typed events: an event schema that is a oneOf (or anyOf, nested through refs) of
  envelopes, objects whose `event` property has one value (`enum` of one, or `const`)
  and which carry `data`, maps each event name to its envelope's model (OpenAI's
  `AssistantStreamEvent`). The runtime builds the envelope from the event's name and
  data; events the spec does not name come through untyped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .collect import RawOperation, SchemaAt
from .context import Context

STREAM_END_EXTENSION = "x-oapigen-stream-end"
_MAX_DEPTH = 16  # nested unions of unions; deeper is not an event list


def stream_end(context: Context, raw: RawOperation, default: str | None) -> str | None:
    """The end marker of `raw`'s streams: its own extension, else `default`."""
    if STREAM_END_EXTENSION not in raw.node:
        return default
    value = raw.node[STREAM_END_EXTENSION]
    if value is None or value is False:
        return None
    if isinstance(value, str) and value:
        return value
    context.warn(
        "W302",
        f"{raw.pointer}/{STREAM_END_EXTENSION}",
        f"{STREAM_END_EXTENSION} must be a non-empty string, or false for none; "
        "ignored",
    )
    return default


def event_models(
    context: Context,
    events: SchemaAt | None,
    class_of: Callable[[SchemaAt], str | None],
) -> tuple[tuple[str, str], ...]:
    """(event name, model class) for each envelope of a union of event envelopes,
    sorted by name; empty when the schema is anything else (a plain chunk model)."""
    if events is None:
        return ()
    leaves: list[tuple[str, SchemaAt]] = []
    if not _collect(context, events, leaves, 0) or not leaves:
        return ()
    found: dict[str, str] = {}
    for name, at in leaves:
        model = class_of(at)
        if model is not None:
            found.setdefault(name, model)  # a name listed twice: the first one
    return tuple(sorted(found.items()))


def _collect(
    context: Context, at: SchemaAt, out: list[tuple[str, SchemaAt]], depth: int
) -> bool:
    """Add the envelopes under `at` to `out`; False when some member is not one."""
    if depth > _MAX_DEPTH:
        return False
    target = context.deref(at.schema)
    if not isinstance(target, dict):
        return False
    name = _event_name(context, target)
    if name is not None:
        out.append((name, at))
        return True
    members = target.get("oneOf") or target.get("anyOf")
    if not isinstance(members, list) or not members:
        return False
    ref = at.schema.get("$ref") if isinstance(at.schema, dict) else None
    base = ref if isinstance(ref, str) else at.pointer
    key = "oneOf" if target.get("oneOf") else "anyOf"
    return all(
        _collect(context, SchemaAt(member, f"{base}/{key}/{i}"), out, depth + 1)
        for i, member in enumerate(members)
    )


def _event_name(context: Context, schema: Mapping[str, Any]) -> str | None:
    """The one value of an envelope's `event` property, when it has `data` too."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or "data" not in properties:
        return None
    event = context.deref(properties.get("event"))
    if not isinstance(event, dict):
        return None
    const = event.get("const")
    if isinstance(const, str):
        return const
    values = event.get("enum")
    if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
        return values[0]
    return None
