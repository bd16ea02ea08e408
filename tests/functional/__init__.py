"""Generated packages driven through httpx.MockTransport (a package: its module names
must not clash with tests/runtime or tests/unit)."""
