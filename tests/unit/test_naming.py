"""The naming authority: every identifier the generated code uses comes from here."""

from __future__ import annotations

import keyword

import pytest

from oapigen.naming import (
    CLIENT_RESERVED,
    METHOD_RESERVED,
    argument_name,
    env_prefix,
    package_name,
    pascal,
    python_identifier,
    snake,
    unique_names,
)


@pytest.mark.parametrize(
    ("operation_id", "method"),
    [
        ("createChatCompletion", "create_chat_completion"),
        ("admin-api-keys-create", "admin_api_keys_create"),
        ("retrieveVectorStoreFileBatch", "retrieve_vector_store_file_batch"),
        ("getHTTPResponse", "get_http_response"),
        ("list_files", "list_files"),
        ("usage-audio-speeches", "usage_audio_speeches"),
    ],
)
def test_operation_ids_become_snake_case_methods(
    operation_id: str, method: str
) -> None:
    assert snake(operation_id) == method


@pytest.mark.parametrize(
    ("tag", "attr"),
    [
        ("Vector stores", "vector_stores"),
        ("Fine-tuning", "fine_tuning"),
        ("Audit Logs", "audit_logs"),
    ],
)
def test_tags_become_resource_attributes(tag: str, attr: str) -> None:
    assert snake(tag) == attr


def test_pascal_keeps_existing_pascal_names_and_joins_words() -> None:
    assert pascal("OpenAIFile") == "OpenAIFile"
    assert pascal("Vector stores") == "VectorStores"
    assert pascal("create_chat_completion") == "CreateChatCompletion"


def test_package_and_env_prefix_follow_api_md() -> None:
    assert package_name("OpenAI API") == "openai_api"
    assert env_prefix("OpenAI API") == "OPENAI"
    assert package_name("Example Notes API") == "example_notes_api"
    assert env_prefix("3D Printing API").isidentifier()


@pytest.mark.parametrize("word", sorted(keyword.kwlist))
def test_keywords_are_never_identifiers(word: str) -> None:
    name = python_identifier(word)
    assert name.isidentifier() and not keyword.iskeyword(name)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("hate/threatening", "hate_threatening"),
        ("self-harm/intent", "self_harm_intent"),
        ("include[]", "include"),
        ("x.count", "x_count"),
        ("2fa_enabled", "n_2fa_enabled"),
        ("class", "class_"),
        ("from", "from_"),
        ("OpenAI-Beta", "open_ai_beta"),
        ("max_tokens", "max_tokens"),
    ],
)
def test_wire_names_become_safe_arguments(wire: str, expected: str) -> None:
    assert argument_name(wire) == expected


def test_builtins_are_allowed_as_arguments_because_bodies_never_use_them() -> None:
    # `type`, `id`, `input`, `object` are what users expect (the official SDK uses them);
    # generated method bodies only use names from METHOD_RESERVED.
    for builtin in ("type", "id", "input", "object", "bytes"):
        assert argument_name(builtin) == builtin


@pytest.mark.parametrize("reserved", sorted(METHOD_RESERVED))
def test_names_the_method_body_uses_are_never_arguments(reserved: str) -> None:
    name = argument_name(reserved)
    assert name not in METHOD_RESERVED and name.isidentifier()


def test_client_reserved_names_cover_the_runtime_surface() -> None:
    assert {"with_options", "close", "request", "with_raw_response"} <= CLIENT_RESERVED


def test_collisions_are_resolved_independently_of_order() -> None:
    wires = ["a-b", "a_b", "a.b", "c"]
    first = unique_names(wires, python_identifier)
    second = unique_names(list(reversed(wires)), python_identifier)
    assert first == second
    assert len(set(first.values())) == len(wires)
    assert first["a-b"] == "a_b" and first["a.b"] == "a_b_2" and first["a_b"] == "a_b_3"


def test_taken_names_are_avoided() -> None:
    assert unique_names(["self"], python_identifier, taken={"self"}) == {
        "self": "self_2"
    }
