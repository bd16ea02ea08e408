"""The models stage: the planner's models -> dmcg documents -> model modules.

What dmcg reads (type trees as schemas, the planner's names, laid-out descriptions), the
check of what it made against the plan, the post-processing, the groups and their cache,
and the worker processes.
"""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import warnings
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from oapigen import ir
from oapigen.diagnostics import GeneratorError
from oapigen.emit.cache import DATABASE_NAME
from oapigen.loader import load
from oapigen.modelgen import ModelsStage
from oapigen.modelgen import groups as groups_module
from oapigen.modelgen import stage as stage_module
from oapigen.modelgen.dmcg import print_group
from oapigen.modelgen.postprocess import module_body
from oapigen.modelgen.groups import Expected, Prepared, groups, merged
from oapigen.modelgen.prepare import Names, prewrapped, type_schema
from oapigen.planner import plan
from oapigen.render.text import block_docstring
from tests.conftest import EXAMPLE_SPEC, openai_spec
from tests.fuzz.drawn import FEW_DRAWN_SPECS, plan_drawn
from tests.fuzz.strategies import documents
from tests.unit.test_render import HOSTILE

REF = "#/components/schemas/"


def names_of(*models: ir.Model) -> Names:
    return Names(
        {m.name: f"{m.module}.{m.name}" for m in models}, {m.name: m for m in models}
    )


def obj(name: str, module: str, *fields: ir.Field, base: str | None = None) -> ir.Model:
    return ir.Model(name, module, "object", "", base=base, fields=fields)


def tag(value: str) -> ir.Field:
    return ir.Field("type", "type", ir.LiteralOf((value,)), True)


# -- what dmcg reads ---------------------------------------------------------------------


def test_type_trees_become_the_schemas_dmcg_prints_them_from() -> None:
    a = obj("A", "a", tag("a"))
    b = obj("B", "b_mod", tag("b"))
    names = names_of(a, b)
    assert type_schema(ir.Scalar("str"), names) == {"type": "string"}
    assert type_schema(ir.Scalar("bytes"), names) == {
        "type": "string",
        "format": "binary",
    }
    assert type_schema(ir.Scalar("datetime"), names)["format"] == "date-time"
    assert type_schema(ir.AnyValue(), names) == {}
    assert type_schema(ir.LiteralOf(("x", 1, True)), names) == {"enum": ["x", 1, True]}
    assert type_schema(ir.MapOf(ir.ListOf(ir.Scalar("int"))), names) == {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "integer"}},
    }
    # a class is a ref to its component, keyed `<module>.<Class>`
    assert type_schema(ir.ModelRef("B"), names) == {"$ref": REF + "b_mod.B"}
    optional = ir.UnionOf((ir.Scalar("str"), ir.ModelRef("A"), ir.NoneValue()))
    assert type_schema(optional, names) == {
        "anyOf": [{"type": "string"}, {"$ref": REF + "a.A"}, {"type": "null"}]
    }
    with pytest.raises(ValueError):
        type_schema(ir.FileInput(), names)


def test_a_tagged_union_spells_out_its_mapping_with_inherited_tags() -> None:
    """Without the mapping dmcg derives each tag from the member's schema; `C` inherits
    its tag from `A`, which dmcg would not see."""
    a = obj("A", "a", tag("a"))
    b = obj("B", "b", tag("b"))
    c = obj("C", "c", ir.Field("n", "n", ir.Scalar("int"), False), base="A")
    union = ir.UnionOf((ir.ModelRef("B"), ir.ModelRef("C"), ir.NoneValue()), "type")
    schema = type_schema(union, names_of(a, b, c))
    assert schema == {
        "anyOf": [
            {
                "oneOf": [{"$ref": REF + "b.B"}, {"$ref": REF + "c.C"}],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {"b": REF + "b.B", "a": REF + "c.C"},
                },
            },
            {"type": "null"},
        ]
    }


