"""The tables printed at the end of `make bench`, from the results document."""

from __future__ import annotations

from typing import Any

from bench.goals import Goal
from bench.stats import ratio


def _num(value: float | None, digits: int = 1, width: int = 7) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def _ratio(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.2f}" if value is not None else f"{'-':>{width}}"


def _table(header: list[str], rows: list[list[str]], align_left: int = 1) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.ljust(widths[i]) if i < align_left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _generation(spec: str, tools: dict[str, Any]) -> str:
    cold = tools.get("oapigen-cold", {})
    warm = tools.get("oapigen-warm", {})
    expected = next(iter(tools.values()))["spec_operations"]
    runs = max(
        (tool["runs_ok"] + tool["runs_failed"] for tool in tools.values()), default=0
    )
    rows, notes = [], []
    for key, tool in tools.items():
        ops = (
            f"{tool['operations']}/{tool['spec_operations']}"
            if tool["operations"] is not None
            else "-"
        )
        spread = (
            f"{tool['wall_s_min']:.1f}-{tool['wall_s_max']:.1f}"
            if tool["runs_ok"] > 1
            else ""
        )
        rows.append(
            [
                tool["label"],
                tool["status"],
                _num(tool["wall_s"]),
                spread,
                _num(tool["cpu_s"]),
                _num(tool["tree_peak_mb"], 0),
                _num(tool["max_proc_mb"], 0),
                ops,
                _ratio(ratio(cold.get("wall_s"), tool["wall_s"])),
                _ratio(ratio(warm.get("wall_s"), tool["wall_s"])),
                _ratio(ratio(cold.get("tree_peak_mb"), tool["tree_peak_mb"])),
            ]
        )
        if tool["error"]:
            notes.append(f"  {tool['label']}: {tool['status']}: {tool['error']}")
    title = (
        f"Generation, {spec} ({expected} operations in the spec; median of {runs} "
        f"run{'s' if runs != 1 else ''})"
    )
    header = [
        "tool",
        "status",
        "wall s",
        "min-max",
        "cpu s",
        "tree MB",
        "proc MB",
        "ops",
        "cold/x",
        "warm/x",
        "mem/x",
    ]
    return "\n".join([title, _table(header, rows), *notes])


GENERATION_LEGEND = (
    "  wall = elapsed; cpu = user+sys of the whole process tree; tree MB = peak of the\n"
    "  summed PSS of all live processes of the tree (sampled); proc MB = ru_maxrss, the\n"
    "  largest single process (what /usr/bin/time %M shows); ops = operations with a\n"
    "  generated method / operations in the spec. cold/x, warm/x = oapigen wall time\n"
    "  (cold or warm black cache) / that tool's; mem/x = oapigen cold tree MB / that\n"
    "  tool's. Below 1.00 = oapigen faster/leaner."
)


def _imports(imports: dict[str, Any]) -> str:
    ours = imports.get("oapigen", {}).get("net_ms")
    ours_first = imports.get("first-call:oapigen", {}).get("net_ms")
    rows: list[list[str]] = []
    first_rows: list[list[str]] = []
    notes: list[str] = []
    for key, entry in imports.items():
        if key.startswith(("pass:", "worker:")):
            continue
        first = key.startswith("first-call:")
        row = [
            entry["label"],
            entry["status"],
            _num(entry["net_ms"], 0),
            _num(entry["total_ms"], 0),
            str(entry["runs"]),
            (
                str(entry["modules_loaded"])
                if entry["modules_loaded"] is not None
                else "-"
            ),
            _ratio(ratio(ours_first if first else ours, entry["net_ms"])),
        ]
        (first_rows if first else rows).append(row)
        if entry["error"]:
            notes.append(f"  {entry['label']}: failed: {entry['error']}")
    header = ["package", "status", "net ms", "total ms", "runs", "modules", "ours/x"]
    parts = [
        "Import time (fresh process; net = median minus a bare `python -c pass` of the "
        "same venv)",
        _table(header, rows),
    ]
    if first_rows:
        parts += [
            "",
            "First call (fresh process: import + client + one create_chat_completion "
            "on a MockTransport; net of the worker script alone)",
            _table(["client", *header[1:]], first_rows),
        ]
    return "\n".join(parts + notes)


