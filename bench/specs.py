"""The specs of the scale and spec-bump scenarios, made or installed on first use.

Everything lands under .tools/bench/specs/ (git-ignored): the synthetic specs derive
from OpenAI's, which is never committed. Each file is rebuilt only when its source or
the recipe below changes (a stamp beside it holds their digest), so repeated runs do
not pay for it and a run times only the generators.

- `x<N>/openai.yaml`: openai-2.3.0 N times over. Copy 1 is the spec itself; copy k
  (k = 2..N) renames every path (`/copy<k>/...`), operationId (`...Copy<k>`), tag
  (`... copy<k>`) and component (`...Copy<k>`) and rewrites every `$ref` to match,
  so each copy has the same mix of constructs and the generated package grows by
  whole resources and models, the way a bigger API grows.
- `v2.0.0/openai.yaml`, `v2.3.0/openai.yaml`: byte copies of the OpenAI specs under
  one file name, as a user keeps a spec across a bump (the generated files' header
  names the spec file, so a rename would touch every file).
- `v2.3.0-edited/openai.yaml`: 2.3.0 with one schema description changed, edited in
  the text so that only that line differs.
- GitHub's REST description comes from the npm package pinned in
  bench/requirements/github-spec.json, installed into .tools/bench/npm/.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.env import REQUIREMENTS_DIR, ROOT, TOOLS_DIR

SPECS_DIR = TOOLS_DIR / "specs"
NPM_DIR = TOOLS_DIR / "npm"
NPM_PACKAGE = REQUIREMENTS_DIR / "github-spec.json"
# The bundled 3.0 document (components kept, $refs between them): see bench/README.md.
GITHUB_DOCUMENT = "node_modules/@octokit/openapi/generated/api.github.com.json"
RECIPE = "scale-1"  # bump when the way specs are derived changes
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
EDITED_SCHEMA = "CreateChatCompletionResponse"  # tried first for the one-line edit
EDIT_MARK = " Edited by the benchmark."
NPM_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class SpecInfo:
    path: Path
    label: str
    operations: int
    schemas: int  # component schemas
    size_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path.relative_to(ROOT)),
            "label": self.label,
            "operations": self.operations,
            "schemas": self.schemas,
            "size_bytes": self.size_bytes,
        }


# Loading: YAML 1.2 core schema, as both generators read a spec. PyYAML's own
# resolvers are YAML 1.1 (`no` is false, `2024-01-01` a date), which would change
# values when a spec is loaded and written back.


class _Loader12(yaml.CSafeLoader):  # libyaml: PyYAML's wheels ship it
    pass


_CORE = {
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", "~nN"),
    "tag:yaml.org,2002:int": (
        r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        "-+0123456789",
    ),
    "tag:yaml.org,2002:float": (
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
}
_Loader12.yaml_implicit_resolvers = {}
for _tag, (_pattern, _first) in _CORE.items():
    _Loader12.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader12.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _bool12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


def _int12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 16) if text.startswith("0x") else int(text)


_Loader12.add_constructor("tag:yaml.org,2002:bool", _bool12)
_Loader12.add_constructor("tag:yaml.org,2002:int", _int12)


class _Dumper(yaml.CSafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # plain YAML: every copy written out, no anchors


def load_document(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    if path.suffix == ".json":
        loaded = json.loads(text)
    else:
        loaded = yaml.load(text, Loader=_Loader12)  # noqa: S506 - a safe loader
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return loaded


def counts(document: dict[str, Any]) -> tuple[int, int]:
    """(operations, component schemas) of a document."""
    paths = document.get("paths") or {}
    operations = sum(
        1
        for item in paths.values()
        if isinstance(item, dict)
        for method in item
        if method in HTTP_METHODS
    )
    schemas = len((document.get("components") or {}).get("schemas") or {})
    return operations, schemas


# The synthetic N-times spec.


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _renamer(suffix: str, names: dict[str, set[str]]) -> Callable[[Any], Any]:
    """A deep copy of a node with every local component $ref pointing at copy `suffix`."""

    def ref(target: str) -> str:
        parts = target.split("/")
        if len(parts) >= 4 and parts[:2] == ["#", "components"]:
            section, name = parts[2], _unescape(parts[3])
            if name in names.get(section, ()):
                parts[3] = _escape(name + suffix)
        return "/".join(parts)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    out[key] = ref(value)
                elif key == "discriminator" and isinstance(value, dict):
                    out[key] = _discriminator(value)
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    def _discriminator(value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = walk({k: v for k, v in value.items() if k != "mapping"})
        mapping = value.get("mapping")
        if isinstance(mapping, dict):
            schemas = names.get("schemas", set())
            out["mapping"] = {
                # A mapping value is a $ref or a bare schema name.
                key: (
                    ref(target)
                    if target.startswith("#")
                    else (target + suffix if target in schemas else target)
                )
                for key, target in mapping.items()
            }
        return out

    return walk


def scaled(document: dict[str, Any], copies: int) -> dict[str, Any]:
    """`document` with `copies` renamed copies of its paths, tags and components."""
    components = document.get("components") or {}
    # Security schemes stay shared: `security` requirements name them.
    names = {
        section: set(entries)
        for section, entries in components.items()
        if isinstance(entries, dict) and section != "securitySchemes"
    }
    tags = document.get("tags") or []
    out = {
        key: copy.deepcopy(value)
        for key, value in document.items()
        if key not in ("paths", "components", "tags")
    }
    new_paths: dict[str, Any] = {}
    new_components: dict[str, dict[str, Any]] = {section: {} for section in components}
    new_tags: list[Any] = []
    for index in range(1, copies + 1):
        suffix = "" if index == 1 else f"Copy{index}"
        walk = _renamer(suffix, names)

        def tag(name: str) -> str:
            return name if index == 1 else f"{name} copy{index}"

        for path, item in (document.get("paths") or {}).items():
            item = walk(item)
            for method, operation in item.items():
                if method in HTTP_METHODS and isinstance(operation, dict):
                    if isinstance(operation.get("operationId"), str):
                        operation["operationId"] += suffix
                    if isinstance(operation.get("tags"), list):
                        operation["tags"] = [tag(t) for t in operation["tags"]]
            new_paths[path if index == 1 else f"/copy{index}{path}"] = item
        for section, entries in components.items():
            if section == "securitySchemes" or not isinstance(entries, dict):
                if index == 1:
                    new_components[section] = copy.deepcopy(entries)
                continue
            for name, value in entries.items():
                renamed = name + suffix
                if index > 1 and renamed in entries:
                    raise ValueError(f"copy name {renamed!r} is taken in {section}")
                new_components[section][renamed] = walk(value)
        for entry in tags:
            entry = copy.deepcopy(entry)
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                entry["name"] = tag(entry["name"])
            new_tags.append(entry)
    if tags:
        out["tags"] = new_tags
    out["paths"] = new_paths
    if components:
        out["components"] = new_components
    return out


# The one-line edit.


def edited_text(text: str, document: dict[str, Any]) -> str:
    """`text` with one schema description changed, the rest of the file untouched."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    candidates = [EDITED_SCHEMA] + [name for name in schemas if name != EDITED_SCHEMA]
    for name in candidates:
        schema = schemas.get(name)
        description = schema.get("description") if isinstance(schema, dict) else None
        if not isinstance(description, str):
            continue
        first = description.splitlines()[0].rstrip() if description.strip() else ""
        if len(first) < 20 or text.count(first) != 1:
            continue
        candidate = text.replace(first, first + EDIT_MARK, 1)
        expected = copy.deepcopy(document)
        expected["components"]["schemas"][name]["description"] = description.replace(
            first, first + EDIT_MARK, 1
        )
        if yaml.load(candidate, Loader=_Loader12) == expected:  # noqa: S506
            return candidate
    raise ValueError("no schema description can be edited on one line")


