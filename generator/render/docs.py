"""Reference docs of the generated package (`docs/`), from the IR.

- `docs/README.md`: how to make a client, the resources, and an index of every operation
  (HTTP method, path, Python call);
- `docs/resources/<resource>.md`: each method with its route, summary, description,
  arguments (types, required or not, descriptions), result, errors and example calls
  (the spec's example requests as calls of this client, see `planner.examples`);
- `docs/models/README.md` (every model, alphabetically) and `docs/models/<group>.md`:
  models used by one resource only are documented next to it (`chat.md`), the others
  in `shared.md`, so a big spec reads as a handful of pages, not hundreds.

Views are computed here; the templates under templates/docs/ only print them. Type
expressions are printed as readers write them (`typetext`) with class names linked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2

from .. import ir
from .typetext import NameKind, Side, result_text, type_text

SHARED = "shared"
LINE_LENGTH = 88
# in a list item, these could start code, emphasis or HTML (brackets cannot make a link
# without a `(` or a reference definition, so they stay readable)
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_<>])")
# `APIStatusError` subclasses by status (see the runtime's _errors.py and API.md)
STATUS_ERRORS = {
    "400": "BadRequestError",
    "401": "AuthenticationError",
    "403": "PermissionDeniedError",
    "404": "NotFoundError",
    "409": "ConflictError",
    "422": "UnprocessableEntityError",
    "429": "RateLimitError",
}


@dataclass(frozen=True, slots=True)
class ArgumentView:
    name: str
    type: str  # Markdown
    required: bool
    positional: bool
    description: str  # Markdown, continuation lines indented for a list item
    note: str  # "deprecated", "`hate/threatening` on the wire"


@dataclass(frozen=True, slots=True)
class ExampleView:
    title: str
    code: str


@dataclass(frozen=True, slots=True)
class MethodView:
    name: str
    route: str
    op: ir.Operation
    arguments: tuple[ArgumentView, ...]
    returns: str
    errors: tuple[str, ...]
    examples: tuple[ExampleView, ...]


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    type: str
    required: bool
    description: str
    note: str


@dataclass(frozen=True, slots=True)
class ModelView:
    name: str
    model: ir.Model
    about: str  # "Extends [Base](...)", "A root model of ...", "Another name for ..."
    fields: tuple[FieldView, ...]


@dataclass(frozen=True, slots=True)
class IndexRow:
    http_method: str
    path: str
    call: str
    link: str


class Docs:
    """Which page documents each model, and links to it from any page."""

    def __init__(self, api: ir.Api) -> None:
        self.api = api
        self.models = {m.name: m for m in api.models}
        self.params = {d.name: d for d in api.params}
        self.groups = model_groups(api, self.models, self.params)

    def page_of(self, model: str) -> str:
        return f"{self.groups.get(model, SHARED)}.md"

    def link(self, model: str, here: str) -> str:
        """Link from page `here` ("", "resources", "models") to a model's entry."""
        prefix = {"models": "", "": "models/", "resources": "../models/"}[here]
        return f"{prefix}{self.page_of(model)}#{model.lower()}"

    def type_md(self, node: ir.TypeNode, side: Side, here: str) -> str:
        links: list[str] = []

        def name(kind: NameKind, text: str) -> str:
            target = text
            if kind == "params":  # a dict form: link the model it stands for
                definition = self.params.get(text)
                if isinstance(definition, ir.TypedDictDef):
                    target = definition.model
                else:  # an alias `XParam` of a union: the model `X` when there is one
                    target = text.removesuffix("Param")
                    target = target if target in self.models else ""
            links.append(f"[{text}]({self.link(target, here)})" if target else text)
            return f"\0{len(links) - 1}\0"

        escaped = md_escape(type_text(node, side, name))
        return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], escaped)