def _calls(section: dict[str, Any]) -> str:
    targets = section["targets"]
    ops = ["retrieve_model", "create_chat_completion"]
    parts = [
        f"Per-call client time, µs (median of {section['rounds'] * section['passes']} "
        f"blocks of {section['n']} calls, interleaved across clients; in-memory "
        "MockTransport, canned JSON)\nx plain = / the plain client of the same "
        "transport library (client.get/post + raise_for_status + .json()); "
        "+µs = the difference",
    ]
    for mode in ("sync", "async"):
        rows = []
        for entry in targets.values():
            row = [entry["label"], entry["status"]]
            for op in ops:
                cell = entry["operations"][op][mode]
                row += [
                    _num(cell["us_per_call"], 0, 5),
                    _ratio(cell["vs_plain"], 5),
                    _num(cell["overhead_us"], 0, 5),
                ]
            rows.append(row)
        header = [f"{mode} client", "status"]
        for op in ops:
            short = "retrieve" if op == "retrieve_model" else "chat"
            header += [f"{short} µs", "x plain", "+µs"]
        parts += ["", _table(header, rows)]
    ours = targets.get("oapigen")
    if ours and ours["status"] == "ok":
        parts.append("")
        for key, entry in targets.items():
            if not key.startswith("openai") or entry["status"] != "ok":
                continue
            cells = []
            for mode in ("sync", "async"):
                for op in ops:
                    mine = ours["operations"][op][mode]
                    theirs = entry["operations"][op][mode]
                    total = ratio(mine["us_per_call"], theirs["us_per_call"])
                    extra = ratio(mine["overhead_us"], theirs["overhead_us"])
                    short = "retrieve" if op == "retrieve_model" else "chat"
                    # Below the plain client there is no overhead to compare.
                    shown = (
                        "<=0" if (mine["overhead_us"] or 0) <= 0 else _ratio(extra, 0)
                    )
                    cells.append(
                        f"{short} {mode} {_ratio(total, 0)} (overhead {shown})"
                    )
            parts.append(f"oapigen / {entry['label']}: " + ", ".join(cells))
    for entry in targets.values():
        if entry["error"]:
            parts.append(f"  {entry['label']}: failed: {entry['error']}")
    streaming = _streaming(targets)
    if streaming:
        parts += ["", streaming]
    return "\n".join(parts)


def _streaming(targets: dict[str, Any]) -> str:
    entries = {key: e for key, e in targets.items() if e.get("streaming")}
    if not entries:
        return ""
    chunks = next((e["streaming"]["chunks_per_stream"] for e in entries.values()), None)
    ours = entries.get("oapigen", {}).get("streaming")
    rows = []
    for entry in entries.values():
        stream = entry["streaming"]
        row = [entry["label"], "failed" if stream["error"] else "ok"]
        for mode in ("sync", "async"):
            cell = stream[mode]
            mine = ours[mode]["us_per_chunk"] if ours else None
            row += [
                _num(cell["us_per_chunk"], 1, 6),
                _num(cell["chunks_per_s"] / 1000 if cell["chunks_per_s"] else None),
                _ratio(cell["vs_plain"], 5),
                _ratio(ratio(mine, cell["us_per_chunk"]), 5),
            ]
        rows.append(row)
    header = ["client", "status"]
    for mode in ("sync", "async"):
        header += [f"{mode} µs/chunk", "k chunks/s", "x plain", "ours/x"]
    notes = [
        f"  {e['label']}: streaming failed: {e['streaming']['error']}"
        for e in entries.values()
        if e["streaming"]["error"]
    ]
    title = (
        f"Streaming: a chat completion of {chunks} SSE chunks read to its end, "
        "through MockTransport (median µs per chunk; x plain = / the plain client's "
        "lines + json.loads floor)"
    )
    return "\n".join([title, _table(header, rows), *notes])


