"""The exception hierarchy of the generated clients."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import httpx

__all__ = [
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "RequestValidationError",
    "make_status_error",
]

# How much of a body an error message quotes.
_QUOTE_LIMIT = 200


class APIError(Exception):
    """Base of every error the client raises."""

    message: str
    request: httpx.Request | None
    body: object | None
    # From an error object like {"error": {"message", "type", "code", "param"}}.
    code: str | None
    type: str | None
    param: str | None

    def __init__(
        self, message: str, request: httpx.Request | None = None, *, body: object = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        details = body if isinstance(body, Mapping) else {}
        self.code = _str_or_none(details.get("code"))
        self.type = _str_or_none(details.get("type"))
        self.param = _str_or_none(details.get("param"))

    def __str__(self) -> str:
        return self.message


class APIConnectionError(APIError):
    """The request did not get a response: connection refused/reset, broken body, ..."""

    def __init__(
        self, message: str = "Connection error.", request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""

    def __init__(
        self, request: httpx.Request | None = None, message: str = "Request timed out."
    ) -> None:
        super().__init__(message, request)


class APIStatusError(APIError):
    """The server answered with a 4xx/5xx status."""

    response: httpx.Response
    status_code: int
    request_id: str | None

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("x-request-id")


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not what the operation declares (e.g. not JSON)."""

    response: httpx.Response
    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code


class RequestValidationError(ValueError):
    """A request body without the structure its operation declares (a required member
    missing, a value of the wrong type), found before anything is sent. Unknown enum
    values and extra members are not errors: they are sent as given.

    `.errors` holds `(path, message)` pairs, e.g. `("messages[0].content", "field
    required")`.
    """

    _SHOWN = 5  # problems quoted in the message

    def __init__(self, operation: str, errors: Sequence[tuple[str, str]]) -> None:
        self.operation = operation
        self.errors = tuple(errors)
        shown = "; ".join(
            f"{path}: {message}" if path else message
            for path, message in self.errors[: self._SHOWN]
        )
        more = len(self.errors) - self._SHOWN
        if more > 0:
            shown += f" (and {more} more)"
        super().__init__(f"{operation}: invalid request body: {shown}")


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def make_status_error(
    response: httpx.Response, body: object, *, secret: str | None = None
) -> APIStatusError:
    """The error for a 4xx/5xx `response`; `body` is its decoded JSON, or its text.

    `.body` is the error object when the body wraps one (`{"error": {...}}`), as the
    official OpenAI SDK does, else the whole body. `secret` is removed from the message.
    """
    status = response.status_code
    error_body = body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error_body = body["error"]
    detail = describe_error_body(body)
    message = f"Error code: {status} - {detail}" if detail else f"Error code: {status}"
    if secret:
        message = message.replace(secret, "<redacted>")
    if status >= 500:
        cls: type[APIStatusError] = InternalServerError
    else:
        cls = _STATUS_ERRORS.get(status, APIStatusError)
    return cls(message, response=response, body=error_body)


def describe_error_body(body: object) -> str:
    """The server's own error message, or else the start of the body, on one line."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = error.get("message")
            if isinstance(message, str) and message:
                extra = [
                    f"{key}: {error[key]}"
                    for key in ("type", "code", "param")
                    if isinstance(error.get(key), (str, int))
                ]
                return f"{message} ({', '.join(extra)})" if extra else message
        elif isinstance(error, str) and error:
            return error
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        text = json.dumps(body, ensure_ascii=False, default=str)
    elif isinstance(body, str):
        text = body
    elif body is None:
        return ""
    else:
        text = json.dumps(body, ensure_ascii=False, default=str)
    return quote_text(text)


def quote_text(text: str) -> str:
    """`text` with whitespace collapsed, cut to the quote limit."""
    one_line = " ".join(text.split())
    if len(one_line) > _QUOTE_LIMIT:
        return one_line[:_QUOTE_LIMIT] + "..."
    return one_line


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
