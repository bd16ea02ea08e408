"""A recording httpx.MockTransport handler and JSON payloads of the Example Notes API."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

Respond = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Records every request (body read) and answers with `respond`."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.respond(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle_async))


def json_of(request: httpx.Request) -> Any:
    assert request.headers.get("content-type") == "application/json"
    return json.loads(request.content)


def reply(data: object, status: int = 200) -> Respond:
    """A responder that always answers `data` as JSON."""

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=data)

    return respond


def sse(events: Sequence[object]) -> bytes:
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return "".join(lines + ["data: [DONE]\n\n"]).encode()


# -- payloads, as the server would send them (wire names) ------------------------


def user(**extra: object) -> dict[str, object]:
    return {"id": "u_1", "object": "user", "name": "Zoë", "2fa_enabled": True, **extra}


def notebook(notebook_id: str = "nb_1", **extra: object) -> dict[str, object]:
    return {
        "id": notebook_id,
        "object": "notebook",
        "name": "Ideas",
        "description": "things",
        "owner": user(),
        "self-link": f"https://api.example.com/v1/notebooks/{notebook_id}",
        "created_at": 1700000000,
        **extra,
    }


def note_summary(note_id: str = "note_1", **extra: object) -> dict[str, object]:
    return {
        "id": note_id,
        "object": "note",
        "title": 'Plain "title"',
        "status": "draft",
        "self-link": f"https://api.example.com/v1/notes/{note_id}",
        "created_at": 1700000000,
        **extra,
    }


def note(note_id: str = "note_1", **extra: object) -> dict[str, object]:
    return note_summary(note_id, content="plain text", **extra)


def export(**extra: object) -> dict[str, object]:
    return {
        "id": "exp_1",
        "object": "export",
        "notebook_id": "nb_1",
        "status": "queued",
        "format": "text/plain",
        "created_at": 1700000000,
        "expires_at": 1700086400,
        **extra,
    }


def attachment(**extra: object) -> dict[str, object]:
    return {
        "id": "att_1",
        "object": "attachment",
        "filename": "scan.pdf",
        "bytes": 3,
        "content_type": "application/pdf",
        "class": "archive",
        **extra,
    }


def audit_event(**extra: object) -> dict[str, object]:
    return {
        "id": "ae_1",
        "type": "notebook.deleted",
        "actor": user(),
        "x.count": 3,
        "created_at": 1700000000,
        **extra,
    }
