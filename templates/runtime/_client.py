"""The client base classes: configuration, auth, request building, sending with
retries and timeouts, logging, and response dispatch by `Operation.response`."""

from __future__ import annotations

import base64
import email.utils
import functools
import json
import logging
import math
import os
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, Union, cast

import httpx
import pydantic

from ._encoding import (
    build_json_body,
    build_path,
    dump_json,
    encode_multipart_fields,
    encode_query,
    merge_headers,
    query_string,
)
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)
from ._logs import protect_query_param, redact, redact_query_param
from ._response import RAW_RESPONSE, APIResponse, AsyncAPIResponse, parse_json
from ._types import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    ClientConfig,
    NotGiven,
    Operation,
)

if TYPE_CHECKING:
    import asyncio  # imported where used: sync-only programs never load asyncio

    from ._streaming import AsyncStream, Stream

__all__ = ["SyncAPIClient", "AsyncAPIClient"]

T = TypeVar("T")
C = TypeVar("C")
P = TypeVar("P")
I = TypeVar("I")  # noqa: E741 - the item type of a page
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)
_ClientT = TypeVar("_ClientT", bound="_BaseClient[Any]")

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server asking to wait longer than this gets its error raised at once.
MAX_RETRY_AFTER = 60.0

_RETRY_STATUSES = frozenset({408, 409, 429})
_ACCEPT = {
    "json": "application/json",
    "empty": "application/json",
    "sse": "text/event-stream",
}
_REPLAYABLE_CONTENT = (bytes, bytearray, str)

TimeoutArg = Union[float, httpx.Timeout, None, NotGiven]


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    seconds = float(timeout)
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_TIMEOUT.connect or 5.0))


