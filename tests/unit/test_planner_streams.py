"""Planner: how streams end (the config's marker, `x-oapigen-stream-end` per operation)
and typed event streams (event name -> envelope model), on small invented specs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oapigen import ir
from oapigen.diagnostics import Diagnostic, Severity
from oapigen.loader import load
from oapigen.planner import plan


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def plan_spec(
    text: str, marker: str | None = None
) -> tuple[dict[str, ir.Operation], list[Diagnostic]]:
    Path("spec.yaml").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    api, diagnostics = plan(
        load(Path("spec.yaml")), spec_name="spec.yaml", stream_end_marker=marker
    )
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    ops = {op.operation_id: op for r in api.resources for op in r.operations}
    return ops, diagnostics


ENDS = """
openapi: 3.0.3
info: {title: Ends, version: "1"}
paths:
  /chat:
    post:
      operationId: chat
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {stream: {type: boolean}}}
      responses:
        "200":
          description: json, or events with stream=true
          content:
            application/json: {schema: {$ref: "#/components/schemas/Chunk"}}
            text/event-stream: {schema: {$ref: "#/components/schemas/Chunk"}}
  /feed:
    get:
      operationId: feed
      x-oapigen-stream-end: "[END]"
      responses:
        "200":
          description: events only
          content: {text/event-stream: {schema: {$ref: "#/components/schemas/Chunk"}}}
  /ticker:
    get:
      operationId: ticker
      x-oapigen-stream-end: false
      responses:
        "200":
          description: a stream with no end marker
          content: {text/event-stream: {schema: {type: string}}}
  /chunk:
    get:
      operationId: getChunk
      x-oapigen-stream-end: "[END]"
      responses:
        "200":
          description: never streamed, so no marker whatever it says
          content: {application/json: {schema: {$ref: "#/components/schemas/Chunk"}}}
  /odd:
    get:
      operationId: odd
      x-oapigen-stream-end: 3
      responses:
        "200":
          description: a marker that is not a string
          content: {text/event-stream: {schema: {type: string}}}
components:
  schemas:
    Chunk:
      type: object
      properties: {text: {type: string}}
"""


def test_the_config_marker_reaches_every_streamed_operation(in_tmp: Path) -> None:
    ops, _ = plan_spec(ENDS, marker="[DONE]")
    assert {name: op.stream_end for name, op in ops.items()} == {
        "chat": "[DONE]",  # streamed on a flag
        "feed": "[END]",  # its own extension wins
        "ticker": None,  # false: this operation's streams have no marker
        "getChunk": None,  # never streamed
        "odd": "[DONE]",  # a bad extension is ignored (with a warning)
    }


def test_without_a_config_marker_only_the_extensions_give_one(in_tmp: Path) -> None:
    ops, _ = plan_spec(ENDS)
    assert [name for name, op in ops.items() if op.stream_end] == ["feed"]
    assert ops["odd"].stream_end is None


def test_a_marker_that_is_not_a_string_is_a_located_warning(in_tmp: Path) -> None:
    _, diagnostics = plan_spec(ENDS, marker="[DONE]")
    line = ENDS.lstrip("\n").splitlines().index("      x-oapigen-stream-end: 3") + 1
    assert [d.format() for d in diagnostics if d.code == "W302"] == [
        f"spec.yaml:{line} #/paths/~1odd/get/x-oapigen-stream-end: warning W302: "
        "x-oapigen-stream-end must be a non-empty string, or false for none; ignored"
    ]


EVENTS = """
openapi: 3.1.0
info: {title: Events, version: "1"}
paths:
  /jobs:
    post:
      operationId: runJob
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {stream: {type: boolean}}}
      responses:
        "200":
          description: a job, or its events
          content:
            application/json: {schema: {$ref: "#/components/schemas/Job"}}
            text/event-stream: {schema: {$ref: "#/components/schemas/JobEvent"}}
  /jobs/inline:
    get:
      operationId: watchJobs
      responses:
        "200":
          description: the same envelopes, written inline
          content:
            text/event-stream:
              schema:
                anyOf:
                  - type: object
                    required: [event, data]
                    properties:
                      event: {const: job.done}
                      data: {$ref: "#/components/schemas/Job"}
                  - $ref: "#/components/schemas/Heartbeat"
  /jobs/mixed:
    get:
      operationId: mixedJobs
      responses:
        "200":
          description: a member that is no envelope makes it a plain union
          content:
            text/event-stream:
              schema:
                oneOf:
                  - $ref: "#/components/schemas/Heartbeat"
                  - $ref: "#/components/schemas/Job"
components:
  schemas:
    Job:
      type: object
      required: [id]
      properties: {id: {type: string}, state: {type: string}}
    Progress:
      type: object
      properties: {percent: {type: integer}}
    JobEvent:
      oneOf:
        - $ref: "#/components/schemas/JobStateEvent"
        - $ref: "#/components/schemas/Heartbeat"
    JobStateEvent:
      oneOf:
        - type: object
          required: [event, data]
          properties:
            event: {type: string, enum: [job.created]}
            data: {$ref: "#/components/schemas/Job"}
        - type: object
          required: [event, data]
          properties:
            event: {type: string, enum: [job.progress]}
            data: {$ref: "#/components/schemas/Progress"}
    Heartbeat:
      type: object
      required: [event, data]
      properties:
        event: {type: string, const: heartbeat}
        data: {type: string}
"""


def test_a_union_of_envelopes_maps_event_names_to_models(in_tmp: Path) -> None:
    ops, _ = plan_spec(EVENTS)
    run = ops["runJob"]
    assert run.stream == "flag" and run.response.stream_chunk == "JobEvent"
    names = dict(run.response.events)
    assert sorted(names) == ["heartbeat", "job.created", "job.progress"]
    assert names["heartbeat"] == "Heartbeat"  # a component envelope: its own class
    # inline envelopes: the classes the planner made for them, one per event
    assert names["job.created"] != names["job.progress"]
    assert {names["job.created"], names["job.progress"]} <= {
        m.name for m in _models(EVENTS)
    }


def test_inline_envelopes_and_const_event_names(in_tmp: Path) -> None:
    ops, _ = plan_spec(EVENTS)
    names = dict(ops["watchJobs"].response.events)
    assert (
        sorted(names) == ["heartbeat", "job.done"] and names["heartbeat"] == "Heartbeat"
    )


def test_a_union_with_a_member_that_is_no_envelope_stays_one_chunk_type(
    in_tmp: Path,
) -> None:
    ops, _ = plan_spec(EVENTS)
    mixed = ops["mixedJobs"]
    assert mixed.response.events == () and mixed.response.stream_chunk is not None


def test_event_maps_do_not_depend_on_member_order(in_tmp: Path) -> None:
    ops, _ = plan_spec(EVENTS)
    swapped = EVENTS.replace(
        """        - $ref: "#/components/schemas/JobStateEvent"
        - $ref: "#/components/schemas/Heartbeat"
""",
        """        - $ref: "#/components/schemas/Heartbeat"
        - $ref: "#/components/schemas/JobStateEvent"
""",
    )
    assert swapped != EVENTS
    again, _ = plan_spec(swapped)
    assert again["runJob"].response.events == ops["runJob"].response.events


def _models(text: str) -> tuple[ir.Model, ...]:
    api, _ = plan(load(Path("spec.yaml")), spec_name="spec.yaml")
    return api.models