def model_groups(
    api: ir.Api, models: dict[str, ir.Model], params: dict[str, Any]
) -> dict[str, str]:
    """model -> the resource module of the only resource using it (else not listed)."""
    users: dict[str, set[str]] = {}
    for resource in api.resources:
        roots: list[str] = []
        for op in resource.operations:
            nodes = [p.type for p in (*op.path_params, *op.keyword_params)]
            if op.body is not None:
                nodes.append(op.body.type)
            roots += [n for n in (op.body.model if op.body else None,) if n]
            roots += [n for n in (op.response.model, op.response.stream_chunk) if n]
            if op.response.type is not None:
                nodes.append(op.response.type)
            for node in nodes:
                roots += _models_in(node, params)
        for name in _closure(roots, models, params):
            users.setdefault(name, set()).add(resource.module)
    return {name: next(iter(found)) for name, found in users.items() if len(found) == 1}


def _models_in(node: ir.TypeNode, params: dict[str, Any]) -> list[str]:
    if isinstance(node, ir.ModelRef):
        return [node.name]
    if isinstance(node, ir.ParamsRef):
        definition = params.get(node.name)
        if isinstance(definition, ir.TypedDictDef):
            return [definition.model]
        if isinstance(definition, ir.ParamsAlias):
            return _models_in(definition.type, params)
        return []
    if isinstance(node, ir.ListOf):
        return _models_in(node.item, params)
    if isinstance(node, ir.MapOf):
        return _models_in(node.value, params)
    if isinstance(node, ir.UnionOf):
        return [name for m in node.members for name in _models_in(m, params)]
    return []


def _closure(
    roots: list[str], models: dict[str, ir.Model], params: dict[str, Any]
) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or name not in models:
            continue
        seen.add(name)
        model = models[name]
        for node in [f.type for f in model.fields] + [model.root] * bool(model.root):
            if node is not None:
                stack += _models_in(node, params)
        if model.base:
            stack.append(model.base)
    return seen


# -- pages -----------------------------------------------------------------------------


def docs_files(api: ir.Api, env: jinja2.Environment, header: str) -> dict[str, str]:
    docs = Docs(api)
    comment = f"<!-- {header[2:]} -->"
    files: dict[str, str] = {}
    index: list[tuple[ir.Resource, list[IndexRow]]] = []
    for resource in api.resources:
        methods = [method_view(docs, resource, op) for op in resource.operations]
        files[f"docs/resources/{resource.module}.md"] = env.get_template(
            "docs/resource.md.jinja"
        ).render(api=api, header=comment, resource=resource, methods=methods)
        rows = [
            IndexRow(
                op.http_method.upper(),
                op.path,
                short_call(resource, op),
                f"resources/{resource.module}.md#{op.method_name}",
            )
            for op in resource.operations
        ]
        index.append((resource, rows))
    pages: dict[str, list[ModelView]] = {}
    for model in api.models:
        group = docs.groups.get(model.name, SHARED)
        pages.setdefault(group, []).append(model_view(docs, model))
    labels = {r.module: r for r in api.resources}
    for group, views in sorted(pages.items()):
        files[f"docs/models/{group}.md"] = env.get_template(
            "docs/models.md.jinja"
        ).render(
            api=api,
            header=comment,
            resource=labels.get(group),
            models=views,
        )
    model_rows = [
        (m.name, docs.page_of(m.name), first_sentence(m.description))
        for m in api.models
    ]
    files["docs/models/README.md"] = env.get_template(
        "docs/models_index.md.jinja"
    ).render(api=api, header=comment, rows=model_rows)
    files["docs/README.md"] = env.get_template("docs/index.md.jinja").render(
        api=api, header=comment, index=index, model_count=len(api.models)
    )
    return {path: tidy(text) for path, text in files.items()}


