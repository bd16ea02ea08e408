"""The command line of a generated package: `python -m <package> RESOURCE METHOD [OPTIONS]`.

    python -m openai_api chat create-chat-completion --model gpt-4o \\
        --messages '[{"role": "user", "content": "hi"}]'

The command tree is read from the client class when the command runs: its resource
attributes become commands, each resource's public methods subcommands, their
parameters `--options` (types from the type hints, help from the docstrings, see
`_cli_args`). Only the chosen resource module is imported, and only the models the
chosen method names, so `--help` stays quick on large APIs.

Output: the result as JSON (indented on a terminal, one line otherwise); streams and
paginated `*-iter` methods one JSON line per item as it arrives; binary responses to
`--output FILE` (or a redirected stdout, never a terminal). Exit status: 0 success,
1 the API answered with an error or could not be reached (one line on stderr), 2 bad
arguments or options.
"""

from __future__ import annotations

import argparse
import functools
import http
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, NoReturn

import httpx
import pydantic

from ._cli_args import Argument, converter, method_arguments, method_doc
from ._client import SyncAPIClient
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    describe_error_body,
)
from ._resource import SyncAPIResource

if TYPE_CHECKING:
    from ._streaming import ServerSentEvent

__all__ = ["run", "main"]

_CLIENT_OPTIONS = ("--base-url", "--api-key", "--timeout", "--max-retries")
_OUTPUT = "cli.output"


def main(client_cls: type[SyncAPIClient]) -> NoReturn:
    """The body of a package's `__main__.py`."""
    sys.exit(run(client_cls))


