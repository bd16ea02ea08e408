"""The async half of a resource module, derived from its black-formatted sync half.

Black costs as much per line as everything else in the pipeline together, and the async
classes of a resource module repeat the sync ones line for line, save for `async`/`await`
and a few type names (`Stream` -> `AsyncStream`). So the sync half is formatted by black and
the async half is written from it. Every change makes a line longer, so black could only
split a changed line, never join it with another: where a changed line ends up over
black's line length, the async classes alone go through the selective formatter
(`emit.selective`), told which lines changed, so that black gets the statements of
those lines and nothing else (a line black left long in the sync half stays as it is;
on GitHub's spec 30 of 47 modules have such a changed line; rendering and formatting
those whole took longer than everything else in the process). The tests run
`black --check` on every generated package to keep this honest.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import ir
from .emit.formatter import Edited
from .emit.selective import line_width

LINE_LENGTH = 88

# Each applied to a whole module at once (one pass each, not one per line); none
# matches across a line break, so the lines stay the sync half's lines. Each starts
# with a literal, which the search jumps to: led by `^` (multiline) or a lookbehind,
# it tries every position instead (OpenAI's 20 modules: ~48 ms a run, now ~7 ms).
_RETURN_CALL = re.compile(
    r"(\n[^\S\n]+return )"
    r"(self\._client\.(?:request|request_stream|request_or_stream)\()(?=\n|\Z)"
)
_METHOD = re.compile(r"\n    def (\w+)\((?=\n|\Z)")
_NAME_CHARACTER = re.compile(r"[\w.]")  # one before a name makes it another name
_WORD_CHARACTER = re.compile(r"\w")  # one after a name makes it another name
_RENAMES = (
    ("_rt.Stream[", "_rt.AsyncStream["),
    ("_rt.BinaryResponse", "_rt.AsyncBinaryResponse"),
    ("_rt.SyncAPIResource", "_rt.AsyncAPIResource"),
    ("_rt.to_raw_response_wrapper(", "_rt.async_to_raw_response_wrapper("),
)


def joined(sync_module: str, async_classes: str) -> str:
    return sync_module.rstrip("\n") + "\n\n\n" + async_classes


def async_half(
    sync_module: str, resource: ir.Resource
) -> tuple[str, frozenset[int]] | None:
    """The async classes of `sync_module`, formatted but for the lines listed (0-based):
    those changed from the sync ones and now too long for black; None where the module
    is not laid out as expected."""
    name, async_name = resource.class_name, resource.async_class_name
    marker = f"\n\nclass {name}(_rt.SyncAPIResource):\n"
    start = sync_module.find(marker)
    if start < 0:
        return None
    sync_half = sync_module[start + 2 :]
    keep_sync = {
        op.pagination.method_name for op in resource.operations if op.pagination
    }
    keep_sync |= {"__init__", "with_raw_response"}

    def async_def(method: re.Match[str]) -> str:
        kept = method.group(1) in keep_sync
        return method.group() if kept else f"\n    async def {method.group(1)}("

    # from a line break before the first line: the patterns start with one
    text = _METHOD.sub(async_def, "\n" + sync_half)
    text = _RETURN_CALL.sub(r"\1await \2", text)
    for old, replacement in _RENAMES:
        text = text.replace(old, replacement)
    text = _renamed(text, "Iterator[", "AsyncIterator[")
    text = _renamed(text, name, async_name, whole=True)[1:]
    too_long = frozenset(
        index
        for index, (line, new) in enumerate(
            zip(sync_half.split("\n"), text.split("\n"))
        )
        if new != line and line_width(new) > LINE_LENGTH
    )
    return text.rstrip("\n") + "\n", too_long


def _renamed(text: str, old: str, new: str, *, whole: bool = False) -> str:
    """`text` with `old` replaced by `new` where no name character or dot comes before
    it and, if `whole`, no name character after it but `WithRawResponse` (a class name,
    and its raw-response class). Found as a string: a pattern led by a lookbehind
    tries every position, and one compiled per resource costs more than the search."""
    kept: list[str] = []
    done = 0
    at = text.find(old)
    while at >= 0:
        end = at + len(old)
        starts = at == 0 or _NAME_CHARACTER.match(text, at - 1) is None
        ends = (
            not whole
            or _WORD_CHARACTER.match(text, end) is None
            or text.startswith("WithRawResponse", end)
        )
        if starts and ends:
            kept += [text[done:at], new]
            done = end
        at = text.find(old, end)
    kept.append(text[done:])
    return "".join(kept)


def complete_resources(
    api: ir.Api,
    formatted: dict[str, str],
    format_edited: Callable[[dict[str, Edited]], dict[str, str]],
) -> dict[str, str]:
    """Each formatted sync-only resource module with its async half appended (and
    formatted where a changed line grew too long); a module the mirror cannot derive is
    rendered whole and formatted."""
    from . import layout
    from .render import render_resources

    done: dict[str, str] = {}
    # async classes with a line too long, formatted alone: black lays out each
    # top-level statement on its own, and the sync half before them is formatted
    unformatted: dict[str, Edited] = {}
    fallback: list[str] = []
    for resource in api.resources:
        path = layout.resource_module(api, resource)
        derived = async_half(formatted[path], resource)
        if derived is None:
            fallback.append(path)
        elif derived[1]:
            unformatted[path] = derived
        else:
            done[path] = joined(formatted[path], derived[0])
    if unformatted:
        for path, classes in format_edited(unformatted).items():
            done[path] = joined(formatted[path], classes)
    if fallback:
        whole = render_resources(api)
        done.update(format_edited({path: (whole[path], None) for path in fallback}))
    return done
