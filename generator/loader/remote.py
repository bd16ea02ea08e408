"""Documents named by `http(s)` URLs, fetched only when the user allows it (`--allow-remote`).

Off by default: generating a client should not depend on the network, and a spec should
not make the generator contact hosts of its choosing. When allowed, only http and https
are followed, each document once, with the same size limit as files and a timeout.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from .. import __version__
from ..diagnostics import Diagnostic, error
from .limits import LoadOptions
from .parse import SourceFile, parse_source, too_large

SCHEMES = ("http", "https")


def join(base: str, ref_file: str) -> str:
    """The URL of `ref_file` (as written in a `$ref`) relative to the document `base`."""
    return urljoin(base, ref_file)


def unsupported_scheme(url: str) -> str | None:
    scheme = urlsplit(url).scheme
    if scheme in SCHEMES:
        return None
    return f"{scheme}:" if scheme else "a URL without a scheme"


def fetch(url: str, options: LoadOptions) -> SourceFile | Diagnostic:
    """The parsed document at `url`; a Diagnostic (E103) when it cannot be fetched."""
    # imported here: urllib.request (with http.client, ssl, email) costs ~20 ms at
    # every start, and remote refs are rare (and refused unless allowed)
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url,
        headers={
            "Accept": "application/yaml, application/json;q=0.9, */*;q=0.5",
            "User-Agent": f"oapigen/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=options.remote_timeout) as answer:
            raw = answer.read(options.max_bytes + 1)
    except urllib.error.HTTPError as exc:
        return error("E103", url, None, "#", f"cannot fetch: HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return error("E103", url, None, "#", f"cannot fetch: {reason}")
    if len(raw) > options.max_bytes:
        return too_large(url, len(raw), options)
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return parse_source(raw, url, suffix, options)
