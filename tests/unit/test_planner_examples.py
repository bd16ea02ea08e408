"""`examples.shell_words` splits a curl example as `shlex.split` does (it replaces it
for speed): the same words, and a ValueError where shlex raises one."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oapigen.planner.examples import shell_words

# what shlex treats specially, and a few ordinary and unusual characters
_ALPHABET = st.sampled_from(list(" \t\r\n\x0b'\"\\a-=:{}$#é"))


def shlex_or_error(text: str) -> list[str] | str:
    try:
        return shlex.split(text)
    except ValueError:
        return "error"


def ours_or_error(text: str) -> list[str] | str:
    try:
        return shell_words(text)
    except ValueError:
        return "error"


@settings(max_examples=1000, deadline=None)
@given(st.lists(_ALPHABET, max_size=24).map("".join))
def test_random_text_splits_as_shlex_splits_it(text: str) -> None:
    assert ours_or_error(text) == shlex_or_error(text)


@pytest.mark.parametrize(
    "text",
    [
        'curl https://api.openai.com/v1/models \\\n  -H "Authorization: Bearer $KEY"',
        "curl -d '{\"a\": [1, 2]}' -F file=\"@x.jsonl\" -F 'purpose=fine-tune'",
        "say \"a \\\" b \\\\ c \\n d\" 'it'\\''s' \"\" ''",
        'unclosed "quote',
        "unclosed 'quote",
        "trailing backslash \\",
        'in quotes "\\',
    ],
)
def test_curl_like_text_splits_as_shlex_splits_it(text: str) -> None:
    assert ours_or_error(text) == shlex_or_error(text)


@pytest.mark.parametrize("version", ["1.1.0", "2.0.0", "2.3.0"])
def test_the_openai_curl_examples_split_as_shlex_splits_them(version: str) -> None:
    from oapigen.loader import load
    from tests.conftest import openai_spec

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            curl = node.get("curl")
            if isinstance(curl, str):
                found.append(curl)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load(openai_spec(version)).root)
    assert len(found) > 20
    for text in found:
        text = text.replace("\\\n", " ")
        assert ours_or_error(text) == shlex_or_error(text)
