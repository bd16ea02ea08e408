"""Request body shapes (runtime `_shape.py`, generator `render/shapes.py`): a JSON body
that fits its shape is sent without its model; a shape never lets through what the
model's request check stops.

On generated packages, for every body shape: values built from the shape fit it (the
fast path is taken), and for values built then broken in one place (a member dropped,
a wrong type, an extra member, a wrong tag), whenever the shape says "fits" the model's
own check accepts them too. A fresh interpreter shows which modules a first call loads.
"""

from __future__ import annotations

import json
import os
import pkgutil
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oag_runtime import _shape as runtime_shape
from oapigen import ir
from oapigen.render.shapes import body_shape

SAMPLES = 60  # valid values per shape (each also broken once)
WRONG = [None, 1, 2.5, True, "x", [], {}, [1], {"x": 1}]


# -- values from a shape ----------------------------------------------------------


class Values:
    def __init__(self, entries: list[Any], seed: int) -> None:
        self.models = {entry[0]: entry for entry in entries}
        self.rng = random.Random(seed)

    def model(self, name: str, depth: int) -> Any:
        _, kind, body = self.models[name]
        if kind == "type":
            return self.value(body, depth)
        found = {}
        for wire, required, node in body:
            if required or (depth < 4 and self.rng.random() < 0.5):
                found[wire] = self.value(node, depth + 1)
        return found

    def value(self, node: Any, depth: int) -> Any:
        rng = self.rng
        if node == "str":
            return rng.choice(["", "hello", "3", "é"])
        if node == "int":
            return rng.choice([0, 7, -1])
        if node == "float":
            return rng.choice([0.5, 2, -1.25])
        if node == "bool":
            return rng.choice([True, False])
        if node == "any":
            return rng.choice([None, 1, "a", [1, "b"], {"k": [None]}])
        if node == "none":
            return None
        kind = node[0]
        if kind == "lit":
            values = node[1]
            if len(values) > 1 and rng.random() < 0.2:  # a value the spec lacks
                return "unlisted" if isinstance(values[0], str) else 99
            return rng.choice(values)
        if kind == "list":
            size = 0 if depth > 5 else rng.randint(0, 2)
            return [self.value(node[1], depth + 1) for _ in range(size)]
        if kind == "map":
            size = 0 if depth > 5 else rng.randint(0, 2)
            return {f"k{i}": self.value(node[1], depth + 1) for i in range(size)}
        if kind == "model":
            return self.model(node[1], depth)
        if kind == "union":
            return self.value(rng.choice(node[1]), depth)
        if kind == "tagged":
            _, member = rng.choice(node[2])
            return self.value(member, depth)
        raise AssertionError(f"unknown node {node!r}")

    def broken(self, value: Any) -> Any:
        """`value` with one change somewhere inside."""
        rng = self.rng
        places = list(_places(value))
        container, key = rng.choice(places) if places else (None, None)
        if container is None:
            return rng.choice(WRONG)
        change = rng.random()
        if isinstance(container, dict) and change < 0.3:
            del container[key]
        elif isinstance(container, dict) and change < 0.45:
            container["unexpected_member"] = 1
        else:
            container[key] = rng.choice(WRONG)
        return value


