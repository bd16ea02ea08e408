"""Plain data shared by the runtime and the generated code: sentinels, operations, config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation, a module-level constant of the generated package."""

    name: str
    method: str
    path: str
    body: str = "none"  # "none" | "json" | "multipart" | "form" | "raw"
    response: str = "json"  # "json" | "sse" | "binary" | "text" | "empty"
    deprecated: bool = False
    file_fields: frozenset[str] = frozenset()
    # wire name -> "form" | "form:noexplode" | "deepObject" | "spaceDelimited" | ...
    query_styles: Mapping[str, str] = field(default_factory=dict)
    # The data of the event that ends a stream of this operation ("[DONE]" for
    # OpenAI): a stream whose body ends without it raises IncompleteStreamError.
    stream_end: str | None = None


@dataclass(frozen=True, slots=True)
class AuthScheme:
    """How the API key is sent: "bearer" | "basic" | "header" | "query" | "none".

    `required`: the spec declares auth, so a client without a key (argument, env var
    or an auth header in `default_headers`) is refused at construction instead of
    drawing a 401 on its first call.
    """

    kind: str = "bearer"
    name: str = "Authorization"
    required: bool = False


@dataclass(frozen=True, slots=True)
class ClientOption:
    """A client keyword argument sent as a header on every request, e.g.
    `ClientOption("organization", "OpenAI-Organization", "OPENAI_ORG_ID")`: the value
    is the argument, else the env var (when named), else not sent."""

    name: str  # the keyword argument (a Python identifier)
    header: str
    env: str = ""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Per-package constants, a class attribute of the generated Client/AsyncClient."""

    package: str
    version: str
    env_prefix: str
    default_base_url: str
    auth: AuthScheme = AuthScheme()
    options: tuple[ClientOption, ...] = ()


class RequestOptions(TypedDict, total=False):
    """The per-call options every generated method accepts."""

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | httpx.Timeout | None | NotGiven
    # Seconds for the whole call, retries and body included (None: no deadline).
    deadline: float | None | NotGiven
