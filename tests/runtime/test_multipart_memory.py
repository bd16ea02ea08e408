"""A 200 MB upload from a path keeps the client's peak RSS growth under 50 MB.

The client runs in a subprocess (so pytest's own memory and the server's do not
count) and reports its own peak RSS (VmHWM, reset to the current RSS first through
/proc/self/clear_refs where Linux allows it; `getrusage` figures alongside) before and
after the upload.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.payloads import PayloadServer, binary_payload, binary_payload_sha256

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "templates" / "runtime"
SIZE = 200 * 1024 * 1024
LIMIT_MIB = 50

SCRIPT = r"""
import importlib.util, json, resource, sys, time
from pathlib import Path

runtime_dir, mode, base_url, path = sys.argv[1:5]
spec = importlib.util.spec_from_file_location(
    "oag_runtime", Path(runtime_dir) / "__init__.py",
    submodule_search_locations=[runtime_dir],
)
runtime = importlib.util.module_from_spec(spec)
sys.modules["oag_runtime"] = runtime
spec.loader.exec_module(runtime)

import httpx
from oag_runtime._multipart import build_multipart

class Client(runtime.SyncAPIClient):
    _config = runtime.ClientConfig("memtest", "0", "", "")

op = runtime.Operation(
    "upload", "post", "/multipart", body="multipart", file_fields=frozenset({"file"})
)
fields = {"file": Path(path), "purpose": "memory-test"}
http = httpx.Client(timeout=120)
api = Client(base_url=base_url, max_retries=0, http_client=http)
def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)

# getrusage's ru_maxrss starts at the peak of the process that spawned us (Linux
# keeps the larger of the two across exec), so it can hide growth up to pytest's own
# size; VmHWM is this process's own peak. Linux can reset it to the current RSS, then
# the peak afterwards minus the peak now is exactly the growth during the transfer.
try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    peak_reset = True
except OSError:  # not allowed here: compare with the current RSS (an upper bound)
    peak_reset = False
before = status_kib("VmHWM" if peak_reset else "VmRSS")
rusage_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if mode == "client":
    echo = api.request(op, object, body=fields)
else:  # build_multipart straight into httpx
    form, files, _ = build_multipart(fields, op.file_fields)
    data = {name: value for name, value in form}
    echo = http.post(base_url + "/multipart", data=data, files=files).json()
elapsed = time.perf_counter() - started
after = status_kib("VmHWM")
rusage_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_reset": peak_reset,
                  "after_kib": after, "rusage_before_kib": rusage_before,
                  "rusage_after_kib": rusage_after, "seconds": elapsed,
                  "echo": echo}))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=10, timeout=120) as running:
        yield running


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("upload") / "big.bin"
    with open(path, "wb") as file:
        for piece in binary_payload(SIZE):
            file.write(piece)
    yield path
    path.unlink()


@pytest.mark.slow
@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads /proc (Linux)"
)
@pytest.mark.parametrize("mode", ["client", "httpx"])
def test_200_mb_upload_from_path_stays_under_50_mb(
    mode: str, server: PayloadServer, big_file: Path
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(RUNTIME_DIR),
            mode,
            server.url,
            str(big_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    parts = report["echo"]["parts"]
    assert [(p["name"], p["size"]) for p in parts] == [
        ("purpose", len("memory-test")),
        ("file", SIZE),
    ]
    assert parts[1]["sha256"] == binary_payload_sha256(SIZE)
    assert parts[1]["filename"] == "big.bin"
    growth_mib = (report["after_kib"] - report["before_kib"]) / 1024
    print(
        f"\n[{mode}] 200 MB upload: RSS {report['before_kib'] / 1024:.1f} -> peak "
        f"{report['after_kib'] / 1024:.1f} MiB (+{growth_mib:.1f} MiB, "
        f"peak reset: {report['peak_reset']}; ru_maxrss "
        f"{report['rusage_before_kib'] / 1024:.1f} -> "
        f"{report['rusage_after_kib'] / 1024:.1f} MiB) "
        f"in {report['seconds']:.2f} s"
    )
    assert growth_mib < LIMIT_MIB