def run(
    client_cls: type[SyncAPIClient],
    argv: Sequence[str] | None = None,
    *,
    http_client: httpx.Client | None = None,
) -> int:
    """Parse `argv`, call the chosen method, print its result; return the exit status.

    `http_client` is passed to the client (tests and smoke tests use a mock transport).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    parser, target = _build_parser(client_cls, args)
    try:
        values = vars(parser.parse_args(args))
        if target is None:  # not reached: argparse requires the commands
            parser.error("a resource and a method are required")
        if target.binary and values.get(_OUTPUT) is None and _is_tty(sys.stdout):
            target.parser.error(
                f"the response is binary: pass {target.output_option} FILE "
                "(or redirect stdout); it is not written to a terminal"
            )
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return _exit_code(exc)
    options = {
        key[len("client.") :]: value
        for key, value in values.items()
        if key.startswith("client.")
    }
    try:
        client = client_cls(**options, http_client=http_client)
    except (ValueError, TypeError) as exc:
        return _fail(f"{exc}", 2)
    secret = client.api_key
    try:
        with client:
            method = _resolve(client, target)
            kwargs = {
                a.name: values[a.dest] for a in target.arguments if a.dest in values
            }
            result = method(**kwargs)
            _Printer(values.get(_OUTPUT)).emit(result)
    except APIStatusError as exc:
        return _fail(_status_line(exc), 1, secret)
    except APITimeoutError as exc:
        return _fail(f"request timed out: {_cause(exc)}", 1, secret)
    except APIConnectionError as exc:
        return _fail(f"cannot reach {client.base_url}: {_cause(exc)}", 1, secret)
    except APIError as exc:
        return _fail(str(exc), 1, secret)
    except _BinaryToTerminal as exc:
        return _fail(str(exc), 1, secret)
    except (ValueError, TypeError) as exc:  # rejected before any I/O
        return _fail(f"invalid arguments: {exc}", 2, secret)
    except BrokenPipeError:  # `... | head`: the reader is gone, and that is fine
        _silence_stdout()
        return 1
    except OSError as exc:  # writing --output
        return _fail(f"{exc}", 1, secret)
    except KeyboardInterrupt:
        return 130
    return 0


# -- the command tree ----------------------------------------------------------------


@dataclass
class _Target:
    """The method the command line names, and how to call it."""

    path: tuple[str, ...]  # resource attributes from the client, then the method name
    parser: argparse.ArgumentParser
    arguments: list[_Bound]
    binary: bool
    output_option: str


@dataclass(frozen=True)
class _Bound:
    name: str
    dest: str


def _build_parser(
    client_cls: type[SyncAPIClient], argv: list[str]
) -> tuple[argparse.ArgumentParser, _Target | None]:
    """The parser for `argv`: commands down the path argv names are filled in, the
    others are left empty (never parsed, so never loaded)."""
    config = client_cls._config
    prog = f"python -m {config.package}"
    parser = _parser(
        prog,
        description=f"Call the {config.package} API ({config.version}) from the "
        "command line. Results are printed as JSON.",
        epilog=f"`{prog} RESOURCE --help` lists its methods; "
        f"`{prog} RESOURCE METHOD --help` their arguments.",
    )
    _client_options(parser, config.env_prefix, argparse.SUPPRESS)
    parser.add_argument(
        "--version", action="version", version=f"{config.package} {config.version}"
    )
    node: object = object.__new__(client_cls)  # attributes only: never initialised
    tokens = _command_tokens(argv)
    path: list[str] = []
    current = parser
    for depth in range(len(tokens) + 1):
        token = tokens[depth] if depth < len(tokens) else None
        methods = _methods(node)
        resources = _resource_names(node)
        commands = current.add_subparsers(
            title="commands",
            metavar="RESOURCE" if depth == 0 else "METHOD",
            dest=f"cli.command{depth}",
            required=True,
        )
        if token in methods:
            for command in methods:
                if command != token:
                    commands.add_parser(command, add_help=False)
            function = getattr(type(node), methods[token])
            prog = f"{current.prog} {token}"
            method_parser = commands.add_parser(
                token,
                **_parser_options(prog),
                usage=_method_usage(prog, function),
                help=method_doc(function).summary,
                description=_method_description(function),
            )
            target = _method_target(method_parser, config.env_prefix, function)
            target.path = (*path, methods[token])
            return parser, target
        child = None
        if token is not None and token in resources:
            child = _resource(node, resources[token])
        if token is None or child is None:  # the listing a user sees: describe all
            _list_commands(commands, node, methods, resources)
            return parser, None
        for command in resources:
            if command != token:
                commands.add_parser(command, add_help=False)
        current = commands.add_parser(
            token, **_parser_options(f"{current.prog} {token}")
        )
        path.append(resources[token])
        node = child
    return parser, None


def _command_tokens(argv: list[str]) -> list[str]:
    """The words of argv that name commands (not options or their values)."""
    tokens = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--":
            break
        elif word.startswith("-"):
            skip = word in _CLIENT_OPTIONS  # "--timeout 30"; "--timeout=30" is one word
        else:
            tokens.append(word)
    return tokens


def _command(name: str) -> str:
    return name.strip("_").replace("_", "-")


def _generated_classes(obj: object) -> list[type]:
    """The classes of `obj` below the runtime's base classes (what the generator wrote)."""
    runtime = set(SyncAPIClient.__mro__) | set(SyncAPIResource.__mro__)
    return [cls for cls in type(obj).__mro__ if cls not in runtime]


def _methods(node: object) -> dict[str, str]:
    """Public methods of a resource, command -> attribute, in declaration order."""
    found: dict[str, str] = {}
    for cls in _generated_classes(node):
        for name, value in vars(cls).items():
            if not name.startswith("_") and inspect.isfunction(value):
                found.setdefault(_command(name), name)
    return found


def _resource_names(node: object) -> dict[str, str]:
    """Attributes that may hold resources (properties), command -> attribute."""
    found: dict[str, str] = {}
    for cls in _generated_classes(node):
        for name, value in vars(cls).items():
            if not name.startswith("_") and isinstance(
                value, (property, functools.cached_property)
            ):
                found.setdefault(_command(name), name)
    return found


def _resource(node: object, name: str) -> object | None:
    """The resource at `node.name` (importing its module), or None if it is not one."""
    try:
        value = getattr(node, name)
    except Exception:
        return None
    return value if isinstance(value, SyncAPIResource) else None


