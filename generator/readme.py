"""What the generated README (its user's manual) shows, computed from the IR.

Each topic of the manual (a first call, streaming, uploads, downloads, pagination) is
shown on a real operation of the spec: the simplest one that fits, i.e. the one with the
fewest required arguments that all have a plain literal value (a string, a number, the
first value of an enum). A topic the API has nothing for is left out. Calls are written
as the user would: path parameters positional, the rest as keywords. The client options
and environment variables come from the runtime's constructor and the spec's auth
scheme, so the manual states what the package does.
"""

from __future__ import annotations

import ast
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ir

CALL_WIDTH = 72  # a call longer than this is written one argument per line
RUNTIME_TYPES = Path(__file__).resolve().parent / "templates" / "runtime" / "_types.py"
if not RUNTIME_TYPES.is_file():  # the source tree: templates/ beside generator/
    RUNTIME_TYPES = RUNTIME_TYPES.parents[3] / "templates" / "runtime" / "_types.py"

# Strings for arguments by name; anything else gets "example" (ids: "<stem>_123").
_TEXT_VALUES = {
    "email": "user@example.com",
    "input": "Hello!",
    "prompt": "Hello!",
    "query": "Hello!",
    "text": "Hello!",
    "content": "Hello!",
    "message": "Hello!",
    "name": "Example",
    "title": "Example",
    "url": "https://example.com",
}
UPLOAD_FILE = "example.bin"


@dataclass(frozen=True, slots=True)
class Example:
    """One operation called with literal arguments."""

    resource: ir.Resource
    operation: ir.Operation
    call: str  # `client.notes.get_note("notebook_123", "note_123")`, unindented
    call4: str  # the same, for a line indented by 4 spaces
    call8: str  # by 8 spaces
    raw_call4: str  # `client.<resource>.with_raw_response.<method>(...)`, by 4 spaces
    timeout_call: str  # the call with `timeout=5.0`, unindented
    command: (
        str  # the same call from the shell: `python -m <package> RESOURCE METHOD ...`
    )
    command_resource: str  # RESOURCE in that command
    stream_argument: bool  # the call passes `stream=True`


@dataclass(frozen=True, slots=True)
class ClientOption:
    name: str
    env: str  # the environment variable it falls back to, or ""
    default: str
    meaning: str


@dataclass(frozen=True, slots=True)
class ReadmeView:
    project: str  # folder of the generated project (= the package name)
    description: str  # first paragraph of info.description, one line
    auth: str  # how the key is sent, a sentence
    options: tuple[ClientOption, ...]
    first_call: Example | None
    streaming: Example | None
    upload: Example | None
    download: Example | None
    pagination: Example | None
    uses_path: bool  # an example passes a pathlib.Path


def readme_view(api: ir.Api) -> ReadmeView:
    operations = [(r, op) for r in api.resources for op in r.operations]

    def example(
        fits: Fits, *, stream: bool = False, iterate: bool = False
    ) -> Example | None:
        found = _simplest(operations, fits)
        if found is None:
            return None
        return _example(api.package, *found, stream=stream, iterate=iterate)

    upload = example(lambda op: op.body is not None and bool(op.body.file_fields))
    return ReadmeView(
        project=api.package,
        description=_first_paragraph(api.description),
        auth=_auth_sentence(api.auth, api.env_prefix),
        options=_options(api),
        first_call=example(_plain_call),
        streaming=example(lambda op: op.stream != "never", stream=True),
        upload=upload,
        download=example(lambda op: op.response.kind == "binary"),
        pagination=example(lambda op: op.pagination is not None, iterate=True),
        uses_path=upload is not None,
    )


Fits = Callable[[ir.Operation], bool]


def _plain_call(op: ir.Operation) -> bool:
    """A call returning a model, the way most calls look."""
    return op.response.kind == "json" and op.stream == "never"


def _simplest(
    operations: list[tuple[ir.Resource, ir.Operation]], fits: Fits
) -> tuple[ir.Resource, ir.Operation] | None:
    """Fewest required arguments first, then GET before other methods, then spec order."""
    candidates = [
        (resource, op)
        for resource, op in operations
        if fits(op) and not op.deprecated and _arguments(op) is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda pair: _rank(pair[1], operations.index(pair)))


