"""The test suite (a package, so `python -m tests.golden.refresh` resolves to this folder)."""