def _list_commands(
    commands: Any, node: object, methods: dict[str, str], resources: dict[str, str]
) -> None:
    """Add every command of `node` with a one-line help, for `--help` and errors."""
    for command, name in resources.items():
        child = _resource(node, name)
        if child is None:
            continue
        names = list(_methods(child))
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        commands.add_parser(
            command,
            add_help=False,
            help=f"{len(names)} method{'s' * (len(names) != 1)}: {shown}",
        )
    for command, name in methods.items():
        summary = _first_sentence(method_doc(getattr(type(node), name)).summary)
        commands.add_parser(
            command, add_help=False, help=summary.replace("%", "%%") or None
        )


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text[: end + 1] if end >= 0 else text


def _method_usage(prog: str, function: Callable[..., Any]) -> str:
    """`prog --a A --b B [options]`: the required arguments, then the rest."""
    words = [prog]
    for argument in method_arguments(function):
        if argument.required:
            words.append(f"{argument.option} {argument.type.metavar}")
    words.append("[options]")
    return " ".join(words).replace("%", "%%")


def _method_description(function: Callable[..., Any]) -> str:
    text = method_doc(function).description
    return text.replace("%", "%%") if "%(" in text else text


def _method_target(
    parser: argparse.ArgumentParser, env_prefix: str, function: Callable[..., Any]
) -> _Target:
    arguments = method_arguments(function)
    required = parser.add_argument_group("required arguments")
    optional = parser.add_argument_group("optional arguments")
    bound = []
    for argument in arguments:
        group = required if argument.required else optional
        dest = f"param.{argument.name}"
        _add_argument(group, argument, dest)
        bound.append(_Bound(argument.name, dest))
    taken = {a.option for a in arguments}
    output_option = "--output" if "--output" not in taken else "--output-file"
    output = parser.add_argument_group("output")
    output.add_argument(
        output_option,
        dest=_OUTPUT,
        metavar="FILE",
        help="write the result to FILE ('-': stdout); binary responses need it "
        "unless stdout is redirected",
    )
    _client_options(parser, env_prefix, argparse.SUPPRESS, taken)
    return _Target(
        path=(),
        parser=parser,
        arguments=bound,
        binary=_returns_binary(function),
        output_option=output_option,
    )


def _add_argument(group: Any, argument: Argument, dest: str) -> None:
    kind = argument.type
    common: dict[str, Any] = {
        "dest": dest,
        "help": argument.help,
        "required": argument.required,
    }
    if not argument.required:
        common["default"] = argparse.SUPPRESS  # left out: not sent at all
    if kind.is_flag:
        group.add_argument(
            argument.option, action=argparse.BooleanOptionalAction, **common
        )
    elif kind.repeated:
        group.add_argument(
            argument.option,
            action="append",
            type=converter(kind),
            metavar=kind.metavar,
            **common,
        )
    else:
        group.add_argument(
            argument.option, type=converter(kind), metavar=kind.metavar, **common
        )


def _client_options(
    parser: argparse.ArgumentParser,
    env_prefix: str,
    default: object,
    taken: set[str] | None = None,
) -> None:
    """The client's options, on the top-level parser and again on every method (where a
    method parameter of the same name wins)."""
    taken = taken or set()
    group = parser.add_argument_group("client options")
    env = (
        f" (default: ${env_prefix}_BASE_URL, then the API's server)"
        if env_prefix
        else ""
    )
    key_env = f" (default: ${env_prefix}_API_KEY)" if env_prefix else ""
    specs: list[tuple[str, dict[str, Any]]] = [
        ("--base-url", {"metavar": "URL", "help": "the API's base URL" + env}),
        ("--api-key", {"metavar": "KEY", "help": "the API key" + key_env}),
        (
            "--timeout",
            {"type": float, "metavar": "SECONDS", "help": "request timeout (600)"},
        ),
        (
            "--max-retries",
            {"type": int, "metavar": "N", "help": "retries of failed requests (2)"},
        ),
    ]
    for option, extra in specs:
        if option not in taken:
            dest = "client." + option[2:].replace("-", "_")
            group.add_argument(option, dest=dest, default=default, **extra)


def _returns_binary(function: Callable[..., Any]) -> bool:
    annotation = inspect.signature(function).return_annotation
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return "BinaryResponse" in text


def _resolve(client: SyncAPIClient, target: _Target) -> Callable[..., Any]:
    obj: Any = client
    for name in target.path:
        obj = getattr(obj, name)
    return obj  # type: ignore[no-any-return]


