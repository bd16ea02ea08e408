"""Model modules through datamodel-code-generator, from the planner's models.

`prepare` turns the IR's models into dmcg input, `groups` cuts them into runs and keys
each module, `dmcg` runs it and checks what it made against the plan, `postprocess`
does what dmcg cannot (imports, `__all__`), `cache` keeps each module's output, and
`stage` runs the groups in worker processes.
"""

from .stage import ModelsStage, print_models

__all__ = ["ModelsStage", "print_models"]
