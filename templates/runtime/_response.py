"""Response parsing (lenient models) and raw responses."""

from __future__ import annotations

import contextvars
import functools
import json
import types
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, cast

import httpx
import pydantic

from ._errors import APIResponseValidationError

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "to_raw_response_wrapper",
    "async_to_raw_response_wrapper",
    "parse_json",
    "decode_json",
    "declares_document",
    "is_json_media",
    "json_meta",
    "not_json_error",
    "lenient_model",
    "lenient_value",
]

T = TypeVar("T")
M = TypeVar("M", bound="pydantic.BaseModel")  # a string: no pydantic.main at import
P = ParamSpec("P")

# Set by the raw-response wrappers; request() returns an APIResponse while it is True.
RAW_RESPONSE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "raw_response", default=False
)

_QUOTE_BYTES = 200


class _RawResponse(Generic[T]):
    """What the sync and async raw responses share: the response, parsed once."""

    __slots__ = ("http_response", "_parser", "_parsed")

    def __init__(
        self, response: httpx.Response, parser: Callable[[httpx.Response], T]
    ) -> None:
        self.http_response = response
        self._parser = parser
        self._parsed: tuple[T] | None = None

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    @property
    def request_id(self) -> str | None:
        """The server's `x-request-id` for this call (quote it to the API's support)."""
        request_id: str | None = self.http_response.headers.get("x-request-id")
        return request_id

    def _parse_once(self) -> T:
        if self._parsed is None:
            self._parsed = (self._parser(self.http_response),)
        return self._parsed[0]

    def __repr__(self) -> str:
        response = self.http_response
        return (
            f"<{type(self).__name__} [{response.status_code}] "
            f"{response.request.method}>"
        )


class APIResponse(_RawResponse[T]):
    """The HTTP response of a call, parsed on demand with `.parse()`."""

    __slots__ = ()

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def text(self) -> str:
        return self.http_response.text

    def json(self) -> Any:
        return self.http_response.json()

    def parse(self) -> T:
        """The value the wrapped method would have returned (computed once)."""
        return self._parse_once()

    def close(self) -> None:
        self.http_response.close()


class AsyncAPIResponse(_RawResponse[T]):
    """The async variant: `await response.parse()`."""

    __slots__ = ()

    async def read(self) -> bytes:
        return await self.http_response.aread()

    async def parse(self) -> T:
        """The value the wrapped method would have returned (computed once)."""
        return self._parse_once()

    async def close(self) -> None:
        await self.http_response.aclose()


def to_raw_response_wrapper(func: Callable[P, T]) -> Callable[P, APIResponse[T]]:
    """`func` (a generated method) changed to return its raw `APIResponse`."""

    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        token = RAW_RESPONSE.set(True)
        try:
            result: object = func(*args, **kwargs)
        finally:
            RAW_RESPONSE.reset(token)
        if not isinstance(result, APIResponse):
            raise TypeError(f"{func.__qualname__} did not make an API request")
        return cast("APIResponse[T]", result)

    return wrapped


def async_to_raw_response_wrapper(
    func: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[AsyncAPIResponse[T]]]:
    """`func` (a generated coroutine method) changed to return its `AsyncAPIResponse`."""

    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> AsyncAPIResponse[T]:
        token = RAW_RESPONSE.set(True)
        try:
            result: object = await func(*args, **kwargs)
        finally:
            RAW_RESPONSE.reset(token)
        if not isinstance(result, AsyncAPIResponse):
            raise TypeError(f"{func.__qualname__} did not make an API request")
        return cast("AsyncAPIResponse[T]", result)

    return wrapped


# ---------------------------------------------------------------------------
# JSON bodies


