"""One call of a generated client method with arguments built from the spec.

The spec's wire names become Python names by `oapigen.naming.argument_name` (the rule
API.md states); a name the method signature does not have is a finding, reported as
`ArgumentMismatch`. Path parameters are passed positionally (API.md: they may be), the
rest as keywords.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oapigen.naming import argument_name

from .specs import Operation, Spec
from .values import FileValue, ValueBuilder

# "extra-body": the required arguments plus, through `extra_body`, the properties the
# spec requires without defining them (what a user has to do to send a valid request).
VARIANTS = ("required", "full", "extra-body")


class ArgumentMismatch(AssertionError):
    """The generated signature does not match the spec's inputs."""


@dataclass
class Call:
    operation: Operation
    variant: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    # What should go on the wire: {"path": {...}, "query": {...}, "body": ...}
    wire: dict[str, Any] = field(default_factory=dict)

    def invoke(self, method: Callable[..., Any], **overrides: Any) -> Any:
        return method(*self.args, **{**self.kwargs, **overrides})


def body_shape(spec: Spec, op: Operation) -> tuple[dict[str, Any], set[str]] | None:
    """(properties, required) when the body is a flattened object, else None."""
    if op.body_schema is None:
        return None
    node = spec.deref(op.body_schema)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in [*(node.get("allOf") or ()), node]:
        part = spec.deref(part)
        properties.update(part.get("properties") or {})
        required.update(part.get("required") or ())
    if not properties:
        return None
    return properties, required & set(properties)


def has_stream_flag(spec: Spec, op: Operation) -> bool:
    """The body has a boolean `stream` property (the client then offers `stream=True`)."""
    shape = body_shape(spec, op)
    if shape is None:
        return False
    flag = spec.deref(shape[0].get("stream"))
    return isinstance(flag, Mapping) and flag.get("type") == "boolean"


def undefined_required(spec: Spec, op: Operation) -> list[str]:
    """Body properties the spec requires but does not define (a spec mistake)."""
    if op.body_schema is None:
        return []
    node = spec.deref(op.body_schema)
    names: list[str] = []
    defined: set[str] = set()
    for part in [*(node.get("allOf") or ()), node]:
        part = spec.deref(part)
        defined.update(part.get("properties") or {})
        names.extend(part.get("required") or ())
    return [n for n in names if n not in defined]


def has_optional_inputs(spec: Spec, op: Operation) -> bool:
    if any(not p.required for p in op.parameters):
        return True
    shape = body_shape(spec, op)
    if shape is not None:
        return len(shape[0]) > len(shape[1]) or not op.body_required
    return op.body_schema is not None and not op.body_required


def build_call(
    spec: Spec,
    values: ValueBuilder,
    op: Operation,
    variant: str,
    method: Callable[..., Any],
) -> Call:
    full = variant == "full"
    accepted = set(inspect.signature(method).parameters)
    used: set[str] = set()
    call = Call(op, variant, wire={"path": {}, "query": {}, "header": {}})

    def python_name(wire: str, location: str) -> str:
        name = argument_name(wire)
        if name in used or name not in accepted:
            name = f"{name}_{location}"  # the generator's rule for a clash
        if name not in accepted:
            raise ArgumentMismatch(
                f"{op.label}: {location} input {wire!r} has no argument "
                f"{argument_name(wire)!r} in the generated signature"
            )
        used.add(name)
        return name

    placeholders = [s[1:-1] for s in _segments(op.path)]
    path_params = sorted(
        (p for p in op.parameters if p.location == "path"),
        key=lambda p: placeholders.index(p.name) if p.name in placeholders else 99,
    )
    for param in path_params:
        value = values.build(param.schema, full=full, name=param.name)
        if not isinstance(value, (str, int)) or value == "":
            value = f"{param.name}-1"
        python_name(param.name, "path")
        call.args.append(value)
        call.wire["path"][param.name] = value
    for param in op.parameters:
        if param.location == "path" or not (param.required or full):
            continue
        value = values.build(param.schema, full=full, name=param.name)
        call.kwargs[python_name(param.name, param.location)] = value
        call.wire[param.location][param.name] = value
    if op.body_schema is None or not (op.body_required or full):
        return call
    shape = body_shape(spec, op)
    if shape is None:
        body = values.build(op.body_schema, full=full, name="body")
        call.kwargs["body"] = body
        call.wire["body"] = body
        return call
    properties, required = shape
    body_wire: dict[str, Any] = {}
    for wire, schema in properties.items():
        if not (full or wire in required):
            continue
        value = values.build(schema, full=full, name=wire)
        if wire == "stream" and value is not False:
            value = False  # streaming has its own test (the mock cannot serve SSE)
        body_wire[wire] = value
        call.kwargs[python_name(wire, "body")] = to_argument(value)
    if variant == "extra-body":
        extra = {
            name: call.wire["path"].get(name, f"{name}-1")
            for name in undefined_required(spec, op)
        }
        call.kwargs["extra_body"] = extra
        body_wire.update(extra)
    call.wire["body"] = body_wire
    return call


def to_argument(value: Any) -> Any:
    """Wire value -> what a user passes (file parts as `(name, bytes, type)` tuples)."""
    if isinstance(value, FileValue):
        return value.as_tuple()
    if isinstance(value, list):
        return [to_argument(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_argument(v) for k, v in value.items()}
    return value


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s.startswith("{") and s.endswith("}")]


def resolve_method(client: Any, op: Operation) -> Callable[..., Any]:
    """`client.<resource>.<method>` as API.md names them; AttributeError is a finding."""
    resource = getattr(client, op.resource)
    method: Callable[..., Any] = getattr(resource, op.python_method)
    return method
