"""mypy --strict checks the dicts a user passes for request objects, as with the official
SDK: a nested request object is typed as its model or its dict form (a TypedDict from
the same schema), so a wrong literal, a misspelled key or a missing required key is an
error, and correct dicts and models pass. Each `# E:` line must be reported (and
nothing else); unmarked lines are the correct calls."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE_SPEC, GeneratedPackages, openai_spec

from .test_stream_typing import MypyRun, start_mypy

OPENAI_SCRIPT = """\
from __future__ import annotations

from openai_api import Client
from openai_api.models import ChatCompletionRequestUserMessage


def right(client: Client) -> None:
    client.chat.create_chat_completion(messages=[{"role": "user", "content": "hi"}], model="o1")
    client.chat.create_chat_completion(
        messages=[
            {"role": "system", "content": "be brief"},
            ChatCompletionRequestUserMessage(role="user", content="hi"),
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        model="gpt-4o",
        tools=[{"type": "function", "function": {"name": "f"}}],
        tool_choice={"type": "function", "function": {"name": "f"}},
    )


def wrong(client: Client) -> None:
    client.chat.create_chat_completion(messages=[{"role": "usr", "content": "hi"}], model="o1")  # E:wrong_role
    client.chat.create_chat_completion(messages=[{"role": "user", "contnet": "hi"}], model="o1")  # E:misspelled_key
    client.chat.create_chat_completion(messages=[{"role": "user"}], model="o1")  # E:missing_key
    client.chat.create_chat_completion(messages=[], model="o1", tools=[{"type": "function", "function": {"nam": "f"}}])  # E:nested_key
"""

EXAMPLE_SCRIPT = """\
from __future__ import annotations

from example_notes_api import Client
from example_notes_api.models import HeadingBlock


def right(client: Client) -> None:
    client.notes.create_note(
        "nb",
        title="t",
        content={"format": "text/markdown", "text": "**hi**"},
        blocks=[
            {"type": "paragraph", "text": "p"},
            HeadingBlock(type="heading", text="h", level=2),
            {"type": "list", "items": [{"type": "heading", "text": "x", "level": 1}]},
        ],
    )


def wrong(client: Client) -> None:
    client.notes.create_note("nb", title="t", blocks=[{"type": "paragrph", "text": "p"}])  # E:wrong_tag
    client.notes.create_note("nb", title="t", content={"format": "text/markdown"})  # E:missing_text
    client.notes.create_note("nb", title="t", content={"format": "text/plain", "text": "x"})  # E:wrong_literal
    client.notes.create_note("nb", title="t", blocks=[{"type": "heading", "text": "h", "level": 4}])  # E:wrong_level
"""


def check(run: MypyRun, expected: set[str]) -> None:
    assert run.stray_errors == [], "\n".join(run.stray_errors)
    assert set(run.errors) == expected, run.output
    assert run.returncode == 1, run.output  # errors found, not a crash


def test_example_dict_arguments_are_type_checked(
    generated: GeneratedPackages, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = generated.project(EXAMPLE_SPEC)
    job = start_mypy(
        EXAMPLE_SCRIPT, "user_example.py", project, tmp_path_factory.mktemp("rq")
    )
    check(job.result(), {"wrong_tag", "missing_text", "wrong_literal", "wrong_level"})


@pytest.mark.openai
def test_openai_messages_are_type_checked(
    generated: GeneratedPackages, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = generated.project(openai_spec("2.3.0"))
    job = start_mypy(
        OPENAI_SCRIPT, "user_openai.py", project, tmp_path_factory.mktemp("rq")
    )
    check(
        job.result(),
        {"wrong_role", "misspelled_key", "missing_key", "nested_key"},
    )
