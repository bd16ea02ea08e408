"""The chart of a results document (PNG, matplotlib: `pip install -e '.[bench]'`).

Four panels: generation time against spec size (operations) for oapigen and
openapi-python-client, cold and after a spec bump; the generated client's per-call
time, streaming time per chunk and first call, each beside the official SDK and the
plain-httpx floor. Only what the run measured is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OURS_COLOR = "#1f77b4"
OPC_COLOR = "#ff7f0e"
SDK_COLORS = {"openai2": "#7f7f7f", "openai3": "#bcbd22"}
FLOOR_COLOR = "#2ca02c"


def _series(scale: dict[str, Any], tool: str) -> list[tuple[int, float]]:
    points = []
    for key, scenario in scale.get("scenarios", {}).items():
        if scenario["kind"] != "scale" or key == "github":
            continue
        wall = scenario["tools"].get(tool, {}).get("wall_s")
        if wall is not None:
            points.append((scenario["spec"]["operations"], wall))
    return sorted(points)


def _empty(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", color="#7f7f7f")
    axes.set_xticks([])
    axes.set_yticks([])


def _generation(axes: Any, document: dict[str, Any]) -> None:
    scale = document.get("scale")
    axes.set_title("Generation time against spec size")
    axes.set_xlabel("operations in the spec")
    axes.set_ylabel("wall time, s")
    if not scale:
        _empty(axes, "scale scenarios not run")
        return
    failed = []
    for tool, label, color in (
        ("oapigen", "oapigen, cold", OURS_COLOR),
        ("openapi-python-client", "openapi-python-client, cold", OPC_COLOR),
    ):
        points = _series(scale, tool)
        if points:
            xs, ys = zip(*points)
            axes.plot(xs, ys, "o-", color=color, label=label + " (openai x1..x10)")
        github = scale["scenarios"].get("github")
        if github:
            entry = github["tools"].get(tool, {})
            if entry.get("wall_s") is not None:
                axes.plot(
                    [github["spec"]["operations"]],
                    [entry["wall_s"]],
                    "D",
                    color=color,
                    markersize=8,
                    label=f"{tool}, GitHub REST",
                )
            else:
                failed.append(f"{tool} failed on GitHub REST")
    markers = {"bump-version": ("^", "2.0.0 -> 2.3.0"), "bump-edit": ("v", "one edit")}
    for key, (marker, what) in markers.items():
        bump = scale["scenarios"].get(key)
        wall = bump["tools"].get("oapigen", {}).get("wall_s") if bump else None
        if bump and wall is not None:
            axes.plot(
                [bump["spec"]["operations"]],
                [wall],
                marker,
                color=OURS_COLOR,
                markerfacecolor="white",
                markersize=9,
                label=f"oapigen after a bump ({what})",
            )
    if failed:
        axes.text(
            0.02,
            0.97,
            "\n".join(failed),
            transform=axes.transAxes,
            va="top",
            fontsize=8,
            color="#d62728",
        )
    axes.set_xlim(left=0)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")


def _bars(
    axes: Any,
    groups: list[str],
    series: list[tuple[str, str, list[float | None]]],
) -> None:
    width = 0.8 / max(1, len(series))
    for index, (label, color, values) in enumerate(series):
        xs = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [value or 0.0 for value in values]
        bars = axes.bar(xs, heights, width, label=label, color=color)
        for bar, value in zip(bars, values):
            if value is not None:
                axes.annotate(
                    f"{value:.0f}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                )
    axes.set_xticks(range(len(groups)))
    axes.set_xticklabels(groups, fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    tallest = max((value or 0.0 for _, _, values in series for value in values))
    axes.set_ylim(0, tallest * 1.35 or 1.0)  # room for the legend above the bars
    axes.legend(fontsize=7, loc="upper left", ncol=2)


def _clients(targets: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, color) of the clients to draw, the floor first."""
    found = []
    for key, color in (("httpx", FLOOR_COLOR), ("oapigen", OURS_COLOR)):
        if key in targets:
            label = "plain httpx (floor)" if key == "httpx" else "oapigen"
            found.append((key, label, color))
    for key, color in SDK_COLORS.items():
        if key in targets:
            found.append((key, targets[key]["label"], color))
    return found


def _calls(axes: Any, document: dict[str, Any]) -> None:
    axes.set_title("Per call, µs (MockTransport; lower is better)")
    targets = document.get("calls", {}).get("targets", {})
    if not targets:
        _empty(axes, "calls section not run")
        return
    cells = [
        ("retrieve_model", "sync"),
        ("create_chat_completion", "sync"),
        ("retrieve_model", "async"),
        ("create_chat_completion", "async"),
    ]
    groups = [
        f"{'retrieve' if op == 'retrieve_model' else 'chat'} {mode}"
        for op, mode in cells
    ]
    series = [
        (
            label,
            color,
            [targets[key]["operations"][op][mode]["us_per_call"] for op, mode in cells],
        )
        for key, label, color in _clients(targets)
    ]
    _bars(axes, groups, series)


def _streaming(axes: Any, document: dict[str, Any]) -> None:
    axes.set_title("Streaming, µs per SSE chunk (lower is better)")
    targets = document.get("calls", {}).get("targets", {})
    if not any(entry.get("streaming") for entry in targets.values()):
        _empty(axes, "streaming not measured")
        return
    series = [
        (
            "raw httpx + json.loads (floor)" if key == "httpx" else label,
            color,
            [
                targets[key].get("streaming", {}).get(mode, {}).get("us_per_chunk")
                for mode in ("sync", "async")
            ],
        )
        for key, label, color in _clients(targets)
    ]
    _bars(axes, ["sync", "async"], series)


def _first_call(axes: Any, document: dict[str, Any]) -> None:
    axes.set_title("Fresh process: import + client + first call, ms")
    imports = document.get("imports", {})
    rows = [
        ("first-call:floor", "httpx + pydantic floor", FLOOR_COLOR),
        ("first-call:oapigen", "oapigen", OURS_COLOR),
        ("first-call:openai2", "openai 2.x", SDK_COLORS["openai2"]),
        ("first-call:openai3", "openai 3.x", SDK_COLORS["openai3"]),
    ]
    found = [
        (label, color, imports[key]["net_ms"])
        for key, label, color in rows
        if imports.get(key, {}).get("net_ms") is not None
    ]
    if not found:
        _empty(axes, "import section not run")
        return
    labels, colors, values = zip(*found)
    bars = axes.barh(range(len(found)), values, color=colors)
    for bar, value in zip(bars, values):
        axes.annotate(
            f"{value:.0f}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=7,
        )
    axes.set_yticks(range(len(found)))
    axes.set_yticklabels(labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("ms, net of a bare interpreter")
    axes.grid(axis="x", alpha=0.3)


def draw(document: dict[str, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    meta = document["meta"]
    load = meta.get("loadavg_start", ["?"])
    figure, grid = pyplot.subplots(2, 2, figsize=(13, 9))
    _generation(grid[0][0], document)
    _first_call(grid[0][1], document)
    _calls(grid[1][0], document)
    _streaming(grid[1][1], document)
    figure.suptitle(
        f"oapigen make bench, commit {meta.get('commit') or '?'}, "
        f"{meta.get('started', '')[:10]}; {meta.get('nproc')} cores, load average "
        f"{load[0]} (ratios in the same run are the result)",
        fontsize=10,
    )
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=90, metadata={"Software": None})
    pyplot.close(figure)


if __name__ == "__main__":  # redraw from a results file: python bench/chart.py IN OUT
    import json
    import sys

    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