def json_meta(response: httpx.Response) -> tuple[str, str | None]:
    """(media type: lower case, no parameters, "" if none; `x-request-id`): what a
    JSON result needs from the headers, in one pass (two `Headers.get` cost twice as
    much)."""
    media = ""
    request_id = None
    for name, value in response.headers.raw:
        name = name.lower()
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower().decode("latin-1")
        elif name == b"x-request-id":
            request_id = value.decode("latin-1")
    return media, request_id


def is_json_media(media: str) -> bool:
    """`application/json`, `text/json` or a `+json` type (not JSON Lines: one JSON
    value per line is not one JSON document)."""
    return media.endswith(("/json", "+json"))


def declares_document(cast_to: object) -> bool:
    """Whether a JSON-declared result is a string (`str`, or a root model of one): the
    spec's "JSON string" is then a document of any type, like the `application/json`
    + `type: string` of OpenAI's file downloads. A model, a list, or an untyped result
    (`object`) is structure the caller will read."""
    if isinstance(cast_to, type) and issubclass(cast_to, pydantic.RootModel):
        cast_to = cast_to.model_fields["root"].annotation
    return cast_to is str or cast_to is bytes


def not_json_error(response: httpx.Response) -> APIResponseValidationError:
    """The error for a 2xx body that is not the JSON the operation declares: its
    content type, status, size and first 200 bytes."""
    content = response.content
    content_type = response.headers.get("content-type") or "no content type"
    start = content[:_QUOTE_BYTES].decode("utf-8", "replace")
    cut = "..." if len(content) > _QUOTE_BYTES else ""
    return APIResponseValidationError(
        f"Expected a JSON response body but got {content_type} "
        f"(status {response.status_code}, {len(content)} bytes): {start!r}{cut}",
        response=response,
        body=response.text,
    )


def decode_json(response: httpx.Response) -> Any:
    """The decoded JSON body; a body that is not JSON raises APIResponseValidationError."""
    try:
        return json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise not_json_error(response) from None


def parse_json(response: httpx.Response, cast_to: type[T]) -> T:
    """The JSON body as `cast_to`: validated, or built leniently when validation fails."""
    if isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel):
        try:  # the happy path: one pass of pydantic's JSON parser and validator
            return cast(T, cast_to.model_validate_json(response.content))
        except pydantic.ValidationError:
            return cast(T, lenient_model(cast_to, decode_json(response)))
    data = decode_json(response)
    if cast_to is object or cast_to is Any:
        return cast(T, data)
    return cast(T, lenient_value(cast_to, data))


def lenient_model(cls: type[M], data: object) -> M:
    """`cls` validated from `data`, or else built field by field: fields that validate
    are typed, the others kept as received (nested models built the same way), unknown
    members kept in `model_extra` when the model allows extras. Never raises."""
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError:
        pass
    if issubclass(cls, pydantic.RootModel):
        root = cls.model_fields["root"].annotation
        return cls.model_construct(lenient_value(root, data))
    if not isinstance(data, Mapping):
        data = {}
    instance = cls.model_construct()
    fields = cls.model_fields
    keys = _field_keys(cls)
    validator = cls.__pydantic_validator__
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, raw in data.items():
        name = keys.get(key)
        if name is None:
            extra[key] = raw
            continue
        try:  # validates one field with the model's own compiled schema
            validator.validate_assignment(instance, name, raw)
            values[name] = instance.__dict__[name]
        except Exception:
            values[name] = lenient_value(fields[name].annotation, raw)
    state = instance.__dict__
    state.update(values)
    for name in fields:
        state.setdefault(name, None)  # a missing required field reads as None
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    if cls.model_config.get("extra") == "allow":
        object.__setattr__(instance, "__pydantic_extra__", extra)
    return instance


_FIELD_KEYS: dict[type[pydantic.BaseModel], dict[str, str]] = {}


