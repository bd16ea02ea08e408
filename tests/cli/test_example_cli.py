"""`python -m example_notes_api ...`: the command line of the package generated from
specs/example.yaml, against the payload server on 127.0.0.1.

Each kind of call runs at least once as a real `python -m` subprocess; the other
cases run `_cli.run` in this process (quicker, and stdout can pose as a terminal).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.cli.runner import API_KEY, PackageCLI, help_entries
from tests.conftest import EXAMPLE_SPEC, GeneratedPackages
from tests.functional.mock import attachment, note, note_summary
from tests.servers.payloads import PayloadServer, binary_payload_sha256

NOTE_PATH = "/v1/notebooks/nb_1/notes/note_1"
SUMMARY_PATH = NOTE_PATH + "/summaries"
CALL_OPTIONS = {"self", "extra_headers", "extra_query", "extra_body", "timeout"}


@pytest.fixture(scope="module")
def project(generated: GeneratedPackages) -> Path:
    return generated.project(EXAMPLE_SPEC)


@pytest.fixture
def cli(
    example_package: ModuleType, project: Path, server: PayloadServer
) -> PackageCLI:
    return PackageCLI(example_package, project, f"{server.url}/v1")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sse(payload: object, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- JSON calls ------------------------------------------------------------------------


def test_json_call_prints_the_result_on_one_line(
    cli: PackageCLI, server: PayloadServer
) -> None:
    reply = note(title="Groceries", word_count=3, surprise={"kept": True})
    server.mount("GET", NOTE_PATH, "json", reply=reply)
    result = cli.subprocess(
        "notes",
        "get-note",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--include",
        '["blocks", "thread"]',
    )
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.text.count("\n") == 1  # compact: stdout is not a terminal
    assert result.json() == reply  # every field the server sent, unknown ones too
    request = server.requests_to(NOTE_PATH)[-1]
    assert request["method"] == "GET"
    assert request["query"] == {"include[]": "thread"}  # repeated key, last shown
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    result.assert_secret_free()


def test_json_body_holds_exactly_the_given_arguments(
    cli: PackageCLI, server: PayloadServer, tmp_path: Path
) -> None:
    server.mount("POST", "/v1/notebooks/nb_1/notes", "json", reply=note("note_2"))
    metadata = tmp_path / "metadata.json"
    metadata.write_text('{"team": "blue"}')
    result = cli.inprocess(
        "notes",
        "create-note",
        "--notebook-id",
        "nb_1",
        "--title",
        "Plan",
        "--content",
        "plain words",  # str | RichText | object: text stays text
        "--tags",
        '["a", "b"]',
        "--status",
        "draft",
        "--from",  # the Python name is from_
        "note_1",
        "--metadata",
        f"@{metadata}",  # JSON read from a file
    )
    assert result.code == 0, result.err
    assert result.json() == note("note_2")
    assert server.requests_to("/v1/notebooks/nb_1/notes")[-1]["json"] == {
        "title": "Plan",
        "content": "plain words",
        "tags": ["a", "b"],
        "status": "draft",
        "from": "note_1",
        "metadata": {"team": "blue"},
    }


def test_numbers_and_booleans_are_converted_by_type(
    cli: PackageCLI, server: PayloadServer
) -> None:
    page = {"object": "list", "data": [note_summary()], "has_more": False}
    server.mount("GET", "/v1/notebooks/nb_1/notes", "json", reply=page)
    result = cli.inprocess(
        "notes",
        "list-notes",
        "--notebook-id",
        "nb_1",
        "--limit",
        "5",
        "--no-pinned",
        "--order",
        "desc",
    )
    assert result.code == 0, result.err
    assert server.requests_to("/v1/notebooks/nb_1/notes")[-1]["query"] == {
        "limit": "5",
        "pinned": "false",
        "order": "desc",
    }
    bad = cli.inprocess("notes", "list-notes", "--notebook-id", "x", "--limit", "5x")
    assert bad.code == 2
    assert "argument --limit" in bad.err


def test_pretty_json_on_a_terminal(cli: PackageCLI, server: PayloadServer) -> None:
    reply = note(title="Pretty")
    server.mount("GET", NOTE_PATH, "json", reply=reply)
    result = cli.inprocess(
        "notes", "get-note", "--notebook-id", "nb_1", "--note-id", "note_1", tty=True
    )
    assert result.code == 0, result.err
    assert result.text == json.dumps(reply, indent=2) + "\n"


def test_paginated_iter_prints_every_item_as_a_line(
    cli: PackageCLI, server: PayloadServer
) -> None:
    server.mount(
        "GET",
        "/v1/notebooks/nb_2/notes",
        "pages",
        query={"total": 5},
        item={"object": "note", "title": "t"},
    )
    result = cli.inprocess(
        "notes", "list-notes-iter", "--notebook-id", "nb_2", "--limit", "2"
    )
    assert result.code == 0, result.err
    assert [item["id"] for item in result.lines()] == [f"item-{i}" for i in range(5)]
    assert len(server.requests_to("/v1/notebooks/nb_2/notes")) == 3


# -- streams ---------------------------------------------------------------------------


def test_stream_prints_each_chunk_as_a_json_line(
    cli: PackageCLI, server: PayloadServer
) -> None:
    chunks = [{"delta": "Hel"}, {"delta": "lo"}]
    pieces = [sse(chunks[0]), sse(chunks[1], event="delta"), "data: [DONE]\n\n"]
    server.mount("POST", SUMMARY_PATH, "sse", script={"pieces": pieces})
    result = cli.inprocess(
        "notes",
        "create-summary",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--model",
        "gpt-4o",
        "--stream",
        tty=True,  # one line per chunk even on a terminal
    )
    assert result.code == 0, result.err
    # Untyped events: the data, with the event name when there is one.
    assert result.lines() == [chunks[0], {"event": "delta", "data": chunks[1]}]
    assert server.requests_to(SUMMARY_PATH)[-1]["json"] == {
        "model": "gpt-4o",
        "stream": True,
    }


def test_stream_chunks_are_printed_as_they_arrive(
    cli: PackageCLI, server: PayloadServer
) -> None:
    """The server keeps streaming (a chunk every 10 ms, for up to 30 s) while the test
    reads the first lines from the subprocess: they were flushed one by one."""
    tag = "cli-live"
    script = {
        "pieces": [sse({"n": 0})],
        "repeat": {"piece": sse({"n": 1}), "count": 3000, "delay": 0.01},
        "tag": tag,
    }
    server.mount("POST", SUMMARY_PATH, "sse", script=script)
    process = cli.popen(
        "notes",
        "create-summary",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--model",
        "gpt-4o",
        "--stream",
    )
    try:
        assert process.stdout is not None
        lines = [json.loads(process.stdout.readline()) for _ in range(3)]
        assert lines == [{"n": 0}, {"n": 1}, {"n": 1}]
        assert not server.stream_event(tag).is_set()  # still streaming
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert server.stream_event(tag).wait(30)
    assert server.stream_outcomes[tag] == "disconnected"


def test_reader_going_away_ends_the_stream_quietly(
    cli: PackageCLI, server: PayloadServer
) -> None:
    """`python -m pkg ... --stream | head -n 1`: no traceback when the pipe closes."""
    tag = "cli-pipe"
    script = {
        "pieces": [sse({"n": 0})],
        "repeat": {"piece": sse({"n": 1}), "count": 3000, "delay": 0.01},
        "tag": tag,
    }
    server.mount("POST", SUMMARY_PATH, "sse", script=script)
    process = cli.popen(
        "notes",
        "create-summary",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--model",
        "gpt-4o",
        "--stream",
    )
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline()) == {"n": 0}
    process.stdout.close()
    try:
        assert process.wait(timeout=60) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr.read() == b""
    process.stderr.close()
    assert server.stream_event(tag).wait(30)
    assert server.stream_outcomes[tag] == "disconnected"


# -- files -----------------------------------------------------------------------------


def test_upload_opens_at_path_files(
    cli: PackageCLI, server: PayloadServer, tmp_path: Path
) -> None:
    main, page_1, page_2 = (tmp_path / n for n in ("scan.pdf", "p1.png", "p2.png"))
    for path, size in ((main, 70_000), (page_1, 10), (page_2, 0)):
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    path = "/v1/notebooks/nb_1/notes/note_1/attachments"
    server.mount("POST", path, "multipart", reply=attachment(), describe_part="file")
    uploads = len(server.uploads)
    result = cli.subprocess(
        "attachments",
        "upload-attachment",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--file",
        f"@{main}",
        "--pages",
        f"@{page_1}",
        "--pages",
        str(page_2),  # a bare path works too
        "--caption",
        "Scanned",
        "--source",
        '{"app": "scanner"}',
        "--class",
        "archive",
    )
    assert result.code == 0, result.err
    assert result.json()["bytes"] == 70_000
    assert len(server.uploads) == uploads + 1
    parts = server.uploads[-1]["parts"]
    files = [(p["name"], p["filename"], p["sha256"]) for p in parts if p["filename"]]
    assert files == [
        ("file", "scan.pdf", sha256(main.read_bytes())),
        ("pages", "p1.png", sha256(page_1.read_bytes())),
        ("pages", "p2.png", sha256(b"")),
    ]
    fields = {p["name"]: p["text"] for p in parts if not p["filename"]}
    assert fields["caption"] == "Scanned"
    assert fields["class"] == "archive"
    assert json.loads(fields["source"]) == {"app": "scanner"}


def test_missing_upload_file_is_an_argument_error(
    cli: PackageCLI, server: PayloadServer, tmp_path: Path
) -> None:
    before = len(server.requests)
    result = cli.inprocess(
        "attachments",
        "upload-attachment",
        "--notebook-id",
        "nb_1",
        "--note-id",
        "note_1",
        "--file",
        f"@{tmp_path / 'nothing.pdf'}",
    )
    assert result.code == 2
    assert "argument --file: no such file" in result.err
    assert len(server.requests) == before


def test_download_to_output_file(
    cli: PackageCLI, server: PayloadServer, tmp_path: Path
) -> None:
    size = 300_000
    server.mount("GET", "/v1/attachments/att_1/content", "binary", query={"size": size})
    target = tmp_path / "download.bin"
    result = cli.subprocess(
        "attachments",
        "download-attachment",
        "--attachment-id",
        "att_1",
        "--output",
        str(target),
    )
    assert result.code == 0, result.err
    assert result.out == b""
    assert sha256(target.read_bytes()) == binary_payload_sha256(size)


def test_download_to_redirected_stdout(cli: PackageCLI, server: PayloadServer) -> None:
    size = 70_000
    server.mount("GET", "/v1/attachments/att_2/content", "binary", query={"size": size})
    result = cli.subprocess(
        "attachments", "download-attachment", "--attachment-id", "att_2"
    )
    assert result.code == 0, result.err
    assert sha256(result.out) == binary_payload_sha256(size)


def test_binary_is_never_written_to_a_terminal(
    cli: PackageCLI, server: PayloadServer
) -> None:
    server.mount("GET", "/v1/attachments/att_3/content", "binary", query={"size": 10})
    result = cli.inprocess(
        "attachments", "download-attachment", "--attachment-id", "att_3", tty=True
    )
    assert result.code == 2
    assert "--output FILE" in result.err
    assert result.out == b""
    assert server.requests_to("/v1/attachments/att_3/content") == []  # refused first


# -- errors ----------------------------------------------------------------------------


def test_api_error_is_one_line_on_stderr_with_exit_1(
    cli: PackageCLI, server: PayloadServer
) -> None:
    path = "/v1/notebooks/nb_1/notes/note_404"
    error = {"error": {"message": "No such note: note_404"}}
    server.mount("GET", path, "json", reply=error, status=404)
    result = cli.subprocess(
        "notes", "get-note", "--notebook-id", "nb_1", "--note-id", "note_404"
    )
    assert result.code == 1
    assert result.out == b""
    assert result.err == "error: 404 Not Found: No such note: note_404\n"
    result.assert_secret_free()


def test_connection_error_is_one_line_with_exit_1(cli: PackageCLI) -> None:
    cli.base_url = f"http://127.0.0.1:{closed_port()}/v1"
    result = cli.subprocess("--max-retries", "0", "health", "get-health")
    assert result.code == 1
    assert result.out == b""
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: cannot reach {cli.base_url}: ")
    result.assert_secret_free()


def test_timeout_option_is_used(cli: PackageCLI) -> None:
    """A server that takes the connection and never answers: `--timeout` ends it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nothing is read
        cli.base_url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        result = cli.inprocess(
            "health", "get-health", "--timeout", "0.2", "--max-retries", "0"
        )
    assert result.code == 1
    assert result.err.startswith("error: request timed out")
    assert result.err.count("\n") == 1


