"""Remote `$ref`s: refused by default; with `--allow-remote`, fetched (here from a server on
127.0.0.1 started and stopped by the test: the tests never use the network)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oapigen.diagnostics import Diagnostic, GeneratorError
from oapigen.loader import LoadOptions, load

REMOTE_FILES = {
    "/schemas/pet.yaml": """
        Pet:
          type: object
          required: [id]
          properties:
            id: {$ref: 'common.yaml#/Id'}
            owner: {$ref: '/people/owner.json#/Owner'}
        """,
    "/schemas/common.yaml": "Id: {type: integer, format: int64}\n",
    "/people/owner.json": '{"Owner": {"type": "object", "properties": {"name": {"type": "string"}}}}',
    "/schemas/sneaky.yaml": "Secret: {$ref: 'file:///etc/passwd#/x'}\n",
    "/schemas/gone.yaml": "Gone: {$ref: 'missing.yaml#/G'}\n",
}


class _Server(ThreadingHTTPServer):
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        text = REMOTE_FILES.get(self.path)
        if text is None:
            self.send_error(404)
            return
        body = textwrap.dedent(text).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/yaml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def base(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def spec(tmp_path: Path, ref: str) -> Path:
    path = tmp_path / "api.yaml"
    path.write_text(
        textwrap.dedent(f"""
            openapi: 3.0.3
            info: {{title: Remote Pets, version: '1'}}
            paths:
              /pets/{{id}}:
                get:
                  operationId: getPet
                  parameters: [{{name: id, in: path, required: true, schema: {{type: integer}}}}]
                  responses:
                    '200':
                      description: ok
                      content: {{application/json: {{schema: {{$ref: '{ref}'}}}}}}
            """).lstrip(),
        encoding="utf-8",
    )
    return path


def errors_of(path: Path, options: LoadOptions) -> list[Diagnostic]:
    with pytest.raises(GeneratorError) as info:
        load(path, options)
    return info.value.diagnostics


def test_a_remote_ref_is_refused_without_allow_remote(
    tmp_path: Path, server: _Server
) -> None:
    path = spec(tmp_path, f"{base(server)}/schemas/pet.yaml#/Pet")
    (diagnostic,) = errors_of(path, LoadOptions())
    assert (diagnostic.code, diagnostic.line) == ("E104", 11)
    assert "--allow-remote" in diagnostic.hint
    assert server.requests == []  # refused before any connection


def test_allow_remote_fetches_each_document_once_relative_to_its_url(
    tmp_path: Path, server: _Server
) -> None:
    path = spec(tmp_path, f"{base(server)}/schemas/pet.yaml#/Pet")
    doc = load(path, LoadOptions(allow_remote=True))
    schemas = doc.bundled()["components"]["schemas"]
    assert set(schemas) == {"Pet", "Id", "Owner"}
    assert schemas["Pet"]["properties"]["id"] == {"$ref": "#/components/schemas/Id"}
    assert schemas["Owner"]["properties"]["name"] == {"type": "string"}
    assert sorted(server.requests) == [
        "/people/owner.json",
        "/schemas/common.yaml",
        "/schemas/pet.yaml",
    ]
    file, line = doc.locate("#/components/schemas/Id")
    assert (file, line) == (f"{base(server)}/schemas/common.yaml", 1)


def test_a_remote_document_cannot_reach_local_files(
    tmp_path: Path, server: _Server
) -> None:
    path = spec(tmp_path, f"{base(server)}/schemas/sneaky.yaml#/Secret")
    (diagnostic,) = errors_of(path, LoadOptions(allow_remote=True))
    assert diagnostic.code == "E104" and diagnostic.file.endswith("/sneaky.yaml")
    assert "file: is not fetched (http, https only)" in diagnostic.message


def test_a_missing_remote_document_is_located_at_the_ref(
    tmp_path: Path, server: _Server
) -> None:
    path = spec(tmp_path, f"{base(server)}/schemas/gone.yaml#/Gone")
    (diagnostic,) = errors_of(path, LoadOptions(allow_remote=True))
    assert diagnostic.code == "E103" and diagnostic.line == 1
    assert diagnostic.message.endswith("missing.yaml: cannot fetch: HTTP 404")


def test_cli_allow_remote_generates_the_client(tmp_path: Path, server: _Server) -> None:
    path = spec(tmp_path, f"{base(server)}/schemas/pet.yaml#/Pet")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "oapigen", str(path), "-o", str(out), "-q"]
    refused = subprocess.run(command, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "error E104:" in refused.stderr
    assert not out.exists()
    done = subprocess.run(
        [*command, "--allow-remote"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    models = out / "remote_pets" / "remote_pets" / "models"
    assert {"pet.py", "owner.py"} <= {p.name for p in models.iterdir()}
