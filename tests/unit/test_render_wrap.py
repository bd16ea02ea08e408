"""`render.text.wrap_words` wraps as `textwrap.wrap` does with the options the docs and
docstrings use (it replaces it for speed): the same lines for any text."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oapigen.render.text import wrap_words

# words, ASCII blanks textwrap splits at, and blanks only `str.strip` knows
_PIECES = st.sampled_from(
    [
        "a",
        "bb",
        "word",
        "x" * 30,
        "-",
        "--",
        " ",
        "  ",
        "\t",
        "\n",
        "\x0b",
        "\r",
        "\u00a0",
        "\u2003",
        "é",
        "``code``",
        "https://example.com/a/long/path",
    ]
)


def textwrap_lines(text: str, width: int, initial: str, subsequent: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=initial,
        subsequent_indent=subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


@settings(max_examples=800, deadline=None)
@given(
    st.lists(_PIECES, max_size=40).map("".join),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["", "  ", "- "]),
    st.sampled_from(["", "  ", "      "]),
)
def test_random_text_wraps_as_textwrap_wraps_it(
    text: str, width: int, initial: str, subsequent: str
) -> None:
    assert wrap_words(text, width, initial, subsequent) == textwrap_lines(
        text, width, initial, subsequent
    )


@pytest.mark.parametrize("width", [20, 45, 81])
def test_spec_prose_wraps_as_textwrap_wraps_it(width: int) -> None:
    text = (
        "The ID of an uploaded file that contains training data. See [upload file]"
        "(/docs/api-reference/files/create) for how to upload a file.\tYour dataset "
        "must be formatted as a JSONL file.  Additionally,\u00a0you must upload your "
        "file with the purpose `fine-tune`."
    )
    for initial, subsequent in (("", ""), ("  ", "      ")):
        assert wrap_words(text, width, initial, subsequent) == textwrap_lines(
            text, width, initial, subsequent
        )