def test_constraints_of_an_optional_value_stay_on_one_schema() -> None:
    """`int | None` with a bound is `type: [integer, null]`: as a union member the
    constrained value would become a class dmcg names itself."""
    field = ir.Field(
        "n",
        "n",
        ir.UnionOf((ir.Scalar("int"), ir.NoneValue())),
        False,
        "How many.",
        constraints=(ir.Constraint("ge", 1),),
    )
    items = ir.Field(
        "ids",
        "ids",
        ir.ListOf(ir.Scalar("str")),
        True,
        constraints=(ir.Constraint("max_length", 3),),
    )
    model = obj("M", "m", field, items)
    schema = groups([model])[0].schemas["m.M"]
    assert schema["properties"]["n"] == {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "How many.",
    }
    assert schema["properties"]["ids"] == {
        "type": "array",
        "items": {"type": "string"},
        "maxItems": 3,
    }
    assert schema["required"] == ["ids"]


@pytest.mark.parametrize(
    "text",
    [
        "One line.",
        'Ends in a quote "',
        'Has """ and a backslash \\ inside.',
        "A long description " * 12,
        "First paragraph.\n\n- an item that goes on " + "and on " * 15,
        "Exactly long enough " + "x" * 62,
        "Tab\tand a vertical\x0btab",
    ],
)
def test_descriptions_are_laid_out_as_the_docstring_filter_lays_them_out(
    text: str,
) -> None:
    """dmcg escapes the text and the template adds quotes and indentation: the result
    is the docstring of the generator's own filter (wrapped at 88, escaped)."""
    from datamodel_code_generator._python_syntax import escape_docstring

    escaped = escape_docstring(prewrapped(text)) or ""
    expected = block_docstring(text, 4)
    if "\x0b" in text:  # the filter writes `\x0b`; dmcg's text then holds it escaped
        expected = expected.replace("\\x0b", "\\\\x0b")
    lines = escaped.split("\n")
    printed = "\n".join(
        [lines[0], *("    " + line if line else "" for line in lines[1:])]
    )
    if len(lines) > 1:
        printed += "\n    "
    assert printed == expected


# -- groups and their keys ---------------------------------------------------------------


def test_groups_are_the_classes_that_refer_to_each_other() -> None:
    a = obj("A", "a", ir.Field("b", "b", ir.ModelRef("B"), False))
    b = obj("B", "b", tag("b"))
    c = obj("C", "shared", tag("c"))
    d = obj("D", "shared", tag("d"))  # same module as C: printed together
    e = obj("E", "e", tag("e"))
    f = obj("F", "f", base="E")
    g = obj("G", "g", tag("g"))
    found = groups([a, b, c, d, e, f, g])
    assert [x.modules for x in found] == [("a", "b"), ("e", "f"), ("shared",), ("g",)]
    assert [set(x.expected) for x in found] == [
        {"A", "B"},
        {"E", "F"},
        {"C", "D"},
        {"G"},
    ]


def test_a_module_key_changes_with_what_its_output_depends_on() -> None:
    """Its own classes, and what it reads of those they refer to: not their prose,
    nor their fields that refer to nothing (`Prepared.read_schema`)."""
    a = obj("A", "a", ir.Field("b", "b", ir.ModelRef("B"), False))
    b = obj("B", "b", tag("b"))
    c = obj("C", "c", tag("c"))
    before = Prepared([a, b, c], "salt").keys
    assert before == Prepared([c, b, a], "salt").keys
    described = replace(b, description="Now documented.")
    after = Prepared([a, described, c], "salt").keys
    assert (after["a"], after["c"]) == (before["a"], before["c"])
    assert after["b"] != before["b"]
    grown = replace(b, fields=(*b.fields, ir.Field("n", "n", ir.Scalar("int"), False)))
    after = Prepared([a, grown, c], "salt").keys
    assert (after["a"], after["c"]) == (before["a"], before["c"])
    assert after["b"] != before["b"]
    for read in (ir.ModelRef("C"), ir.LiteralOf(("x",))):
        grown = replace(b, fields=(*b.fields, ir.Field("n", "n", read, False)))
        after = Prepared([a, grown, c], "salt").keys
        assert after["a"] != before["a"] and after["c"] == before["c"]
    assert set(Prepared([a, b, c], "other tools").keys.values()).isdisjoint(
        before.values()
    )


