"""The checks themselves, as plain functions returning results (the tests assert on them).

Each run calls one operation of a generated client through a `RecordingTransport` and
judges the captured exchange:
- `call`: the method exists as API.md names it, takes the arguments and returns;
- `deprecation`: a `DeprecationWarning` exactly when the operation is deprecated;
- `prism`: Prism accepted the request (no 422, no `sl-violations`);
- `core-request` / `core-response`: openapi-core finds no error in what was sent and
  received;
- `wire`: the JSON body sent is exactly the arguments given (nothing added or dropped);
- `model`: the result is the response model named in the spec, every field of the body
  reads back equal, and a body openapi-core accepts also validates strictly.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from types import ModuleType
from typing import Any

import httpx
import pydantic

from .calls import ArgumentMismatch, Call, build_call, has_stream_flag, resolve_method
from .core import CoreJudge, CoreResponse
from .prism import prism_violations
from .readback import read_back_mismatches
from .specs import Example, Operation, Spec
from .traffic import Exchange, RecordingTransport, Route
from .values import ValueBuilder

API_KEY = "sk-conformance-0000"
BINARY_SIZE = 3000


@dataclass
class CheckResult:
    check: str
    errors: list[str] = field(default_factory=list)
    note: str = ""
    info: list[str] = field(default_factory=list)  # findings that are not failures

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Env:
    """Everything about one spec version the checks need."""

    spec: Spec
    package: ModuleType
    values: ValueBuilder
    judge: CoreJudge

    @property
    def version(self) -> str:
        return self.spec.version

    @contextmanager
    def client(self, base_url: str, transport: httpx.BaseTransport) -> Iterator[Any]:
        """The generated Client on a user-supplied httpx client (API.md), both closed
        afterwards (the generated client leaves a user's http_client open)."""
        with httpx.Client(transport=transport, timeout=30.0) as http_client:
            with self.package.Client(
                api_key=API_KEY,
                base_url=base_url,
                max_retries=0,
                http_client=http_client,
            ) as client:
                yield client


@dataclass
class Run:
    """One call: what was called, what came back, what the checks found."""

    call: Call | None
    result: Any = None
    error: BaseException | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)

    def add(
        self,
        check: str,
        errors: list[str],
        note: str = "",
        info: list[str] | None = None,
    ) -> None:
        self.results.append(CheckResult(check, errors, note, info or []))


def invoke(
    env: Env,
    op: Operation,
    variant: str,
    base_url: str,
    route: Route | None = None,
    inner: httpx.BaseTransport | None = None,
    consume: Callable[[Any], Any] | None = None,
    **overrides: Any,
) -> Run:
    """Builds the arguments, calls the method, records the traffic (never raises)."""
    transport = RecordingTransport(inner=inner, route=route)
    run = Run(call=None)
    with env.client(base_url, transport) as client:
        try:
            method = resolve_method(client, op)
            run.call = build_call(env.spec, env.values, op, variant, method)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                run.result = run.call.invoke(method, **overrides)
                if consume is not None:
                    run.result = consume(run.result)
        except (ArgumentMismatch, AttributeError) as exc:
            run.add("call", [f"{type(exc).__name__}: {exc}"])
            return run
        except Exception as exc:  # judged below, with the traffic
            run.error = exc
            caught = []
        run.exchanges = transport.exchanges
    errors = [] if run.error is None else [_exception(run.error)]
    if run.error is None and len(run.exchanges) != 1:
        errors.append(f"{len(run.exchanges)} HTTP requests sent, expected 1")
    run.add("call", errors)
    if run.error is None:
        warned = any(issubclass(w.category, DeprecationWarning) for w in caught)
        if warned != op.deprecated:
            state = "deprecated" if op.deprecated else "not deprecated"
            run.add(
                "deprecation", [f"operation is {state}, DeprecationWarning: {warned}"]
            )
        else:
            run.add("deprecation", [])
    return run


def judge_request(env: Env, run: Run, base_url: str) -> None:
    if not run.exchanges:
        return  # nothing was sent: `call` already failed
    exchange = run.exchanges[0]
    request = env.judge.request(exchange.request, exchange.request_body, base_url)
    run.add("core-request", env.judge.request_errors(request))
    assert run.call is not None
    run.add("wire", wire_errors(run.call, exchange))