def _scale(section: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    notes: list[str] = []
    for key, scenario in section["scenarios"].items():
        spec = scenario["spec"]
        tools = scenario["tools"]
        ours, opc = tools["oapigen"], tools["openapi-python-client"]
        previous = tools.get("oapigen-previous")
        label = scenario["label"]
        if scenario["previous"]:
            label = f"{scenario['previous']['label']} -> {spec['label']}"
        row = [
            key,
            label,
            str(spec["operations"]),
            str(spec["schemas"]),
            _num(spec["size_bytes"] / 1e6, 1, 5),
        ]
        for entry in (ours, opc):
            ops = (
                f"{entry['operations']}/{spec['operations']}"
                if entry["operations"] is not None
                else entry["status"]
            )
            row += [
                _num(entry["wall_s"]),
                _num(entry["cpu_s"]),
                _num(entry["tree_peak_mb"], 0, 5),
                ops,
            ]
        row.append(_ratio(ratio(ours["wall_s"], opc["wall_s"])))
        row.append(_num(previous["wall_s"]) if previous else "")
        rows.append(row)
        for who, entry in (("oapigen", ours), ("openapi-python-client", opc)):
            if entry["error"]:
                notes.append(f"  [{key}] {who}: {entry['status']}: {entry['error']}")
    for key, reason in section.get("skipped", {}).items():
        notes.append(f"  [{key}] not run: {reason}")
    header = [
        "run",
        "spec",
        "ops",
        "schemas",
        "spec MB",
        "ours s",
        "cpu s",
        "tree MB",
        "ops",
        "opc s",
        "cpu s",
        "tree MB",
        "ops",
        "ours/opc",
        "prev s",
    ]
    rounds = section["rounds"]
    title = (
        "Scale and spec bumps (oapigen then openapi-python-client, back to back; "
        f"{'median of ' + str(rounds) + ' rounds' if rounds > 1 else 'one round'})\n"
        "  scale rows: both cold (fresh output, empty cache). bump rows: oapigen "
        "regenerates into the previous\n  spec's output with its cache (prev s = that "
        "previous run); openapi-python-client runs the new spec cold."
    )
    return "\n".join([title, _table(header, rows, align_left=2), *notes])


def goals_table(goals: list[Goal]) -> str:
    header = ["goal (issue 12)", "measured", "goal", "status", "figures / why not"]
    rows = [[g.name, g.measured, g.goal, g.status, g.note] for g in goals]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(row: list[str]) -> str:
        cells = [
            row[0].ljust(widths[0]),
            row[1].rjust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].ljust(widths[3]),
            row[4],
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths) + "  " + "-" * len(header[4])
    return "\n".join(
        [
            "Goals of issue 12 (ratios: ours / openapi-python-client, or / the "
            "dependency floor, measured in this run)",
            line(header),
            rule,
            *(line(row) for row in rows),
        ]
    )


def render(document: dict[str, Any]) -> str:
    parts = []
    for spec, tools in document.get("generation", {}).items():
        parts += ["", _generation(spec, tools)]
    if document.get("generation"):
        parts.append(GENERATION_LEGEND)
    if document.get("imports"):
        parts += ["", _imports(document["imports"])]
    if document.get("calls"):
        parts += ["", _calls(document["calls"])]
    if document.get("soak"):
        from bench.soak import render as render_soak

        parts += ["", render_soak(document["soak"])]
    if document.get("scale"):
        parts += ["", _scale(document["scale"])]
    if document.get("goals") is not None:
        parts += ["", goals_table([Goal(**goal) for goal in document["goals"]])]
    meta = document["meta"]
    end = meta.get("loadavg_end")
    if end:
        parts += [
            "",
            f"load average at end: {end[0]} {end[1]} {end[2]}; "
            f"sections (s): {meta.get('section_seconds')}; total {meta.get('total_seconds')} s",
        ]
    return "\n".join(parts)
