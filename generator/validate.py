"""Document-level checks between load and plan: the shape the planner relies on.

The loader guarantees parseable data whose refs resolve; this module guarantees that the
nodes the planner walks are what OpenAPI says they are (a mapping where a mapping belongs,
a parameter with `name` and `in`, a path template whose parameters are declared,
operationIds that can become distinct method names). A spec that breaks one of these gets
one located line per problem and exit 2, never a crash in a later stage.

Only what the generator reads is checked: this is not a full OpenAPI validator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .diagnostics import Diagnostic, GeneratorError, Severity, error, warning
from .naming import python_identifier, snake

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")
SCHEMA_TYPES = frozenset(
    {"string", "number", "integer", "boolean", "array", "object", "null"}
)
_VERSION = re.compile(r"3\.[012]\.\d+(-[0-9A-Za-z.-]+)?")
_STATUS = re.compile(r"[1-5](\d\d|XX)|default")
_TEMPLATE = re.compile(r"\{([^{}/]*)\}")


class Located(Protocol):
    def bundled(self) -> dict[str, Any]: ...

    def resolve(self, ref: str) -> Any: ...

    def locate(self, pointer: str) -> tuple[str, int | None]: ...


def validate(document: Located) -> list[Diagnostic]:
    """Warnings for the document; GeneratorError carrying every error (and the
    warnings) when there is one."""
    checker = _Checker(document)
    checker.run()
    found = checker.found
    if any(d.severity is Severity.ERROR for d in found):
        raise GeneratorError(found)
    return found


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


@dataclass
class _Checker:
    document: Located
    found: list[Diagnostic] = field(default_factory=list)
    _schemas_seen: set[int] = field(default_factory=set)

    def _report(
        self,
        code: str,
        pointer: str,
        message: str,
        hint: str = "",
        *,
        error_: bool = True,
    ) -> None:
        file, line = self.document.locate(pointer)
        make = error if error_ else warning
        self.found.append(make(code, file, line, pointer, message, hint))

    def _expect(self, value: Any, want: type, pointer: str, what: str) -> bool:
        """Report E603 unless `value` is a `want` (dict or list)."""
        if isinstance(value, want):
            return True
        article = "a mapping" if want is dict else "a list"
        self._report("E603", pointer, f"{what} must be {article}, found {_kind(value)}")
        return False

    def _deref(self, node: Any, pointer: str) -> Any:
        """The node a `$ref` object leads to (the loader checked that it resolves)."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                return self.document.resolve(node["$ref"])
            except GeneratorError as exc:
                self.found.extend(exc.diagnostics)
                return None
        return node

    def run(self) -> None:
        root = self.document.bundled()
        if not self._version(root):
            return  # not an OpenAPI 3 document: nothing else is worth saying
        self._info(root)
        self._components(root.get("components"))
        paths = root.get("paths")
        if paths is None:
            if not root.get("webhooks") and not root.get("components"):
                self._report("E601", "#", "missing required field 'paths'")
        elif self._expect(paths, dict, "#/paths", "'paths'"):
            self._paths(paths)
        for key in ("servers", "tags", "security"):
            if key in root and root[key] is not None:
                self._expect(root[key], list, f"#/{key}", f"'{key}'")
        self._operation_ids(paths if isinstance(paths, dict) else {})

    def _version(self, root: Mapping[str, Any]) -> bool:
        version = root.get("openapi")
        if version is None:
            if "swagger" in root:
                message = (
                    f"swagger {root['swagger']!r}: OpenAPI 2.0 (Swagger) is not "
                    "supported; convert it to 3.x first (e.g. with swagger2openapi)"
                )
                self._report("E602", "#/swagger", message)
            else:
                self._report(
                    "E601",
                    "#",
                    "missing required field 'openapi': not an OpenAPI 3.x document",
                )
            return False
        if not isinstance(version, str):
            self._report(
                "E602",
                "#/openapi",
                f"'openapi' must be a version string such as '3.0.3', found "
                f"{_kind(version)} {version!r}",
                "quote it: openapi: '3.0.3'",
            )
            return False
        if not _VERSION.fullmatch(version):
            self._report(
                "E602",
                "#/openapi",
                f"unsupported OpenAPI version {version!r} (3.0.x, 3.1.x and 3.2.x are)",
            )
            return False
        return True

    def _info(self, root: Mapping[str, Any]) -> None:
        info = root.get("info")
        if info is None:
            self._report("E601", "#", "missing required field 'info'")
            return
        if not self._expect(info, dict, "#/info", "'info'"):
            return
        for key in ("title", "version"):
            value = info.get(key)
            if value is None:
                self._report("E601", "#/info", f"missing required field 'info.{key}'")
            elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
                self._report(
                    "E603",
                    f"#/info/{key}",
                    f"'info.{key}' must be a string, found {_kind(value)}",
                )

    def _components(self, components: Any) -> None:
        if components is None:
            return
        if not self._expect(components, dict, "#/components", "'components'"):
            return
        for section, value in components.items():
            pointer = f"#/components/{_escape(section)}"
            if section.startswith("x-") or value is None:
                continue
            if not self._expect(value, dict, pointer, f"'components.{section}'"):
                continue
            for name, node in value.items():
                where = f"{pointer}/{_escape(str(name))}"
                if section == "schemas":
                    self._schema(node, where)
                elif section == "parameters":
                    self._parameter(node, where)
                elif section in ("responses", "requestBodies"):
                    self._with_content(node, where, section[:-1])
            if section == "schemas":
                self._self_defined(value)

    def _self_defined(self, schemas: Mapping[str, Any]) -> None:
        """Components that are only themselves through one-member wrappers
        (`A: {oneOf: [{$ref: B}]}`, `B: {$ref: A}`): no type to generate."""
        reported: set[frozenset[str]] = set()
        for start in schemas:
            chain = [start]
            node = schemas[start]
            while True:
                inner = _only_member(node)
                if inner is None:
                    break
                ref = inner.get("$ref") if isinstance(inner, dict) else None
                if not isinstance(ref, str):
                    node = inner
                    continue
                name = _component(ref)
                if name is None or name not in schemas:
                    break
                if name in chain:
                    cycle = chain[chain.index(name) :]
                    if frozenset(cycle) not in reported and cycle[0] == start:
                        reported.add(frozenset(cycle))
                        steps = " -> ".join([*cycle, name])
                        self._report(
                            "E610",
                            f"#/components/schemas/{_escape(start)}",
                            f"schema {start!r} is defined only as itself: {steps}",
                            "a one-member allOf/oneOf/anyOf or a $ref must lead to "
                            "a definition",
                        )
                    break
                chain.append(name)
                node = schemas[name]

    def _paths(self, paths: Mapping[str, Any]) -> None:
        for path, item in paths.items():
            if path.startswith("x-"):
                continue
            pointer = f"#/paths/{_escape(path)}"
            if not path.startswith("/"):
                self._report("E608", pointer, f"path {path!r} must start with '/'")
            names = _TEMPLATE.findall(path)
            if path.count("{") != len(names) or path.count("}") != len(names):
                self._report(
                    "E608", pointer, f"path {path!r} has an unbalanced '{{' or '}}'"
                )
                continue
            item = self._deref(item, pointer)
            if item is None:
                continue
            if not self._expect(item, dict, pointer, "a path item"):
                continue
            shared = self._parameters(item.get("parameters"), f"{pointer}/parameters")
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                op_pointer = f"{pointer}/{method}"
                operation = item[method]
                if not self._expect(operation, dict, op_pointer, "an operation"):
                    continue
                own = self._parameters(
                    operation.get("parameters"), f"{op_pointer}/parameters"
                )
                self._path_parameters(path, names, {**shared, **own}, op_pointer)
                self._operation(operation, op_pointer)

    def _parameters(self, params: Any, pointer: str) -> dict[tuple[str, str], str]:
        """(in, name) -> pointer of every well-formed parameter of a list."""
        if params is None or not self._expect(params, list, pointer, "'parameters'"):
            return {}
        found: dict[tuple[str, str], str] = {}
        for index, param in enumerate(params):
            where = f"{pointer}/{index}"
            param = self._deref(param, where)
            if self._parameter(param, where):
                found[(param["in"], str(param["name"]))] = where
        return found

    def _parameter(self, param: Any, pointer: str) -> bool:
        if isinstance(param, dict) and "$ref" in param:
            return False  # checked where it is defined
        if param is None or not self._expect(param, dict, pointer, "a parameter"):
            return False
        ok = True
        for key in ("name", "in"):
            if key not in param:
                self._report("E604", pointer, f"a parameter needs '{key}'")
                ok = False
        name = param.get("name")
        if ok and (not isinstance(name, (str, int)) or isinstance(name, bool)):
            self._report("E604", f"{pointer}/name", "a parameter name must be a string")
            ok = False
        where = param.get("in")
        if ok and where not in PARAMETER_LOCATIONS:
            self._report(
                "E604",
                f"{pointer}/in",
                f"parameter 'in' must be one of {', '.join(PARAMETER_LOCATIONS)}, "
                f"found {where!r}",
            )
            ok = False
        if "schema" in param:
            self._schema(param["schema"], f"{pointer}/schema")
        if "content" in param:
            self._content(param["content"], f"{pointer}/content")
        return ok

    def _path_parameters(
        self,
        path: str,
        names: list[str],
        params: dict[tuple[str, str], str],
        pointer: str,
    ) -> None:
        declared = {name for (where, name) in params if where == "path"}
        for name in names:
            if name not in declared:
                self._report(
                    "E605",
                    pointer,
                    f"path parameter {{{name}}} of {path!r} is not declared",
                    f"add {{name: {name}, in: path, required: true}} to its parameters",
                )
        for name in sorted(declared - set(names)):
            self._report(
                "W601",
                params[("path", name)],
                f"path parameter {name!r} does not appear in {path!r}",
                error_=False,
            )

    def _operation(self, operation: Mapping[str, Any], pointer: str) -> None:
        body = operation.get("requestBody")
        if body is not None:
            self._with_content(body, f"{pointer}/requestBody", "requestBody")
        responses = operation.get("responses")
        where = f"{pointer}/responses"
        if responses is not None and self._expect(
            responses, dict, where, "'responses'"
        ):
            for status, response in responses.items():
                at = f"{where}/{_escape(str(status))}"
                if str(status).startswith("x-"):
                    continue
                if not _STATUS.fullmatch(str(status)):
                    self._report(
                        "E609",
                        at,
                        f"response key {status!r} is not a status code, a range "
                        "(2XX) or 'default'",
                    )
                    continue
                self._with_content(response, at, "response")
        tags = operation.get("tags")
        if tags is not None:
            self._expect(tags, list, f"{pointer}/tags", "'tags'")
        op_id = operation.get("operationId")
        if op_id is not None and not isinstance(op_id, str):
            self._report(
                "E603",
                f"{pointer}/operationId",
                f"'operationId' must be a string, found {_kind(op_id)}",
            )

    def _with_content(self, node: Any, pointer: str, what: str) -> None:
        if isinstance(node, dict) and "$ref" in node:
            return
        if not self._expect(node, dict, pointer, f"a {what}"):
            return
        if "content" in node:
            self._content(node["content"], f"{pointer}/content")
        headers = node.get("headers")
        if headers is not None and self._expect(
            headers, dict, f"{pointer}/headers", "'headers'"
        ):
            for name, header in headers.items():
                at = f"{pointer}/headers/{_escape(str(name))}"
                if isinstance(header, dict) and "schema" in header:
                    self._schema(header["schema"], f"{at}/schema")

    def _content(self, content: Any, pointer: str) -> None:
        if content is None or not self._expect(content, dict, pointer, "'content'"):
            return
        for media, entry in content.items():
            at = f"{pointer}/{_escape(str(media))}"
            if entry is None:
                continue
            if self._expect(entry, dict, at, "a media type object"):
                if "schema" in entry:
                    self._schema(entry["schema"], f"{at}/schema")

    def _schema(self, schema: Any, pointer: str) -> None:
        """Node types of the keywords the model generator reads, without recursion."""
        stack = [(schema, pointer)]
        while stack:
            node, at = stack.pop()
            if isinstance(node, bool) or node is None:
                continue  # 3.1 boolean schemas; null: nothing to read
            if not self._expect(node, dict, at, "a schema"):
                continue
            if id(node) in self._schemas_seen or "$ref" in node:
                continue
            self._schemas_seen.add(id(node))
            self._schema_keywords(node, at)
            stack.extend(reversed(list(_subschemas(node, at))))

    def _schema_keywords(self, node: Mapping[str, Any], at: str) -> None:
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if kind is not None and not all(
            isinstance(k, str) and k in SCHEMA_TYPES for k in kinds
        ):
            self._report(
                "E603",
                f"{at}/type",
                f"schema 'type' must be one of {', '.join(sorted(SCHEMA_TYPES))} "
                f"(or a list of them), found {kind!r}",
            )
        for key in ("properties", "patternProperties"):
            if key in node:
                self._expect(node[key], dict, f"{at}/{key}", f"'{key}'")
        for key in ("allOf", "anyOf", "oneOf", "enum", "required"):
            if key in node:
                self._expect(node[key], list, f"{at}/{key}", f"'{key}'")
        required = node.get("required")
        if isinstance(required, list) and not all(isinstance(r, str) for r in required):
            self._report(
                "E603", f"{at}/required", "'required' must list property names"
            )
        discriminator = node.get("discriminator")
        if discriminator is not None and self._expect(
            discriminator, dict, f"{at}/discriminator", "'discriminator'"
        ):
            if not isinstance(discriminator.get("propertyName"), str):
                self._report(
                    "E603",
                    f"{at}/discriminator",
                    "a discriminator needs a 'propertyName' string",
                )

    def _operation_ids(self, paths: Mapping[str, Any]) -> None:
        """Duplicate operationIds, and distinct ones that make the same method name."""
        first: dict[str, tuple[str, str]] = {}  # method name -> (operationId, pointer)
        for op_id, pointer in _operation_ids(paths):
            name = python_identifier(snake(op_id))
            if name not in first:
                first[name] = (op_id, pointer)
                continue
            other, other_pointer = first[name]
            file, line = self.document.locate(other_pointer)
            place = f"{file}:{line}" if line is not None else file
            if other == op_id:
                self._report(
                    "E606",
                    f"{pointer}/operationId",
                    f"duplicate operationId {op_id!r} (also at {place} {other_pointer})",
                    "operationIds must be unique in the document",
                )
            else:
                self._report(
                    "E607",
                    f"{pointer}/operationId",
                    f"operationIds {other!r} ({place}) and {op_id!r} both become "
                    f"the method name {name!r}",
                    "rename one of them",
                )