def _rank(op: ir.Operation, position: int) -> tuple[int, int, int]:
    required = len(_arguments(op) or ())
    return (required, 0 if op.http_method == "get" else 1, position)


def _required(op: ir.Operation) -> list[ir.Parameter]:
    return [p for p in (*op.path_params, *op.keyword_params) if p.required]


def _arguments(op: ir.Operation) -> list[tuple[ir.Parameter, str]] | None:
    """(parameter, literal) for every required argument; None if one has no literal."""
    if op.body is not None and not op.body.flattened and op.body.required:
        return None  # a `body=` of a model type: no literal
    found = []
    for param in _required(op):
        if param.name == op.stream_param:
            continue
        value = literal_for(param)
        if value is None:
            return None
        found.append((param, value))
    return found


def literal_for(param: ir.Parameter) -> str | None:
    """A Python literal of the parameter's type, or None when there is no plain one."""
    return _literal(param.type, param.name)


def _literal(node: ir.TypeNode, name: str) -> str | None:
    if isinstance(node, ir.UnionOf):
        # `str | Literal["gpt-4o", ...]`: a known value reads better than a made-up one.
        members = sorted(node.members, key=lambda m: not isinstance(m, ir.LiteralOf))
        for member in members:
            found = _literal(member, name)
            if found is not None:
                return found
        return None
    if isinstance(node, ir.LiteralOf):
        value = node.values[0]
        return _string(value) if isinstance(value, str) else repr(value)
    if isinstance(node, ir.Scalar):
        if node.name == "str":
            return _string(_text_value(name))
        if node.name in ("int", "float"):
            number = "10" if name == "limit" else "1"
            return number if node.name == "int" else number + ".0"
        if node.name == "bool":
            return "True"
        return None  # bytes, dates: no literal that reads well
    if isinstance(node, ir.ListOf):
        item = _literal(node.item, name)
        return None if item is None else f"[{item}]"
    if isinstance(node, ir.FileInput):
        return f"Path({_string(UPLOAD_FILE)})"
    return None  # models, maps, any value: built by the caller, not a literal


def _string(text: str) -> str:
    """A string literal in double quotes, as black writes them."""
    if '"' in text or "\\" in text or not text.isprintable():
        return repr(text)
    return f'"{text}"'


def _text_value(name: str) -> str:
    if name.endswith("_id"):
        return f"{name[:-3]}_123"
    return _TEXT_VALUES.get(name, "example")


def _example(
    package: str,
    resource: ir.Resource,
    op: ir.Operation,
    *,
    stream: bool = False,
    iterate: bool = False,
) -> Example:
    arguments = _arguments(op) or []
    positional = [value for p, value in arguments if p.location == "path"]
    keywords = [f"{p.name}={value}" for p, value in arguments if p.location != "path"]
    stream_argument = stream and op.stream == "flag" and op.stream_param is not None
    if stream_argument:
        keywords.append(f"{op.stream_param}=True")
    if iterate:
        keywords += [f"{p.name}=10" for p in op.query_params if p.name == "limit"]
    method = op.method_name
    if iterate and op.pagination is not None:
        method = op.pagination.method_name
    args = [*positional, *keywords]
    target = f"client.{resource.attr}.{method}"
    raw = f"client.{resource.attr}.with_raw_response.{op.method_name}"
    return Example(
        resource=resource,
        operation=op,
        call=_call(target, args, 0),
        call4=_call(target, args, 4),
        call8=_call(target, args, 8),
        raw_call4=_call(raw, args, 4),
        timeout_call=_call(target, [*args, "timeout=5.0"], 0),
        command=_command(package, resource, method, arguments),
        command_resource=_kebab(resource.attr),
        stream_argument=stream_argument,
    )


