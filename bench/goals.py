"""The goals of issue 12, checked against one results document.

Every ratio is ours / openapi-python-client (or / the dependency floor) measured in the
same run; a goal whose figures were not measured in this run (a section skipped, a
tool failed) says why instead of passing or failing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.stats import ratio

MEMORY_LIMIT_MB = 500.0
OPC = "openapi-python-client"


@dataclass(frozen=True)
class Goal:
    name: str
    measured: str
    goal: str
    status: str  # "pass", "FAIL", "n/a" (not measured) or "info" (no threshold)
    note: str = ""
    value: float | None = None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _check(
    name: str,
    value: float | None,
    limit: float,
    goal: str,
    missing: str,
    note: str = "",
    digits: int = 2,
) -> Goal:
    if value is None:
        return Goal(name, "-", goal, "n/a", missing)
    passed = value <= limit
    return Goal(
        name, _fmt(value, digits), goal, "pass" if passed else "FAIL", note, value
    )


def _ratio_goal(
    name: str,
    tools: dict[str, Any],
    ours_key: str,
    limit: float,
    goal: str,
    note: str,
    theirs_key: str = OPC,
    figure: str = "wall_s",
) -> Goal:
    """ours / opc (wall time by default); a failed run of ours fails the goal, a failed
    run of opc leaves it unmeasured."""
    ours, theirs = tools.get(ours_key, {}), tools.get(theirs_key, {})
    if ours.get("status") == "failed":
        return Goal(name, "-", goal, "FAIL", f"oapigen failed: {ours.get('error')}")
    return _check(
        name,
        ratio(ours.get(figure), theirs.get(figure)),
        limit,
        goal,
        _why(tools, ours_key, theirs_key),
        note,
    )


def _why(tools: dict[str, Any], ours: str, theirs: str) -> str:
    """Why a ratio of `ours` to `theirs` could not be taken."""
    reasons = []
    for key, who in ((ours, "oapigen"), (theirs, OPC)):
        entry = tools.get(key)
        if entry is None:
            reasons.append(f"{who} not run")
        elif entry.get("wall_s") is None:
            error = entry.get("error") or entry.get("status")
            reasons.append(f"{who} {entry.get('status')}: {error}")
    return "; ".join(reasons) or "not measured"


def _cold_primary(document: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """oapigen cold and opc on openai-2.3.0: the generation section, else scale x1."""
    generation = document.get("generation", {}).get("openai-2.3.0")
    if generation:
        return {
            "ours": generation.get("oapigen-cold", {}),
            "opc": generation.get(OPC, {}),
        }, "generation section"
    scenario = document.get("scale", {}).get("scenarios", {}).get("x1")
    if scenario:
        tools = scenario["tools"]
        ours = dict(tools.get("oapigen", {}))
        ours["spec_operations"] = scenario["spec"]["operations"]
        return {"ours": ours, "opc": tools.get(OPC, {})}, "scale x1"
    return None


def _scenario(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        document.get("scale", {}).get("scenarios", {}).get(key)
    )
    return found


def _skipped(document: dict[str, Any], key: str) -> str:
    skipped = document.get("scale", {}).get("skipped", {})
    return str(skipped.get(key, "not run (see --sizes, --only)"))


def _generation_goals(document: dict[str, Any]) -> list[Goal]:
    goals = []
    primary = _cold_primary(document)
    name_wall = "cold openai-2.3.0: wall / opc"
    name_cpu = "cold openai-2.3.0: CPU / opc"
    name_ops = "cold openai-2.3.0: operations generated"
    if primary is None:
        missing = "generation not run"
        goals += [
            Goal(name_wall, "-", "<= 0.50", "n/a", missing),
            Goal(name_cpu, "-", "<= 1.00", "n/a", missing),
            Goal(name_ops, "-", "all", "n/a", missing),
        ]
    else:
        pair, source = primary
        ours, opc = pair["ours"], pair["opc"]
        tools = {"ours": ours, "opc": opc}
        why = _why(tools, "ours", "opc")
        goals.append(
            _ratio_goal(
                name_wall,
                tools,
                "ours",
                0.5,
                "<= 0.50",
                f"{_fmt(ours.get('wall_s'), 1)} s vs {_fmt(opc.get('wall_s'), 1)} s "
                f"({source})",
                theirs_key="opc",
            )
        )
        goals.append(
            _ratio_goal(
                name_cpu,
                tools,
                "ours",
                1.0,
                "<= 1.00",
                f"{_fmt(ours.get('cpu_s'), 1)} s vs {_fmt(opc.get('cpu_s'), 1)} s",
                theirs_key="opc",
                figure="cpu_s",
            )
        )
        made, wanted = ours.get("operations"), ours.get("spec_operations")
        if made is None or wanted is None:
            goals.append(Goal(name_ops, "-", "all", "n/a", why))
        else:
            theirs = opc.get("operations")
            goals.append(
                Goal(
                    name_ops,
                    f"{made}/{wanted}",
                    "all",
                    "pass" if made == wanted else "FAIL",
                    f"opc: {theirs if theirs is not None else '-'}/{wanted}",
                )
            )
    for key, label in (
        ("bump-version", "bump 2.0.0 -> 2.3.0: wall / opc cold"),
        ("bump-edit", "bump 2.3.0 -> one description: wall / opc cold"),
    ):
        scenario = _scenario(document, key)
        if scenario is None:
            goals.append(Goal(label, "-", "<= 0.15", "n/a", _skipped(document, key)))
            continue
        tools = scenario["tools"]
        ours, opc = tools.get("oapigen", {}), tools.get(OPC, {})
        goals.append(
            _ratio_goal(
                label,
                tools,
                "oapigen",
                0.15,
                "<= 0.15",
                f"{_fmt(ours.get('wall_s'), 1)} s vs {_fmt(opc.get('wall_s'), 1)} s",
            )
        )
    return goals


def _scale_goals(document: dict[str, Any]) -> list[Goal]:
    goals = []
    for key, label in (
        ("x10", "synthetic 10x: wall / opc"),
        ("github", "GitHub REST: wall / opc"),
    ):
        scenario = _scenario(document, key)
        if scenario is None:
            goals.append(Goal(label, "-", "<= 1.00", "n/a", _skipped(document, key)))
            continue
        tools = scenario["tools"]
        ours, opc = tools.get("oapigen", {}), tools.get(OPC, {})
        spec_ops = scenario["spec"]["operations"]
        goals.append(
            _ratio_goal(
                label,
                tools,
                "oapigen",
                1.0,
                "<= 1.00",
                f"{_fmt(ours.get('wall_s'), 1)} s vs {_fmt(opc.get('wall_s'), 1)} s; "
                f"ops {ours.get('operations') or '-'}/{spec_ops} vs "
                f"{opc.get('operations') or '-'}/{spec_ops}",
            )
        )
    base, big = _scenario(document, "x1"), _scenario(document, "x10")
    label = "growth: x10 time / x1 time (oapigen)"
    if base is None or big is None:
        goals.append(Goal(label, "-", "<= 11.0", "n/a", _skipped(document, "x10")))
    else:
        ours = ratio(
            big["tools"].get("oapigen", {}).get("wall_s"),
            base["tools"].get("oapigen", {}).get("wall_s"),
        )
        theirs = ratio(
            big["tools"].get(OPC, {}).get("wall_s"),
            base["tools"].get(OPC, {}).get("wall_s"),
        )
        goals.append(
            _check(
                label,
                ours,
                11.0,
                "<= 11.0",
                "oapigen failed on x1 or x10",
                f"opc: {_fmt(theirs, 1)}",
                digits=1,
            )
        )
    for key, label in (
        ("x10", "peak memory (tree), synthetic 10x"),
        ("github", "peak memory (tree), GitHub REST"),
    ):
        scenario = _scenario(document, key)
        if scenario is None:
            goals.append(Goal(label, "-", "< 500 MB", "n/a", _skipped(document, key)))
            continue
        ours = scenario["tools"].get("oapigen", {})
        opc = scenario["tools"].get(OPC, {})
        peak = ours.get("tree_peak_mb")
        if peak is None:
            status = "FAIL" if ours.get("status") == "failed" else "n/a"
            why = f"oapigen {ours.get('status')}: {ours.get('error')}"
            goals.append(Goal(label, "-", "< 500 MB", status, why))
            continue
        goals.append(
            Goal(
                label,
                f"{peak:.0f} MB",
                "< 500 MB",
                "pass" if peak < MEMORY_LIMIT_MB else "FAIL",
                f"opc {_fmt(opc.get('tree_peak_mb'), 0)} MB",
                peak,
            )
        )
    return goals


def _client_goals(document: dict[str, Any]) -> list[Goal]:
    goals = []
    imports = document.get("imports")
    label = "first call / dependency floor"
    if not imports:
        goals.append(Goal(label, "-", "<= 1.25", "n/a", "import section not run"))
    else:
        ours = imports.get("first-call:oapigen", {})
        floor = imports.get("first-call:floor", {})
        missing = "; ".join(
            f"{who}: {entry.get('error') or 'not run'}"
            for who, entry in (("oapigen", ours), ("floor", floor))
            if entry.get("net_ms") is None
        )
        goals.append(
            _check(
                label,
                ratio(ours.get("net_ms"), floor.get("net_ms")),
                1.25,
                "<= 1.25",
                missing,
                f"{_fmt(ours.get('net_ms'), 0)} ms vs {_fmt(floor.get('net_ms'), 0)} ms",
            )
        )
    calls = document.get("calls", {}).get("targets", {})
    ours = calls.get("oapigen")
    if ours and ours.get("status") == "ok":
        chat = ours["operations"]["create_chat_completion"]["sync"]
        goals.append(
            Goal(
                "per call, chat sync: / plain httpx",
                _fmt(chat.get("vs_plain")),
                "keep",
                "info",
                f"{_fmt(chat.get('us_per_call'), 0)} µs",
                chat.get("vs_plain"),
            )
        )
        stream = ours.get("streaming", {}).get("sync", {})
        sdk = calls.get("openai2", {}).get("streaming", {}).get("sync", {})
        goals.append(
            Goal(
                "streaming, sync: µs/chunk / raw httpx",
                _fmt(stream.get("vs_plain")),
                "keep",
                "info",
                f"{_fmt(stream.get('us_per_chunk'), 0)} µs/chunk; / openai 2.x "
                f"{_fmt(ratio(stream.get('us_per_chunk'), sdk.get('us_per_chunk')))}",
                stream.get("vs_plain"),
            )
        )
    return goals


def evaluate(document: dict[str, Any]) -> list[Goal]:
    return (
        _generation_goals(document) + _scale_goals(document) + _client_goals(document)
    )


def as_json(goals: list[Goal]) -> list[dict[str, Any]]:
    return [asdict(goal) for goal in goals]
