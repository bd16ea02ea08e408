"""Model modules through datamodel-code-generator, from the planner's models.

`prepare` turns the IR's models into dmcg input (one document per group of classes that
refer to each other), `dmcg` runs it and checks what it made against the plan,
`postprocess` does what dmcg cannot (imports, `__all__`), `cache` keeps each group's
output, and `stage` runs the groups in worker processes.
"""

from .stage import ModelsStage

__all__ = ["ModelsStage"]
