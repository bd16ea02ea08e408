"""Known discrepancies: failures that are not the client's, asserted exactly.

A check whose errors are listed here passes only when it fails with exactly these
errors (as a multiset), so each entry stays a real test: the day the spec, Prism or
openapi-core changes, the entry stops matching and the test says so. Each entry says
whose mistake it is (`blame`) and why; the coverage table prints both.

Generator or runtime bugs are not listed here: they are strict xfails (`BUGS`), so the
test starts failing once the bug is fixed and the entry must go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ALL_VARIANTS = ("required", "full")


@dataclass(frozen=True)
class Known:
    blame: str  # "spec" | "prism" | "openapi-core"
    why: str
    check: str
    errors: tuple[str, ...]
    versions: tuple[str, ...]
    operations: tuple[str, ...]
    variants: tuple[str, ...] = ALL_VARIANTS

    def applies(self, version: str, operation: str, variant: str, check: str) -> bool:
        return (
            check == self.check
            and version in self.versions
            and operation in self.operations
            and variant in self.variants
        )


_MULTIPART_TEXT = (
    "openapi-core reads a multipart part of a schema without a `type` (this `anyOf` "
    "of string and enum) as bytes, and validates numeric parts as their text without "
    "casting; the part sent is the right text (Prism casts it and accepts it)"
)
_UNDEFINED_REQUIRED = (
    "the schema requires `{name}`, a property it does not define{where}, so {effect}"
)

KNOWN: tuple[Known, ...] = (
    # openapi-core: multipart parts are not cast to their schema's type.
    Known(
        "openapi-core",
        _MULTIPART_TEXT,
        "core-request",
        ("Request body validation error: n: '1' is not of type 'integer'",),
        ("1.1.0", "2.0.0", "2.3.0"),
        ("createImageEdit", "createImageVariation"),
        ("full",),
    ),
    Known(
        "openapi-core",
        _MULTIPART_TEXT,
        "core-request",
        (
            "Request body validation error: model: b'dall-e-2' is not valid under "
            "any of the given schemas",
        ),
        ("2.0.0", "2.3.0"),
        ("createImageEdit", "createImageVariation"),
        ("full",),
    ),
    Known(
        "openapi-core",
        _MULTIPART_TEXT,
        "core-request",
        (
            "Request body validation error: model: b'whisper-1' is not valid under "
            "any of the given schemas",
        ),
        ("2.0.0", "2.3.0"),
        ("createTranscription", "createTranslation"),
    ),
    Known(
        "openapi-core",
        _MULTIPART_TEXT,
        "core-request",
        ("Request body validation error: temperature: '0' is not of type 'number'",),
        ("2.0.0", "2.3.0"),
        ("createTranscription", "createTranslation"),
        ("full",),
    ),
    # Prism: a multipart array sent as one part (one element) is read as a string.
    Known(
        "prism",
        "Prism reads a multipart array with one element (one `timestamp_granularities[]` "
        "part, as OAS form encoding sends it) as a string and rejects it; openapi-core "
        "reads it as an array and accepts it",
        "prism",
        (
            "body/timestamp_granularities[]: Request body property "
            "timestamp_granularities[] must be array",
        ),
        ("2.3.0",),
        ("createTranscription",),
        ("full",),
    ),
    Known(
        "prism",
        "Prism's 422 for the request above (no response to check on this call)",
        "call",
        ("UnprocessableEntityError (HTTP 422)",),
        ("2.3.0",),
        ("createTranscription",),
        ("full",),
    ),
    # 2.0.0: CreateRunRequest / CreateThreadAndRunRequest require `thread_id`.
    Known(
        "spec",
        _UNDEFINED_REQUIRED.format(
            name="thread_id",
            where=" (it is the path parameter) and its `additionalProperties: false` "
            "forbids",
            effect="no request body can be valid: both Prism and openapi-core reject "
            "every request of this operation",
        ),
        "prism",
        ("body: Request body must have required property 'thread_id'",),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
    ),
    Known(
        "spec",
        "same `thread_id` requirement, seen by openapi-core",
        "core-request",
        ("Request body validation error: <root>: 'thread_id' is a required property",),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
    ),
    Known(
        "spec",
        "Prism's 422 for the request above (no response to check on this call)",
        "call",
        ("UnprocessableEntityError (HTTP 422)",),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
    ),
    Known(
        "spec",
        "the workaround cannot help: the schema also forbids additional properties, "
        "so no request body satisfies it (both checkers agree)",
        "prism",
        ("body: Request body must NOT have additional properties; found 'thread_id'",),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
        ("extra-body",),
    ),
    Known(
        "spec",
        "the same unsatisfiable schema, seen by openapi-core",
        "core-request",
        (
            "Request body validation error: <root>: Additional properties are not "
            "allowed ('thread_id' was unexpected)",
        ),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
        ("extra-body",),
    ),
    Known(
        "spec",
        "Prism's 422 for the request above (no response to check on this call)",
        "call",
        ("UnprocessableEntityError (HTTP 422)",),
        ("2.0.0",),
        ("createRun", "createThreadAndRun"),
        ("extra-body",),
    ),
    # 2.0.0: list responses require `items`, a property they do not define.
    Known(
        "spec",
        _UNDEFINED_REQUIRED.format(
            name="items",
            where=" (the list is `data`)",
            effect="Prism's own response breaks it (reported in `sl-violations`)",
        ),
        "prism",
        ("response/body: Response body must have required property 'items'",),
        ("2.0.0",),
        ("listAssistantFiles", "listMessageFiles"),
    ),
    Known(
        "spec",
        "same `items` requirement, seen by openapi-core on Prism's response",
        "core-response",
        ("InvalidData: <root>: 'items' is a required property",),
        ("2.0.0",),
        ("listAssistantFiles", "listMessageFiles"),
    ),
    # 2.3.0: the admin API key operations name security schemes that do not exist.
    Known(
        "spec",
        "the operation's `security` names `bearer_identity_edge` and "
        "`basic_identity_edge`, which components.securitySchemes does not define: "
        "Prism can satisfy neither and answers 401 (openapi-core skips undefined "
        "schemes and accepts the request)",
        "prism",
        (
            "401 Invalid security scheme used: Your request does not fullfil the "
            "security requirements and no HTTP unauthorized response was found in the "
            "spec, so Prism is generating this error for you.",
        ),
        ("2.3.0",),
        (
            "admin-api-keys-list",
            "admin-api-keys-create",
            "admin-api-keys-get",
            "admin-api-keys-delete",
        ),
    ),
    Known(
        "spec",
        "Prism's 401 for the request above (no response to check on this call)",
        "call",
        ("AuthenticationError (HTTP 401)",),
        ("2.3.0",),
        (
            "admin-api-keys-list",
            "admin-api-keys-create",
            "admin-api-keys-get",
            "admin-api-keys-delete",
        ),
    ),
    # createSpeech: Prism fills the declared `Transfer-Encoding` header with "string".
    Known(
        "spec/prism",
        "the spec declares a `Transfer-Encoding` response header (a hop-by-hop header, "
        '`type: string`); Prism fills it with its placeholder "string" next to a '
        "Content-Length, a response httpx (rightly) refuses; the binary body is served "
        "by the payload server instead (test_payload)",
        "call",
        (
            "APIConnectionError: Connection error: Only Transfer-Encoding: chunked is "
            "supported (from RemoteProtocolError: Only Transfer-Encoding: chunked is "
            "supported)",
        ),
        ("2.0.0", "2.3.0"),
        ("createSpeech",),
    ),
    # 2.3.0: the streaming example sends `finish_reason: null`.
    Known(
        "spec",
        "CreateChatCompletionStreamResponse.choices[].finish_reason is a `nullable` "
        "enum without null among its values, which OAS 3.0.3 reads as not allowing "
        "null; the spec's own streaming example sends null in two of its chunks",
        "core-response",
        (
            "InvalidData: choices/0/finish_reason: None is not one of ['stop', "
            "'length', 'tool_calls', 'content_filter', 'function_call']",
        )
        * 2,
        ("2.3.0",),
        ("createChatCompletion",),
        ("stream",),
    ),
)


def expected_errors(
    version: str, operation: str, variant: str, check: str
) -> tuple[list[str], list[Known]]:
    entries = [k for k in KNOWN if k.applies(version, operation, variant, check)]
    return [e for k in entries for e in k.errors], entries


def same_errors(found: Iterable[str], expected: Iterable[str]) -> bool:
    return Counter(found) == Counter(expected)


@dataclass(frozen=True)
class Bug:
    """A generator or runtime bug: the affected tests are strict xfails."""

    reason: str
    # version -> (operationId, variant or example location) of the affected tests
    cases: Mapping[str, tuple[tuple[str, str], ...]]


# None open. Fixed since the suite found them (keep this list short and current):
# - generator: required `nullable: true` properties typed without `| None`
#   (18 example responses failed strict validation; fixed in b38b914);
# - runtime: the lenient parse turned a null into an empty model (fixed with it).
BUGS: tuple[Bug, ...] = ()


def bug_for(version: str, operation: str, case: str) -> Bug | None:
    for bug in BUGS:
        if (operation, case) in bug.cases.get(version, ()):
            return bug
    return None
