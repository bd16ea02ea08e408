"""The runtime of a generated client: HTTP, retries, encoding, errors, responses.

Copied unchanged into every generated package as `<package>/_runtime/`. The modules
of streaming, multipart, binary responses and pagination are imported on first use,
so importing the runtime stays cheap.
"""

import importlib
from types import NoneType
from typing import TYPE_CHECKING

from ._client import AsyncAPIClient, SyncAPIClient
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    UnprocessableEntityError,
    make_status_error,
)
from ._lazy import ModelRef
from ._resource import AsyncAPIResource, SyncAPIResource
from ._response import (
    APIResponse,
    AsyncAPIResponse,
    async_to_raw_response_wrapper,
    to_raw_response_wrapper,
)
from ._shape import BodyShape
from ._types import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AuthScheme,
    ClientConfig,
    ClientOption,
    FileContent,
    FileInput,
    NotGiven,
    Operation,
    RequestOptions,
    Timeout,
    TimeoutTypes,
)

if TYPE_CHECKING:
    from ._binary import AsyncBinaryResponse, BinaryResponse
    from ._streaming import (
        AsyncStream,
        EventModels,
        IncompleteStreamError,
        ServerSentEvent,
        Stream,
    )

# Loaded on first access, so `import` stays cheap.
_LAZY = {
    "Stream": "._streaming",
    "AsyncStream": "._streaming",
    "ServerSentEvent": "._streaming",
    "EventModels": "._streaming",
    "IncompleteStreamError": "._streaming",
    "BinaryResponse": "._binary",
    "AsyncBinaryResponse": "._binary",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncAPIResource",
    "NoneType",
    "SyncAPIResource",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIClient",
    "AsyncAPIResponse",
    "AsyncBinaryResponse",
    "AsyncStream",
    "AuthScheme",
    "AuthenticationError",
    "BadRequestError",
    "BinaryResponse",
    "BodyShape",
    "ClientConfig",
    "ClientOption",
    "ConflictError",
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "EventModels",
    "FileContent",
    "FileInput",
    "IncompleteStreamError",
    "InternalServerError",
    "ModelRef",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "Operation",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "RequestValidationError",
    "ServerSentEvent",
    "Stream",
    "SyncAPIClient",
    "Timeout",
    "TimeoutTypes",
    "UnprocessableEntityError",
    "async_to_raw_response_wrapper",
    "make_status_error",
    "to_raw_response_wrapper",
]
