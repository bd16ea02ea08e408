"""The collector's settings for a run (`heap`) stay within the run."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from oapigen import pipeline
from oapigen.diagnostics import GeneratorError
from tests.conftest import EXAMPLE_SPEC


def test_a_run_gives_the_collector_back_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run collects less often and, once planned, freezes its IR (`heap`); the
    caller gets its thresholds back and nothing stays frozen, even when a run fails."""
    before = gc.get_threshold()
    seen: list[tuple[tuple[int, int, int], int]] = []
    rendering = pipeline.render

    def render_and_look(*args: Any, **kwargs: Any) -> dict[str, str]:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return rendering(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render", render_and_look)
    pipeline.generate(EXAMPLE_SPEC, output=tmp_path / "out")
    assert seen and seen[0][0][0] > before[0] and seen[0][1] > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: 3\n")
    with pytest.raises(GeneratorError):
        pipeline.generate(bad, output=tmp_path / "out2")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