def method_view(docs: Docs, resource: ir.Resource, op: ir.Operation) -> MethodView:
    arguments = [_argument(docs, p, positional=True) for p in op.path_params] + [
        _argument(docs, p, positional=False) for p in op.keyword_params
    ]
    if op.body is not None and not op.body.flattened:
        body = ir.Parameter(
            "body", "body", "body", op.body.type, op.body.required, op.body.description
        )
        arguments.append(_argument(docs, body, positional=False))
    arguments.sort(key=lambda a: (not a.positional, not a.required))

    def name(kind: NameKind, text: str) -> str:
        return f"\0{text}\0"

    returns = md_escape(result_text(op.response, op.stream, name))
    returns = re.sub(
        r"\x00(\w+)\x00",
        lambda m: f"[{m.group(1)}]({docs.link(m.group(1), 'resources')})",
        returns,
    )
    return MethodView(
        name=op.method_name,
        route=f"{op.http_method.upper()} {op.path}",
        op=op,
        arguments=tuple(arguments),
        returns=returns,
        errors=_errors(docs, op),
        examples=tuple(
            ExampleView(one_line(ex.title), example_code(docs.api, resource, op, ex))
            for ex in op.examples
        ),
    )


def _argument(docs: Docs, param: ir.Parameter, positional: bool) -> ArgumentView:
    notes = []
    if param.wire_name != param.name and param.location != "path":
        notes.append(f"`{param.wire_name}` on the wire")
    if param.deprecated:
        notes.append("deprecated")
    return ArgumentView(
        name=param.name,
        type=docs.type_md(param.type, "argument", "resources"),
        required=param.required,
        positional=positional,
        description=indented(param.description),
        note=", ".join(notes),
    )


def _errors(docs: Docs, op: ir.Operation) -> tuple[str, ...]:
    found = [_error(docs, e) for e in op.errors]
    if not any(e.status == "default" for e in op.errors):
        other = "any other" if op.errors else "any"
        found.append(f"`APIStatusError`: {other} non-2xx status")
    if op.path_params:
        found.append("`ValueError`: an empty path argument, before anything is sent")
    if op.body is not None:
        found.append(
            "`RequestValidationError` (a `ValueError`): a body that does not match its "
            "schema, before anything is sent"
        )
    found.append(
        "`APIConnectionError`, and `APITimeoutError` (one of them): no response came "
        "(after the retries)"
    )
    return tuple(found)


def _error(docs: Docs, error: ir.ErrorResponse) -> str:
    if error.status in STATUS_ERRORS:
        raised = STATUS_ERRORS[error.status]
    elif error.status.startswith("5"):
        raised = "InternalServerError"
    else:
        raised = "APIStatusError"
    status = "any non-2xx status" if error.status == "default" else error.status
    text = f"`{raised}` ({status})"
    if error.model:
        link = docs.link(error.model, "resources")
        text += f", `.body` holds a [{error.model}]({link})"
    if error.description:
        text += f": {one_line(error.description)}"
    return text


def model_view(docs: Docs, model: ir.Model) -> ModelView:
    about = ""
    if model.kind == "object" and model.base:
        about = f"Extends [{model.base}]({docs.link(model.base, 'models')})."
    elif model.kind == "root" and model.root is not None:
        about = (
            f"A root model: its value is {docs.type_md(model.root, 'model', 'models')}."
        )
    elif model.kind == "alias" and model.root is not None:
        about = f"Another name for {docs.type_md(model.root, 'model', 'models')}."
    fields = []
    for f in model.fields:
        notes = [f"`{f.wire_name}` in JSON"] if f.wire_name != f.name else []
        notes += ["deprecated"] if f.deprecated else []
        fields.append(
            FieldView(
                name=f.name,
                type=docs.type_md(f.type, "model", "models"),
                required=f.required,
                description=indented(f.description),
                note=", ".join(notes),
            )
        )
    return ModelView(model.name, model, about, tuple(fields))


# -- calls -----------------------------------------------------------------------------


def short_call(resource: ir.Resource, op: ir.Operation) -> str:
    """`client.files.retrieve_file(file_id)`: path arguments by name, the other required
    ones as `name=...` (valid Python: `...` is a value)."""
    args = [p.name for p in op.path_params]
    args += [f"{p.name}=..." for p in op.keyword_params if p.required]
    if op.body is not None and not op.body.flattened and op.body.required:
        args.append("body=...")
    return f"client.{resource.attr}.{op.method_name}({', '.join(args)})"


