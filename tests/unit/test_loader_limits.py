"""Loader limits: alias bombs, deep nesting, file size; YAML 1.2 anchor redefinition.

No timed assertions: a refusal is shown by what is refused (a bomb that would expand to
more nodes than a computer could walk) and by the memory the process used. The CPU limit
on the subprocess only turns a regression (a hang) into a failure instead of a stuck run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oapigen.diagnostics import Diagnostic, GeneratorError
from oapigen.loader import LoadOptions, load
from oapigen.loader.limits import measure
from oapigen.loader.yaml12 import HAVE_LIBYAML, load_yaml, load_yaml_reused

ROOT = Path(__file__).resolve().parents[2]
HEAD = "openapi: 3.0.3\ninfo: {title: Limits, version: '1'}\npaths: {}\n"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path, options: LoadOptions = LoadOptions()) -> list[Diagnostic]:
    with pytest.raises(GeneratorError) as info:
        load(path, options)
    return info.value.diagnostics


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """ "Billion laughs": each level is a list of `width` aliases of the level below."""
    lines = [HEAD.rstrip("\n"), "x-bomb:", '  a0: &a0 ["lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        items = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"  a{level}: &a{level} [{items}]")
    return "\n".join(lines) + "\n"


def nested_yaml(depth: int) -> str:
    """Block mappings `depth` levels deep below `x-deep`."""
    body = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth))
    return HEAD + "x-deep:\n" + body + "  " * (depth + 1) + "end: 1\n"


def nested_json(depth: int) -> str:
    doc = {"openapi": "3.0.3", "info": {"title": "Deep", "version": "1"}, "paths": {}}
    text = json.dumps(doc, indent=1)[:-2]
    return text + ',\n "x-deep":\n' + "[\n" * depth + "1" + "]" * depth + "\n}\n"


def test_alias_bomb_is_refused_at_the_anchor_that_explodes(tmp_path: Path) -> None:
    (diagnostic,) = errors_of(write(tmp_path, "bomb.yaml", alias_bomb()))
    # a6 is the first level whose expansion (3 * 9**6 + ...) passes 1,000,000 extra nodes
    assert (diagnostic.code, diagnostic.line) == ("E108", 11)  # a0 is on line 5
    assert diagnostic.pointer == "#/x-bomb/a6"
    assert "alias bomb" in diagnostic.message and diagnostic.hint


def test_a_bomb_past_any_walkable_size_is_refused_just_the_same(tmp_path: Path) -> None:
    # 20 levels of 20: 20**20 nodes; only a loader that never expands aliases gets here
    (diagnostic,) = errors_of(write(tmp_path, "bomb.yaml", alias_bomb(20, 20)))
    assert diagnostic.code == "E108" and diagnostic.pointer == "#/x-bomb/a5"


def test_aliases_below_the_limit_load_and_stay_shared(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "ok.yaml", alias_bomb(levels=4)))
    bomb = doc.root["x-bomb"]
    assert bomb["a4"][0] is bomb["a3"] and len(bomb["a4"]) == 9


def test_the_alias_limit_is_an_option(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.yaml", alias_bomb(levels=4))
    (diagnostic,) = errors_of(path, LoadOptions(max_alias_nodes=100))
    assert diagnostic.code == "E108" and diagnostic.pointer == "#/x-bomb/a2"


@pytest.mark.parametrize("libyaml", [True, False] if HAVE_LIBYAML else [False])
def test_a_redefined_anchor_applies_to_the_aliases_after_it(libyaml: bool) -> None:
    text = textwrap.dedent("""
        first: &s {type: string}
        before: *s
        second: &s {type: integer}
        after: *s
        list: [&n 1, *n, &n 2, *n]
        """).encode()
    data, _ = load_yaml(text, libyaml=libyaml)
    assert data["before"] == {"type": "string"} and data["before"] is data["first"]
    assert data["after"] == {"type": "integer"} and data["after"] is data["second"]
    assert data["list"] == [1, 1, 2, 2]


def test_a_document_redefining_an_anchor_loads_with_lines(tmp_path: Path) -> None:
    text = HEAD + textwrap.dedent("""
        components:
          schemas:
            A: &s {type: string}
            B: *s
            C: &s {type: integer}
            D: *s
        """)
    doc = load(write(tmp_path, "api.yaml", text))
    assert doc.root["components"]["schemas"]["D"] == {"type": "integer"}
    assert doc.locate("#/components/schemas/D") == (str(tmp_path / "api.yaml"), 10)


def test_recursive_data_is_still_an_error(tmp_path: Path) -> None:
    (diagnostic,) = errors_of(write(tmp_path, "r.yaml", HEAD + "x-loop: &l [*l]\n"))
    assert diagnostic.code == "E101" and "recursive" in diagnostic.message


def test_deep_yaml_is_refused_at_the_line_where_the_limit_is_crossed(
    tmp_path: Path,
) -> None:
    (diagnostic,) = errors_of(write(tmp_path, "deep.yaml", nested_yaml(300)))
    assert diagnostic.code == "E107" and "256 levels" in diagnostic.message
    # x-deep is level 1 (line 4); the 257th level is the mapping under k254
    assert diagnostic.line == 4 + 256


def test_yaml_at_the_depth_limit_loads(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "deep.yaml", nested_yaml(254)))
    assert "x-deep" in doc.root


@pytest.mark.parametrize(("depth", "line"), [(300, 264), (100_000, 264)])
def test_deep_json_is_refused_and_located(
    tmp_path: Path, depth: int, line: int
) -> None:
    (diagnostic,) = errors_of(write(tmp_path, "deep.json", nested_json(depth)))
    assert diagnostic.code == "E107"
    assert (
        diagnostic.line == line
    )  # line 6 holds "x-deep"; the 257th bracket is 255 below


def test_aliases_that_nest_an_anchor_too_deep_are_refused(tmp_path: Path) -> None:
    # each part is 130 levels deep: fine alone, too deep once one is used inside the other
    deep = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(128))
    text = HEAD + "x-a: &a\n" + deep + "  " * 129 + "end: 1\n"
    text += "x-b:\n" + deep + "  " * 129 + "end: *a\n"
    (diagnostic,) = errors_of(write(tmp_path, "api.yaml", text))
    assert diagnostic.code == "E107"
    assert diagnostic.pointer.startswith("#/x-b/k0/k1/")
    assert diagnostic.line is not None and diagnostic.line > 130


def _anchor_used_at(level: int, height: int) -> str:
    """An anchor `height` levels high, used by an alias in a container at `level`."""
    anchored = "x-a: &a " + "[" * height + "1" + "]" * height + "\n"
    return HEAD + anchored + "x-b: " + "[" * (level - 1) + "*a" + "]" * (level - 1)


@pytest.mark.parametrize(
    ("text", "options"),
    [
        (HEAD, LoadOptions()),
        (alias_bomb(levels=4), LoadOptions()),
        (alias_bomb(levels=4), LoadOptions(max_alias_nodes=100)),
        (alias_bomb(levels=4), LoadOptions(max_alias_nodes=30_438)),  # at the limit
        (alias_bomb(levels=4), LoadOptions(max_alias_nodes=30_437)),  # one over
        (alias_bomb(), LoadOptions()),
        (HEAD + "x-loop: &l [*l]\n", LoadOptions()),
        (HEAD + "x: &l {a: [1, {b: *l}]}\n", LoadOptions()),
        (_anchor_used_at(level=8, height=4), LoadOptions(max_depth=12)),  # at the limit
        (_anchor_used_at(level=8, height=4), LoadOptions(max_depth=11)),  # one over
        (_anchor_used_at(level=2, height=1), LoadOptions(max_depth=2)),
    ],
)
def test_measuring_only_the_shared_objects_finds_what_the_whole_walk_finds(
    text: str, options: LoadOptions
) -> None:
    # the loader measures only what aliases share when it can; never with a different
    # outcome than walking the whole document
    data, _, reused = load_yaml_reused(text.encode(), max_depth=options.max_depth)
    assert measure(data, options, reused=reused) == measure(data, options)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "big.yaml", HEAD + "x-pad: '" + "x" * 5000 + "'\n")
    (diagnostic,) = errors_of(path, LoadOptions(max_bytes=4096))
    assert diagnostic.code == "E106" and diagnostic.pointer == "#"
    size = path.stat().st_size
    assert (
        diagnostic.message == f"the file is {size} bytes, over the limit of 4096 bytes"
    )
    assert "--max-spec-size" in diagnostic.hint


def test_a_referenced_file_over_the_limit_is_refused_too(tmp_path: Path) -> None:
    write(
        tmp_path, "big.yaml", "Big: {type: string, description: '" + "x" * 5000 + "'}\n"
    )
    root = write(
        tmp_path,
        "api.yaml",
        HEAD + "components:\n  schemas:\n    Big: {$ref: 'big.yaml#/Big'}\n",
    )
    found = errors_of(root, LoadOptions(max_bytes=4096))
    assert [d.code for d in found] == ["E106"]
    assert found[0].file.endswith("big.yaml")


def _run_limited(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter with a CPU-time ceiling (a hang guard, see above)."""
    guard = "import resource; resource.setrlimit(resource.RLIMIT_CPU, (60, 60))\n"
    return subprocess.run(
        [sys.executable, "-c", guard + code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("bomb.yaml", lambda: alias_bomb(), "E108"),
        ("bomb12.yaml", lambda: alias_bomb(12, 12), "E108"),
        (
            "deep.yaml",
            lambda: HEAD + "x: " + "{a: " * 5_000 + "1" + "}" * 5_000,
            "E107",
        ),
        (
            "flow.yaml",
            lambda: HEAD + "x: " + "[" * 200_000 + "]" * 200_000 + "\n",
            "E107",
        ),
        ("deep.json", lambda: nested_json(1_000_000), "E107"),
    ],
)
def test_hostile_documents_are_refused_in_a_small_process(
    tmp_path: Path, name: str, make: object, code: str
) -> None:
    assert callable(make)
    path = write(tmp_path, name, make())
    done = _run_limited(
        "from pathlib import Path\n"
        "from oapigen.diagnostics import GeneratorError\n"
        "from oapigen.loader import load\n"
        "try:\n"
        f"    load(Path({str(path)!r}))\n"
        "except GeneratorError as exc:\n"
        "    print(exc)\n"
        # VmHWM: peak resident memory of this program (ru_maxrss would count the
        # forked parent's pages too)
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]) // 1024)\n"
    )
    assert done.returncode == 0, done.stderr
    diagnostic, peak_mb = done.stdout.strip().splitlines()
    assert f"error {code}:" in diagnostic and diagnostic.startswith(f"{path}:")
    assert int(peak_mb) < 200, f"peak memory {peak_mb} MB"


def test_cli_max_spec_size_option(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", HEAD + "x-pad: '" + "x" * 200_000 + "'\n")
    command = [sys.executable, "-m", "oapigen", str(path), "-o", str(tmp_path / "out")]
    small = subprocess.run(
        [*command, "--max-spec-size", "0.1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert small.returncode == 2 and "Traceback" not in small.stderr
    assert small.stderr.strip() == (
        f"{path} #: error E106: the file is 0.2 MB, over the limit of 0.1 MB "
        "(hint: raise the limit with --max-spec-size MB if the file is trusted)"
    )
    assert not (tmp_path / "out").exists()
