"""Where each generated file goes, relative to the output folder's project directory.

Paths are built from identifiers the naming module made (package, module names), so
nothing can land outside the project."""

from __future__ import annotations

from . import ir


def package_dir(api: ir.Api) -> str:
    return api.package


def model_module(api: ir.Api, module: str) -> str:
    return model_path(api.package, module)


def model_path(package: str, module: str) -> str:
    return f"{package}/models/{module}.py"


def params_module(api: ir.Api, module: str) -> str:
    return f"{api.package}/params/{module}.py"


def resource_module(api: ir.Api, resource: ir.Resource) -> str:
    return f"{api.package}/resources/{resource.module}.py"


def runtime_module(api: ir.Api, name: str) -> str:
    return f"{api.package}/_runtime/{name}"


def package_file(api: ir.Api, name: str) -> str:
    """`__init__.py`, `_client.py`, `models/__init__.py`... inside the package."""
    return f"{api.package}/{name}"


# What the package's `__init__` re-exports from the runtime, where the runtime has it
# (IncompleteStreamError comes with stream end markers).
PACKAGE_EXPORTS = (
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncBinaryResponse",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BinaryResponse",
    "ConflictError",
    "IncompleteStreamError",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ServerSentEvent",
    "Stream",
    "UnprocessableEntityError",
)
