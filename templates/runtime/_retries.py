"""The retry policy: which failures are retried and how long to wait before each
retry (exponential backoff with jitter, or what the server asks for)."""

from __future__ import annotations

import email.utils
import math
import time

import httpx

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "backoff",
    "retry_after",
    "server_says_retry",
    "should_retry",
]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server asking to wait longer than this gets its error raised at once.
MAX_RETRY_AFTER = 120.0

_RETRY_STATUSES = frozenset({408, 409, 429})


def should_retry(status: int) -> bool:
    """Whether a response with this failed status is worth sending again."""
    return status >= 500 or status in _RETRY_STATUSES


def server_says_retry(headers: httpx.Headers) -> bool | None:
    """The server's `x-should-retry: true|false`, which overrides the status rule
    both ways; None when it does not say."""
    value = headers.get("x-should-retry")
    if value is None:
        return None
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def backoff(attempt: int, jitter: float) -> float:
    """Seconds before retry `attempt` (0-based): exponential from INITIAL_RETRY_DELAY,
    capped at MAX_RETRY_DELAY, minus up to 25 % (`jitter` is in [0, 1))."""
    delay = min(INITIAL_RETRY_DELAY * (2.0**attempt), MAX_RETRY_DELAY)
    return delay * (1.0 - 0.25 * jitter)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait (`retry-after-ms`, `Retry-After` in seconds or
    as an HTTP date), if it says. Zero, negative or a date in the past is no answer
    (None: the normal backoff), so a server cannot make us retry in a tight loop."""
    seconds = _number(headers.get("retry-after-ms"))
    if seconds is not None:
        seconds /= 1000.0
    else:
        value = headers.get("retry-after")
        if not value:
            return None
        seconds = _number(value)
        if seconds is None:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            seconds = when.timestamp() - time.time()
    return seconds if seconds > 0 else None


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
