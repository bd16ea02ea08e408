"""What the sync and async clients share: configuration, auth, request building,
the retry policy, logging and response dispatch. `_client.py` adds the I/O."""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar, Union, cast

import httpx
import pydantic

from ._body import encode_body
from ._deadline import deadline_at
from ._encoding import build_path, encode_query, merge_headers, query_string
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)
from ._lazy import ModelRef
from ._logs import protect_query_param, redact, redact_query_param
from ._response import (
    RAW_RESPONSE,
    APIResponse,
    AsyncAPIResponse,
    declares_document,
    is_json_media,
    json_meta,
    not_json_error,
    parse_json,
)
from ._retries import (
    MAX_RETRY_AFTER,
    backoff,
    retry_after,
    server_says_retry,
    should_retry,
)
from ._types import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    ClientConfig,
    NotGiven,
    Operation,
    RequestOptions,
)

__all__ = ["BaseClient", "CallOptions", "ClientT", "PreparedRequest"]

_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)
ClientT = TypeVar("ClientT", bound="BaseClient[Any]")

_ACCEPT = {
    "json": "application/json",
    "empty": "application/json",
    "sse": "text/event-stream",
}

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


def _status_error_body(response: httpx.Response) -> object:
    content = response.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return response.text


class CallOptions(RequestOptions, total=False):
    """The keyword arguments of `request`, `request_stream` and `paginate`: the
    values a generated method passes, and the per-call `RequestOptions`."""

    path_params: Mapping[str, object] | None
    query: Mapping[str, object] | None
    headers: Mapping[str, object] | None
    body: object  # NOT_GIVEN: no body
    body_model: type[pydantic.BaseModel] | ModelRef[Any] | None  # a ref: see _lazy.py


_CALL_OPTION_NAMES = CallOptions.__optional_keys__  # every key: all are optional


class PreparedRequest:
    """A request ready to send, whether it may be sent again, and the monotonic
    time its call must end by (see `_deadline.py`)."""

    __slots__ = ("request", "replayable", "stream", "deadline")

    def __init__(
        self,
        request: httpx.Request,
        replayable: bool,
        stream: bool,
        deadline: float | None = None,
    ) -> None:
        self.request = request
        self.replayable = replayable
        self.stream = stream
        self.deadline = deadline


