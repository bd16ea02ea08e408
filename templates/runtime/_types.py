"""Plain data shared by the runtime and the generated code: sentinels, operations, config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Final, Literal, TypedDict, Union

import httpx

__all__ = [
    "NotGiven",
    "NOT_GIVEN",
    "Timeout",
    "TimeoutTypes",
    "FileContent",
    "FileInput",
    "Operation",
    "AuthScheme",
    "ClientOption",
    "ClientConfig",
    "RequestOptions",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_CONNECTION_LIMITS",
]


class NotGiven:
    """The type of `NOT_GIVEN`: an argument the caller left out (unlike an explicit None)."""

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        # One instance, so identity checks (`value is NOT_GIVEN`) always work.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

Timeout = httpx.Timeout
TimeoutTypes = Union[float, httpx.Timeout, None]

DEFAULT_TIMEOUT: Final = httpx.Timeout(600.0, connect=5.0)
DEFAULT_MAX_RETRIES: Final = 2
# Keep-alive as large as the pool: a smaller one closes connections that a burst
# of calls would reuse a moment later.
DEFAULT_CONNECTION_LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=100
)

FileContent = Union[bytes, os.PathLike[str], IO[bytes]]
FileInput = Union[
    FileContent,
    tuple[Union[str, None], FileContent],
    tuple[Union[str, None], FileContent, Union[str, None]],
]


class _Record:
    """An immutable record: keyword or positional construction, equality, hash and repr
    over its `__slots__` (what `@dataclass(frozen=True, slots=True)` gives, without
    writing and compiling each method when the runtime is imported: that took a third
    of the runtime's import time)."""

    __slots__: tuple[str, ...] = ()

    def _init(self, *values: object) -> None:
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Record) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[type[_Record], tuple[object, ...]]:
        return type(self), self._values()


class Operation(_Record):
    """One API operation, a module-level constant of the generated package.

    `body`: "none" | "json" | "multipart" | "form" | "raw"; `response`: "json" | "sse" |
    "binary" | "text" | "empty"; `query_styles`: wire name -> "form" |
    "form:noexplode" | "deepObject" | "spaceDelimited" | ...; `stream_end`: the data
    of the event that ends a stream of this operation ("[DONE]" for OpenAI): a stream
    whose body ends without it raises IncompleteStreamError.
    """

    __slots__ = (
        "name",
        "method",
        "path",
        "body",
        "response",
        "deprecated",
        "file_fields",
        "query_styles",
        "stream_end",
    )
    name: str
    method: str
    path: str
    body: str
    response: str
    deprecated: bool
    file_fields: frozenset[str]
    query_styles: Mapping[str, str]
    stream_end: str | None

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        body: str = "none",
        response: str = "json",
        deprecated: bool = False,
        file_fields: frozenset[str] = frozenset(),
        query_styles: Mapping[str, str] | None = None,
        stream_end: str | None = None,
    ) -> None:
        self._init(
            name,
            method,
            path,
            body,
            response,
            deprecated,
            file_fields,
            {} if query_styles is None else query_styles,
            stream_end,
        )


class AuthScheme(_Record):
    """How the API key is sent: "bearer" | "basic" | "header" | "query" | "none".

    `required`: the spec declares auth, so a client without a key (argument, env var
    or an auth header in `default_headers`) is refused at construction instead of
    drawing a 401 on its first call.
    """

    __slots__ = ("kind", "name", "required")
    kind: str
    name: str
    required: bool

    def __init__(
        self, kind: str = "bearer", name: str = "Authorization", required: bool = False
    ) -> None:
        self._init(kind, name, required)


class ClientOption(_Record):
    """A client keyword argument sent as a header on every request, e.g.
    `ClientOption("organization", "OpenAI-Organization", "OPENAI_ORG_ID")`: the value
    is the argument, else the env var (when named), else not sent.

    `name`: the keyword argument (a Python identifier)."""

    __slots__ = ("name", "header", "env")
    name: str
    header: str
    env: str

    def __init__(self, name: str, header: str, env: str = "") -> None:
        self._init(name, header, env)


class ClientConfig(_Record):
    """Per-package constants, a class attribute of the generated Client/AsyncClient."""

    __slots__ = (
        "package",
        "version",
        "env_prefix",
        "default_base_url",
        "auth",
        "options",
    )
    package: str
    version: str
    env_prefix: str
    default_base_url: str
    auth: AuthScheme
    options: tuple[ClientOption, ...]

    def __init__(
        self,
        package: str,
        version: str,
        env_prefix: str,
        default_base_url: str,
        auth: AuthScheme | None = None,
        options: tuple[ClientOption, ...] = (),
    ) -> None:
        self._init(
            package,
            version,
            env_prefix,
            default_base_url,
            AuthScheme() if auth is None else auth,
            options,
        )

    def replace(self, **changes: object) -> ClientConfig:
        """A copy with `changes` (field name -> value)."""
        values = dict(zip(self.__slots__, self._values()))
        values.update(changes)
        return ClientConfig(**values)  # type: ignore[arg-type]


class RequestOptions(TypedDict, total=False):
    """The per-call options every generated method accepts."""

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | httpx.Timeout | None | NotGiven
    # Seconds for the whole call, retries and body included (None: no deadline).
    deadline: float | None | NotGiven
