"""A 200 MB download written to a file keeps the client's peak RSS growth under 50 MB.

The client runs in a subprocess (so pytest's own memory and the server's do not
count) and reports its own peak RSS (VmHWM, reset to the current RSS first through
/proc/self/clear_refs where Linux allows it; `getrusage` figures alongside) before and
after the download.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.payloads import PayloadServer, binary_payload_sha256

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "templates" / "runtime"
SIZE = 200 * 1024 * 1024
LIMIT_MIB = 50

SCRIPT = r"""
import asyncio, importlib.util, json, resource, sys, time
from pathlib import Path

runtime_dir, mode, base_url, size, path = sys.argv[1:6]
spec = importlib.util.spec_from_file_location(
    "oag_runtime", Path(runtime_dir) / "__init__.py",
    submodule_search_locations=[runtime_dir],
)
runtime = importlib.util.module_from_spec(spec)
sys.modules["oag_runtime"] = runtime
spec.loader.exec_module(runtime)

from oag_runtime._binary import AsyncBinaryResponse, BinaryResponse

config = runtime.ClientConfig("memtest", "0", "", "")
op = runtime.Operation("download", "get", "/binary", response="binary")

class Client(runtime.SyncAPIClient):
    _config = config

class AsyncClient(runtime.AsyncAPIClient):
    _config = config

async def download_async():
    async with AsyncClient(base_url=base_url, max_retries=0) as api:
        binary = await api.request(op, AsyncBinaryResponse, query={"size": size})
        await binary.write_to_file(path)

api = Client(base_url=base_url, max_retries=0)
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
if mode == "sync":
    api.request(op, BinaryResponse, query={"size": size}).write_to_file(path)
else:
    asyncio.run(download_async())
elapsed = time.perf_counter() - started
after = status_kib("VmHWM")
rusage_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_reset": peak_reset,
                  "after_kib": after, "rusage_before_kib": rusage_before,
                  "rusage_after_kib": rusage_after, "seconds": elapsed}))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=10, timeout=120) as running:
        yield running


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.slow
@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads /proc (Linux)"
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_200_mb_download_to_file_stays_under_50_mb(
    mode: str, server: PayloadServer, tmp_path: Path
) -> None:
    target = tmp_path / "download.bin"
    command = [sys.executable, "-c", SCRIPT, str(RUNTIME_DIR), mode, server.url]
    result = subprocess.run(
        [*command, str(SIZE), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert target.stat().st_size == SIZE
    assert file_sha256(target) == binary_payload_sha256(SIZE)
    growth_mib = (report["after_kib"] - report["before_kib"]) / 1024
    print(
        f"\n[{mode}] 200 MB download: RSS {report['before_kib'] / 1024:.1f} -> peak "
        f"{report['after_kib'] / 1024:.1f} MiB (+{growth_mib:.1f} MiB, "
        f"peak reset: {report['peak_reset']}; ru_maxrss "
        f"{report['rusage_before_kib'] / 1024:.1f} -> "
        f"{report['rusage_after_kib'] / 1024:.1f} MiB) "
        f"in {report['seconds']:.2f} s"
    )
    assert growth_mib < LIMIT_MIB
