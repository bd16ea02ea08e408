"""The expected/ trees are generated code, not tests: never collect them."""

collect_ignore_glob = ["*/expected/*"]