def _field_keys(cls: type[pydantic.BaseModel]) -> dict[str, str]:
    """Wire key -> field name for `cls` (aliases first, then names)."""
    keys = _FIELD_KEYS.get(cls)
    if keys is None:
        keys = {}
        for name, field in cls.model_fields.items():
            aliases: list[object] = [field.validation_alias, field.alias]
            if isinstance(field.validation_alias, pydantic.AliasChoices):
                aliases.extend(field.validation_alias.choices)
            for alias in aliases:
                if isinstance(alias, str):
                    keys.setdefault(alias, name)
        for name in cls.model_fields:
            keys.setdefault(name, name)
        _FIELD_KEYS[cls] = keys
    return keys


_ADAPTERS: dict[object, pydantic.TypeAdapter[Any]] = {}


def _adapter(tp: object) -> pydantic.TypeAdapter[Any] | None:
    try:
        adapter = _ADAPTERS.get(tp)
    except TypeError:  # unhashable annotation
        return None
    if adapter is None:
        try:
            adapter = pydantic.TypeAdapter(cast(Any, tp))
        except Exception:
            return None
        _ADAPTERS[tp] = adapter
    return adapter


def lenient_value(tp: object, value: object) -> object:
    """`value` validated as type `tp`, or as close to it as it gets. Never raises."""
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        if isinstance(value, Mapping) or issubclass(tp, pydantic.RootModel):
            return lenient_model(tp, value)
        return value  # null (or drift) where an object was declared: keep it
    adapter = _adapter(tp)
    if adapter is not None:
        try:
            return adapter.validate_python(value)
        except Exception:
            pass
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return lenient_value(args[0], value)
    if origin is typing.Union or origin is types.UnionType:
        return _lenient_union(args, value)
    if isinstance(value, list) and origin in _SEQUENCE_ORIGINS and args:
        return [lenient_value(args[0], item) for item in value]
    if isinstance(value, dict) and origin in _MAPPING_ORIGINS and len(args) == 2:
        return {key: lenient_value(args[1], item) for key, item in value.items()}
    return value


_SEQUENCE_ORIGINS = frozenset({list, tuple, set, frozenset, typing.Sequence})
_MAPPING_ORIGINS = frozenset({dict, typing.Mapping, Mapping})


def _lenient_union(members: tuple[object, ...], value: object) -> object:
    """Best effort for a union: the model member the value looks most like."""
    if isinstance(value, Mapping):
        models: list[Any] = [m for m in _flatten(members) if _is_model(m)]
        if models:
            scored = sorted(
                (_mismatch(model, value), position, model)
                for position, model in enumerate(models)
            )
            (tag_conflicts, _), _, best = scored[0]
            if tag_conflicts:  # a variant none of the members describe: keep it whole
                return value
            return lenient_model(best, value)
    if isinstance(value, list):
        for member in _flatten(members):
            if typing.get_origin(member) in _SEQUENCE_ORIGINS:
                return lenient_value(member, value)
    return value


def _flatten(members: tuple[object, ...]) -> Iterator[object]:
    for member in members:
        origin = typing.get_origin(member)
        if origin is typing.Annotated:
            yield from _flatten(typing.get_args(member)[:1])
        elif origin is typing.Union or origin is types.UnionType:
            yield from _flatten(typing.get_args(member))
        else:
            yield member


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _mismatch(model: Any, value: Mapping[str, object]) -> tuple[int, int]:
    """How badly `value` fits `model`: (tags that differ, validation errors)."""
    tag_conflicts = 0
    keys = _field_keys(model)
    for key, raw in value.items():
        name = keys.get(key)
        if name is None:
            continue
        annotation = model.model_fields[name].annotation
        # A tag is a one-value Literal (`type: Literal["image"]`), unlike an enum.
        if typing.get_origin(annotation) is typing.Literal:
            tag = typing.get_args(annotation)
            if len(tag) == 1 and raw != tag[0]:
                tag_conflicts += 1
    try:
        model.model_validate(value)
        errors = 0
    except pydantic.ValidationError as exc:
        errors = exc.error_count()
    return tag_conflicts, errors
