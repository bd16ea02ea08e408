"""The three OpenAI specs as test data: operations, their inputs and outputs, examples.

Read straight from the YAML (not through the generator), so the suite compares the
generated client with the spec, not with the generator's own reading of it. The loaded
documents are shared and never mutated (YAML aliases make some nodes shared objects).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from oapigen.naming import snake

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("1.1.0", "2.0.0", "2.3.0")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
SUCCESS = ("200", "201", "202", "203", "204", "2XX", "2xx")


def spec_file(version: str) -> Path:
    """Where `make specs` puts the spec (the tests skip or fail when it is missing)."""
    return ROOT / "specs" / f"openai-{version}.yaml"


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: Any


@dataclass(frozen=True)
class Example:
    """One `x-oaiMeta` example response (`where` says which one)."""

    operation_id: str
    where: str
    text: str

    def json(self) -> Any:
        """The parsed example; raises ValueError when it is not JSON."""
        return json.loads(self.text)

    @property
    def is_json(self) -> bool:
        try:
            self.json()
        except ValueError:
            return False
        return True

    @property
    def is_sse(self) -> bool:
        return not self.is_json and any(
            line.startswith(("data:", "event:")) for line in self.text.splitlines()
        )


@dataclass(frozen=True)
class Operation:
    version: str
    operation_id: str
    method: str  # lower case
    path: str
    node: Mapping[str, Any]
    parameters: tuple[Param, ...]
    body_media: str | None
    body_schema: Any
    body_required: bool
    responses: Mapping[str, Any]  # media type of the first 2xx response -> schema
    response_headers: Mapping[str, Any]

    @property
    def deprecated(self) -> bool:
        return bool(self.node.get("deprecated"))

    @property
    def resource(self) -> str:
        """Client attribute per API.md: first tag, else first path segment."""
        tags = self.node.get("tags")
        if isinstance(tags, list) and tags and isinstance(tags[0], str):
            return snake(tags[0])
        segment = next(s for s in self.path.split("/") if s and "{" not in s)
        return snake(segment)

    @property
    def python_method(self) -> str:
        return snake(self.operation_id)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.operation_id})"

    @property
    def json_schema(self) -> Any:
        return next((s for media, s in self.responses.items() if _is_json(media)), None)

    @property
    def sse_schema(self) -> Any:
        return self.responses.get("text/event-stream")

    @property
    def binary_media(self) -> str | None:
        return next((m for m in self.responses if _is_binary(m)), None)

    def examples(self) -> list[Example]:
        """Example responses of `x-oaiMeta`, in the three layouts the specs use."""
        meta = self.node.get("x-oaiMeta") or {}
        found: list[Example] = []
        if isinstance(meta.get("response"), str):
            found.append(Example(self.operation_id, "response", meta["response"]))
        examples = meta.get("examples")
        if isinstance(examples, Mapping) and isinstance(examples.get("response"), str):
            found.append(
                Example(self.operation_id, "examples.response", examples["response"])
            )
        elif isinstance(examples, list):
            for index, example in enumerate(examples):
                if isinstance(example, Mapping) and isinstance(
                    example.get("response"), str
                ):
                    where = f"examples[{index}].response"
                    found.append(Example(self.operation_id, where, example["response"]))
        return found


def _is_json(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _is_binary(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/octet-stream" or base.startswith(("audio/", "image/"))


class Spec:
    """One loaded spec with `$ref` resolution and its operations in document order."""

    def __init__(self, version: str, path: Path) -> None:
        self.version = version
        self.path = path
        with path.open("rb") as handle:
            self.doc: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
        self.server_url = str(self.doc["servers"][0]["url"])
        self.operations = list(self._operations())
        self._by_id = {op.operation_id: op for op in self.operations}

    def operation(self, operation_id: str) -> Operation:
        return self._by_id[operation_id]

    def resolve(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def deref(self, node: Any) -> Any:
        """Follows a chain of `$ref`s (siblings of a `$ref` are ignored, as OAS 3.0 says)."""
        for _ in range(64):
            if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
                return node
            node = self.resolve(node["$ref"])
        raise ValueError("$ref chain too long")

    def ref_name(self, schema: Any) -> str | None:
        """The component name a schema refers to (`#/components/schemas/X` -> `X`)."""
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            return str(schema["$ref"]).rsplit("/", 1)[-1]
        return None

    def _operations(self) -> Iterator[Operation]:
        for path, item in self.doc["paths"].items():
            shared = [self.deref(p) for p in item.get("parameters") or ()]
            for method in HTTP_METHODS:
                node = item.get(method)
                if not isinstance(node, Mapping):
                    continue
                merged = {(p["name"], p["in"]): p for p in shared}
                for param in node.get("parameters") or ():
                    param = self.deref(param)
                    merged[(param["name"], param["in"])] = param
                params = tuple(
                    Param(
                        name=str(p["name"]),
                        location=str(p["in"]),
                        required=bool(p.get("required")) or p["in"] == "path",
                        schema=p.get("schema") or {},
                    )
                    for p in merged.values()
                )
                body = self.deref(node.get("requestBody")) or {}
                content = body.get("content") or {}
                media = next(iter(content), None)
                responses, headers = self._success(node)
                yield Operation(
                    version=self.version,
                    operation_id=str(node["operationId"]),
                    method=method,
                    path=str(path),
                    node=node,
                    parameters=params,
                    body_media=media,
                    body_schema=(content[media] or {}).get("schema") if media else None,
                    body_required=bool(body.get("required")),
                    responses=responses,
                    response_headers=headers,
                )

    def _success(
        self, node: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Mapping[str, Any]]:
        for status, response in (node.get("responses") or {}).items():
            if str(status) in SUCCESS:
                response = self.deref(response) or {}
                content = response.get("content") or {}
                schemas = {
                    str(media): (value or {}).get("schema")
                    for media, value in content.items()
                }
                return schemas, response.get("headers") or {}
        return {}, {}


def has_typeless_nullable(spec: Spec, schema: Any) -> bool:
    """Whether a `nullable` without a `type` (next to a `$ref`, a composition, or alone)
    is reachable from `schema`: a construct some validators cannot compile."""
    seen: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("nullable") and "type" not in node:
                return True
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref not in seen:
                    seen.add(ref)
                    stack.append(spec.resolve(ref))
                continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


@cache
def load_spec(version: str) -> Spec:
    return Spec(version, spec_file(version))


def available(version: str) -> bool:
    return spec_file(version).is_file()
