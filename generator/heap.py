"""The garbage collector's settings for a generation run.

A run builds a large heap that lives until it ends (the loaded document, then the IR:
~1 M objects on GitHub's REST spec) and meanwhile allocates many short-lived objects
(black, dmcg, rendering). CPython's default thresholds (700, 10, 10) make the collector
traverse that heap again and again: measured with `gc.callbacks`, ~20% of the main
process's CPU on GitHub's spec (3.5 s of 17.6 s, 17 full collections) and ~12% on
OpenAI's. A run lets more young objects pile up between collections and, once the IR
is planned, takes what is alive out of the collector's sight (`gc.freeze`): it lives
until the run ends anyway. Together: 0.6-0.9 s of collection on GitHub's spec.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations (net, of container objects) between two young collections; the default is
# 700. A young collection then sees more objects, which costs nothing extra per object.
YOUNG_OBJECTS = 50_000


@contextmanager
def batch_collection() -> Iterator[None]:
    """Collect less often for the duration; the thresholds and whatever `settled`
    froze are given back at the end (`gc.unfreeze` also thaws what the caller may
    have frozen before: it goes back to the oldest generation, nothing is lost)."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def settled() -> None:
    """What is alive now lives until the run ends: the collector stops traversing it."""
    gc.freeze()
