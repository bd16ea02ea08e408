"""Selective formatting (`emit.selective`): black only on what black would change, and
the same text as black on the whole file.

Each case is a construct the cutting has a rule for; every case asserts the result equals
black's and, where it matters, that black saw only part of the file. The packages the
specs generate are compared whole too (their async halves and models included).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from oapigen.config import GeneratorConfig, load_config
from oapigen.emit import format_generated, format_python
from oapigen.emit.formatter import _format_with_black
from oapigen.emit.selective import format_selectively
from oapigen.loader import load
from oapigen.modelgen import print_models
from oapigen.planner import plan
from oapigen.render import render
from tests.conftest import EXAMPLE_SPEC, SPECS, openai_spec

WIDE = "\u4e2d"  # two columns wide
LONG_TYPE = " | ".join(f"_models.SomeRatherLongModelName{i}" for i in range(4))


def black_inputs() -> tuple[Callable[[str, int], str], list[str]]:
    """A formatter for `format_selectively` that records what black was given."""
    seen: list[str] = []

    def fmt(source: str, line_length: int) -> str:
        seen.append(source)
        return _format_with_black(source, line_length)

    return fmt, seen


def selective(source: str) -> tuple[str, list[str]]:
    fmt, seen = black_inputs()
    return format_selectively(source, fmt, 88), seen


CASES = {
    "long statement in a method": (
        "class A:\n"
        '    """Doc."""\n'
        "\n"
        "    def f(self) -> None:\n"
        '        """Doc."""\n'
        "        x = 1\n"
        f"        return self._client.request(first_argument, {LONG_TYPE})\n"
    ),
    "long parameter of an exploded signature": (
        "class A:\n"
        "    def f(\n"
        "        self,\n"
        "        *,\n"
        f"        choice: {LONG_TYPE} | None = None,\n"
        "        other: int = 1,\n"
        "    ) -> None:\n"
        "        return None\n"
    ),
    "a short parameter black would respell": (
        "class A:\n"
        "    def f(\n"
        "        self,\n"
        f"        choice: {LONG_TYPE} | None = None,\n"
        "        order: Literal['asc', 'desc'] = 'asc',\n"
        "    ) -> None:\n"
        "        return None\n"
    ),
    "overload with its body on the closing line": (
        "class A:\n"
        "    @overload\n"
        "    def f(\n"
        "        self,\n"
        f"        choice: {LONG_TYPE} | None = None,\n"
        "    ) -> None: ...\n"
    ),
    "long signature on one line": (
        f"def f(self, choice: {LONG_TYPE} | None = None, other: int = 1) -> None:\n"
        "    return None\n"
    ),
    "long return annotation": (
        "def f(\n" "    self,\n" f") -> {LONG_TYPE}:\n" "    return None\n"
    ),
    "docstring with a long middle line": (
        "def f() -> None:\n"
        '    """Summary.\n'
        "\n"
        f"    See https://example.com/{'x' * 90} for more.\n"
        "    Last line.\n"
        '    """\n'
    ),
    "docstring whose last line is too long": (
        "class A:\n" f'    """Summary {"word " * 18}end."""\n' "\n" "    x: int\n"
    ),
    "docstring black re-indents": (
        '"""Operations of r\n (1): `client.r`."""\n\nx = 1\n'
    ),
    "docstring with a leading space": 'def f() -> None:\n    """ Doc."""\n',
    "single quotes": "x = Field(alias='a.b')\ny: Literal['a', \"b\"]\n",
    "string prefixes": 'x = U"a"\ny = B"b"\nz = R"c"\n',
    "numbers": "a = 1e+20\nb = 0xab\nc = 1E5\nd = 2J\ne = 10\n",
    "escapes": 'a = "\\xAB"\nb = "\\N{bullet}"\nc = "\\u00e9"\n',
    "wide characters": (
        "class A:\n" + f'    x: Literal["{WIDE * 40}"] | None = None\n'
    ),
    "multi-line string left of its statement": (
        "def f() -> str:\n"
        "    x = '''\n"
        "text at column 0\n"
        f"'''  + {LONG_TYPE!r} + {LONG_TYPE!r}\n"
        "    return x\n"
    ),
    "long else line": (
        "if x:\n" "    pass\n" f"elif {LONG_TYPE} and {LONG_TYPE}:\n" "    pass\n"
    ),
    "collection element lines": (
        "_MODULES: dict[str, str] = {\n"
        f'    "{"A" * 50}": "{"a" * 50}",\n'
        '    "B": "b",\n'
        "}\n"
    ),
    "no newline at the end": "x = 1",
    # found by the fuzzed specs: black puts a space between the quotes and the text
    "docstring starting with a quote": (
        "def f() -> None:\n" '    """"Quoted" first."""\n' "    return None\n"
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_each_construct_formats_as_black_does(name: str) -> None:
    source = CASES[name]
    result, _ = selective(source)
    assert result == format_python(source)


def test_black_sees_only_the_long_statements() -> None:
    short = "".join(
        f"\n    def m{i}(self) -> int:\n        return {i}\n" for i in range(30)
    )
    source = CASES["long statement in a method"] + short
    result, seen = selective(source)
    assert result == format_python(source)
    assert len(seen) == 1 and "m29" not in seen[0]  # one call, without the short ones
    assert seen[0].startswith("return self._client.request(")


def test_a_long_parameter_is_formatted_alone_and_equal_ones_once() -> None:
    source = CASES["long parameter of an exploded signature"]
    twice = source + "\n\n" + source.replace("def f(", "def g(")
    result, seen = selective(twice)
    assert result == format_python(twice)
    assert len(seen) == 1 and seen[0].count("choice:") == 1  # one piece for both
    assert "other" not in seen[0]


def test_an_already_formatted_file_costs_no_black_call() -> None:
    source = format_python(CASES["long parameter of an exploded signature"])
    result, seen = selective(source)
    assert (result, seen) == (source, [])


def test_decorators_and_strings_ending_like_a_prefix_cost_no_black_call() -> None:
    """Black never joins a decorator with its def, and `"put"` ends like the prefix
    `u"`, `"re-run"` like `ru"` (and no prefix has three letters), but inside a
    string: none makes a statement dirty."""
    source = format_python(
        "class A:\n"
        "    @property\n"
        "    def with_raw_response(self) -> int:\n"
        "        return 1\n\n\n"
        "_OPERATION = _rt.Operation(\n"
        '    name="things/replace-a-thing-with-another-thing-in-the-place-of-it",\n'
        '    method="put",\n'
        '    path="/things/{thing_id}/replacements/{replacement_id}/places/{place}",\n'
        '    summary="re-run",\n'
        ")\n"
    )
    assert '    method="put",\n' in source and '"re-run"' in source
    result, seen = selective(source)
    assert (result, seen) == (source, [])


def test_long_keyword_and_dict_elements_cost_no_black_call() -> None:
    """A keyword with a string, or a string key with a name, alone on its line in an
    exploded call or dict: black has nothing to split there and leaves it long."""
    name = "secret_scanning_push_protection_enabled_for_new_repositories_and_more"
    source = (
        "def f() -> object:\n"
        "    return g(\n"
        f'        path="/repos/{{owner}}/{{repo}}/{name}",\n'
        "        json={\n"
        f'            "{name}": {name},\n'
        "        },\n"
        "    )\n"
    )
    assert format_python(source) == source
    assert min(len(line) for line in source.splitlines()[2:5:2]) > 88
    result, seen = selective(source)
    assert (result, seen) == (source, [])


def test_short_lines_are_kept_as_the_templates_print_them() -> None:
    """The contract: code printed in black's style. What is not (here spacing, which no
    spec can change) stays as it is unless a statement is long."""
    messy = "x=1\ndef f( a ):\n  return a\n"
    assert format_generated(messy) == messy != format_python(messy)


def test_a_syntax_error_is_black_s_to_report() -> None:
    with pytest.raises(Exception) as caught:
        format_generated(f"def f(:\n    x = {LONG_TYPE}\n")
    assert "cannot parse" in str(caught.value)


def generated_sources(spec: Path, config: GeneratorConfig | None = None) -> dict:
    config = config or GeneratorConfig()
    document = load(spec, overlays=config.overlays)
    api, _ = plan(document, spec_name=spec.name, config=config)
    files = {**render(api), **print_models(api)}
    return {
        path: text
        for path, text in files.items()
        if path.endswith(".py") and "/_runtime/" not in path
    }


def assert_formats_as_black(files: dict[str, str]) -> None:
    differing = [
        p for p, t in sorted(files.items()) if format_generated(t) != format_python(t)
    ]
    assert differing == []


def test_the_example_package_formats_as_black_does() -> None:
    assert_formats_as_black(generated_sources(EXAMPLE_SPEC))


@pytest.mark.slow
def test_the_configured_openai_package_formats_as_black_does() -> None:
    spec = openai_spec("2.3.0")
    config = load_config(SPECS / "openai.oapigen.toml")
    assert_formats_as_black(generated_sources(spec, config))