def _command(
    package: str,
    resource: ir.Resource,
    method: str,
    arguments: list[tuple[ir.Parameter, str]],
) -> str:
    """The package's command line (`python -m <package>`, see docs/CLI.md): names in
    kebab-case, every argument an option."""
    words = ["python", "-m", package, _kebab(resource.attr), _kebab(method)]
    for param, literal in arguments:
        value = ast.literal_eval(literal) if not literal.startswith("Path(") else None
        if isinstance(value, bool):
            words.append(f"--{_kebab(param.name)}" if value else "")
        elif isinstance(value, (str, int, float)):
            words += [f"--{_kebab(param.name)}", shlex.quote(str(value))]
        elif literal.startswith("Path("):
            words += [f"--{_kebab(param.name)}", UPLOAD_FILE]
        else:
            words += [f"--{_kebab(param.name)}", shlex.quote(json.dumps(value))]
    return " ".join(word for word in words if word)


def _kebab(name: str) -> str:
    return name.strip("_").replace("_", "-")


def _call(target: str, args: list[str], indent: int) -> str:
    one_line = f"{target}({', '.join(args)})"
    if indent + len(one_line) <= CALL_WIDTH or not args:
        return one_line
    pad = " " * (indent + 4)
    inner = "".join(f"{pad}{arg},\n" for arg in args)
    return f"{target}(\n{inner}{' ' * indent})"


def _first_paragraph(text: str) -> str:
    paragraph = text.strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _auth_sentence(auth: ir.Auth, env_prefix: str) -> str:
    if auth.kind == "none":
        return "The API declares no authentication; `api_key` is not sent."
    if auth.kind == "bearer":
        sent = "The key is sent as `Authorization: Bearer <key>`."
    elif auth.kind == "basic":
        sent = (
            "The key is `user:password` (a bare token is taken as the user name), "
            "sent as HTTP Basic authentication."
        )
    elif auth.kind == "header":
        sent = f"The key is sent in the `{auth.name}` header."
    else:
        sent = f"The key is sent as the `{auth.name}` query parameter (never logged)."
    if auth.required:
        where = f"`api_key=` or `{env_prefix}_API_KEY`" if env_prefix else "`api_key=`"
        sent += (
            f" The API requires it: without {where} (or the auth header in "
            "`default_headers`), creating the client raises an error saying so."
        )
    return sent


def _options(api: ir.Api) -> tuple[ClientOption, ...]:
    prefix = api.env_prefix
    defaults = _runtime_defaults()
    return (
        ClientOption(
            "api_key", f"{prefix}_API_KEY" if prefix else "", "none", "the API key"
        ),
        ClientOption(
            "base_url",
            f"{prefix}_BASE_URL" if prefix else "",
            f"`{api.default_base_url}`" if api.default_base_url else "none",
            (
                "where requests go"
                if api.default_base_url
                else "where requests go: required, the spec names no server"
            ),
        ),
        *(
            ClientOption(
                option.name,
                option.env,
                "none",
                f"the `{option.header}` header"
                + (f": {option.description}" if option.description else ""),
            )
            for option in api.client_options
        ),
        ClientOption(
            "timeout",
            "",
            defaults.get("DEFAULT_TIMEOUT", "see Timeouts"),
            "seconds, or an `httpx.Timeout` (see Timeouts)",
        ),
        ClientOption(
            "max_retries",
            "",
            defaults.get("DEFAULT_MAX_RETRIES", "see Errors and retries"),
            "retries of a failed request (see Errors and retries)",
        ),
        ClientOption("default_headers", "", "none", "headers added to every request"),
        ClientOption(
            "http_client",
            "",
            "a new httpx client",
            "your own `httpx.Client` (`httpx.AsyncClient` for `AsyncClient`): "
            "proxies, transports, mocks",
        ),
    )


def _runtime_defaults() -> dict[str, str]:
    """`DEFAULT_TIMEOUT` and `DEFAULT_MAX_RETRIES` of the runtime, as written there
    (read, not imported: the generator does not import the runtime)."""
    found: dict[str, str] = {}
    try:
        tree = ast.parse(RUNTIME_TYPES.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return found
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name in ("DEFAULT_TIMEOUT", "DEFAULT_MAX_RETRIES") and value is not None:
            found[name] = f"`{ast.unparse(value)}`"
    return found