def wire_errors(call: Call, exchange: Exchange) -> list[str]:
    """Every argument given went on the wire, and nothing else did (query names, JSON
    body members and values, multipart part names)."""
    errors: list[str] = []
    params = exchange.request.url.params
    for name, value in call.wire["query"].items():
        keys = [name] if not isinstance(value, dict) else list(value)
        missing = [k for k in keys if k not in params and f"{name}[{k}]" not in params]
        errors.extend(f"query/{name}: {k!r} given but not sent" for k in missing)
    expected = call.wire.get("body")
    if expected is None:
        return errors
    content_type = exchange.request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        sent = json.loads(exchange.request_body)
        if isinstance(expected, dict):
            errors.extend(_dict_diff(expected, sent))
        elif sent != expected:
            errors.append(f"body: given {expected!r}, sent {sent!r}")
    elif content_type.startswith("multipart/form-data") and isinstance(expected, dict):
        names = multipart_names(exchange.request_body, content_type)
        errors.extend(
            f"body/{k}: given but not sent" for k in expected if k not in names
        )
        errors.extend(
            f"body/{k}: sent but not given" for k in names if k not in expected
        )
    else:
        errors.append(f"body sent as {content_type or 'no content type'}")
    return errors


def multipart_names(body: bytes, content_type: str) -> list[str]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    names = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        names.append(str(name))
    return names


def judge_json_response(env: Env, op: Operation, run: Run, base_url: str) -> None:
    """openapi-core on the response, then the parsed result against the body."""
    if not run.exchanges or run.error is not None:
        return
    exchange = run.exchanges[0]
    response = _response(exchange)
    request = env.judge.request(exchange.request, exchange.request_body, base_url)
    core = CoreResponse(response.status_code, response.headers, exchange.response_body)
    core_errors = env.judge.response_errors(request, core)
    run.add("core-response", core_errors)
    body = json.loads(exchange.response_body)
    run.add("model", model_errors(env, op, run.result, body, strict=not core_errors))


def model_errors(
    env: Env, op: Operation, result: Any, body: Any, *, strict: bool
) -> list[str]:
    expected = env.spec.ref_name(op.json_schema)
    if not isinstance(result, pydantic.BaseModel):
        return [f"result is {type(result).__name__}, not a response model"]
    errors = []
    if expected is not None and type(result).__name__ != expected:
        errors.append(f"result is {type(result).__name__}, spec names {expected}")
    errors.extend(read_back_mismatches(result, body))
    if strict:
        try:
            type(result).model_validate(body)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = "/".join(str(p) for p in first["loc"])
            errors.append(
                f"body valid per openapi-core fails strict model validation "
                f"({exc.error_count()} errors; first at {where}: {first['msg']})"
            )
    return errors


# ---------------------------------------------------------------------------
# Prism


def run_on_prism(env: Env, op: Operation, variant: str, prism_url: str) -> Run:
    # a "JSON string" result is a document: the method returns its bytes (RUNTIME.md)
    document = _is_document(env, op)
    consume = _read_binary if document else None
    run = invoke(env, op, variant, prism_url, consume=consume)
    body = b""
    if run.exchanges and run.exchanges[0].response is not None:
        exchange = run.exchanges[0]
        assert exchange.response is not None
        body = exchange.response_body or exchange.response.read()
        run.add("prism", prism_violations(exchange.response, body))
    judge_request(env, run, prism_url)
    if document:
        if run.error is None and run.result != body:
            run.add("document", [f"result {run.result!r} is not the body {body!r}"])
    else:
        judge_json_response(env, op, run, prism_url)
    return run


def _is_document(env: Env, op: Operation) -> bool:
    schema = env.spec.deref(op.json_schema)
    return isinstance(schema, Mapping) and schema.get("type") == "string"


@dataclass
class Probe:
    operation: str
    prism_status: int
    core_errors: list[str]

    @property
    def prism_accepted(self) -> bool:
        return self.prism_status < 300


