"""One group of models through datamodel-code-generator's Python API (pydantic v2).

dmcg gets the prepared document as a mapping (never a file), unformatted output
(black runs once, afterwards), our templates (`templates/dmcg`), and writes its model
metadata, which is checked against the plan: every class in the module the planner chose,
with the field names it chose. A mismatch is a generator bug, reported as E302.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import tokenize
import warnings
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..diagnostics import GeneratorError, error
from .postprocess import module_body
from .groups import Group
from .prepare import BASE_CLASS

PINNED_DMCG = "0.89.0"  # as in pyproject.toml


@cache
def dmcg_version() -> str:
    try:
        return metadata.version("datamodel-code-generator")
    except metadata.PackageNotFoundError:
        return "missing"


def template_dir() -> Path:
    from ..render import TEMPLATES

    return TEMPLATES / "dmcg"


def _options(metadata_path: Path, group: Group) -> dict[str, Any]:
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        OpenAPIScope,
        TargetPydanticVersion,
    )
    from datamodel_code_generator.format import DatetimeClassType, PythonVersion
    from datamodel_code_generator.parser import LiteralType

    return {
        "input_file_type": InputFileType.OpenAPI,
        "openapi_scopes": [OpenAPIScope.Schemas],
        "output_model_type": DataModelType.PydanticV2BaseModel,
        "target_python_version": PythonVersion.PY_310,
        "target_pydantic_version": TargetPydanticVersion.V2_11,
        "output_datetime_class": DatetimeClassType.Datetime,
        "formatters": [],  # black runs afterwards, with the project's mode
        "custom_template_dir": template_dir(),
        "extra_template_data": group.template_data,
        "base_class": BASE_CLASS,
        # class names are the planner's, as spelled (dmcg would drop a trailing `_`)
        "custom_class_name_generator": _as_planned,
        "treat_dot_as_module": True,  # `<module>.<Class>` keys: the planner's modules
        "aliases": group.aliases,  # `<Class>.<wire name>`: the planner's field names
        "use_exact_imports": True,
        "disable_timestamp": True,
        "enum_field_as_literal": LiteralType.All,
        "use_union_operator": True,
        "use_standard_collections": True,
        "use_annotated": True,
        "field_constraints": True,
        "strict_nullable": True,
        "use_double_quotes": True,
        "use_schema_description": True,
        "use_field_description": True,
        # tagged unions inside a list stay inline, never a class of dmcg's naming
        "collapse_root_models": True,
        "emit_model_metadata": metadata_path,
    }


def _as_planned(name: str) -> str:
    return name


def print_group(group: Group, spec_file: str = "") -> dict[str, str]:
    """{module: source} for the modules `group` owns: formatted by nobody yet, without
    the header line, imports sorted, `__all__` set."""
    from datamodel_code_generator import generate

    with tempfile.TemporaryDirectory(prefix="oapigen-dmcg-") as tmp:
        metadata_path = Path(tmp) / "models.json"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = generate(group.document(), **_options(metadata_path, group))
            found = json.loads(metadata_path.read_text(encoding="utf-8"))
        except Exception as exc:  # the library raises many kinds; report, never crash
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            message = f"datamodel-code-generator failed: {type(exc).__name__}: {first}"
            pointer = "#/components/schemas"
            raise GeneratorError(
                [error("E301", spec_file, None, pointer, message)]
            ) from exc
    if isinstance(output, str):
        raise _mismatch(spec_file, "dmcg returned one module; expected a package")
    renames = _renamed(group, found)
    if renames and output:
        output = {
            parts: (
                _rename(text, renames)
                if any(old in text for old in renames)  # tokenizing costs
                else text
            )
            for parts, text in output.items()
        }
        for entry in found.get("models", ()):
            entry["class_name"] = renames.get(entry["class_name"], entry["class_name"])
    placed = _check(group, found, spec_file)
    sources: dict[str, str] = {}
    for parts, text in (output or {}).items():
        name = "/".join(parts).removesuffix(".py")
        if name == "__init__":
            continue  # the package writes its own lazy models/__init__.py
        if name not in group.modules:
            raise _mismatch(spec_file, f"dmcg wrote an unplanned module {name!r}")
        if name in group.own:
            sources[name] = module_body(text, sorted(placed.get(name, ())))
    missing = set(group.own) - set(sources)
    if missing:
        raise _mismatch(spec_file, f"dmcg wrote no module {sorted(missing)[0]!r}")
    return sources


def _renamed(group: Group, found: Any) -> dict[str, str]:
    """Classes dmcg printed under another name than the plan's: {its name: ours}.

    dmcg 0.89.0 names the item union of a list root model (`X = list[A | B]` with a
    discriminator) first, then calls the root model `XModel` (its duplicate suffix) and
    inlines the item: the class is the planned one, under a suffixed name, in the planned
    module, and the planned name is printed nowhere."""
    printed = {entry.get("class_name") for entry in found.get("models", ())}
    renames: dict[str, str] = {}
    for entry in found.get("models", ()):
        name = str(entry.get("class_name"))
        planned = _SUFFIXED.sub("", name)
        expected = group.expected.get(planned)
        if (
            name not in group.expected
            and planned != name
            and expected is not None
            and expected.module == entry.get("module")
            and planned not in printed
        ):
            renames[name] = planned
    return renames


_SUFFIXED = re.compile(r"Model\d*$")


def _rename(source: str, renames: dict[str, str]) -> str:
    """`source` with every name token in `renames` renamed (strings and comments are
    left as they are)."""
    lines = source.splitlines(keepends=True)
    spots: list[tuple[int, int, int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in renames:
            (row, start), (_, end) = token.start, token.end
            spots.append((row - 1, start, end, renames[token.string]))
    for row, start, end, name in sorted(spots, reverse=True):
        lines[row] = lines[row][:start] + name + lines[row][end:]
    return "".join(lines)


def _check(group: Group, found: Any, spec_file: str) -> dict[str, list[str]]:
    """module -> its classes, from dmcg's metadata; every planned class and field where
    the plan says."""
    placed: dict[str, list[str]] = {}
    seen: set[str] = set()
    for entry in found.get("models", ()):
        name, module = entry.get("class_name"), entry.get("module")
        expected = group.expected.get(name)
        if expected is None:
            raise _mismatch(spec_file, f"dmcg made a class the plan has not: {name!r}")
        if module != expected.module:
            raise _mismatch(
                spec_file,
                f"class {name!r} landed in module {module!r}, "
                f"planned in {expected.module!r}",
            )
        fields = tuple(
            (str(f.get("name")), str(f.get("alias") or f.get("name")))
            for f in entry.get("fields") or ()
        )
        fields = tuple(
            (name_, wire)
            for name_, wire in fields
            if not (wire in expected.redeclared and name_ == wire)
        )
        if expected.fields and fields != expected.fields:
            raise _mismatch(
                spec_file,
                f"class {name!r} has fields {fields!r}, planned {expected.fields!r}",
            )
        seen.add(name)
        placed.setdefault(module, []).append(name)
    missing = set(group.expected) - seen
    if missing:
        name = sorted(missing)[0]
        raise _mismatch(
            spec_file,
            f"dmcg made no class {name!r}",
            group.expected[name].pointer,
            hint=MISSING_CLASS_HINT,
        )
    return placed


# The one known cause (dmcg 0.89.0): a RootModel whose list contains itself, directly
# or through other lists, is written as a bare `list` and then inlined away.
MISSING_CLASS_HINT = (
    "datamodel-code-generator cannot print a list that contains itself; "
    "otherwise a generator bug: please report it with the spec that triggers it"
)


def _mismatch(
    spec_file: str,
    message: str,
    pointer: str = "#/components/schemas",
    hint: str = "a generator bug: please report it with the spec that triggers it",
) -> GeneratorError:
    return GeneratorError(
        [
            error(
                "E302",
                spec_file,
                None,
                pointer,
                f"models differ from the plan: {message}",
                hint=hint,
            )
        ]
    )