def test_missing_required_argument_exits_2(
    cli: PackageCLI, server: PayloadServer
) -> None:
    before = len(server.requests)
    result = cli.subprocess("notes", "create-note", "--notebook-id", "nb_1")
    assert result.code == 2
    assert "the following arguments are required: --title" in result.err
    assert result.out == b""
    assert len(server.requests) == before


def test_invalid_json_exits_2(cli: PackageCLI) -> None:
    result = cli.inprocess(
        "notes", "create-note", "--notebook-id", "nb_1", "--title", "x", "--tags", "[a"
    )
    assert result.code == 2
    assert "argument --tags: invalid JSON" in result.err


def test_unknown_commands_exit_2(cli: PackageCLI) -> None:
    assert cli.inprocess("nope").code == 2
    assert cli.inprocess("notes", "nope").code == 2
    assert cli.inprocess().code == 2  # a resource is required
    assert cli.inprocess("notes").code == 2  # and a method


def test_no_base_url_is_a_one_line_error(cli: PackageCLI) -> None:
    result = cli.inprocess("--base-url", "not a url", "health", "get-health")
    assert result.code == 2
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert "EXAMPLE_BASE_URL" in result.err


def test_key_from_the_environment(
    cli: PackageCLI, server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.mount("GET", "/v1/health", "json", reply={"status": "ok"})
    monkeypatch.setenv("EXAMPLE_API_KEY", "sk-from-env")
    result = cli.inprocess(
        "--base-url", cli.base_url, "health", "get-health", options=False
    )
    assert result.code == 0, result.err
    headers = server.requests_to("/v1/health")[-1]["headers"]
    assert headers["authorization"] == "Bearer sk-from-env"


# -- help ------------------------------------------------------------------------------


def test_package_help_lists_every_resource(
    cli: PackageCLI, example_package: ModuleType
) -> None:
    result = cli.subprocess("--help", options=False)
    assert result.code == 0, result.err
    help_text = result.text
    assert help_text.startswith("usage: python -m example_notes_api ")
    resources = [
        name
        for name, value in vars(example_package.Client).items()
        if not name.startswith("_")
        and hasattr(value, "__get__")
        and not inspect.isfunction(value)
    ]
    assert resources  # the client's resource attributes
    for name in resources:
        assert f"\n    {name.replace('_', '-')} " in help_text
    for option in ("--base-url", "--api-key", "--timeout", "--max-retries"):
        assert option in help_text
    assert "$EXAMPLE_API_KEY" in help_text


def test_resource_help_lists_methods_with_summaries(
    cli: PackageCLI, example_package: ModuleType
) -> None:
    result = cli.inprocess("notes", "--help", options=False)
    assert result.code == 0, result.err
    from example_notes_api.resources.notes import NotesResource

    methods = [
        (name, inspect.getdoc(value) or "")
        for name, value in vars(NotesResource).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]
    assert len(methods) >= 7
    lines = " ".join(result.text.split())
    for name, doc in methods:
        summary = doc.split("\n", 1)[0]
        assert f"{name.replace('_', '-')} {summary}" in lines


def test_method_help_lists_every_argument_with_type_and_requiredness(
    cli: PackageCLI,
) -> None:
    result = cli.inprocess("notes", "create-note", "--help", options=False)
    assert result.code == 0, result.err
    text = " ".join(result.text.split())
    assert text.startswith(
        "usage: python -m example_notes_api notes create-note "
        "--notebook-id TEXT --title TEXT [options]"
    )
    assert "Create a note" in text  # the summary
    from example_notes_api.resources.notes import NotesResource

    parameters = inspect.signature(NotesResource.create_note).parameters
    entries = help_entries(result.text)
    for name, parameter in parameters.items():
        if name in CALL_OPTIONS:
            continue
        option = "--" + name.strip("_").replace("_", "-")
        need = (
            "required" if parameter.default is inspect.Parameter.empty else "optional"
        )
        assert f", {need}." in entries[option], name
    assert '"draft" | "in-review" | "published", optional.' in text
    assert "str, required. The ID of the notebook" in text


def test_help_imports_only_the_models_of_the_chosen_method(
    project: Path, cli: PackageCLI
) -> None:
    """`python -m pkg --help` loads no model; a method's help only the ones it names."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['example_notes_api', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('example_notes_api', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('example_notes_api.models.')]\n"
        "print(len(loaded), file=sys.stderr)\n"
    )

    def models_loaded(*args: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            env=cli.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return int(done.stderr.strip().splitlines()[-1])

    total = len(list((project / "example_notes_api" / "models").glob("[!_]*.py")))
    assert models_loaded("--help") == 0
    assert models_loaded("notes", "--help") == 0
    chosen = models_loaded("notes", "create-note", "--help")
    assert 0 < chosen < total


def test_version(cli: PackageCLI) -> None:
    result = cli.subprocess("--version", options=False)
    assert result.code == 0
    assert result.text == "example_notes_api 1.0.0\n"