def test_a_run_prints_the_modules_asked_for_and_reads_their_closure() -> None:
    a = obj("A", "a", ir.Field("b", "b", ir.ModelRef("B"), False))
    b = replace(obj("B", "b", tag("b")), description="Documented.")
    c = obj("C", "c", tag("c"))
    (run,) = Prepared([a, b, c]).runs(["a"])
    assert (run.own, run.modules) == (("a",), ("a", "b"))
    assert "description" not in run.schemas["b.B"]  # read, not printed


def test_a_closure_loses_its_prose_but_not_tags_or_properties_named_like_it() -> None:
    """A tag value or a property called "description" is data, not prose."""
    level = ir.LiteralOf(("low", "high"))
    a = replace(
        obj(
            "A",
            "a",
            tag("description"),
            ir.Field("deprecated", "deprecated", level, True, "Doc."),
            ir.Field("size", "size", ir.Scalar("int"), True),  # refers to nothing
        ),
        description="Documented.",
    )
    b = obj("B", "b", tag("b"))
    union = ir.UnionOf((ir.ModelRef("A"), ir.ModelRef("B")), "type")
    u = ir.Model("U", "u", "root", "", root=union)
    c = obj("C", "c", ir.Field("u", "u", ir.ModelRef("U"), True))
    prepared = Prepared([a, b, u, c])
    (run,) = prepared.runs(["c"])
    assert run.own == ("c",) and run.modules == ("a", "b", "c", "u")
    read_a, read_u = run.schemas["a.A"], run.schemas["u.U"]
    assert "description" not in read_a
    assert read_a["properties"] == {
        "type": {"enum": ["description"]},
        "deprecated": {"enum": ["low", "high"]},
    }
    assert read_a["required"] == ["type", "deprecated"]
    assert read_u["discriminator"]["mapping"] == {
        "description": REF + "a.A",
        "b": REF + "b.B",
    }


# -- post-processing ---------------------------------------------------------------------


def test_post_processing_rebuilds_imports_and_exports() -> None:
    """...and quotes strings as black does (dmcg prints `repr`)."""
    printed = textwrap.dedent('''\
        # generated by datamodel-codegen:
        #   filename:  <dict>

        from __future__ import annotations
        from typing import Literal, Any
        from _base import BaseModel
        from pydantic import Field
        from .zeta import Zeta
        from .alpha import Alpha


        class Thing(BaseModel):
            kind: Literal['a']
            """The kind."""
            zeta: Zeta | None = None
            alpha: Alpha


        Thing.model_rebuild()
        ''')
    assert module_body(printed, ["Thing"]) == textwrap.dedent('''\
        from typing import Literal

        from ._base import BaseModel
        from .alpha import Alpha
        from .zeta import Zeta

        __all__ = ["Thing"]


        class Thing(BaseModel):
            kind: Literal["a"]
            """The kind."""
            zeta: Zeta | None = None
            alpha: Alpha
        ''')


@pytest.mark.parametrize("names", [1, 2, 3], ids=lambda n: f"{n} classes")
def test_long_imports_and_exports_are_printed_as_black_splits_them(names: int) -> None:
    """A module body needs no black call for its head: an import or `__all__` too
    long for a line comes split as black splits it (one name a line; a trailing comma
    but in a one-name `__all__`)."""
    from oapigen.emit import format_python

    stem = (
        "ChatCompletionRequestAssistantMessageContentPartWithAVeryLongNameAndMoreExtra"
    )
    classes = [f"{stem}{i}" for i in range(names)]
    used = "TheImportedClassWithANameLongEnoughToSplitItsImportLine"
    printed = "from __future__ import annotations\nfrom _base import BaseModel\n"
    printed += f"from .the_module_of_the_imported_class import {used}\n"
    for name in classes:
        printed += f"\n\nclass {name}(BaseModel):\n    item: {used}\n"
    body = module_body(printed, classes)
    head = body.split("\n\n\n")[0] + "\n"
    assert f"import (\n    {used},\n)" in head and "__all__ = [\n" in head
    assert format_python(head) == head


