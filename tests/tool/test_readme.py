"""The generated README is a manual whose examples work: every Python block of it passes
`mypy --strict` against the generated package and runs, unchanged, against a local
server, calling the operation its section is about."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_SPEC, GeneratedPackages, openai_spec

BINARY = bytes(range(256)) * 4


class Recorded:
    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.lock = threading.Lock()


def handler_for(recorded: Recorded) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Answers what the request asks for (by its Accept header), leniently parsed
        by the client: an empty list page as JSON, one event as SSE, bytes otherwise."""

        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("transfer-encoding", ""):
                data = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    chunk = self.rfile.read(size + 2)[:size]
                    if size == 0:
                        return data
                    data += chunk
            return self.rfile.read(int(self.headers.get("content-length", "0")))

        def _answer(self) -> None:
            body = self._body()
            with recorded.lock:
                recorded.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "accept": self.headers.get("accept", ""),
                        "content_type": self.headers.get("content-type", ""),
                        "body": body,
                    }
                )
            accept = self.headers.get("accept", "")
            if "text/event-stream" in accept:
                payload = b'data: {"type": "example"}\n\n'
                kind = "text/event-stream"
            elif "application/json" in accept:
                payload = json.dumps({"data": [], "has_more": False}).encode()
                kind = "application/json"
            else:
                payload, kind = BINARY, "application/octet-stream"
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(payload)))
            self.send_header("x-request-id", "req_123")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(recorded))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", recorded
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def python_blocks(readme: str) -> list[tuple[str, str]]:
    """(section heading, code) of every ```python block."""
    blocks = []
    heading = ""
    pattern = re.compile(r"^## ([^\n]+)$|^```python\n(.*?)^```$", re.M | re.S)
    for match in pattern.finditer(readme):
        if match.group(1):
            heading = match.group(1)
        else:
            blocks.append((heading, match.group(2)))
    return blocks


def check_types(project: Path, blocks: list[tuple[str, str]], folder: Path) -> None:
    folder.mkdir()
    for index, (_, code) in enumerate(blocks):
        (folder / f"block_{index}.py").write_text(code)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(folder)],
        env={**os.environ, "MYPYPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout


def run_block(
    code: str, project: Path, folder: Path, prefix: str, url: str
) -> subprocess.CompletedProcess[str]:
    (folder / "example.bin").write_bytes(b"uploaded bytes")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env={
            **os.environ,
            "PYTHONPATH": str(project),
            f"{prefix}_API_KEY": "key_123",
            f"{prefix}_BASE_URL": url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_all(
    project: Path,
    blocks: list[tuple[str, str]],
    tmp_path: Path,
    prefix: str,
    server: tuple[str, Recorded],
) -> dict[str, list[dict[str, object]]]:
    """Run every block (block i in tmp_path/run_i); the requests each section's blocks
    sent, by heading."""
    url, recorded = server
    sent: dict[str, list[dict[str, object]]] = {}
    for index, (heading, code) in enumerate(blocks):
        folder = tmp_path / f"run_{index}"
        folder.mkdir()
        before = len(recorded.requests)
        result = run_block(code, project, folder, prefix, url)
        assert result.returncode == 0, f"{heading}:\n{code}\n{result.stderr}"
        sent.setdefault(heading, []).extend(recorded.requests[before:])
    return sent


def test_the_example_readme_type_checks_and_runs(
    generated: GeneratedPackages, tmp_path: Path, server: tuple[str, Recorded]
) -> None:
    project = generated.project(EXAMPLE_SPEC)
    readme = (project / "README.md").read_text()
    blocks = python_blocks(readme)
    headings = {heading for heading, _ in blocks}
    assert {
        "Authentication and client options",
        "A first call",
        "Async",
        "Streaming",
        "Uploads",
        "Downloads",
        "Pagination",
        "Errors and retries",
        "Raw responses",
        "Timeouts",
        "Logging",
    } <= headings
    check_types(project, blocks, tmp_path / "typed")
    sent = run_all(project, blocks, tmp_path, "EXAMPLE", server)

    def calls(heading: str) -> list[tuple[object, object]]:
        return [(r["method"], r["path"]) for r in sent[heading]]

    assert calls("A first call") == [("GET", "/audit-events")]
    assert calls("Async") == [("GET", "/audit-events")]
    assert calls("Raw responses") == [("GET", "/audit-events")]
    assert calls("Timeouts") == [("GET", "/audit-events")] * 2
    assert calls("Streaming") == [("GET", "/events")]
    assert sent["Streaming"][0]["accept"] == "text/event-stream"
    assert calls("Downloads") == [("GET", "/attachments/attachment_123/content")]
    index = [heading for heading, _ in blocks].index("Downloads")
    assert (tmp_path / f"run_{index}" / "download.bin").read_bytes() == BINARY
    assert calls("Pagination") == [("GET", "/notebooks?limit=10")]
    (upload,) = sent["Uploads"]
    assert (upload["method"], upload["path"]) == (
        "POST",
        "/notebooks/notebook_123/notes/note_123/attachments",
    )
    # The shell commands of "Command line" work as printed.
    url, recorded = server
    section = readme.split("## Command line", 1)[1]
    commands = section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(commands) == 3
    before = len(recorded.requests)
    for line in commands:
        words = shlex.split(line.split("  #")[0])
        assert words[:2] == ["python", "-m"]
        result = subprocess.run(
            [sys.executable, *words[1:]],
            env={
                **os.environ,
                "PYTHONPATH": str(project),
                "EXAMPLE_API_KEY": "key_123",
                "EXAMPLE_BASE_URL": url,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (line, result.stderr)
    assert [(r["method"], r["path"]) for r in recorded.requests[before:]] == [
        ("GET", "/audit-events")
    ]
    assert str(upload["content_type"]).startswith("multipart/form-data")
    assert b'filename="example.bin"' in upload["body"]  # type: ignore[operator]
    assert b"uploaded bytes" in upload["body"]  # type: ignore[operator]


@pytest.mark.slow
def test_the_openai_readme_type_checks_and_runs(
    generated: GeneratedPackages, tmp_path: Path, server: tuple[str, Recorded]
) -> None:
    project = generated.project(openai_spec("2.3.0"))
    blocks = python_blocks((project / "README.md").read_text())
    check_types(project, blocks, tmp_path / "typed")
    sent = run_all(project, blocks, tmp_path, "OPENAI", server)
    for heading in ("A first call", "Streaming", "Uploads", "Downloads", "Pagination"):
        assert sent[heading], heading
    assert sent["Streaming"][0]["method"] == "POST"
    assert json.loads(sent["Streaming"][0]["body"])["stream"] is True  # type: ignore[arg-type]
