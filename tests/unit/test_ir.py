"""The queries the planner, the models stage and the renderer share over IR models."""

from __future__ import annotations

from oapigen import ir


def _model(name: str, base: str | None, *fields: tuple[str, ir.TypeNode]) -> ir.Model:
    return ir.Model(
        name,
        name.lower(),
        "object",
        f"#/components/schemas/{name}",
        base=base,
        fields=tuple(ir.Field(wire, wire, node, True) for wire, node in fields),
    )


STR = ir.Scalar("str")
MODELS = {
    m.name: m
    for m in (
        _model("Root", None, ("kind", ir.LiteralOf(("root",))), ("id", STR)),
        _model("Middle", "Root", ("id", ir.Scalar("int")), ("note", STR)),
        _model("Leaf", "Middle", ("extra", STR)),
        _model("Orphan", "Missing", ("x", STR)),
        _model("Loop", "Loop", ("y", STR)),
    )
}


def test_fields_come_base_first_with_overrides_in_the_subclass_place() -> None:
    fields = ir.all_fields(MODELS["Leaf"], MODELS)
    assert [(f.wire_name, f.type) for f in fields] == [
        ("kind", ir.LiteralOf(("root",))),
        ("id", ir.Scalar("int")),
        ("note", STR),
        ("extra", STR),
    ]


def test_a_lineage_says_when_it_is_cut_and_ends_a_loop() -> None:
    assert [m.name for m in ir.lineage(MODELS["Leaf"], MODELS)] == [
        "Leaf",
        "Middle",
        "Root",
    ]
    assert ir.lineage(MODELS["Orphan"], MODELS)[-1].base == "Missing"  # cut
    assert [m.name for m in ir.lineage(MODELS["Loop"], MODELS)] == ["Loop"]


def test_a_tag_value_is_found_through_the_bases_or_is_none() -> None:
    assert ir.tag_value("Leaf", "kind", MODELS) == "root"
    assert ir.tag_value("Leaf", "note", MODELS) is None  # not a literal
    assert ir.tag_value("Leaf", "absent", MODELS) is None
    assert ir.tag_value("Unknown", "kind", MODELS) is None