# Building and caching.


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256(RECIPE.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _info(path: Path, label: str) -> SpecInfo:
    meta = path.with_name(path.name + ".meta.json")
    size = path.stat().st_size
    if meta.is_file():
        data = json.loads(meta.read_text())
        if data.get("size_bytes") == size:
            return SpecInfo(path, label, data["operations"], data["schemas"], size)
    operations, schemas = counts(load_document(path))
    meta.write_text(
        json.dumps({"operations": operations, "schemas": schemas, "size_bytes": size})
        + "\n"
    )
    return SpecInfo(path, label, operations, schemas, size)


def _build(
    target: Path, digest: str, make: Callable[[], bytes], log: Callable[[str], None]
) -> None:
    stamp = target.with_name(target.name + ".stamp")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return
    log(f"  writing {target.relative_to(ROOT)} ...")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = make()
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    target.with_name(target.name + ".meta.json").unlink(missing_ok=True)
    stamp.write_text(digest + "\n")


def copy_of(source: Path, version: str, log: Callable[[str], None]) -> SpecInfo:
    """`v<version>/openai.yaml`: the spec under the name a user would keep."""
    raw = source.read_bytes()
    target = SPECS_DIR / f"v{version}" / "openai.yaml"
    _build(target, _digest(raw), lambda: raw, log)
    return _info(target, f"openai {version}")


def edited(source: Path, log: Callable[[str], None]) -> SpecInfo:
    raw = source.read_bytes()
    target = SPECS_DIR / "v2.3.0-edited" / "openai.yaml"

    def make() -> bytes:
        text = raw.decode("utf-8")
        return edited_text(text, load_document(source)).encode("utf-8")

    _build(target, _digest(raw), make, log)
    return _info(target, "openai 2.3.0, one description edited")


def synthetic(source: Path, copies: int, log: Callable[[str], None]) -> SpecInfo:
    raw = source.read_bytes()
    target = SPECS_DIR / f"x{copies}" / "openai.yaml"

    def make() -> bytes:
        document = scaled(load_document(source), copies)
        text = yaml.dump(
            document,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=False,
        )
        return text.encode("utf-8")

    _build(target, _digest(raw, str(copies).encode()), make, log)
    return _info(target, f"openai 2.3.0 x{copies} (synthetic)")


def github(log: Callable[[str], None]) -> SpecInfo | str:
    """GitHub's REST description from npm, installed on first use; or why not."""
    package = NPM_PACKAGE.read_bytes()
    pin = json.loads(package)["dependencies"]["@octokit/openapi"]
    document = NPM_DIR / GITHUB_DOCUMENT
    stamp = NPM_DIR / ".bench-installed"
    digest = _digest(package)
    if not (stamp.is_file() and stamp.read_text().strip() == digest):
        npm = shutil.which("npm")
        if npm is None:
            return "npm not found on PATH (apt-get install npm)"
        log(f"  installing @octokit/openapi {pin} into {NPM_DIR.relative_to(ROOT)} ...")
        shutil.rmtree(NPM_DIR, ignore_errors=True)
        NPM_DIR.mkdir(parents=True)
        shutil.copyfile(NPM_PACKAGE, NPM_DIR / "package.json")
        argv = [npm, "install", "--ignore-scripts", "--no-audit", "--no-fund"]
        argv += ["--loglevel", "error"]
        try:
            done = subprocess.run(
                argv,
                cwd=NPM_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return f"npm install timed out after {NPM_TIMEOUT_S:.0f} s"
        if done.returncode != 0 or not document.is_file():
            lines = (done.stderr + done.stdout).strip().splitlines()
            return "npm install failed: " + (lines[-1] if lines else "no document")
        stamp.write_text(digest + "\n")
    return _info(document, f"GitHub REST (@octokit/openapi {pin})")