def probe_request_validation(env: Env, prism_url: str) -> list[Probe]:
    """Sends every operation with a request body an invalid one (a JSON array for a JSON
    object, a multipart form without the required fields) straight to Prism, and asks
    openapi-core about the same request."""
    probes = []
    with httpx.Client(timeout=30.0) as http:
        for op in env.spec.operations:
            if op.body_media is None:
                continue
            path = re.sub(r"\{[^}]*\}", "probe-1", op.path)
            headers = {"Authorization": f"Bearer {API_KEY}"}
            if "json" in op.body_media:
                headers["Content-Type"] = "application/json"
                request = http.build_request(
                    op.method.upper(), prism_url + path, headers=headers, content=b"[1]"
                )
            else:
                files = {"conformance_probe": ("probe.txt", b"x", "text/plain")}
                request = http.build_request(
                    op.method.upper(), prism_url + path, headers=headers, files=files
                )
            body = request.read()
            response = http.send(request)
            core = env.judge.request(request, body, prism_url)
            probes.append(
                Probe(
                    op.operation_id,
                    response.status_code,
                    env.judge.request_errors(core),
                )
            )
    return probes


# ---------------------------------------------------------------------------
# SSE and binary bodies, served by the payload server of the streaming tests


def sse_events(op: Operation, env: Env) -> list[tuple[str | None, str]]:
    """(event, data) pairs for a stream: the spec's own streaming example when it has
    one (an SSE transcript, or JSON chunks separated by blank lines), else one chunk
    built from the `text/event-stream` schema."""
    for example in op.examples():
        if example.is_json:
            continue
        events = list(_parse_stream_example(example.text))
        if events:
            return events
    schema = op.sse_schema or op.json_schema
    chunk = env.values.build(schema, full=True, name="chunk")
    return [(None, json.dumps(chunk))]


def _parse_stream_example(text: str) -> Iterator[tuple[str | None, str]]:
    for block in re.split(r"\n\s*\n", text.strip()):
        block = block.strip()
        if block.startswith(("data:", "event:")):
            event = None
            data = []
            for line in block.splitlines():
                name, _, value = line.partition(":")
                if name == "event":
                    event = value.strip()
                elif name == "data":
                    data.append(value.strip())
            if data and data != ["[DONE]"]:
                yield event, "\n".join(data)
        else:
            try:
                json.loads(block)
            except ValueError:
                continue  # an ellipsis or comment between the chunks
            yield None, json.dumps(json.loads(block))


def encode_sse(events: list[tuple[str | None, str]]) -> list[str]:
    pieces = []
    for event, data in events:
        head = f"event: {event}\n" if event else ""
        pieces.append(head + "".join(f"data: {line}\n" for line in data.split("\n")))
        pieces[-1] += "\n"
    pieces.append("data: [DONE]\n\n")
    return pieces


def run_stream(env: Env, op: Operation, payload_url: str, tag: str) -> Run:
    """`stream=True`: request judged by openapi-core, the stream served for real."""
    events = sse_events(op, env)
    script = {"pieces": encode_sse(events), "tag": tag}

    def route(request: httpx.Request) -> httpx.Request:
        return httpx.Request("POST", f"{payload_url}/sse", json=script)

    base = "http://api.test"
    run = invoke(env, op, "required", base, route=route, consume=list, stream=True)
    if run.call is not None and isinstance(run.call.wire.get("body"), dict):
        run.call.wire["body"]["stream"] = True
    judge_request(env, run, base)
    if run.error is not None or not run.exchanges:
        return run
    exchange = run.exchanges[0]
    request = env.judge.request(exchange.request, exchange.request_body, base)
    core: list[str] = []
    if op.sse_schema is not None:
        for _event, data in events:
            response = CoreResponse(
                200, _response(exchange).headers, data.encode(), "text/event-stream"
            )
            core.extend(env.judge.response_errors(request, response))
        run.add("core-response", core)
    else:
        run.add(  # not a core-response pass: there is nothing to validate against
            "sse-schema",
            [],
            note="no text/event-stream body in the spec: only the request is judged "
            "by openapi-core; events read back",
        )
    run.add("model", _stream_errors(op, env, run.result, events))
    return run