def _module(body: str) -> str:
    return "from __future__ import annotations\nfrom _base import BaseModel\n\n" + (
        textwrap.dedent(body)
    )


@pytest.mark.parametrize(
    "body",
    [
        # a class of the module defined later
        """
        class Parent(BaseModel):
            child: Child | None = None


        class Child(BaseModel):
            name: str
        """,
        # itself (a recursive model)
        """
        class Node(BaseModel):
            children: list[Node] = []
        """,
        # a field whose name is also a type it names (the class body binds it first)
        """
        from datetime import date


        class Stamp(BaseModel):
            date: str | None = None
            other: date | None = None
        """,
    ],
)
def test_annotations_that_refer_forward_keep_postponed_evaluation(body: str) -> None:
    names = [
        line.split()[1].split("(")[0] for line in body.split("\n") if "class " in line
    ]
    module = module_body(_module(body), names)
    assert module.startswith("from __future__ import annotations\n")


def test_annotations_without_forward_references_are_evaluated_with_the_class() -> None:
    body = """
        class Child(BaseModel):
            name: str


        class Parent(BaseModel):
            child: Child | None = None
            children: list[Child] = []
        """
    module = module_body(_module(body), ["Child", "Parent"])
    assert "__future__" not in module
    namespace: dict[str, Any] = {}
    code = module.replace(
        "from ._base import BaseModel", "from pydantic import BaseModel"
    )
    exec(compile(code, "m", "exec", dont_inherit=True), namespace)
    parent = namespace["Parent"]
    assert parent.__annotations__["child"] == namespace["Child"] | None  # not a string
    assert parent.model_validate({"child": {"name": "a"}}).child.name == "a"


# -- dmcg ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> ir.Api:
    api, _ = plan(load(EXAMPLE_SPEC), spec_name=EXAMPLE_SPEC.name)
    return api


def test_dmcg_puts_every_class_where_the_plan_says(example: ir.Api) -> None:
    printed = print_group(merged(groups(example.models)))
    assert set(printed) == {m.module for m in example.models}
    for model in example.models:
        tree = ast.parse(printed[model.module])
        defined = {
            n.name if isinstance(n, ast.ClassDef) else n.targets[0].id  # type: ignore[attr-defined]
            for n in tree.body
            if isinstance(n, (ast.ClassDef, ast.Assign))
        }
        assert model.name in defined, model.name


def test_groups_print_the_same_alone_as_together(example: ir.Api) -> None:
    """Bins merge independent groups into one dmcg run: that must not change a module."""
    found = groups(example.models)
    together = print_group(merged(found))
    alone: dict[str, str] = {}
    for group in found:
        alone.update(print_group(group))
    assert alone == together


