"""`python -m oapigen SPEC ...`: the command line (see `cli`)."""

import sys

if __package__ != "oapigen":
    # The source folder is generator/, but `python -m generator` would name the package
    # after whatever `generator` comes first on sys.path: only `oapigen` is the tool.
    sys.exit("run the generator as `oapigen` or `python -m oapigen`")

from .cli import run  # noqa: E402

run()