def _places(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from _places(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from _places(item)


# -- the shapes of a generated package ---------------------------------------------


def body_refs(package: ModuleType) -> list[tuple[str, Any]]:
    """(module.constant, ModelRef) of every body ref with a shape."""
    resources = __import__(f"{package.__name__}.resources", fromlist=["_"])
    found = []
    for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda i: i.name):
        module = __import__(f"{resources.__name__}.{info.name}", fromlist=["_"])
        for name, value in sorted(vars(module).items()):
            if type(value).__name__ == "ModelRef" and value.shape is not None:
                found.append((f"{info.name}.{name}", value))
    return found


def check_shapes_against_models(package: ModuleType) -> int:
    validation = __import__(f"{package.__name__}._runtime._validation", fromlist=["_"])
    shapes = __import__(f"{package.__name__}._runtime._shape", fromlist=["_"])
    error = __import__(f"{package.__name__}._runtime._errors", fromlist=["_"])
    refs = body_refs(package)
    assert refs, "no body shapes generated"
    checked_by_model = 0
    for seed, (where, ref) in enumerate(refs):
        shape, model = ref.shape, ref.resolve()
        values = Values([json.loads(shapes._json(t)) for t in shape.texts], seed)
        for _ in range(SAMPLES):
            value = values.model(shape.model, 0)
            # a value made from the shape fits it (else the fast path is never taken)
            assert shape.fits(value), (where, value)
            validation.check_body("op", model, value)
            broken = values.broken(json.loads(json.dumps(value)))
            if not isinstance(broken, dict):
                continue
            if shape.fits(broken):
                # what the shape lets through, the model's check lets through
                try:
                    validation.check_body("op", model, broken)
                except error.RequestValidationError as exc:
                    pytest.fail(f"{where}: the shape fits {broken!r}: {exc}")
            else:
                checked_by_model += 1
    return checked_by_model


def test_example_shapes_never_accept_what_the_models_reject(
    example_package: ModuleType,
) -> None:
    assert check_shapes_against_models(example_package) > 0


@pytest.mark.openai
def test_openai_shapes_never_accept_what_the_models_reject(
    openai_package: ModuleType,
) -> None:
    assert check_shapes_against_models(openai_package) > 0


@pytest.mark.openai
def test_openai_chat_completion_body_has_a_shape(openai_package: ModuleType) -> None:
    names = {where for where, _ in body_refs(openai_package)}
    assert "chat._CreateChatCompletionRequestRef" in names


# -- the generator: what gets a shape ---------------------------------------------


def _field(name: str, node: ir.TypeNode, required: bool = True) -> ir.Field:
    return ir.Field(name=name, wire_name=name, type=node, required=required)


def _model(name: str, *fields: ir.Field, base: str | None = None) -> ir.Model:
    return ir.Model(
        name=name, module="m", kind="object", pointer="#/x", base=base, fields=fields
    )


def test_shape_includes_inherited_fields_and_tags() -> None:
    models = {
        "Base": _model("Base", _field("id", ir.Scalar("str"))),
        "Cat": _model("Cat", _field("kind", ir.LiteralOf(("cat",))), base="Base"),
        "Body": _model(
            "Body",
            _field(
                "pet",
                ir.UnionOf((ir.ModelRef("Cat"), ir.NoneValue()), discriminator="kind"),
            ),
        ),
    }
    shape = body_shape("Body", models)
    assert shape is not None
    entries = [json.loads(runtime_shape._json(text)) for text in shape.texts]
    assert entries[0] == [
        "Body",
        "object",
        [
            [
                "pet",
                True,
                ["union", [["tagged", "kind", [["cat", ["model", "Cat"]]]], "none"]],
            ]
        ],
    ]
    assert entries[1] == [
        "Cat",
        "object",
        [["id", True, "str"], ["kind", True, ["lit", ["cat"]]]],
    ]


@pytest.mark.parametrize(
    "node",
    [
        ir.Scalar("datetime"),
        ir.Scalar("bytes"),
        ir.ListOf(ir.ModelRef("Missing")),
        ir.UnionOf((ir.ModelRef("Plain"),), discriminator="kind"),  # no tag value
    ],
)
def test_no_shape_for_what_a_shape_cannot_say(node: ir.TypeNode) -> None:
    models = {
        "Body": _model("Body", _field("x", node, required=False)),
        "Plain": _model("Plain", _field("kind", ir.Scalar("str"))),
    }
    assert body_shape("Body", models) is None


def test_shape_text_has_no_quote_and_reads_back() -> None:
    """The texts are printed as Python strings black keeps as they are: no quote, no
    backslash, whatever the names hold; the runtime reads back the same JSON."""
    rng = random.Random(7)
    alphabet = ["%", "`", "'", '"', "\\", "a", "2", "5", "6", "0", "7", "C", "\n", "é"]
    for _ in range(3000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        model = _model("Body", _field(name, ir.LiteralOf((name, "x"))))
        shape = body_shape("Body", {"Body": model})
        assert shape is not None
        (text,) = shape.texts
        assert not set(text) & {'"', "'", "\\"}
        assert json.loads(runtime_shape._json(text)) == [
            "Body",
            "object",
            [[name, True, ["lit", [name, "x"]]]],
        ]


# -- a fresh interpreter's first call ---------------------------------------------

FIRST_CALL = """
import json, sys
import httpx
project, message = sys.argv[1:3]
sys.path.insert(0, project)
import openai_api
from openai_api._runtime import RequestValidationError

CHAT = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Hi", "refusal": None}}]}
sent = []

def handle(request):
    sent.append(json.loads(request.content))
    return httpx.Response(200, json=CHAT)

http = httpx.Client(transport=httpx.MockTransport(handle))
client = openai_api.Client(api_key="k", base_url="https://x.test/v1", http_client=http)
try:
    result = client.chat.create_chat_completion(model="m", messages=[json.loads(message)])
    outcome = result.choices[0].message.content
except RequestValidationError as exc:
    outcome = str(exc)
loaded = "openai_api.models.create_chat_completion_request" in sys.modules
print(json.dumps({"outcome": outcome, "sent": sent, "request_model_loaded": loaded}))
"""


def first_call(package: ModuleType, tmp_path: Path, message: object) -> Any:
    project = Path(package.__file__ or "").resolve().parents[1]
    script = tmp_path / "first_call.py"
    script.write_text(textwrap.dedent(FIRST_CALL))
    done = subprocess.run(
        [sys.executable, str(script), str(project), json.dumps(message)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.openai
@pytest.mark.slow
def test_first_call_with_a_fitting_body_loads_no_request_model(
    openai_package: ModuleType, tmp_path: Path
) -> None:
    message = {"role": "user", "content": "hi"}
    outcome = first_call(openai_package, tmp_path, message)
    assert outcome["outcome"] == "Hi"
    assert outcome["sent"] == [{"messages": [message], "model": "m"}]
    assert outcome["request_model_loaded"] is False


@pytest.mark.openai
@pytest.mark.slow
def test_first_call_outside_the_shape_is_judged_by_the_model(
    openai_package: ModuleType, tmp_path: Path
) -> None:
    extra = {"role": "user", "content": "hi", "x_trace": "t1"}  # extra members pass
    outcome = first_call(openai_package, tmp_path, extra)
    assert outcome["outcome"] == "Hi"
    assert outcome["sent"] == [{"messages": [extra], "model": "m"}]
    assert outcome["request_model_loaded"] is True
    wrong = {"role": "user", "content": 3}  # still rejected, naming the place
    outcome = first_call(openai_package, tmp_path, wrong)
    assert outcome["sent"] == []
    assert outcome["request_model_loaded"] is True
    assert "messages[0].content" in outcome["outcome"]
