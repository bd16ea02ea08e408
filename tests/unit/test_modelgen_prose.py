"""A module changed only in its descriptions is rewritten from its cached printing
(`modelgen.prose`) instead of printed by dmcg: byte for byte what dmcg and black print.

The proof is by comparison: a package's models are printed (filling the cache), the
descriptions are edited in ways that move the docstrings' layout (one line to several,
several to one, shorter, longer, two fields sharing a text), and the stage's output from
the cache is compared with a run without it, on the example spec, random specs and the
OpenAI specs.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
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
from oapigen.modelgen import stage as stage_module
from oapigen.modelgen.prose import reapply, split
from oapigen.planner import plan
from tests.conftest import EXAMPLE_SPEC, openai_spec
from tests.fuzz.drawn import FEW_DRAWN_SPECS, plan_drawn
from tests.fuzz.strategies import documents

LONG = (
    " Edited by a test with enough words to push the docstring past the line length,"
    " so that it wraps onto one more line than it had."
)


def edited(api: ir.Api, round_: int = 0) -> ir.Api:
    """`api` with its descriptions rewritten (only where there is one: adding or
    dropping a description changes the layout, and dmcg prints it again)."""
    models = []
    for index, model in enumerate(api.models):
        fields = []
        for number, item in enumerate(model.fields):
            text = item.description
            if text:
                choice = (index + number + round_) % 4
                if choice == 0:
                    text += LONG
                elif choice == 1:
                    text = text.split(".")[0].strip() or "Short."
                elif choice == 2:
                    text = "Shared text of two fields."
            fields.append(replace(item, description=text))
        description = model.description
        if description:
            description = (
                description + LONG
                if (index + round_) % 2
                else description.split("\n")[0].upper()
            )
        models.append(replace(model, description=description, fields=tuple(fields)))
    return replace(api, models=tuple(models))


def stage_run(api: ir.Api, cache: Path | None) -> tuple[dict[str, str], ModelsStage]:
    with ModelsStage(1, use_cache=cache is not None, cache_dir=cache) as stage:
        stage.submit(api)
        files = stage.results()
    return files, stage


def check_edits_print_as_dmcg_does(api: ir.Api, cache: Path, rounds: int = 2) -> int:
    """The stage's output after each edit equals a run without the cache; returns how
    many modules were rewritten without dmcg."""
    stage_run(api, cache)
    rewritten = 0
    for round_ in range(rounds):
        changed = edited(api, round_)
        from_cache, stage = stage_run(changed, cache)
        fresh, _ = stage_run(changed, None)
        assert from_cache == fresh
        rewritten += len(stage._reprosed)
    return rewritten


@pytest.fixture(scope="module")
def example() -> ir.Api:
    api, _ = plan(load(EXAMPLE_SPEC), spec_name=EXAMPLE_SPEC.name)
    return api


def test_an_edited_description_lands_as_a_cold_run_prints_it(
    tmp_path: Path, example: ir.Api
) -> None:
    """The benchmark's case: one class's description edited in place."""
    cache = tmp_path / "cache"
    first, _ = stage_run(example, cache)
    target = next(m for m in example.models if m.description)
    changed = replace(
        example,
        models=tuple(
            replace(m, description=m.description + LONG) if m is target else m
            for m in example.models
        ),
    )
    from_cache, stage = stage_run(changed, cache)
    fresh, _ = stage_run(changed, None)
    assert from_cache == fresh != first
    # nothing went to dmcg: the module came from its prose-free entry
    assert (stage.printed_modules, stage.runs) == (0, 0)
    assert list(stage._reprosed) == [target.module]
    assert sum(LONG.split()[-1] in text for text in from_cache.values()) == 1


def test_refused_rewrites_go_to_dmcg(tmp_path: Path, example: ir.Api) -> None:
    """Two fields printed with one text and edited apart, a text with a triple quote:
    dmcg prints those modules; everything else is rewritten."""
    cache = tmp_path / "cache"
    stage_run(example, cache)
    from_cache, stage = stage_run(edited(example), cache)
    assert from_cache == stage_run(edited(example), None)[0]
    assert sorted(stage._printed) == ["export", "upload_attachment_request"]
    assert len(stage._reprosed) > 5


def test_more_edits_of_the_example_print_as_dmcg_does(
    tmp_path: Path, example: ir.Api
) -> None:
    assert check_edits_print_as_dmcg_does(example, tmp_path / "cache", rounds=4) > 0


def test_a_description_added_or_a_type_changed_goes_to_dmcg(
    tmp_path: Path, example: ir.Api
) -> None:
    cache = tmp_path / "cache"
    stage_run(example, cache)
    bare = next(m for m in example.models if m.kind == "object" and not m.description)
    added = replace(
        example,
        models=tuple(
            replace(m, description="Now documented.") if m is bare else m
            for m in example.models
        ),
    )
    from_cache, stage = stage_run(added, cache)
    assert stage.printed_modules == 1 and not stage._reprosed
    assert from_cache == stage_run(added, None)[0]


def test_reapply_refuses_what_it_cannot_do_for_certain() -> None:
    text = 'class A(BaseModel):\n    """Old."""\n\n    x: int\n    """Same."""\n'
    old = {'["A"]': "Old.", '["A","properties","x"]': "Same."}
    new = dict(old)
    assert reapply(text, old, new) == text
    new['["A"]'] = "New text."
    assert reapply(text, old, new) == text.replace("Old.", "New text.")
    # a place gained or lost a description
    assert reapply(text, old, {'["A"]': "New."}) is None
    # escapes are dmcg's: a backslash or a triple quote is printed by dmcg
    assert reapply(text, old, {**new, '["A"]': "back\\slash"}) is None
    assert reapply(text, old, {**new, '["A"]': 'say """x"""'}) is None
    # a docstring not found as printed (black changed it, or a stale entry)
    assert reapply(text.replace('"""Old."""', '"""Old. """'), old, new) is None
    # one printed text, two new ones: which goes where is unknown
    twice = {'["A"]': "Same.", '["A","properties","x"]': "Same."}
    assert reapply(text, twice, {**twice, '["A"]': "Other."}) is None


def test_reapply_sends_black_only_what_the_new_descriptions_made_too_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cached text is black's: a long line black left as it is costs no black call
    (and no import of black on a warm run); a new description too long for its line
    goes to black, and lands as a cold run prints it."""
    from oapigen.emit import formatter

    seen: list[str] = []
    black = formatter._format_with_black

    def recorded(source: str, line_length: int) -> str:
        seen.append(source)
        return black(source, line_length)

    monkeypatch.setattr(formatter, "_format_with_black", recorded)
    kept = (
        "    values: dict[str, int] = {\n        "
        + '"a_key_'
        + "x" * 90
        + '": 1,\n    }\n'
    )
    text = f'class A(BaseModel):\n    """Old."""\n\n{kept}'
    assert formatter.format_python(text) == text
    seen.clear()
    old = {'["A"]': "Old."}
    assert reapply(text, old, {'["A"]': "New."}) == text.replace("Old.", "New.")
    assert seen == []
    long = "A description " * 8 + "that ends here."
    found = reapply(text, old, {'["A"]': long})
    assert found == formatter.format_python(text.replace("Old.", long)) and seen


