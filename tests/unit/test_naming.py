"""The naming authority: every identifier the generated code uses comes from here, by one
rule per step (spell the text for its kind; a taken or reserved name gets `_` appended),
independent of the order names are met."""

from __future__ import annotations

import keyword
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oapigen.naming import (
    BUILTINS,
    CLIENT_RESERVED,
    MAX_NAME,
    METHOD_RESERVED,
    PYDANTIC_ATTRIBUTES,
    SOFT_KEYWORDS,
    Kind,
    Scope,
    argument_name,
    env_prefix,
    identifier,
    join_words,
    package_name,
    pascal,
    repeats_words,
    singular,
    snake,
)

KINDS: tuple[Kind, ...] = (
    "package",
    "module",
    "class",
    "field",
    "parameter",
    "method",
    "resource",
    "constant",
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
    assert Scope("method").claim(operation_id) == method


@pytest.mark.parametrize(
    ("tag", "attr"),
    [
        ("Vector stores", "vector_stores"),
        ("Fine-tuning", "fine_tuning"),
        ("Audit Logs", "audit_logs"),
    ],
)
def test_tags_become_resource_attributes(tag: str, attr: str) -> None:
    assert Scope("resource").claim(tag) == attr


def test_pascal_keeps_existing_pascal_names_and_joins_words() -> None:
    assert pascal("OpenAIFile") == "OpenAIFile"
    assert pascal("Vector stores") == "VectorStores"
    assert pascal("create_chat_completion") == "CreateChatCompletion"


def test_package_and_env_prefix_follow_api_md() -> None:
    assert package_name("OpenAI API") == "openai_api"
    assert env_prefix("OpenAI API") == "OPENAI"
    assert package_name("Example Notes API") == "example_notes_api"
    assert env_prefix("3D Printing API").isidentifier()
    assert package_name("Import") == "import_"  # a keyword
    assert package_name("List") == "list_"  # a builtin would shadow it


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
        ("café", "cafe"),  # accents dropped
        ("ﬁle", "file"),  # NFKC: the ligature is two letters
        ("日本語", "value"),  # nothing ASCII left
        ("_private", "private"),
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
    assert Scope("resource").claim("with_options") == "with_options_"


def test_one_collision_rule_for_every_scope() -> None:
    """Reserved, keyword or taken: underscores are appended until the name is free."""
    fields = Scope("field", ("date",))  # a class whose annotations print `date`
    assert [fields.claim(w) for w in ("schema", "model_config", "date", "from")] == [
        "schema_",
        "model_config_",
        "date_",
        "from_",
    ]
    assert fields.claim("bytes") == "bytes"  # fine where no annotation says `bytes`
    assert fields.claim("self-link") == "self_link"
    assert fields.claim("self_link") == "self_link_"
    classes = Scope("class")
    assert [classes.claim(w) for w in ("Field", "BaseModel", "None", "Item-Type")] == [
        "Field_",
        "BaseModel_",
        "None_",
        "ItemType",
    ]
    assert classes.claim("ItemType") == "ItemType_"
    assert classes.claim("ItemType", "ItemTypeModel") == "ItemTypeModel"


def test_module_names_never_collide_on_a_case_insensitive_file_system() -> None:
    modules = Scope("module", ("_base",))
    assert modules.claim("Foo") == "foo"
    assert modules.claim("foo") == "foo_"
    assert modules.claim("Import") == "import_"  # `from .import import X` is no syntax
    assert modules.claim("_base") == "base"  # leading underscores are dropped
    assert modules.claim("Class") == "class_"


def test_pydantic_attributes_are_never_field_names() -> None:
    for name in sorted(PYDANTIC_ATTRIBUTES):
        assert Scope("field").claim(name) == name + "_"
    assert Scope("field").claim("model_id") == "model_id"  # only real attributes


def test_shadows_are_checked_without_copying() -> None:
    classes = frozenset({"Thread", "Comment"})
    fields = Scope("class", shadows=classes)
    assert fields.claim("Thread") == "Thread_"
    assert fields.claim("Other") == "Other"


def test_assign_depends_only_on_the_set_of_claims() -> None:
    wishes = {w: (w,) for w in ["a-b", "a_b", "a.b", "c", "class", "self"]}
    first = Scope("parameter").assign(wishes)
    second = Scope("parameter").assign(dict(reversed(list(wishes.items()))))
    assert first == second
    assert first["a-b"] == "a_b" and first["a.b"] == "a_b_" and first["a_b"] == "a_b__"
    assert len(set(first.values())) == len(wishes)


def test_assign_is_the_same_under_another_hash_seed() -> None:
    script = (
        "from oapigen.naming import Scope\n"
        "w = {x: (x,) for x in ['a-b', 'a_b', 'A.B', 'Foo', 'foo', 'x', 'X', 'class']}\n"
        "print(Scope('module').assign(w))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "12345")
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("parent", "child", "joined"),
    [
        ("ThreadStreamEvent", "EventData", "ThreadStreamEventData"),
        ("NoteModeration", "Categories", "NoteModerationCategories"),
        (
            "AssistantStreamEvent",
            "AssistantStreamEventThreadCreated",
            "AssistantStreamEventThreadCreated",
        ),
        ("FileSearch", "Search", "FileSearchSearch"),  # all overlap: appended whole
    ],
)
def test_join_words_does_not_repeat_the_parent(
    parent: str, child: str, joined: str
) -> None:
    assert join_words(parent, child) == joined


def test_repeated_words_are_detected() -> None:
    assert repeats_words("AssistantStreamEventAssistantStreamEventThreadCreated")
    assert repeats_words("FileSearchSearch")
    assert not repeats_words("ThreadRunStepCreatedEvent")


@pytest.mark.parametrize(
    ("plural", "one"),
    [
        ("choices", "choice"),
        ("entries", "entry"),
        ("messages", "message"),
        ("status", "status"),
        ("data", "data"),
        ("boxes", "box"),
        ("Tools", "Tool"),
    ],
)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


# -- one property over every kind of name ------------------------------------------------

NAME_TEXT = st.lists(
    st.sampled_from(
        list("aZ_-./ 09[]é")
        + ["ﬁ", "日", "\u200b", "Ⅸ"]
        + sorted(keyword.kwlist)
        + sorted(SOFT_KEYWORDS)
        + ["__init__", "self", "Field", "model_config", "schema", "list", "Foo", "foo"]
    ),
    max_size=5,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(KINDS), texts=st.lists(NAME_TEXT, max_size=12))
def test_every_claimed_name_is_a_safe_distinct_identifier(
    kind: Kind, texts: list[str]
) -> None:
    wishes = {(i, text): (text,) for i, text in enumerate(texts)}
    names = Scope(kind).assign(wishes)
    shuffled = list(wishes.items())
    random.Random(len(texts)).shuffle(shuffled)
    assert Scope(kind).assign(dict(shuffled)) == names  # order never matters
    assert len(set(names.values())) == len(names)  # distinct
    if kind in ("package", "module"):  # files: distinct even ignoring case
        assert len({n.casefold() for n in names.values()}) == len(names)
    for name in names.values():
        assert name.isascii() and name.isidentifier(), name
        assert not keyword.iskeyword(name), name
        if kind == "class":
            assert name[0].isupper(), name
        elif kind == "constant":
            assert name.startswith("_") and name[1:].replace("_", "").isalnum()
        else:
            assert not name.startswith("_"), name
        if kind in ("package", "module"):
            assert name == name.lower() and name not in BUILTINS | SOFT_KEYWORDS
        if kind == "field":
            assert name not in PYDANTIC_ATTRIBUTES
        if kind == "parameter":
            assert name not in METHOD_RESERVED
        if kind == "resource":
            assert name not in CLIENT_RESERVED


@given(text=NAME_TEXT, kind=st.sampled_from(KINDS))
def test_identifier_is_stable_and_never_empty(text: str, kind: Kind) -> None:
    assert identifier(kind, text) == identifier(kind, text)
    assert identifier(kind, text)


def test_names_grown_by_nesting_are_cut_to_the_first_and_last_words() -> None:
    nested = "Deep" + "".join(f"Level{i}" for i in range(60))
    for kind in ("class", "module"):
        name = identifier(kind, nested)
        assert len(name) <= MAX_NAME
        assert name.lower().startswith("deep") and name.lower().endswith("level59")
    scope = Scope("module")
    first, second = scope.claim(nested), scope.claim(nested.replace("Level0", "Other0"))
    assert first != second and len(second) <= MAX_NAME + 1
    assert identifier("class", "ShortEnough") == "ShortEnough"