_ANNOTATIONS = frozenset(
    {"description", "title", "nullable", "deprecated", "example", "default", "readOnly",
     "writeOnly", "externalDocs"}
)  # fmt: skip


def _only_member(node: Any) -> Any:
    """The one schema a wrapper stands for (`{$ref}`, or a one-member allOf/oneOf/anyOf
    with annotations only; allOf parts that only annotate do not count), else None."""
    if not isinstance(node, dict):
        return None
    keys = {k for k in node if not str(k).startswith("x-")} - _ANNOTATIONS
    if keys == {"$ref"}:
        return node
    if len(keys) == 1:
        (key,) = keys
        members = node[key]
        if key in ("allOf", "oneOf", "anyOf") and isinstance(members, list):
            if key == "allOf":  # parts that only describe add no type
                members = [m for m in members if not _annotation_only(m)]
            if len(members) == 1:
                return members[0]
    return None


def _annotation_only(node: Any) -> bool:
    return isinstance(node, dict) and all(
        str(k) in _ANNOTATIONS or str(k).startswith("x-") for k in node
    )


def _component(ref: str) -> str | None:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix) or "/" in ref[len(prefix) :]:
        return None
    return ref[len(prefix) :].replace("~1", "/").replace("~0", "~")


def _operation_ids(paths: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in paths.items():
        if not isinstance(item, dict) or str(path).startswith("x-"):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                op_id = operation.get("operationId")
                if isinstance(op_id, str) and op_id.strip():
                    yield op_id, f"#/paths/{_escape(str(path))}/{method}"


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_CHILDREN = ("items", "additionalProperties", "not", "contains")


def _subschemas(node: Mapping[str, Any], at: str) -> Iterator[tuple[Any, str]]:
    for key in _SCHEMA_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                yield child, f"{at}/{key}/{_escape(str(name))}"
    for key in _SCHEMA_LISTS:
        children = node.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield child, f"{at}/{key}/{index}"
    for key in _SCHEMA_CHILDREN:
        if key in node:
            child = node[key]
            if isinstance(child, list) and key == "items":
                for index, item in enumerate(child):
                    yield item, f"{at}/items/{index}"
            elif not (key == "additionalProperties" and isinstance(child, bool)):
                yield child, f"{at}/{key}"
