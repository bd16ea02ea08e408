"""The generator config: what the spec does not say about the client to generate.

Read from `--config FILE` (an `oapigen.toml`, or a `pyproject.toml` with a `[tool.oapigen]`
table), else from `oapigen.toml` in the working directory, else from `[tool.oapigen]` of
`pyproject.toml` in the working directory (tools are configured where they are run, as
black and mypy are). Command-line options override it key by key. Unknown keys and values
of the wrong type are located errors; the result is one frozen `GeneratorConfig`.

Keys (TOML, kebab-case like the command-line options):

    package = "openai_api"             # import name (default: snake_case of info.title)
    package-version = "2.3.0"          # version of the generated project (default: info.version)
    env-prefix = "OPENAI"              # <PREFIX>_API_KEY, <PREFIX>_BASE_URL (default: first
                                       # word of info.title, upper-cased)
    client-class = "Client"            # names of the sync and async client classes
    async-client-class = "AsyncClient"
    stream-end-marker = "[DONE]"       # SSE data that ends every stream (default: none)
    overlays = ["openai.overlay.yaml"] # OpenAPI Overlays, relative to this file, in order

    [client-options.organization]      # a client keyword argument sent as a header
    header = "OpenAI-Organization"
    env = "OPENAI_ORG_ID"              # optional: env var read when the argument is not given
    description = "..."                # optional: docstring of the argument

    [operations.createChatCompletion]  # by operationId: method and/or resource name
    method = "create"
    resource = "chat"
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import keyword
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, GeneratorError, error
from .toml_lines import toml_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "oapigen.toml"
PYPROJECT = "pyproject.toml"
COMMAND_LINE = "<command line>"
# Keyword arguments every generated client has: a client option may not take their names.
CLIENT_ARGUMENTS = frozenset(
    {"api_key", "base_url", "timeout", "max_retries", "default_headers", "http_client"}
)
_PEP440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")
_ENV_PREFIX = re.compile(r"[A-Z][A-Z0-9_]*")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token

Key = tuple[str, ...]


@dataclass(frozen=True)
class ClientOption:
    """`Client(organization=...)`, falling back to `env`, sent as the `header`."""

    name: str
    header: str
    env: str | None = None
    description: str = ""


@dataclass(frozen=True)
class OperationNames:
    """Names for one operation (by operationId); None keeps the derived name."""

    method: str | None = None
    resource: str | None = None


@dataclass(frozen=True)
class GeneratorConfig:
    package: str | None = None
    package_version: str | None = None
    env_prefix: str | None = None
    client_class: str = "Client"
    async_client_class: str = "AsyncClient"
    stream_end_marker: str | None = None
    client_options: tuple[ClientOption, ...] = ()
    operations: tuple[tuple[str, OperationNames], ...] = ()  # sorted by operationId
    overlays: tuple[Path, ...] = ()
    # where each key was set: (key, file as named or "<command line>", line, pointer)
    where: tuple[tuple[Key, str, int | None, str], ...] = field(default=(), repr=False)

    def operation(self, operation_id: str) -> OperationNames | None:
        for name, names in self.operations:
            if name == operation_id:
                return names
        return None

    def locate(self, *key: str) -> tuple[str, int | None, str]:
        """(file, line, pointer) of a key, for a diagnostic about its value
        (`config.locate("operations", "createFoo")`)."""
        known = {k: (file, line, pointer) for k, file, line, pointer in self.where}
        for length in range(len(key), 0, -1):
            if key[:length] in known:
                file, line, pointer = known[key[:length]]
                return file, line, pointer + _pointer(key[length:])[1:]
        return COMMAND_LINE, None, _pointer(key)


@dataclass
class _Layer:
    """Raw values of one source, before validation."""

    values: dict[str, Any]
    file: str
    lines: dict[Key, int]
    base: Key = ()  # ("tool", "oapigen") in a pyproject.toml
    relative_to: Path = Path(".")  # overlays are relative to the config file

    def line(self, key: Key) -> int | None:
        for length in range(len(key), -1, -1):
            found = self.lines.get((*self.base, *key[:length]))
            if found is not None:
                return found
        return None


def find_config(directory: Path) -> Path | None:
    """`oapigen.toml`, else a `pyproject.toml` with a `[tool.oapigen]` table, in `directory`."""
    candidate = directory / CONFIG_FILE
    if candidate.is_file():
        return candidate
    pyproject = directory / PYPROJECT
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None  # not ours to judge; an explicit --config reports it
        if isinstance(data.get("tool"), dict) and "oapigen" in data["tool"]:
            return pyproject
    return None


def load_config(
    path: Path | None, overrides: Sequence[tuple[str, str]] = ()
) -> GeneratorConfig:
    """The config from `path` (None: defaults only) with command-line `overrides`
    (dotted key, raw value) on top; GeneratorError listing every problem."""
    layers = [] if path is None else [_read(path)]
    if overrides:
        layers.append(_overrides(overrides))
    return _Validator(layers).config()


def _read(path: Path) -> _Layer:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GeneratorError(
            [error("E103", name, None, "#", "file not found")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        message = f"cannot read the config file: {exc}"
        raise GeneratorError([error("E701", name, None, "#", message)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(found.group(1)) if found else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        if found:
            reason += f" (column {found.group(2)})"
        raise GeneratorError(
            [error("E701", name, line, "#", f"invalid TOML: {reason}")]
        ) from None
    lines = toml_lines(text)
    relative_to = path.parent
    if path.name == PYPROJECT:
        tool = data.get("tool")
        if not (isinstance(tool, dict) and isinstance(tool.get("oapigen"), dict)):
            message = "no [tool.oapigen] table in this pyproject.toml"
            raise GeneratorError([error("E701", name, None, "#/tool/oapigen", message)])
        return _Layer(tool["oapigen"], name, lines, ("tool", "oapigen"), relative_to)
    return _Layer(data, name, lines, (), relative_to)


def _overrides(overrides: Sequence[tuple[str, str]]) -> _Layer:
    values: dict[str, Any] = {}
    for dotted, raw in overrides:
        keys = [k.strip() for k in dotted.split(".")]
        table = values
        for part in keys[:-1]:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                break
        else:
            table[keys[-1]] = raw
    return _Layer(values, COMMAND_LINE, {})


def parse_value(raw: str) -> Any:
    """A `--set` value: TOML (`true`, `3`, `["a", "b"]`, `"quoted"`) when it parses as
    TOML, else the text itself (`--set env-prefix=OPENAI`)."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