def example_code(
    api: ir.Api, resource: ir.Resource, op: ir.Operation, example: ir.Example
) -> str:
    """A complete script: import, client, the call, and a use of its result."""
    positional = {p.name for p in op.path_params}
    lines = []
    uses_path = any(a.kind == "path" for a in example.arguments)
    streamed = op.stream == "always" or any(
        a.name == op.stream_param and a.value == "true" for a in example.arguments
    )
    call = f"client.{resource.attr}.{op.method_name}("
    for argument in example.arguments:
        value = _value(argument, 4)
        prefix = "" if argument.name in positional else f"{argument.name}="
        lines.append(f"    {prefix}{value},")
    flat = ", ".join(line.strip().removesuffix(",") for line in lines)
    one_line_call = f"{call}{flat})"
    if "\n" not in "".join(lines) and len(one_line_call) + 9 <= LINE_LENGTH:
        rendered = one_line_call
    else:
        rendered = "\n".join([call, *lines, ")"]) if lines else call + ")"
    head = ["from pathlib import Path", ""] if uses_path else []
    client = api.client_class
    head += [f"from {api.package} import {client}", "", f"client = {client}()"]
    if streamed:
        body = [f"for chunk in {rendered}:", "    print(chunk)"]
    elif op.response.kind == "empty":
        body = [rendered]
    elif op.response.kind == "binary":
        body = [f"result = {rendered}", 'result.write_to_file("output.bin")']
    else:
        body = [f"result = {rendered}", "print(result)"]
    return "\n".join([*head, *body])


def _value(argument: ir.ExampleArgument, indent: int) -> str:
    if argument.kind == "path":
        return f"Path({json.dumps(argument.value, ensure_ascii=False)})"
    if argument.kind == "bytes":
        return repr(argument.value.encode("utf-8"))
    return py_value(json.loads(argument.value), indent)


def py_value(value: Any, indent: int) -> str:
    """A JSON value as a Python literal, one line when it fits, else one item a line
    (black's style: double quotes, trailing commas)."""
    flat = _flat(value)
    if indent + len(flat) + 12 <= LINE_LENGTH or not isinstance(value, (dict, list)):
        return flat
    if not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [
            f"{pad}{_flat(str(k))}: {py_value(v, indent + 4)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{py_value(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _flat(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{_flat(str(k))}: {_flat(v)}" for k, v in value.items())
            + "}"
        )
    return "[" + ", ".join(_flat(v) for v in value) + "]"


# -- text ------------------------------------------------------------------------------


def tidy(text: str) -> str:
    """No trailing blanks (spec text has some), no runs of blank lines, one final
    newline: the generated-file rules hold for Markdown too."""
    lines = [line.rstrip() for line in text.split("\n")]
    kept = [line for i, line in enumerate(lines) if line or (i > 0 and lines[i - 1])]
    return "\n".join(kept).strip("\n") + "\n"


def md_escape(text: str) -> str:
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def indented(text: str) -> str:
    """Spec text as the body of a list item: continuation lines indented two spaces."""
    lines = [line.rstrip() for line in text.strip().replace("\r\n", "\n").split("\n")]
    return "\n".join([lines[0], *("  " + line if line else "" for line in lines[1:])])


def one_line(text: str) -> str:
    return " ".join(text.split())


def first_sentence(text: str, limit: int = 100) -> str:
    """For a table cell: the first sentence, cut at `limit` characters, pipes escaped."""
    line = one_line(text)
    end = line.find(". ")
    line = line if end < 0 else line[: end + 1]
    if len(line) > limit:
        line = line[: limit - 1].rsplit(" ", 1)[0] + "…"
    return line.replace("|", "\\|")


__all__ = ["docs_files"]
