"""Small statistics helpers shared by the benchmark sections."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(ours: float | None, anchor: float | None) -> float | None:
    """ours / anchor: below 1.0 means ours is smaller (faster, leaner)."""
    if ours is None or anchor is None or anchor <= 0:
        return None
    return ours / anchor
