"""The reference docs of a generated package (`docs/`): every call in them is valid
Python naming an existing method with existing arguments, every link lands on a page
and a heading, and every operation is indexed and documented.

Calls are checked against the imported package: each ```python block is compiled, and
each `client.<resource>.<method>(...)` in it (and each call in the operation index) is
resolved on a real client and bound with `inspect.signature(method).bind(...)`.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

CODE_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
INLINE_CALL = re.compile(r"`(client\.[A-Za-z_0-9.]+\(.*?\))`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)


def docs_of(package: ModuleType) -> Path:
    return Path(package.__file__ or "").parent.parent / "docs"


def pages(docs: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(docs.rglob("*.md")):
        yield path, path.read_text(encoding="utf-8")


def client_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and isinstance(node.func.value.value, ast.Name)
            and node.func.value.value.id == "client"
        ):
            yield node


def bind(client: object, call: ast.Call, where: str) -> None:
    assert isinstance(call.func, ast.Attribute)
    assert isinstance(call.func.value, ast.Attribute)
    resource = getattr(client, call.func.value.attr, None)
    assert resource is not None, f"{where}: no client.{call.func.value.attr}"
    method = getattr(resource, call.func.attr, None)
    assert callable(method), f"{where}: no method {call.func.attr}"
    assert not any(isinstance(a, ast.Starred) for a in call.args), where
    assert all(k.arg is not None for k in call.keywords), where
    args = [object()] * len(call.args)
    kwargs = {str(k.arg): object() for k in call.keywords}
    try:
        inspect.signature(method).bind(*args, **kwargs)
    except TypeError as exc:
        raise AssertionError(f"{where}: {ast.unparse(call)[:200]}: {exc}") from exc


def check_docs(package: ModuleType) -> tuple[int, int]:
    """(example blocks, index calls) checked."""
    docs = docs_of(package)
    client = package.Client(api_key="test-key")
    blocks = index_calls = 0
    for path, text in pages(docs):
        for number, code in enumerate(CODE_BLOCK.findall(text)):
            where = f"{path.relative_to(docs)} block {number}"
            tree = ast.parse(code, filename=where)
            compile(tree, where, "exec")
            assert f"from {package.__name__} import Client" in code, where
            calls = list(client_calls(tree))
            if path.parent.name == "resources":  # the examples: one call each
                assert len(calls) == 1, where
                blocks += 1
            for call in calls:
                bind(client, call, where)
        for call_text in INLINE_CALL.findall(text):
            expression = ast.parse(call_text, mode="eval").body
            assert isinstance(expression, ast.Call), call_text
            bind(client, expression, f"{path.relative_to(docs)}: {call_text}")
            index_calls += 1
    return blocks, index_calls


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def check_links(docs: Path) -> int:
    anchors = {
        path: {slug(h) for h in HEADING.findall(text)} for path, text in pages(docs)
    }
    checked = 0
    for path, text in pages(docs):
        for target in LINK.findall(text):
            if not (target.startswith("#") or ".md" in target):
                continue  # the spec's own links (its site's pages)
            file, _, anchor = target.partition("#")
            page = (path.parent / file).resolve() if file else path
            assert page in anchors, f"{path.name}: {target} -> no page"
            assert not anchor or anchor in anchors[page], f"{path.name}: {target}"
            checked += 1
    return checked


def operations(package: ModuleType) -> list[tuple[str, str]]:
    """(resource attribute, method) of every operation, from the generated modules."""
    found = []
    for name in dir(package.Client(api_key="x")):
        resource = getattr(package.Client(api_key="x"), name)
        if type(resource).__module__.startswith(f"{package.__name__}.resources."):
            found += [
                (name, m)
                for m, value in vars(type(resource)).items()
                if not m.startswith("_") and callable(value) and not m.endswith("_iter")
            ]
    return sorted(found)


def check_coverage(package: ModuleType) -> None:
    docs = docs_of(package)
    index = (docs / "README.md").read_text(encoding="utf-8")
    indexed = sorted(
        (m.group(1), m.group(2))
        for m in re.finditer(r"\[`client\.(\w+)\.(\w+)\(", index)
    )
    expected = operations(package)
    assert indexed == expected
    for resource, method in expected:
        page = (docs / "resources" / f"{resource}.md").read_text(encoding="utf-8")
        section = page.split(f"\n## {method}\n", 1)[1].split("\n## ", 1)[0]
        assert "```python" in section and f"client.{resource}.{method}(" in section


def test_example_package_docs(example_package: ModuleType) -> None:
    blocks, index_calls = check_docs(example_package)
    assert index_calls == len(operations(example_package)) == 19
    assert blocks == 19  # one example each: the example spec has no example requests
    assert check_links(docs_of(example_package)) > 100
    check_coverage(example_package)


@pytest.mark.openai
def test_openai_package_docs(openai_package: ModuleType) -> None:
    blocks, index_calls = check_docs(openai_package)
    assert index_calls == len(operations(openai_package)) == 110
    assert blocks > 110  # several example requests for some operations
    check_links(docs_of(openai_package))
    check_coverage(openai_package)
    chat = (docs_of(openai_package) / "resources" / "chat.md").read_text()
    # the spec's curl example became a call with its JSON body as arguments
    assert 'model="gpt-4o",\n    max_tokens=300,' in chat
    assert "for chunk in client.chat.create_chat_completion(" in chat