@functools.lru_cache(maxsize=1)
def _shared_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of ms; every client we create shares one context.
    return httpx.create_ssl_context()


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait (`retry-after-ms`, `Retry-After` in seconds or
    as an HTTP date), if it says."""
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(milliseconds / 1000.0, 0.0)
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
    return max(seconds, 0.0)


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _should_retry(status: int) -> bool:
    return status >= 500 or status in _RETRY_STATUSES


def _status_error_body(response: httpx.Response) -> object:
    content = response.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return response.text


def _form_pairs(fields: Mapping[str, object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    encode_query(fields, {}, pairs)
    return pairs


def _group_pairs(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form pairs as httpx's `data=` mapping (a repeated name becomes a list)."""
    grouped: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = grouped.get(name)
        if previous is None:
            grouped[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            grouped[name] = [previous, value]
    return grouped


class _Prepared:
    """A request ready to send, and whether it may be sent again."""

    __slots__ = ("request", "replayable", "stream")

    def __init__(self, request: httpx.Request, replayable: bool, stream: bool) -> None:
        self.request = request
        self.replayable = replayable
        self.stream = stream


class _BaseClient(Generic[_HttpT]):
    """What the sync and async clients share: configuration and request building."""

    _config: ClassVar[ClientConfig]
    # The pool of the httpx client we create (not used with a user's http_client).
    _connection_limits: ClassVar[httpx.Limits] = DEFAULT_CONNECTION_LIMITS

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: _HttpT | None = None,
    ) -> None:
        config = getattr(type(self), "_config", None)
        if not isinstance(config, ClientConfig):
            raise TypeError(
                f"{type(self).__name__} needs a `_config = ClientConfig(...)` attribute"
            )
        prefix = config.env_prefix
        if api_key is None and prefix:
            api_key = os.environ.get(f"{prefix}_API_KEY") or None
        if base_url is None and prefix:
            base_url = os.environ.get(f"{prefix}_BASE_URL") or None
        self._base_url = self._check_base_url(base_url or config.default_base_url)
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self._api_key = api_key
        self.timeout = _as_timeout(timeout)
        self.max_retries = max_retries
        self._custom_headers = dict(default_headers) if default_headers else {}
        self._logger = logging.getLogger(config.package)
        self._auth_query_param: str | None = None
        self._auth_query: tuple[str, str] | None = None
        headers = {
            "user-agent": f"{config.package}/{config.version} "
            f"python-httpx/{httpx.__version__}"
        }
        if api_key:
            self._add_auth(config, api_key, headers)
        merge_headers(headers, self._custom_headers)
        # Per response kind, so building a request is one dict copy.
        self._base_headers = {
            kind: {**headers, "accept": _ACCEPT.get(kind, "*/*")}
            for kind in ("json", "sse", "binary", "text", "empty")
        }
        self._timeout_extension = {"timeout": self.timeout.as_dict()}
        if http_client is None:
            self._http: _HttpT = self._make_http_client()
            self._owns_http = True
        else:
            self._check_http_client(http_client)
            self._http = http_client
            self._owns_http = False

    def _check_base_url(self, base_url: str | httpx.URL) -> str:
        base = str(base_url).rstrip("/")
        try:
            url = httpx.URL(base)
        except httpx.InvalidURL:
            url = httpx.URL()
        if url.scheme not in ("http", "https") or not url.host:
            prefix = self._config.env_prefix
            where = f" or set {prefix}_BASE_URL" if prefix else ""
            raise ValueError(
                f"{type(self).__name__} needs an absolute http(s) base URL: "
                f"pass base_url=...{where} (got {str(base_url)!r})"
            )
        return base

    def _add_auth(
        self, config: ClientConfig, api_key: str, headers: dict[str, str]
    ) -> None:
        kind = config.auth.kind
        if kind == "bearer":
            headers["authorization"] = f"Bearer {api_key}"
        elif kind == "basic":
            # The key is "user:password"; a bare token is the user name.
            credentials = api_key if ":" in api_key else f"{api_key}:"
            token = base64.b64encode(credentials.encode()).decode("ascii")
            headers["authorization"] = f"Basic {token}"
        elif kind == "header":
            headers[config.auth.name.lower()] = api_key
        elif kind == "query":
            self._auth_query_param = config.auth.name
            self._auth_query = (config.auth.name, api_key)
            protect_query_param(config.auth.name)
        elif kind != "none":
            raise ValueError(f"unknown auth scheme kind {kind!r}")

    def _make_http_client(self) -> _HttpT:
        raise NotImplementedError

    def _check_http_client(self, http_client: _HttpT) -> None:
        raise NotImplementedError

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def base_url(self) -> httpx.URL:
        return httpx.URL(self._base_url)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, "
            f"max_retries={self.max_retries})"
        )

    def with_options(
        self: _ClientT,
        *,
        api_key: str | None | NotGiven = NOT_GIVEN,
        base_url: str | httpx.URL | None | NotGiven = NOT_GIVEN,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None | NotGiven = NOT_GIVEN,
    ) -> _ClientT:
        """A copy with some settings changed, sharing this client's connection pool
        (closing the copy leaves the pool open). `default_headers` are added to the
        current ones."""
        headers = dict(self._custom_headers)
        if isinstance(default_headers, Mapping):
            headers.update(default_headers)
        copy = type(self)(
            api_key=self._api_key if isinstance(api_key, NotGiven) else api_key,
            base_url=self._base_url if isinstance(base_url, NotGiven) else base_url,
            timeout=self.timeout if isinstance(timeout, NotGiven) else timeout,
            max_retries=(
                self.max_retries if isinstance(max_retries, NotGiven) else max_retries
            ),
            default_headers=headers,
            http_client=self._http,
        )
        # Share what belongs to the pool (its gate) and test hooks set on this client.
        for name in ("_gate", "_sleep", "_jitter"):
            if name in self.__dict__:
                copy.__dict__[name] = self.__dict__[name]
        return copy

    # -- building requests ----------------------------------------------------

    def _prepare(
        self,
        op: Operation,
        *,
        path_params: Mapping[str, object] | None,
        query: Mapping[str, object] | None,
        headers: Mapping[str, object] | None,
        body: object,
        body_model: type[pydantic.BaseModel] | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, object] | None,
        extra_body: Mapping[str, object] | None,
        timeout: TimeoutArg,
        stream: bool,
    ) -> _Prepared:
        url = self._base_url + build_path(op.path, path_params)
        if query or extra_query or self._auth_query:
            pairs: list[tuple[str, str]] = []
            if query:
                encode_query(query, op.query_styles, pairs)
            if extra_query:
                encode_query(extra_query, op.query_styles, pairs)
            if self._auth_query:
                pairs.append(self._auth_query)
            if pairs:
                url = f"{url}?{query_string(pairs)}"
        # A streamed call asks for events, even on an operation declared as JSON.
        kind = "sse" if stream and op.response != "binary" else op.response
        request_headers = self._base_headers.get(kind) or self._base_headers["json"]
        request_headers = request_headers.copy()
        if headers:
            merge_headers(request_headers, headers)
        content: bytes | Any = None
        data: dict[str, str | list[str]] | None = None
        files: list[tuple[str, Any]] | None = None
        replayable = True
        body_kind = op.body
        if body_kind == "json" or (body_kind == "none" and extra_body):
            value = build_json_body(body, body_model, extra_body)
            if value is not NOT_GIVEN:
                content = dump_json(value)
                request_headers["content-type"] = "application/json"
        elif body_kind == "multipart":
            fields = dict(body) if isinstance(body, Mapping) else {}
            if extra_body:
                fields.update(extra_body)
            from ._multipart import build_multipart

            form, files, replayable = build_multipart(fields, op.file_fields)
            if files:
                data = _group_pairs(form)
                request_headers.pop("content-type", None)  # httpx adds the boundary
            else:  # httpx would fall back to urlencoded without files
                content, request_headers["content-type"] = encode_multipart_fields(form)
                files = None
        elif body_kind == "form":
            fields = dict(body) if isinstance(body, Mapping) else {}
            if extra_body:
                fields.update(extra_body)
            content = query_string(_form_pairs(fields)).encode()
            request_headers["content-type"] = "application/x-www-form-urlencoded"
        elif body_kind == "raw" and body is not NOT_GIVEN and body is not None:
            content = body
            replayable = isinstance(body, _REPLAYABLE_CONTENT)
            request_headers.setdefault("content-type", "application/octet-stream")
        if extra_headers:
            merge_headers(request_headers, extra_headers)
        if isinstance(timeout, NotGiven):
            extensions = self._timeout_extension
        else:
            extensions = {"timeout": _as_timeout(timeout).as_dict()}
        request = self._http.build_request(
            op.method,
            url,
            headers=request_headers,
            content=content,
            data=data,
            files=files,
            extensions=extensions,
        )
        return _Prepared(request, replayable, stream)

    # -- sending helpers shared by both loops ---------------------------------

    def _retry_delay(self, attempt: int, headers: httpx.Headers) -> float | None:
        """Seconds to wait before retry `attempt` (0-based) of a failed status; None:
        do not retry, the server asks for a longer wait than MAX_RETRY_AFTER."""
        asked = _retry_after(headers)
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= MAX_RETRY_AFTER else None

    def _transport_retry_delay(
        self, exc: httpx.HTTPError, request: httpx.Request, attempt: int, left: int
    ) -> float:
        """The wait before retrying after `exc`; raises the APIError when not retrying
        (no retries left, or an error that is not about the connection)."""
        if left > 0 and isinstance(exc, httpx.TransportError):
            return self._backoff(attempt)
        raise self._transport_error(exc, request) from exc

    def _status_retry_delay(
        self, response: httpx.Response, attempt: int, left: int
    ) -> float | None:
        """The wait before retrying a failed status; None: raise its error now."""
        if left > 0 and _should_retry(response.status_code):
            return self._retry_delay(attempt, response.headers)
        return None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff from INITIAL_RETRY_DELAY, capped, minus up to 25 %."""
        delay = min(INITIAL_RETRY_DELAY * (2.0**attempt), MAX_RETRY_DELAY)
        return delay * (1.0 - 0.25 * self._jitter())

    def _jitter(self) -> float:
        return random.random()

    def _safe_url(self, url: httpx.URL) -> str:
        text = str(url)
        if self._auth_query_param:
            text = redact_query_param(text, self._auth_query_param)
        return redact(text, self._api_key)

    def _log_response(
        self, op: Operation, request: httpx.Request, status: int, started: float
    ) -> None:
        if not self._logger.isEnabledFor(logging.DEBUG):
            return
        self._logger.debug(
            "%s: %s %s -> %d (%.1f ms)",
            op.name,
            request.method,
            self._safe_url(request.url),
            status,
            (time.perf_counter() - started) * 1000.0,
        )

    def _log_retry(
        self,
        op: Operation,
        request: httpx.Request,
        attempt: int,
        delay: float,
        why: str,
    ) -> None:
        if not self._logger.isEnabledFor(logging.DEBUG):
            return
        self._logger.debug(
            "%s: retry %d of %d for %s %s in %.3f s (%s)",
            op.name,
            attempt,
            self.max_retries,
            request.method,
            self._safe_url(request.url),
            delay,
            why,
        )

    def _transport_error(
        self, exc: httpx.HTTPError, request: httpx.Request
    ) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request)
        detail = redact(str(exc) or type(exc).__name__, self._api_key)
        return APIConnectionError(f"Connection error: {detail}", request)

    def _status_error(self, response: httpx.Response) -> APIStatusError:
        return make_status_error(
            response, _status_error_body(response), secret=self._api_key
        )

    def _parse_common(
        self, op: Operation, cast_to: Any, response: httpx.Response
    ) -> Any:
        kind = op.response
        if kind == "json":
            if response.status_code in (204, 205) or cast_to is type(None):
                return None
            return parse_json(response, cast_to)
        if kind == "text":
            return response.text
        if kind == "empty":
            return None
        raise ValueError(f"{op.name}: unknown response kind {kind!r}")


class SyncAPIClient(_BaseClient[httpx.Client]):
    """Base of a generated `Client`."""

    def _make_http_client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.timeout,
            limits=self._connection_limits,
            follow_redirects=True,
            verify=_shared_ssl_context(),
        )

    def _check_http_client(self, http_client: httpx.Client) -> None:
        if not isinstance(http_client, httpx.Client):
            raise TypeError(f"http_client must be an httpx.Client, not {http_client!r}")

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            self._http.close()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def __enter__(self: _ClientT) -> _ClientT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def request(
        self,
        op: Operation,
        cast_to: type[T],
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        prepared = self._prepare(
            op,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            body_model=body_model,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            stream=op.response in ("binary", "sse"),
        )
        response = self._send(op, prepared)
        if RAW_RESPONSE.get():
            parser = functools.partial(self._parse, op, cast_to)
            return cast(T, APIResponse(response, parser))
        return cast(T, self._parse(op, cast_to, response))

    def request_stream(
        self,
        op: Operation,
        chunk_type: type[C],
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Stream[C]:
        """Send `op` and return its server-sent events as a `Stream` of `chunk_type`."""
        from ._streaming import Stream

        prepared = self._prepare(
            op,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            body_model=body_model,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            stream=True,
        )
        response = self._send(op, prepared)

        def parser(response: httpx.Response) -> Stream[C]:
            return Stream(response, chunk_type, client_logger=self._logger)

        if RAW_RESPONSE.get():
            return cast("Stream[C]", APIResponse(response, parser))
        return parser(response)

    def paginate(
        self,
        op: Operation,
        page_type: type[P],
        item_type: type[I],
        *,
        items_field: str = "data",
        cursor_param: str = "after",
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Iterator[I]:
        """Every item of every page of `op`, fetching pages as the iterator advances."""
        from ._pagination import paginate_sync

        first_query = dict(query) if query else {}

        def fetch_page(next_query: Mapping[str, object]) -> P:
            return self.request(
                op,
                page_type,
                path_params=path_params,
                query={**first_query, **next_query},
                headers=headers,
                body=body,
                body_model=body_model,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
            )

        items: Iterator[I] = paginate_sync(fetch_page, items_field, cursor_param)
        return items

    def _parse(self, op: Operation, cast_to: Any, response: httpx.Response) -> Any:
        kind = op.response
        if kind == "binary":
            from ._binary import BinaryResponse

            return BinaryResponse(response)
        if kind == "sse":
            from ._streaming import Stream

            return Stream(response, cast_to, client_logger=self._logger)
        return self._parse_common(op, cast_to, response)

    def _send(self, op: Operation, prepared: _Prepared) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.send(request, stream=prepared.stream)
            except httpx.HTTPError as exc:
                delay = self._transport_retry_delay(exc, request, attempt, left)
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None:
                    if prepared.stream:
                        self._read_error_body(response)
                    raise self._status_error(response)
                response.close()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            self._sleep(delay)

    @staticmethod
    def _read_error_body(response: httpx.Response) -> None:
        try:
            response.read()
        except httpx.HTTPError:
            pass  # the status error is raised without a body
        finally:
            response.close()


class AsyncAPIClient(_BaseClient[httpx.AsyncClient]):
    """Base of a generated `AsyncClient`."""

    # Bounds the requests handed to our own pool at once. httpcore's pool does work
    # proportional to (queued requests x connections) on every state change, so
    # 1,000 concurrent calls queued inside it stall the event loop for seconds; they
    # wait on this semaphore instead (None for a user's http_client).
    _gate: asyncio.Semaphore | None = None

    def _make_http_client(self) -> httpx.AsyncClient:
        import asyncio

        limits = self._connection_limits
        self._gate = asyncio.Semaphore(limits.max_connections or 100)
        return httpx.AsyncClient(
            timeout=self.timeout,
            limits=limits,
            follow_redirects=True,
            verify=_shared_ssl_context(),
        )

    def _check_http_client(self, http_client: httpx.AsyncClient) -> None:
        if not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {http_client!r}"
            )

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def __aenter__(self: _ClientT) -> _ClientT:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    async def request(
        self,
        op: Operation,
        cast_to: type[T],
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> T:
        """Send `op` and return its result as `cast_to` (see `Operation.response`)."""
        prepared = self._prepare(
            op,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            body_model=body_model,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            stream=op.response in ("binary", "sse"),
        )
        response = await self._send(op, prepared)
        if RAW_RESPONSE.get():
            parser = functools.partial(self._parse, op, cast_to)
            return cast(T, AsyncAPIResponse(response, parser))
        return cast(T, self._parse(op, cast_to, response))

    async def request_stream(
        self,
        op: Operation,
        chunk_type: type[C],
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncStream[C]:
        """Send `op`; its server-sent events as an `AsyncStream` of `chunk_type`."""
        from ._streaming import AsyncStream

        prepared = self._prepare(
            op,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            body_model=body_model,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            stream=True,
        )
        response = await self._send(op, prepared)

        def parser(response: httpx.Response) -> AsyncStream[C]:
            return AsyncStream(response, chunk_type, client_logger=self._logger)

        if RAW_RESPONSE.get():
            return cast("AsyncStream[C]", AsyncAPIResponse(response, parser))
        return parser(response)

    def paginate(
        self,
        op: Operation,
        page_type: type[P],
        item_type: type[I],
        *,
        items_field: str = "data",
        cursor_param: str = "after",
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncIterator[I]:
        """Every item of every page of `op`, fetching pages as the iterator advances."""
        from ._pagination import paginate_async

        first_query = dict(query) if query else {}

        def fetch_page(next_query: Mapping[str, object]) -> Awaitable[P]:
            return self.request(
                op,
                page_type,
                path_params=path_params,
                query={**first_query, **next_query},
                headers=headers,
                body=body,
                body_model=body_model,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
            )

        items: AsyncIterator[I] = paginate_async(fetch_page, items_field, cursor_param)
        return items

    def _parse(self, op: Operation, cast_to: Any, response: httpx.Response) -> Any:
        kind = op.response
        if kind == "binary":
            from ._binary import AsyncBinaryResponse

            return AsyncBinaryResponse(response)
        if kind == "sse":
            from ._streaming import AsyncStream

            return AsyncStream(response, cast_to, client_logger=self._logger)
        return self._parse_common(op, cast_to, response)

    async def _send(self, op: Operation, prepared: _Prepared) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise an APIError."""
        request = prepared.request
        left = self.max_retries if prepared.replayable else 0
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._send_once(request, prepared.stream)
            except httpx.HTTPError as exc:
                delay = self._transport_retry_delay(exc, request, attempt, left)
                why = type(exc).__name__
            else:
                self._log_response(op, request, response.status_code, started)
                if response.status_code < 400:
                    return response
                wait = self._status_retry_delay(response, attempt, left)
                if wait is None:
                    if prepared.stream:
                        await self._read_error_body(response)
                    raise self._status_error(response)
                await response.aclose()
                delay, why = wait, f"status {response.status_code}"
            attempt += 1
            left -= 1
            self._log_retry(op, request, attempt, delay, why)
            await self._sleep(delay)

    async def _send_once(self, request: httpx.Request, stream: bool) -> httpx.Response:
        gate = self._gate
        if gate is None:
            return await self._http.send(request, stream=stream)
        if gate.locked():  # the pool is busy: wait no longer than its pool timeout
            import asyncio

            pool_timeout = request.extensions.get("timeout", {}).get("pool")
            try:
                await asyncio.wait_for(gate.acquire(), pool_timeout)
            except asyncio.TimeoutError:
                raise httpx.PoolTimeout(
                    "Timed out waiting for a connection", request=request
                ) from None
        else:
            await gate.acquire()
        try:  # released once the headers are in (a stream keeps its connection)
            return await self._http.send(request, stream=stream)
        finally:
            gate.release()

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> None:
        try:
            await response.aread()
        except httpx.HTTPError:
            pass  # the status error is raised without a body
        finally:
            await response.aclose()