def _parser(prog: str, **kwargs: Any) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(**_parser_options(prog), **kwargs)


def _parser_options(prog: str) -> dict[str, Any]:
    return {
        "prog": prog,
        "allow_abbrev": False,  # API parameters are often prefixes of one another
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


# -- output --------------------------------------------------------------------------


class _BinaryToTerminal(Exception):
    pass


class _Printer:
    """Writes a result: JSON, JSON lines for streams, bytes for binary responses."""

    def __init__(self, output: str | None) -> None:
        self.path = None if output in (None, "-") else output
        self.stdout = sys.stdout

    def emit(self, result: object) -> None:
        if _is_binary(result):
            self._binary(result)
        elif result is None:
            return
        elif isinstance(result, str):
            self._write_text(result if result.endswith("\n") else result + "\n")
        elif _is_stream(result):
            self._lines(result)  # type: ignore[arg-type]
        else:
            pretty = self.path is None and _is_tty(self.stdout)
            self._write_text(_dumps(_jsonable(result), pretty) + "\n")

    def _lines(self, items: Iterable[object]) -> None:
        with self._open_text() as out:
            try:
                for item in items:
                    out.write(_dumps(_jsonable(item), False) + "\n")
                    out.flush()  # each chunk as it arrives
            finally:
                close = getattr(items, "close", None)
                if callable(close):
                    close()

    def _write_text(self, text: str) -> None:
        with self._open_text() as out:
            out.write(text)
            out.flush()

    def _open_text(self) -> _Output:
        if self.path is None:
            return _Output(self.stdout, close=False)
        return _Output(open(self.path, "w", encoding="utf-8"), close=True)

    def _binary(self, result: Any) -> None:
        with result:
            if self.path is not None:
                result.write_to_file(self.path)
                return
            if _is_tty(self.stdout):
                content_type = result.headers.get("content-type", "unknown")
                raise _BinaryToTerminal(
                    f"the response is binary ({content_type}): pass --output FILE "
                    "or redirect stdout"
                )
            self.stdout.flush()
            sink = self.stdout.buffer
            for chunk in result.iter_bytes():
                sink.write(chunk)
            sink.flush()


class _Output:
    def __init__(self, stream: IO[str], *, close: bool) -> None:
        self.stream = stream
        self.close = close

    def __enter__(self) -> IO[str]:
        return self.stream

    def __exit__(self, *exc_info: object) -> None:
        if self.close:
            self.stream.close()


def _is_binary(result: object) -> bool:
    from ._binary import BinaryResponse

    return isinstance(result, BinaryResponse)


def _is_stream(result: object) -> bool:
    return hasattr(result, "__next__") or (
        hasattr(result, "__iter__")
        and not isinstance(result, (list, tuple, dict, str, bytes))
        and not isinstance(result, pydantic.BaseModel)
    )


def _jsonable(value: object) -> object:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(
            mode="json", by_alias=True, exclude_unset=True, warnings=False
        )
    from ._streaming import ServerSentEvent

    if isinstance(value, ServerSentEvent):
        return _event(value)
    return value


def _event(event: ServerSentEvent) -> object:
    """An untyped server-sent event: its data (decoded when it is JSON), with the event
    name when it has one."""
    try:
        data = json.loads(event.data)
    except ValueError:
        data = event.data
    if event.event is None:
        return data
    return {"event": event.event, "data": data}


def _dumps(value: object, pretty: bool) -> str:
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _is_tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


# -- errors --------------------------------------------------------------------------


def _status_line(exc: APIStatusError) -> str:
    status = exc.status_code
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = exc.response.reason_phrase or "Error"
    detail = describe_error_body(exc.body)
    return f"{status} {phrase}: {detail}" if detail else f"{status} {phrase}"


def _cause(exc: APIError) -> str:
    cause = exc.__cause__
    text = str(cause) if cause is not None and str(cause) else exc.message
    return " ".join(text.split())


def _fail(message: str, code: int, secret: str | None = None) -> int:
    line = " ".join(message.split())
    if secret:
        line = line.replace(secret, "<redacted>")
    print(f"error: {line}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests): nothing will be flushed to a pipe


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 2
