"""The package logger and the redaction of secrets from what gets logged."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

__all__ = [
    "REDACTED",
    "get_logger",
    "redact",
    "redact_headers",
    "redact_query_param",
    "protect_query_param",
]

REDACTED = "<redacted>"

# Header names whose values are credentials, lower case.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"}
)


def get_logger(package: str) -> logging.Logger:
    """The logger named after the generated package; the runtime logs at DEBUG only."""
    return logging.getLogger(package)


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced."""
    if secret and secret in text:
        return text.replace(secret, REDACTED)
    return text


def redact_headers(
    headers: Mapping[str, str], secret_names: frozenset[str] = SECRET_HEADERS
) -> dict[str, str]:
    """A copy of `headers` safe to log: credential headers replaced."""
    return {
        name: REDACTED if name.lower() in secret_names else value
        for name, value in headers.items()
    }


def redact_query_param(text: str, param: str) -> str:
    """`text` (a URL, a log line) with the value of query parameter `param` replaced."""
    return _query_param_pattern(param).sub(r"\1" + REDACTED, text)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _query_param_pattern(param: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(param)
    if pattern is None:
        pattern = re.compile(r"([?&]" + re.escape(param) + r"=)[^&#\s\"']*")
        _PATTERNS[param] = pattern
    return pattern


class _QueryParamFilter(logging.Filter):
    """Redacts an auth query parameter from records of a third-party logger."""

    def __init__(self, param: str) -> None:
        super().__init__()
        self.param = param

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query_param(message, self.param)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_PROTECTED: set[tuple[str, str]] = set()


def protect_query_param(param: str, logger_names: tuple[str, ...] = ("httpx",)) -> None:
    """Keep an API key sent as query parameter `param` out of httpx's own log lines
    (httpx logs every request URL at INFO). Installed once per parameter name."""
    for name in logger_names:
        if (name, param) not in _PROTECTED:
            _PROTECTED.add((name, param))
            logging.getLogger(name).addFilter(_QueryParamFilter(param))
