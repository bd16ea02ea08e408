"""Progress on a terminal, one summary line elsewhere, errors only with --quiet, stage
times with --verbose. The terminal is a real pseudo-terminal (`pty`)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oapigen.progress import REDRAW_SECONDS, Reporter

from .helpers import NOTES_V1, write

SUMMARY = re.compile(
    r"^out/tiny_notes: 1 operations, \d+ models, \d+ files \(\d+ changed\) in [\d.]+ s$"
)


def run_on_pty(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """(exit status, stdout, what the terminal showed) of `python -m oapigen ARGS`
    with stderr on a pseudo-terminal and stdout on a pipe."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "oapigen", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "200"},
    )
    os.close(follower)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    stdout, _ = process.communicate(timeout=300)
    return process.wait(), stdout.decode(), shown.decode()


def status_lines(shown: str) -> list[str]:
    """Each redraw of the status line: the text after a carriage return, before the
    erase-to-end-of-line sequence."""
    return re.findall(r"\r(\[[^\r\n]*?)\x1b\[K", shown)


def test_a_terminal_sees_the_stages_and_the_formatting_count(tmp_path: Path) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    status, stdout, shown = run_on_pty(
        ["spec.yaml", "-o", "out", "--no-cache"], tmp_path
    )
    assert status == 0, shown
    lines = status_lines(shown)
    stages = [re.match(r"^\[\s*[\d.]+ s\] (\w+)", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "loading",
        "planning",
        "rendering",
        "formatting",
        "writing",
    ]
    assert any(line.endswith("loading: spec.yaml") for line in lines)
    counts = [
        tuple(map(int, m.groups()))
        for line in lines
        for m in [re.search(r"formatting (\d+)/(\d+)", line)]
        if m
    ]
    assert counts and counts[-1][0] == counts[-1][1] > 5
    # The status line is erased at the end: the terminal is left clean.
    assert shown.endswith("\r\x1b[K")
    assert SUMMARY.match(stdout.strip()), stdout


def test_without_a_terminal_one_summary_line_and_nothing_else(tmp_path: Path) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    result = subprocess.run(
        [sys.executable, "-m", "oapigen", "spec.yaml", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1
    assert SUMMARY.match(result.stdout.strip()), result.stdout


def test_quiet_on_a_terminal_prints_nothing_but_errors(tmp_path: Path) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    status, stdout, shown = run_on_pty(["spec.yaml", "-o", "out", "-q"], tmp_path)
    assert (status, stdout, shown) == (0, "", "")
    write(tmp_path, "bad.yaml", "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /x: {get: {}}}\n")  # fmt: skip
    status, stdout, shown = run_on_pty(["bad.yaml", "-o", "out", "-q"], tmp_path)
    assert status == 2 and stdout == ""
    assert re.fullmatch(r"bad\.yaml:4 #: error E101: [^\r\n]+\r\n", shown), shown


def test_quiet_hides_warnings_too(tmp_path: Path) -> None:
    text = NOTES_V1.replace(
        "properties: {text: {type: string}}",
        "properties: {text: {type: string, default: 3}}",  # a W201 warning
    )
    write(tmp_path, "spec.yaml", text)
    loud = subprocess.run(
        [sys.executable, "-m", "oapigen", "spec.yaml", "-o", "loud"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "warning W201" in loud.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "oapigen", "spec.yaml", "-o", "quiet", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


@pytest.mark.parametrize("flag", ["--verbose", "-v", "--timings"])
def test_verbose_prints_the_time_of_every_stage(tmp_path: Path, flag: str) -> None:
    write(tmp_path, "spec.yaml", NOTES_V1)
    result = subprocess.run(
        [sys.executable, "-m", "oapigen", "spec.yaml", "-o", "out", flag],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    stages = [
        re.match(r"^\s+[\d.]+ s  (\w+)", line) for line in result.stderr.splitlines()
    ]
    assert [m.group(1) for m in stages if m] == [
        "loading",
        "planning",
        "rendering",
        "formatting",
        "writing",
        "total",
    ]
    assert SUMMARY.match(result.stdout.strip())


def many_schemas_spec(count: int) -> str:
    # A chain of refs, not a ring: a cycle through every schema would put them all into
    # one module, which is another matter (black on one 20k-line file).
    lines = [
        "openapi: 3.0.3",
        "info: {title: Tiny Notes, version: '1'}",
        "paths:",
        "  /things:",
        "    get:",
        "      operationId: listThings",
        "      responses:",
        "        '200':",
        "          description: ok",
        "          content: {application/json: {schema: {$ref: '#/components/schemas/Thing0'}}}",
        "components:",
        "  schemas:",
    ]
    for i in range(count):
        lines.append(
            f"    Thing{i}: {{type: object, required: [id], properties: "
            f"{{id: {{type: string}}, size: {{type: integer}}, "
            f"next: {{$ref: '#/components/schemas/Thing{min(i + 1, count - 1)}'}}}}}}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_large_spec_is_never_silent(tmp_path: Path) -> None:
    """Thousands of schemas: formatting, the long stage, is redrawn as files come back
    (the count goes up in many steps) and while a big file keeps black busy (its elapsed
    time goes on), and the writing count too."""
    write(tmp_path, "spec.yaml", many_schemas_spec(1500))
    status, _, shown = run_on_pty(["spec.yaml", "-o", "out", "--no-cache"], tmp_path)
    assert status == 0, shown[-2000:]
    lines = status_lines(shown)
    counted: dict[str, set[int]] = {"formatting": set(), "writing": set()}
    elapsed: set[str] = set()
    for line in lines:
        match = re.match(r"\[\s*([\d.]+) s\] (formatting|writing) (\d+)/\d+", line)
        if match:
            counted[match.group(2)].add(int(match.group(3)))
            if match.group(2) == "formatting":
                elapsed.add(match.group(1))
    assert len(counted["formatting"]) >= 5 and max(counted["formatting"]) > 1500
    assert len(elapsed) >= 5
    assert max(counted["writing"]) > 1500


def test_the_reporter_redraws_at_most_every_tenth_of_a_second() -> None:
    import io

    now = [0.0]
    stream = io.StringIO()
    reporter = Reporter(stream, live=True, clock=lambda: now[0])
    reporter.stage("planning", "3 schemas")
    drawn = stream.getvalue().count("\r")
    reporter.tick()  # too soon: nothing new
    assert stream.getvalue().count("\r") == drawn
    now[0] += REDRAW_SECONDS
    reporter.tick()
    assert stream.getvalue().count("\r") == drawn + 1
    assert stream.getvalue().endswith("[  0.1 s] planning: 3 schemas\x1b[K")
    reporter.count("formatting", total=2)
    now[0] += REDRAW_SECONDS
    reporter.tick()
    assert stream.getvalue().endswith("planning: 3 schemas | formatting 0/2\x1b[K")
    reporter.count("formatting", done=2)  # a finished count is drawn at once
    assert stream.getvalue().endswith("[  0.2 s] planning: 3 schemas\x1b[K")
    stages = reporter.finish()
    assert [(s.name, s.seconds, s.detail) for s in stages] == [
        ("planning", pytest.approx(0.2), "3 schemas")
    ]
    assert stream.getvalue().endswith("\r\x1b[K")


def test_the_reporter_prints_nothing_when_not_live() -> None:
    import io

    stream = io.StringIO()
    reporter = Reporter(stream, live=False)
    reporter.stage("loading")
    reporter.count("formatting", total=3, done=3)
    reporter.tick()
    reporter.finish()
    assert stream.getvalue() == ""
    reporter = Reporter(stream, live=True, quiet=True)
    reporter.stage("loading")
    reporter.note("rolled back")
    reporter.finish()
    assert stream.getvalue() == ""