def test_split_takes_descriptions_from_schemas_not_from_names_or_data() -> None:
    schema = {
        "description": "Doc.",
        "properties": {
            "description": {"type": "string", "description": "Field doc."},
        },
        "required": ["description"],
        "enum": ["description"],
    }
    bare, slots = split(schema, ("A",))
    assert bare == {
        "properties": {"description": {"type": "string"}},
        "required": ["description"],
        "enum": ["description"],
    }
    assert slots == {
        '["A"]': "Doc.",
        '["A", "properties", "description"]': "Field doc.",
    }


# -- random and public specs ---------------------------------------------------------


@pytest.mark.slow
@FEW_DRAWN_SPECS
@given(documents())
def test_edits_of_random_specs_print_as_dmcg_does(document: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="oapigen-prose-") as tmp:
        api = plan_drawn(document, Path(tmp))
        if api is None:
            return
        try:
            stage_run(api, None)
        except GeneratorError:
            return  # dmcg may reject a random spec (E30x): not ours
        check_edits_print_as_dmcg_does(api, Path(tmp) / "cache")


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.1.0", "2.3.0"])
def test_edits_of_the_openai_specs_print_as_dmcg_does(
    tmp_path: Path, version: str
) -> None:
    spec = openai_spec(version)
    api, _ = plan(load(spec), spec_name=spec.name)
    rewritten = check_edits_print_as_dmcg_does(api, tmp_path / "cache", rounds=1)
    documented = {m.module for m in api.models if m.description}
    assert rewritten >= len(documented) // 2


