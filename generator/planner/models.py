"""Models through datamodel-code-generator's Python API (pydantic v2, one module per class).

We hand it the prepared schemas as a mapping (never the file), unformatted (black runs once,
later, in the emit stage's pool), and read back from its model metadata which class and module
every schema became, so operations and models agree on names.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnostics import GeneratorError, error

MODELS_PACKAGE = "models"
BASE_MODULE = "_base"
ONLY_MODULE = "_all"


@dataclass(frozen=True, slots=True)
class ModelClass:
    class_name: str
    module: str  # module name under models/, without the package
    source_ref: str  # "#/components/schemas/Foo/properties/bar"
    fields: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ModelsResult:
    sources: dict[str, str]  # module name -> source (unformatted)
    classes: tuple[ModelClass, ...]

    def by_ref(self) -> dict[str, ModelClass]:
        return {c.source_ref: c for c in self.classes}


def generate_models(
    schemas: dict[str, Any], *, package: str, header: str, title: str, spec_file: str
) -> ModelsResult:
    if not schemas:
        return ModelsResult({}, ())
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        ModuleSplitMode,
        NamingStrategy,
        OpenAPIScope,
        TargetPydanticVersion,
    )
    from datamodel_code_generator.format import PythonVersion
    from datamodel_code_generator.parser import LiteralType

    document = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "0"},
        "paths": {},
        "components": {"schemas": schemas},
    }
    with tempfile.TemporaryDirectory(prefix="oapigen-") as tmp:
        metadata_path = Path(tmp) / "models.json"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = generate(
                    document,
                    input_file_type=InputFileType.OpenAPI,
                    output_model_type=DataModelType.PydanticV2BaseModel,
                    target_python_version=PythonVersion.PY_310,
                    target_pydantic_version=TargetPydanticVersion.V2_11,
                    formatters=[],
                    module_split_mode=ModuleSplitMode.Single,
                    base_class=f"{package}.{MODELS_PACKAGE}.{BASE_MODULE}.BaseModel",
                    use_exact_imports=True,
                    custom_file_header=header,
                    disable_timestamp=True,
                    enum_field_as_literal=LiteralType.All,
                    use_union_operator=True,
                    use_standard_collections=True,
                    field_constraints=True,
                    strict_nullable=True,
                    use_double_quotes=True,
                    naming_strategy=NamingStrategy.FullPath,
                    use_tag_as_union_variant_name=True,
                    use_schema_description=True,
                    use_field_description=True,
                    openapi_scopes=[OpenAPIScope.Schemas],
                    emit_model_metadata=metadata_path,
                )
        except Exception as exc:  # the library raises many kinds; report, never crash
            message = f"datamodel-code-generator failed: {type(exc).__name__}: {exc}"
            raise GeneratorError(
                [error("E301", spec_file, None, "#/components/schemas", message)]
            ) from exc
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    if isinstance(output, str):  # one class only: dmcg returns a bare module
        output = {(f"{ONLY_MODULE}.py",): output}
    sources: dict[str, str] = {}
    for parts, text in (output or {}).items():
        name = "/".join(parts)
        if name == "__init__.py":
            continue  # we write our own lazy models/__init__.py
        sources[name.removesuffix(".py").replace("/", ".")] = text
    classes = tuple(
        ModelClass(
            class_name=entry["class_name"],
            module=entry["module"] or ONLY_MODULE,
            source_ref=entry["source_ref"],
            fields=tuple(entry.get("fields") or ()),
        )
        for entry in metadata["models"]
    )
    return ModelsResult(sources, classes)
