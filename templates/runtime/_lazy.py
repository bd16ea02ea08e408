"""Models named rather than imported, so a call can load them off the event loop.

Importing a model module of a big API (and, the first time, pydantic's model
machinery) takes tens to hundreds of milliseconds. Done inside an async method, that
blocks the event loop for as long. Generated code may pass `ModelRef(models, "Name")`
wherever a model class is expected (`cast_to`, `body_model`, a stream's chunk type,
`EventModels` values): the async client resolves refs in a worker thread on first
use, the sync client resolves them in place. A resolved ref costs one attribute read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from ._shape import BodyShape

__all__ = ["ModelRef", "resolve", "unresolved", "warm_up"]

T = TypeVar("T", covariant=True)  # a ref to a subclass is a ref to its base

_warm = False
_warm_lock = threading.Lock()


class ModelRef(Generic[T]):
    """`getattr(module, name)`, looked up on first use: `ModelRef(models, "Thing")`.

    A request body's model may come with its `shape` (see `_shape.py`): a body that
    fits it is sent without loading the model."""

    __slots__ = ("module", "name", "shape", "_value")

    def __init__(
        self, module: ModuleType, name: str, shape: BodyShape | None = None
    ) -> None:
        self.module = module
        self.name = name
        self.shape = shape
        self._value: type[T] | None = None

    @property
    def resolved(self) -> bool:
        return self._value is not None

    def resolve(self) -> type[T]:
        value = self._value
        if value is None:
            value = self._value = cast("type[T]", getattr(self.module, self.name))
        return value

    def __repr__(self) -> str:
        return f"ModelRef({self.module.__name__}.{self.name})"


def resolve(value: Any) -> Any:
    """`value`, or the class a `ModelRef` names."""
    return value.resolve() if isinstance(value, ModelRef) else value


def unresolved(values: Iterable[object]) -> list[ModelRef[Any]]:
    return [v for v in values if isinstance(v, ModelRef) and not v.resolved]


def warm_up() -> None:
    """Load pydantic's model machinery (the first model class a process defines
    imports pydantic.main and scans installed plugins): done once, in a thread,
    before the first model is imported."""
    global _warm
    if _warm:
        return
    with _warm_lock:
        if _warm:
            return
        import pydantic

        class _Warm(pydantic.BaseModel):
            value: int = 0

        _Warm.model_validate({"value": 1})
        _warm = True


def load(refs: Iterable[ModelRef[Any]]) -> None:
    """Resolve `refs` and build their validators (models are built on first use):
    run in a worker thread by the async client."""
    warm_up()
    for ref in refs:
        model = ref.resolve()
        if not getattr(model, "__pydantic_complete__", True):
            try:
                model.model_rebuild()
            except Exception:  # noqa: BLE001 - left to be built (and fail) on use
                pass
