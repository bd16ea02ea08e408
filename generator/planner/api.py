"""What the spec says about the API as a whole: title, package, version, servers, auth."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .. import ir
from ..diagnostics import GeneratorError, error
from ..naming import Scope, env_prefix, package_name
from .context import Context, mapping

PEP440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


@dataclass(frozen=True, slots=True)
class ApiInfo:
    title: str
    version: str
    package_version: str
    description: str
    package: str
    env_prefix: str
    default_base_url: str
    auth: ir.Auth


def api_info(
    context: Context,
    package: str | None,
    package_version: str | None = None,
    prefix: str | None = None,
) -> ApiInfo:
    """`package_version` and `prefix` (from the config) win over what the spec implies."""
    info = mapping(context.root.get("info"))
    title = str(info.get("title") or "API")
    pkg = package or package_name(title)
    valid = pkg.isascii() and pkg.isidentifier() and not pkg.startswith("_")
    if not (valid and Scope("package").is_free(pkg)):
        raise GeneratorError(
            [
                error(
                    "E401",
                    context.spec_name,
                    None,
                    "#/info/title",
                    f"package name {pkg!r} is not a valid Python package name",
                    "pass --package NAME",
                )
            ]
        )
    version = str(info.get("version") or "0.0.0")
    package_version = package_version or version
    if package_version == version and not PEP440.fullmatch(version):
        package_version = "0.0.0"
        context.warn(
            "W203",
            "#/info/version",
            f"info.version {version!r} is not a PEP 440 version; the package is 0.0.0",
        )
    return ApiInfo(
        title=title,
        version=version,
        package_version=package_version,
        description=str(info.get("description") or "").strip(),
        package=pkg,
        env_prefix=prefix or env_prefix(title),
        default_base_url=_base_url(context.root),
        auth=_auth(context.root),
    )


def _base_url(root: Mapping[str, Any]) -> str:
    servers = root.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url") or "")
    for name, spec in mapping(servers[0].get("variables")).items():
        if isinstance(spec, dict) and "default" in spec:
            url = url.replace("{" + str(name) + "}", str(spec["default"]))
    return url.rstrip("/")


def _auth(root: Mapping[str, Any]) -> ir.Auth:
    return replace(_auth_scheme(root), required=_auth_required(root))


def _auth_required(root: Mapping[str, Any]) -> bool:
    """The document's `security` names a declared scheme in every requirement and
    offers no anonymous one (`{}`): a client without a key could only get 401s."""
    schemes = mapping(root.get("components")).get("securitySchemes")
    security = root.get("security")
    if not isinstance(schemes, dict) or not isinstance(security, list):
        return False
    return bool(security) and all(
        isinstance(requirement, dict) and any(name in schemes for name in requirement)
        for requirement in security
    )


def _auth_scheme(root: Mapping[str, Any]) -> ir.Auth:
    schemes = mapping(root.get("components")).get("securitySchemes")
    if not isinstance(schemes, dict) or not schemes:
        return ir.Auth()
    chosen = None
    security = root.get("security")
    if isinstance(security, list):
        for requirement in security:
            if isinstance(requirement, dict):
                chosen = next(
                    (schemes.get(name) for name in requirement if name in schemes), None
                )
                if chosen is not None:
                    break
    if chosen is None:
        chosen = next(iter(schemes.values()))
    if not isinstance(chosen, dict):
        return ir.Auth()
    kind = chosen.get("type")
    if kind == "http" and str(chosen.get("scheme", "")).lower() == "basic":
        return ir.Auth(kind="basic")
    if kind == "apiKey":
        where = chosen.get("in")
        name = str(chosen.get("name") or "Authorization")
        if where == "query":
            return ir.Auth(kind="query", name=name)
        if where == "header":
            return ir.Auth(kind="header", name=name)
    return ir.Auth()