class BaseClient(Generic[_HttpT]):
    """Everything of a client but sending: the subclasses own the send loop, sleeping,
    closing, and which classes wrap streamed and raw responses."""

    _config: ClassVar[ClientConfig]
    # The pool of the httpx client we create (not used with a user's http_client).
    _connection_limits: ClassVar[httpx.Limits] = DEFAULT_CONNECTION_LIMITS
    # Set by each subclass.
    _http_type: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _raw_response_type: ClassVar[type[APIResponse[Any]] | type[AsyncAPIResponse[Any]]]

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: _HttpT | None = None,
        client_options: Mapping[str, str | None] | None = None,
        deadline: float | None = None,
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
        self._custom_headers = dict(default_headers) if default_headers else {}
        if not api_key and config.auth.required:
            self._check_auth_headers(config)
        self._api_key = api_key or None
        self._client_options = self._resolve_options(config, client_options)
        self.timeout = _as_timeout(timeout)
        deadline_at(deadline)  # checks it
        self.deadline = deadline
        self.max_retries = max_retries
        self._logger = logging.getLogger(config.package)
        self._auth_query_param: str | None = None
        self._auth_query: tuple[str, str] | None = None
        self._build_headers()
        self._timeout_extension = {"timeout": self.timeout.as_dict()}
        if http_client is None:
            self._http: _HttpT = self._make_http_client()
            self._owns_http = True
        else:
            if not isinstance(http_client, self._http_type):
                raise TypeError(
                    f"http_client must be an httpx.{self._http_type.__name__}, "
                    f"not {http_client!r}"
                )
            self._http = http_client
            self._owns_http = False

    def _build_headers(self) -> None:
        """The headers of every request, per response kind (so building a request is
        one dict copy): User-Agent, auth, client options, then `default_headers`."""
        config = self._config
        headers = {
            "user-agent": f"{config.package}/{config.version} "
            f"python-httpx/{httpx.__version__}"
        }
        if self._api_key:
            self._add_auth(config, self._api_key, headers)
        for option in config.options:
            value = self._client_options.get(option.name)
            if value is not None:
                headers[option.header.lower()] = value
        merge_headers(headers, self._custom_headers)
        self._base_headers = {
            kind: {**headers, "accept": _ACCEPT.get(kind, "*/*")}
            for kind in ("json", "sse", "binary", "text", "empty")
        }

    def _check_auth_headers(self, config: ClientConfig) -> None:
        """No key, on an API that declares auth: fine only when `default_headers` carry
        the credentials (a gateway's own header), else refuse now rather than send
        calls that can only get a 401."""
        auth = config.auth
        header = "authorization" if auth.kind in ("bearer", "basic") else auth.name
        if auth.kind != "query" and any(
            name.lower() == header.lower() for name in self._custom_headers
        ):
            return
        env = f"the {config.env_prefix}_API_KEY environment variable"
        where = (
            f"pass api_key=... or set {env}"
            if config.env_prefix
            else "pass api_key=..."
        )
        raise ValueError(
            f"{type(self).__name__} needs an API key: {where} "
            f"(the API requires authentication)"
        )

    def _resolve_options(
        self, config: ClientConfig, given: Mapping[str, str | None] | None
    ) -> dict[str, str | None]:
        """Each declared client option: the argument, else its env var, else None."""
        values = dict(given) if given else {}
        declared = {option.name for option in config.options}
        unknown = values.keys() - declared
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got an unknown client option {min(unknown)!r}"
            )
        for option in config.options:
            if values.get(option.name) is None and option.env:
                values[option.name] = os.environ.get(option.env) or None
            values.setdefault(option.name, None)
        return values

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
        http = self._http_type(
            timeout=self.timeout,
            limits=self._connection_limits,
            follow_redirects=True,
            verify=_shared_ssl_context(),
        )
        return cast(_HttpT, http)

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def client_options(self) -> Mapping[str, str | None]:
        """The declared client options (sent as headers when not None), read-only."""
        return MappingProxyType(self._client_options)

    @property
    def base_url(self) -> httpx.URL:
        return httpx.URL(self._base_url)

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, "
            f"max_retries={self.max_retries})"
        )

    def with_options(
        self: ClientT,
        *,
        api_key: str | None | NotGiven = NOT_GIVEN,
        base_url: str | httpx.URL | None | NotGiven = NOT_GIVEN,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None | NotGiven = NOT_GIVEN,
        client_options: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        deadline: float | None | NotGiven = NOT_GIVEN,
    ) -> ClientT:
        """A copy with some settings changed, sharing this client's connection pool
        (closing the copy leaves the pool open). `default_headers` are added to the
        current ones; `client_options` replace the values of the options they name."""
        headers = dict(self._custom_headers)
        if isinstance(default_headers, Mapping):
            headers.update(default_headers)
        options = dict(self._client_options)
        if isinstance(client_options, Mapping):
            self._resolve_options(self._config, client_options)  # names checked
            options.update(client_options)
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
        # Generated subclasses take options as keywords of their own: carry them here.
        copy._client_options = options
        copy._build_headers()
        copy.deadline = self.deadline if isinstance(deadline, NotGiven) else deadline
        deadline_at(copy.deadline)  # checks it
        # Share what belongs to the pool (its gate) and test hooks set on this client.
        for name in ("_gate", "_sleep", "_jitter"):
            if name in self.__dict__:
                copy.__dict__[name] = self.__dict__[name]
        return copy

    # -- building requests ----------------------------------------------------

    def _prepare(
        self,
        op: Operation,
        streamed: bool,
        /,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
        body_model: type[pydantic.BaseModel] | ModelRef[Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: float | None | NotGiven = NOT_GIVEN,
    ) -> PreparedRequest:
        """The request of a call to `op` (the keyword arguments are `CallOptions`)."""
        ends_by = deadline_at(
            self.deadline if isinstance(deadline, NotGiven) else deadline
        )
        url = self._base_url + build_path(op.path, path_params)
        if query or extra_query or self._auth_query:
            pairs: list[tuple[str, str]] = []
            if query and extra_query:
                # extra_query takes precedence over a declared parameter of the same name
                query = {k: v for k, v in query.items() if k not in extra_query}
            if query:
                encode_query(query, op.query_styles, pairs)
            if extra_query:
                encode_query(extra_query, op.query_styles, pairs)
            if self._auth_query:
                pairs.append(self._auth_query)
            if pairs:
                url = f"{url}?{query_string(pairs)}"
        # A streamed call asks for events, even on an operation declared as JSON.
        kind = "sse" if streamed and op.response != "binary" else op.response
        request_headers = self._base_headers.get(kind) or self._base_headers["json"]
        request_headers = request_headers.copy()
        if headers:
            merge_headers(request_headers, headers)
        encoded = encode_body(op, body, body_model, extra_body, request_headers)
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
            content=encoded.content,
            data=encoded.data,
            files=encoded.files,
            extensions=extensions,
        )
        return PreparedRequest(request, encoded.replayable, streamed, ends_by)

    @staticmethod
    def _page_options(
        options: CallOptions,
    ) -> Callable[[Mapping[str, object]], CallOptions]:
        """The options of each page's request: `options` with the next page's query
        merged into (a copy of) the first one. Checks the names now, as a signature
        would, rather than when the first page is fetched."""
        unknown = options.keys() - _CALL_OPTION_NAMES
        if unknown:
            name = min(unknown)
            raise TypeError(f"paginate() got an unexpected keyword argument {name!r}")
        first_query = dict(options.get("query") or {})

        def page_options(next_query: Mapping[str, object]) -> CallOptions:
            return {**options, "query": {**first_query, **next_query}}

        return page_options

    # -- the retry policy, for both send loops ----------------------------------

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
        """The wait before retrying a failed status; None: raise its error now (no
        retries left, a status not worth retrying, the server's `x-should-retry:
        false`, or a server asking for a longer wait than MAX_RETRY_AFTER)."""
        if left <= 0:
            return None
        verdict = server_says_retry(response.headers)
        if verdict is None:
            verdict = should_retry(response.status_code)
        if not verdict:
            return None
        asked = retry_after(response.headers)
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= MAX_RETRY_AFTER else None

    def _backoff(self, attempt: int) -> float:
        return backoff(attempt, self._jitter())

    def _jitter(self) -> float:  # a method, so tests can fix it per client
        return random.random()

    # -- logging and errors -----------------------------------------------------

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

    # -- response dispatch --------------------------------------------------------

    def _result(
        self, kind: str, op: Operation, cast_to: Any, response: httpx.Response
    ) -> Any:
        """What the call returns: the parsed response, or inside a raw-response
        wrapper the raw response that parses it on demand."""
        if RAW_RESPONSE.get():
            parser = functools.partial(self._parse, kind, op, cast_to)
            return self._raw_response_type(response, parser)
        return self._parse(kind, op, cast_to, response)

    def _parse(
        self, kind: str, op: Operation, cast_to: Any, response: httpx.Response
    ) -> Any:
        """A 2xx response as `cast_to`, by response kind (see `Operation.response`)."""
        if kind == "json":
            if response.status_code in (204, 205) or cast_to is type(None):
                return None
            media, request_id = json_meta(response)
            if media and not is_json_media(media):
                # Never JSON-decoded: a document where the spec declares no structure
                # (a file download declared as a JSON string), else an error.
                if declares_document(cast_to):
                    return self._binary(response)
                raise not_json_error(response)
            result = parse_json(response, cast_to)
            if isinstance(result, pydantic.BaseModel):
                # Not a field: set past pydantic, so dumps and equality ignore it.
                object.__setattr__(result, "_request_id", request_id)
            return result
        if kind == "sse":
            return self._stream(response, cast_to, op)
        if kind == "binary":
            return self._binary(response)
        if kind == "text":
            return response.text
        if kind == "empty":
            return None
        raise ValueError(f"{op.name}: unknown response kind {kind!r}")

    def _stream(
        self, response: httpx.Response, chunk_type: Any, op: Operation
    ) -> object:
        raise NotImplementedError

    def _binary(self, response: httpx.Response) -> object:
        raise NotImplementedError