def _stream_errors(
    op: Operation, env: Env, chunks: Any, events: list[tuple[str | None, str]]
) -> list[str]:
    if not isinstance(chunks, list) or len(chunks) != len(events):
        count = len(chunks) if isinstance(chunks, list) else chunks
        return [f"{len(events)} events sent, {count} chunks read"]
    expected = env.spec.ref_name(op.sse_schema)
    errors: list[str] = []
    for index, (chunk, (event, data)) in enumerate(zip(chunks, events)):
        if isinstance(chunk, pydantic.BaseModel):
            if expected is not None and type(chunk).__name__ != expected:
                errors.append(
                    f"chunk {index} is {type(chunk).__name__}, not {expected}"
                )
            errors.extend(read_back_mismatches(chunk, json.loads(data), f"/{index}"))
        elif (
            getattr(chunk, "data", None) != data or getattr(chunk, "event", 0) != event
        ):
            errors.append(
                f"chunk {index}: sent {event!r} {data[:60]!r}, read {chunk!r}"
            )
    return errors


def run_binary(env: Env, op: Operation, payload_url: str) -> Run:
    media = op.binary_media or "application/octet-stream"

    def route(request: httpx.Request) -> httpx.Request:
        query = {"size": str(BINARY_SIZE), "type": media}
        return httpx.Request("GET", f"{payload_url}/binary", params=query)

    base = "http://api.test"
    run = invoke(env, op, "required", base, route=route, consume=_read_binary)
    judge_request(env, run, base)
    if run.error is not None or not run.exchanges:
        return run
    exchange = run.exchanges[0]
    request = env.judge.request(exchange.request, exchange.request_body, base)
    response = _response(exchange)
    core = CoreResponse(response.status_code, response.headers, exchange.response_body)
    run.add("core-response", env.judge.response_errors(request, core))
    errors = []
    content = run.result
    if content != exchange.response_body or len(content) != BINARY_SIZE:
        errors.append(f"read {len(content)} bytes, the server sent {BINARY_SIZE}")
    run.add("model", errors)
    return run


def _read_binary(result: Any) -> bytes:
    """Reads a BinaryResponse the streaming way (`iter_bytes`), as a user would."""
    return b"".join(result.iter_bytes())


# ---------------------------------------------------------------------------
# Example responses


def run_example(env: Env, op: Operation, example: Example) -> Run:
    """The example served as the operation's response; the client parses it."""
    body = example.text.encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=body, headers={"content-type": "application/json"}
        )

    base = "http://api.test"
    mock = httpx.MockTransport(answer)
    overrides: dict[str, Any] = (
        {"stream": False} if has_stream_flag(env.spec, op) else {}
    )
    run = invoke(env, op, "required", base, inner=mock, **overrides)
    if run.error is not None or not run.exchanges:
        return run
    exchange = run.exchanges[0]
    request = env.judge.request(exchange.request, exchange.request_body, base)
    core = CoreResponse(200, _response(exchange).headers, body)
    schema_errors = env.judge.response_errors(request, core)
    run.add("example-schema", [], info=schema_errors)
    body_ok = not schema_errors  # a valid example must also validate strictly
    run.add("model", model_errors(env, op, run.result, example.json(), strict=body_ok))
    return run


# ---------------------------------------------------------------------------


def _response(exchange: Exchange) -> httpx.Response:
    assert exchange.response is not None, "the transport failed"
    return exchange.response


def _exception(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"{type(exc).__name__} (HTTP {status})"  # the cause is in `prism`
    text = " ".join(str(exc).split())
    if len(text) > 400:
        text = text[:397] + "..."
    cause = exc.__cause__
    if cause is not None:
        text += f" (from {type(cause).__name__}: {cause})"
    return f"{type(exc).__name__}: {text}"


def _dict_diff(expected: dict[str, Any], sent: Any) -> list[str]:
    if not isinstance(sent, dict):
        return [f"body sent is {type(sent).__name__}, not an object"]
    errors = []
    for key in sorted(set(expected) | set(sent)):
        if key not in sent:
            errors.append(f"body/{key}: given but not sent")
        elif key not in expected:
            errors.append(f"body/{key}: sent but not given ({sent[key]!r})")
        elif sent[key] != expected[key] or _bool_mismatch(sent[key], expected[key]):
            errors.append(f"body/{key}: given {expected[key]!r}, sent {sent[key]!r}")
    return errors


def _bool_mismatch(a: Any, b: Any) -> bool:
    return isinstance(a, bool) != isinstance(b, bool)