_TOP = (
    "package",
    "package-version",
    "env-prefix",
    "client-class",
    "async-client-class",
    "stream-end-marker",
    "overlays",
    "client-options",
    "operations",
)
_OPTION_KEYS = ("header", "env", "description")
_OPERATION_KEYS = ("method", "resource")


class _Validator:
    def __init__(self, layers: list[_Layer]) -> None:
        self.layers = layers
        self.diagnostics: list[Diagnostic] = []
        self.values: dict[str, Any] = {}
        self.where: dict[Key, tuple[str, int | None, str]] = {}
        self.layer_of: dict[Key, _Layer] = {}

    def config(self) -> GeneratorConfig:
        for layer in self.layers:
            self._merge(layer, layer.values, self.values, ())
        settings: dict[str, Any] = {}
        for key, attribute, check in (
            ("package", "package", self._package),
            ("package-version", "package_version", self._version),
            ("env-prefix", "env_prefix", self._env_prefix),
            ("client-class", "client_class", self._class_name),
            ("async-client-class", "async_client_class", self._class_name),
            ("stream-end-marker", "stream_end_marker", self._marker),
        ):
            if key in self.values:
                value = check((key,), self.values[key])
                if value is not None:
                    settings[attribute] = value
        if settings.get("client_class", "Client") == settings.get(
            "async_client_class", "AsyncClient"
        ):
            self._error(
                ("async-client-class",),
                "E703",
                "client-class and async-client-class must differ",
            )
        settings["overlays"] = self._overlays()
        settings["client_options"] = self._client_options()
        settings["operations"] = self._operations()
        if self.diagnostics:
            raise GeneratorError(self.diagnostics)
        where = tuple((key, *place) for key, place in sorted(self.where.items()))
        return GeneratorConfig(**settings, where=where)

    # -- merging layers (later wins, key by key; tables merge) -------------------------

    def _merge(
        self, layer: _Layer, source: dict[str, Any], into: dict[str, Any], at: Key
    ) -> None:
        allowed = self._allowed(at)
        for key, value in source.items():
            here = (*at, key)
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                where = f" in {'.'.join(at)}" if at else ""
                self._error_in(
                    layer,
                    here,
                    "E702",
                    f"unknown config key {key!r}{where}",
                    f"did you mean {close[0]!r}?" if close else "",
                )
                continue
            if layer.file == COMMAND_LINE and isinstance(value, str):
                value = parse_value(value) if self._parsed(here) else value
            pointer = _pointer((*layer.base, *here))
            self.where[here] = (layer.file, layer.line(here), pointer)
            self.layer_of[here] = layer
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                self._merge(layer, value, into[key], here)
            elif isinstance(value, dict) and self._is_table(here):
                into[key] = {}
                self._merge(layer, value, into[key], here)
            else:
                into[key] = value

    @staticmethod
    def _allowed(at: Key) -> tuple[str, ...] | None:
        if not at:
            return _TOP
        if len(at) == 2 and at[0] == "client-options":
            return _OPTION_KEYS
        if len(at) == 2 and at[0] == "operations":
            return _OPERATION_KEYS
        return None  # names chosen by the user (option names, operationIds)

    @staticmethod
    def _is_table(key: Key) -> bool:
        return key[0] in ("client-options", "operations") and len(key) <= 2

    @staticmethod
    def _parsed(key: Key) -> bool:
        """Command-line values that are not plain text (lists)."""
        return key == ("overlays",)

    # -- checks ---------------------------------------------------------------------

    def _string(self, key: Key, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        self._error(
            key, "E703", f"{_dotted(key)} must be a string, found {_toml_type(value)}"
        )
        return None

    def _identifier(
        self, key: Key, value: Any, what: str, code: str = "E703"
    ) -> str | None:
        text = self._string(key, value)
        if text is None:
            return None
        if not text.isidentifier() or keyword.iskeyword(text) or text.startswith("_"):
            self._error(
                key, code, f"{_dotted(key)} {text!r} is not a valid Python {what}"
            )
            return None
        return text

    def _package(self, key: Key, value: Any) -> str | None:
        return self._identifier(key, value, "package name", "E401")

    def _class_name(self, key: Key, value: Any) -> str | None:
        return self._identifier(key, value, "class name")

    def _version(self, key: Key, value: Any) -> str | None:
        text = self._string(key, value)
        if text is not None and not _PEP440.fullmatch(text):
            self._error(
                key,
                "E703",
                f"package-version {text!r} is not a PEP 440 version",
                "e.g. 1.2.0, 2024.1.5, 1.0.0rc1",
            )
            return None
        return text

    def _env_prefix(self, key: Key, value: Any) -> str | None:
        text = self._string(key, value)
        if text is not None and not _ENV_PREFIX.fullmatch(text):
            self._error(
                key,
                "E703",
                f"env-prefix {text!r} must be upper-case letters, digits and _, "
                "starting with a letter (e.g. OPENAI)",
            )
            return None
        return text

    def _marker(self, key: Key, value: Any) -> str | None:
        text = self._string(key, value)
        if text == "":
            self._error(key, "E703", "stream-end-marker must not be empty")
            return None
        return text

    def _overlays(self) -> tuple[Path, ...]:
        value = self.values.get("overlays", [])
        key = ("overlays",)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            found = _toml_type(value)
            self._error(
                key, "E703", f"overlays must be an array of paths, found {found}"
            )
            return ()
        layer = self.layer_of.get(key)
        base = layer.relative_to if layer is not None else Path(".")
        return tuple(Path(os.path.normpath(base / item)) for item in value)

    def _client_options(self) -> tuple[ClientOption, ...]:
        options: list[ClientOption] = []
        for name, table in self._tables("client-options"):
            key = ("client-options", name)
            if name in CLIENT_ARGUMENTS:
                self._error(
                    key,
                    "E703",
                    f"client option {name!r} would hide the client's own argument",
                )
                continue
            if self._identifier(key, name, "argument name") is None:
                continue
            header = table.get("header")
            if header is None:
                self._error(key, "E703", f"client-options.{name} needs a header")
                continue
            header = self._string((*key, "header"), header)
            if header is not None and not _HEADER.fullmatch(header):
                self._error(
                    (*key, "header"),
                    "E703",
                    f"header {header!r} is not an HTTP header name",
                )
                header = None
            env = table.get("env")
            if env is not None:
                env = self._string((*key, "env"), env)
                if env is not None and not _ENV_VAR.fullmatch(env):
                    self._error(
                        (*key, "env"),
                        "E703",
                        f"env {env!r} is not an environment variable name",
                    )
                    env = None
            description = self._string(
                (*key, "description"), table.get("description", "")
            )
            if header is not None and description is not None:
                options.append(ClientOption(name, header, env, description))
        return tuple(options)

    def _operations(self) -> tuple[tuple[str, OperationNames], ...]:
        found: list[tuple[str, OperationNames]] = []
        for operation_id, table in self._tables("operations"):
            key = ("operations", operation_id)
            names: dict[str, str | None] = {}
            for name in _OPERATION_KEYS:
                if name in table:
                    names[name] = self._identifier((*key, name), table[name], "name")
            if not table:
                self._error(key, "E703", f"operations.{operation_id} renames nothing")
            found.append((operation_id, OperationNames(**names)))
        return tuple(sorted(found))

    def _tables(self, section: str) -> list[tuple[str, dict[str, Any]]]:
        value = self.values.get(section, {})
        if not isinstance(value, dict):
            self._error(
                (section,),
                "E703",
                f"{section} must be a table, found {_toml_type(value)}",
            )
            return []
        tables = []
        for name, table in value.items():  # declaration order: argument order
            if not isinstance(table, dict):
                found = _toml_type(table)
                self._error(
                    (section, name),
                    "E703",
                    f"{section}.{name} must be a table, found {found}",
                )
                continue
            tables.append((name, table))
        return tables

    # -- diagnostics -------------------------------------------------------------------

    def _error(self, key: Key, code: str, message: str, hint: str = "") -> None:
        """A problem with the value at `key`, located where the value was set."""
        for length in range(len(key), 0, -1):
            layer = self.layer_of.get(key[:length])
            if layer is not None:
                self._error_in(layer, key, code, message, hint)
                return
        pointer = _pointer(key)
        self.diagnostics.append(error(code, COMMAND_LINE, None, pointer, message, hint))

    def _error_in(
        self, layer: _Layer, key: Key, code: str, message: str, hint: str
    ) -> None:
        pointer = _pointer((*layer.base, *key))
        self.diagnostics.append(
            error(code, layer.file, layer.line(key), pointer, message, hint)
        )


def _dotted(key: Key) -> str:
    return ".".join(key)


def _pointer(key: Key) -> str:
    return "#" + "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in key)


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # dates and times


# -- command line ------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The config options of `oapigen` (`--package` is the CLI's own)."""
    group = parser.add_argument_group("configuration (see README: Configuration)")
    group.add_argument(
        "--config",
        type=Path,
        help=f"config file: {CONFIG_FILE}, or a {PYPROJECT} with [tool.oapigen] "
        f"(default: ./{CONFIG_FILE}, else ./{PYPROJECT} if it has [tool.oapigen])",
    )
    group.add_argument(
        "--no-config", action="store_true", help="ignore config files in ./"
    )
    group.add_argument(
        "--overlay",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="OpenAPI Overlay to apply (repeatable; after the config's, in order)",
    )
    group.add_argument("--package-version", help="version of the generated project")
    group.add_argument("--env-prefix", help="prefix of the env vars (<PREFIX>_API_KEY)")
    group.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set any config key (client-options.organization.header=OpenAI-Organization)",
    )


def from_arguments(args: argparse.Namespace) -> GeneratorConfig:
    """The config the command line asks for: the file, then every option on top."""
    path: Path | None = args.config
    if path is None and not args.no_config:
        path = find_config(Path("."))
    overrides: list[tuple[str, str]] = []
    for key, value in (
        ("package", args.package),
        ("package-version", args.package_version),
        ("env-prefix", args.env_prefix),
    ):
        if value is not None:
            overrides.append((key, value))
    problems: list[Diagnostic] = []
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            message = f"--set {item!r}: expected KEY=VALUE"
            problems.append(error("E703", COMMAND_LINE, None, "#", message))
        else:
            overrides.append((key.strip(), value))
    if problems:
        raise GeneratorError(problems)
    config = load_config(path, overrides)
    if args.overlay:
        extra = tuple(Path(p) for p in args.overlay)
        config = _replace_overlays(config, config.overlays + extra)
    return config


def _replace_overlays(
    config: GeneratorConfig, overlays: tuple[Path, ...]
) -> GeneratorConfig:
    return dataclasses.replace(config, overlays=overlays)