def test_a_class_dmcg_puts_elsewhere_is_an_internal_error(example: ir.Api) -> None:
    group = groups(example.models)[0]
    name, where = sorted(group.expected.items())[0]
    wrong = dict(group.expected)
    wrong[name] = Expected("elsewhere", where.fields)
    with pytest.raises(GeneratorError) as caught:
        print_group(replace(group, expected=wrong), "example.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E302"
    assert f"class {name!r} landed in module {where.module!r}" in diagnostic.message
    assert "\n" not in diagnostic.message


def test_a_field_dmcg_names_otherwise_is_an_internal_error(example: ir.Api) -> None:
    group = next(g for g in groups(example.models) if "User" in g.expected)
    planned = group.expected["User"]
    renamed = Expected(planned.module, tuple((f"x_{n}", w) for n, w in planned.fields))
    with pytest.raises(GeneratorError) as caught:
        print_group(replace(group, expected={**group.expected, "User": renamed}))
    assert caught.value.diagnostics[0].code == "E302"


def test_a_dmcg_failure_is_one_located_line(
    example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datamodel_code_generator

    def fail(*args: object, **kwargs: object) -> None:
        raise datamodel_code_generator.Error("something broke\nwith details")

    monkeypatch.setattr(datamodel_code_generator, "generate", fail)
    with pytest.raises(GeneratorError) as caught:
        print_group(groups(example.models)[0], "example.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E301"
    assert diagnostic.file == "example.yaml"
    assert diagnostic.message == (
        "datamodel-code-generator failed: Error: something broke"
    )


def test_hostile_descriptions_compile_in_every_model(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(textwrap.dedent(HOSTILE).lstrip("\n"), encoding="utf-8")
    api, _ = plan(load(spec), spec_name=spec.name)
    printed = print_group(merged(groups(api.models)))
    docs: list[str] = []
    for text in printed.values():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # invalid escapes are warnings
            tree = ast.parse(text)
        for node in ast.walk(tree):
            body = getattr(node, "body", [])
            docs += [
                item.value.value
                for item in body
                if isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
            ]
    assert 'Model doc with """ and \\' in docs
    assert 'field """ doc' in docs


# -- the stage: cache and workers ------------------------------------------------------


def run_stage(
    api: ir.Api, cache: Path | None, jobs: int = 1, spec: Path | None = None
) -> tuple[dict[str, str], ModelsStage]:
    with ModelsStage(
        jobs, use_cache=cache is not None, cache_dir=cache, spec=spec
    ) as stage:
        stage.submit(api)
        files = stage.results()
    return files, stage


def test_a_second_run_prints_nothing_and_a_changed_class_reprints_its_module(
    tmp_path: Path, example: ir.Api
) -> None:
    cache = tmp_path / "cache"
    first, stage = run_stage(example, cache)
    total = stage.printed_modules
    assert total == len({m.module for m in example.models}) == len(first)
    assert stage.cached_modules == 0
    second, stage = run_stage(example, cache)
    assert (stage.cached_modules, stage.printed_modules, stage.runs) == (total, 0, 0)
    assert second == first
    # one class documented differently (one that others refer to): only its module is
    # printed again, and the result is what a run without the cache gives
    models = [
        replace(m, description="Changed.") if m.name == "Export" else m
        for m in example.models
    ]
    assert any("Export" in groups_refs(m) for m in models)
    changed = replace(example, models=tuple(models))
    third, stage = run_stage(changed, cache)
    assert (stage.cached_modules, stage.printed_modules) == (total - 1, 1)
    fresh, _ = run_stage(changed, None)
    assert third == fresh != first


def groups_refs(model: ir.Model) -> set[str]:
    from oapigen.modelgen.groups import references

    return references(model)


def test_a_module_prints_the_same_whatever_its_closure_says_in_prose(
    example: ir.Api,
) -> None:
    """The cache relies on it: a module printed alone reads its closure without
    descriptions, and must print as it does in a run of everything."""
    prepared = Prepared(example.models)
    together = print_group(merged(prepared.runs(prepared.classes)))
    deep = sorted(prepared.classes, key=lambda m: -len(prepared.closure(m)))[:5]
    for module in deep:
        assert len(prepared.closure(module)) > 1
        (run,) = prepared.runs([module])
        assert print_group(run) == {module: together[module]}


def check_modules_print_alone_as_together(api: ir.Api, largest: int) -> int:
    """Each module printed in a part of at most `largest` classes, reading its
    closure cut down (`Prepared.read_schema`), prints as in one run of everything;
    returns how many fields the parts read without printing them."""
    prepared = Prepared(api.models)
    together = print_group(merged(prepared.runs(prepared.classes)))
    alone: dict[str, str] = {}
    left_out = 0
    for run in prepared.runs(prepared.classes, largest):
        alone.update(print_group(run))
        for module in set(run.modules) - set(run.own):
            for name in prepared.classes[module]:
                read = prepared.read_schema(name).get("properties", {})
                left_out += len(prepared.models[name].fields) - len(read)
    assert alone == together
    return left_out


def test_a_closure_is_read_without_the_fields_that_refer_to_nothing(
    example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(groups_module, "MAX_REPRINT", 100.0)  # cut, however deep
    assert check_modules_print_alone_as_together(example, largest=2) > 0
    prepared = Prepared(example.models)
    bases = {m.base for m in example.models if m.base}
    assert bases  # a base is read whole: a class extending it inherits its fields
    for name in bases:
        whole = groups_module._without_prose(prepared.schema(name))
        assert prepared.read_schema(name) == whole


@pytest.mark.slow
@pytest.mark.parametrize(("version", "largest"), [("1.1.0", 2), ("2.3.0", 20)])
def test_the_openai_models_print_alone_as_together(
    version: str, largest: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = openai_spec(version)
    api, _ = plan(load(spec), spec_name=spec.name)
    monkeypatch.setattr(groups_module, "MAX_REPRINT", 100.0)
    assert check_modules_print_alone_as_together(api, largest) > 0


@pytest.mark.slow
@FEW_DRAWN_SPECS
@given(documents())
def test_random_models_print_alone_as_together(document: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="oapigen-alone-") as tmp:
        api = plan_drawn(document, Path(tmp))
    if api is None:
        return
    try:
        print_group(merged(Prepared(api.models).runs(Prepared(api.models).classes)))
    except GeneratorError:
        return  # dmcg may reject a random spec (E30x): not ours
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(groups_module, "MAX_REPRINT", 100.0)
        check_modules_print_alone_as_together(api, largest=1)


def test_a_large_group_is_cut_into_runs_that_print_as_one_run_does(
    example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers share a large connected group: each part prints some of its modules
    (each module in exactly one part) and reads their closure; what the parts print
    is what one run of everything prints."""
    monkeypatch.setattr(groups_module, "MAX_REPRINT", 100.0)  # cut, however deep
    prepared = Prepared(example.models)
    together = print_group(merged(prepared.runs(prepared.classes)))
    whole = max(prepared.runs(prepared.classes), key=lambda g: g.size)
    assert whole.size > 12  # the example has a group worth cutting
    parts = [g for g in prepared.runs(prepared.classes, largest=6) if g.size > 1]
    cut = [g for g in parts if set(g.own) <= set(whole.modules)]
    assert len(cut) > 1
    owned = [m for g in cut for m in g.own]
    assert sorted(owned) == sorted(whole.modules)  # each module printed once
    for run in cut:
        assert set(run.modules) == set().union(*(prepared.closure(m) for m in run.own))
        assert print_group(run) == {m: together[m] for m in run.own}


def test_a_chain_of_refs_is_not_cut() -> None:
    """Each part of a chain would print every class after it again: one run."""
    chain = [
        obj(f"C{n}", f"c{n}", ir.Field("next", "next", ir.ModelRef(f"C{n + 1}"), False))
        for n in range(40)
    ]
    chain.append(obj("C40", "c40", tag("end")))
    prepared = Prepared(chain)
    (run,) = prepared.runs(prepared.classes, largest=5)
    assert run.size == 41 and len(run.own) == 41
    # a star (one class everyone refers to) is cut: its parts read one class again
    star = [obj("Hub", "hub", tag("hub"))] + [
        obj(f"S{n}", f"s{n}", ir.Field("hub", "hub", ir.ModelRef("Hub"), False))
        for n in range(40)
    ]
    prepared = Prepared(star)
    parts = prepared.runs(prepared.classes, largest=10)
    assert len(parts) == 5
    assert sorted(m for g in parts for m in g.own) == sorted(prepared.classes)
    assert all("hub" in g.modules for g in parts)


def test_a_spec_renamed_keeps_its_cache_and_only_the_headers_change(
    tmp_path: Path, example: ir.Api
) -> None:
    """Cached modules carry no header (it names the spec file): a bump to a file of
    another name is served from the cache."""
    cache = tmp_path / "cache"
    first, _ = run_stage(example, cache)
    bumped, stage = run_stage(replace(example, spec_name="example-2.yaml"), cache)
    assert stage.printed_modules == 0
    assert {p: t.split("\n", 1)[1] for p, t in bumped.items()} == {
        p: t.split("\n", 1)[1] for p, t in first.items()
    }
    assert all("from example-2.yaml." in t.split("\n", 1)[0] for t in bumped.values())


def forking_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage forks only while the process has one thread; a thread another test
    left running (a server's) must not turn these worker tests into in-process runs."""
    monkeypatch.setattr(stage_module, "_can_fork", lambda: True)


def test_the_worker_process_prints_what_the_main_process_prints(
    example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    forking_allowed(monkeypatch)
    here, _ = run_stage(example, None, jobs=1)
    there, stage = run_stage(example, None, jobs=2)
    assert stage.workers == 2
    assert there == here
    # with every group cut into parts spread over the workers: the same files
    monkeypatch.setattr(stage_module, "MIN_CUT_CLASSES", 4)
    monkeypatch.setattr(groups_module, "MAX_REPRINT", 100.0)
    cut, stage = run_stage(example, None, jobs=2)
    assert stage.runs > len(groups(example.models))
    assert cut == here


def test_a_spec_generated_before_starts_no_worker_and_still_prints_what_is_missing(
    tmp_path: Path, example: ir.Api
) -> None:
    cache, spec = tmp_path / "cache", tmp_path / "spec.yaml"
    spec.write_bytes(EXAMPLE_SPEC.read_bytes())
    first, stage = run_stage(example, cache, jobs=2, spec=spec)
    assert stage.workers == 2 and stage.printed_modules == len(first)
    second, stage = run_stage(example, cache, jobs=2, spec=spec)
    assert (stage.workers, stage.printed_modules) == (0, 0)
    assert second == first
    # the hint is a guess, never a shortcut: modules missing from the cache are
    # printed (in this process), and other bytes are another spec
    with closing(sqlite3.connect(cache / DATABASE_NAME)) as db, db:
        # module entries, not the small "seen" one
        db.execute("DELETE FROM entries WHERE length(value) > 200")
    third, stage = run_stage(example, cache, jobs=2, spec=spec)
    assert stage.workers == 0 and stage.printed_modules > 0
    assert third == first
    spec.write_bytes(EXAMPLE_SPEC.read_bytes() + b"\n")
    _, stage = run_stage(example, cache, jobs=2, spec=spec)
    assert stage.workers == 2


def test_the_warm_up_leaves_dmcg_and_black_loaded_for_the_workers_it_forks() -> None:
    """The first worker forks the others after its warm-up: whatever the warm-up did
    not load, each of them loads again (black alone is ~0.2 s of CPU)."""
    probe = (
        "import sys\n"
        "from oapigen.modelgen.stage import _warm_up\n"
        "before = {'black', 'datamodel_code_generator'} & set(sys.modules)\n"
        "_warm_up()\n"
        "after = {'black', 'datamodel_code_generator'} & set(sys.modules)\n"
        "print(sorted(before), sorted(after))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[0] == "[] ['black', 'datamodel_code_generator']"


def test_a_worker_that_dies_is_reported_not_waited_for(
    example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    test_process = os.getpid()

    def die(*args: object) -> None:
        if os.getpid() == test_process:  # never end the test run itself
            raise AssertionError("printed in the test process: no worker was forked")
        os._exit(3)

    forking_allowed(monkeypatch)
    # the worker is forked after this, so it runs the patched function
    monkeypatch.setattr(stage_module, "print_bin", die)
    with pytest.raises(GeneratorError) as caught:
        run_stage(example, None, jobs=2)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E303"
    assert diagnostic.message == (
        "the model generation process failed: a worker process died"
    )


# -- what dmcg cannot print --------------------------------------------------------------

SELF_LIST_SPEC = """\
openapi: 3.0.3
info: {title: Lists, version: '1'}
paths:
  /x:
    get:
      operationId: getX
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Holder'}
components:
  schemas:
    Holder:
      type: object
      properties:
        tree: {$ref: '#/components/schemas/Tree'}
    Tree:
      type: array
      items: {$ref: '#/components/schemas/Tree'}
"""


def test_a_list_that_contains_itself_is_a_located_error_not_wrong_code(
    tmp_path: Path,
) -> None:
    """dmcg 0.89.0 writes such a RootModel as a bare `list` and inlines it away: the
    plan check catches it, at the schema's line, and nothing is written."""
    from oapigen.pipeline import generate

    spec = tmp_path / "lists.yaml"
    spec.write_text(SELF_LIST_SPEC, encoding="utf-8")
    with pytest.raises(GeneratorError) as caught:
        generate(spec, output=tmp_path / "out", use_cache=False, jobs=1)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.format().startswith(
        "lists.yaml:19 #/components/schemas/Tree: error E302: models differ from the "
        "plan: dmcg made no class 'Tree' (hint: datamodel-code-generator cannot print "
        "a list that contains itself"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.xfail(
    strict=True,
    reason="datamodel-code-generator 0.89.0 cannot print a RootModel whose list "
    "contains itself (E302); the in-house printer could",
)
def test_a_list_that_contains_itself_generates(tmp_path: Path) -> None:
    from oapigen.pipeline import generate

    spec = tmp_path / "lists.yaml"
    spec.write_text(SELF_LIST_SPEC, encoding="utf-8")
    generate(spec, output=tmp_path / "out", use_cache=False, jobs=1)


ROOT_LIST_OF_TAGGED_UNION_SPEC = """\
openapi: 3.0.3
info: {title: Rules, version: '1'}
paths:
  /rules:
    get:
      operationId: getRules
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Rules'}
components:
  schemas:
    Rules:
      type: array
      items:
        oneOf:
          - {$ref: '#/components/schemas/Creation'}
          - {$ref: '#/components/schemas/Deletion'}
        discriminator:
          propertyName: type
          mapping: {creation: '#/components/schemas/Creation', deletion: '#/components/schemas/Deletion'}
    Creation:
      type: object
      required: [type]
      properties: {type: {type: string, enum: [creation]}}
    Deletion:
      type: object
      required: [type]
      properties: {type: {type: string, enum: [deletion]}, reason: {type: string}}
"""


def test_a_root_list_of_a_tagged_union_keeps_its_planned_name(tmp_path: Path) -> None:
    """dmcg 0.89.0 prints it as `RulesModel` (GitHub's `repos/get-branch-rules` has
    one): the class is taken back under the plan's name, references included."""
    from oapigen.pipeline import generate

    spec = tmp_path / "rules.yaml"
    spec.write_text(ROOT_LIST_OF_TAGGED_UNION_SPEC, encoding="utf-8")
    result = generate(spec, output=tmp_path / "out", use_cache=False, jobs=1)
    module = (result.target / "rules" / "models" / "rules.py").read_text("utf-8")
    classes = [n.name for n in ast.parse(module).body if isinstance(n, ast.ClassDef)]
    assert classes == ["Rules"] and "RulesModel" not in module
    sys.path.insert(0, str(result.target))
    try:
        from rules.models import Rules  # type: ignore[import-not-found]

        items = Rules.model_validate([{"type": "deletion", "reason": "r"}]).root
        assert type(items[0]).__name__ == "Deletion" and items[0].reason == "r"
    finally:
        sys.path.remove(str(result.target))