def test_a_spec_seen_but_for_a_description_line_starts_no_worker(
    tmp_path: Path, example: ir.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker (and its ~1 s warm-up of dmcg) is for modules to print; a spec that
    differs from one generated before only in a description will most likely have
    none. Another change of the bytes is another spec."""
    monkeypatch.setattr(stage_module, "_can_fork", lambda: True)
    cache, spec = tmp_path / "cache", tmp_path / "spec.yaml"
    text = EXAMPLE_SPEC.read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    with ModelsStage(2, cache_dir=cache, spec=spec) as stage:
        assert stage.workers == 2
        stage.submit(example)
        stage.results()
    line = next(
        x
        for x in text.splitlines()
        if x.strip().startswith("description:") and x.rstrip()[-1] not in "|>"
    )
    spec.write_text(text.replace(line, line + " Edited.", 1), encoding="utf-8")
    assert ModelsStage(2, cache_dir=cache, spec=spec).workers == 0
    spec.write_text(text.replace("\n", "\n\n", 1), encoding="utf-8")
    assert ModelsStage(2, cache_dir=cache, spec=spec).workers == 2


def _description_lines_blanked(content: bytes) -> bytes:
    """What the seen key hashes, the slow plain way: line by line."""
    key = re.compile(rb'[ \t]*"?description"?[ \t]*:[^\n]*')
    lines = content.split(b"\n")
    return b"\n".join(b"" if key.fullmatch(line) else line for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        b"a: 1\n  description: x\nb: 2",
        b"description: first line, no line break",
        b'  "description": "json",\r\n}',
        b"xdescription: 1\n description:2\n",
        b"summary: says description: inside\n",
        b'description: "description: twice"\nnext: 1\n',
        b"",
        b"\n\n",
    ],
)
def test_the_seen_key_leaves_out_exactly_the_description_lines(text: bytes) -> None:
    assert stage_module._without_descriptions(text) == _description_lines_blanked(text)


def test_the_seen_key_leaves_out_the_description_lines_of_a_whole_spec() -> None:
    content = EXAMPLE_SPEC.read_bytes()
    stripped = stage_module._without_descriptions(content)
    assert stripped == _description_lines_blanked(content)
    assert stripped != content and stripped.count(b"\n") == content.count(b"\n")


def test_the_prose_index_is_one_entry_written_only_when_a_module_was_made(
    tmp_path: Path, example: ir.Api
) -> None:
    cache = tmp_path / "cache"

    def entries() -> tuple[dict[str, bytes], int]:
        """The stored entries, and when the database was last written."""
        with closing(sqlite3.connect(cache / DATABASE_NAME)) as db:
            rows = dict(db.execute("SELECT key, value FROM entries"))
        return rows, (cache / DATABASE_NAME).stat().st_mtime_ns

    _, stage = stage_run(example, cache)
    assert len(entries()[0]) == stage.printed_modules + 1  # the modules and the index
    before = entries()
    _, stage = stage_run(example, cache)  # all cached: nothing written
    assert stage.cached_modules > 0 and entries() == before
