"""What the conformance tests found, per spec and operation, and the table printed at
the end of the session (`pytest_terminal_summary` in conftest.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .harness import CheckResult
from .known import Bug, expected_errors, same_errors

# The checks made by an independent implementation (the others are ours).
PRISM = "prism"
CORE_REQUEST = "core-request"
CORE_RESPONSE = "core-response"
INDEPENDENT = (PRISM, CORE_REQUEST, CORE_RESPONSE)


@dataclass
class Entry:
    version: str
    operation: str
    case: str  # "required" | "full" | "extra-body" | "stream" | "binary" | example location
    check: str
    status: str  # "pass" | "fail" | "known" | "xfail" | "xpass"
    detail: str = ""
    blame: str = ""


@dataclass
class SpecNotes:
    operations: list[str] = field(default_factory=list)
    validity: str = ""
    prism_blind: list[str] = field(default_factory=list)
    prism_blind_total: int = 0
    prism_blind_nullable: int = 0
    examples_total: int = 0


class Coverage:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.notes: dict[str, SpecNotes] = defaultdict(SpecNotes)
        self.example_schema_errors: dict[tuple[str, str, str], int] = {}

    def record(
        self,
        version: str,
        operation: str,
        case: str,
        results: Iterable[CheckResult],
        bug: Bug | None = None,
    ) -> list[str]:
        """Records every check; returns the failures the test must report."""
        failures: list[str] = []
        seen: set[str] = set()
        for result in results:
            seen.add(result.check)
            expected, known = expected_errors(version, operation, case, result.check)
            if not result.errors and not expected:
                self._add(version, operation, case, result.check, "pass", result.note)
            elif known and same_errors(result.errors, expected):
                why = "; ".join(dict.fromkeys(k.why for k in known))
                blame = "/".join(dict.fromkeys(k.blame for k in known))
                self._add(version, operation, case, result.check, "known", why, blame)
            else:
                message = _failure(result.check, result.errors, expected)
                failures.append(message)
                status = "xfail" if bug else "fail"
                detail = bug.reason if bug else message
                self._add(version, operation, case, result.check, status, detail)
        for check in ("call", PRISM, CORE_REQUEST, CORE_RESPONSE):
            expected, known = expected_errors(version, operation, case, check)
            if known and check not in seen:
                message = f"{check}: known discrepancy expected but not checked"
                failures.append(message)
                self._add(version, operation, case, check, "fail", message)
        if bug and not failures:
            self._add(version, operation, case, "bug", "xpass", bug.reason)
        return failures

    def _add(self, *fields: str) -> None:
        self.entries.append(Entry(*fields))

    # -----------------------------------------------------------------------

    def passing(self, version: str, check: str) -> set[str]:
        return {
            e.operation
            for e in self.entries
            if e.version == version and e.check == check and e.status == "pass"
        }

    def checked(self, version: str, check: str) -> set[str]:
        return {
            e.operation
            for e in self.entries
            if e.version == version and e.check == check
        }

    def spec_blocked(self, version: str) -> list[str]:
        """Operations no independent check passed because the spec makes a valid
        exchange impossible (every independent result is an asserted spec mistake)."""
        passing = self._independently_passing(version)
        blocked = {
            e.operation
            for e in self.entries
            if e.version == version
            and e.check in INDEPENDENT
            and e.status == "known"
            and "spec" in e.blame
        }
        return [
            op
            for op in self.notes[version].operations
            if op in blocked and op not in passing
        ]

    def uncovered(self, version: str) -> list[str]:
        """Operations with neither a passing independent check nor a spec excuse."""
        passing = self._independently_passing(version)
        blocked = set(self.spec_blocked(version))
        return [
            op
            for op in self.notes[version].operations
            if op not in passing and op not in blocked
        ]

    def _independently_passing(self, version: str) -> set[str]:
        covered: set[str] = set()
        for check in INDEPENDENT:
            covered |= self.passing(version, check)
        return covered

    def table(self, versions: Iterable[str]) -> str:
        lines = ["", "OpenAPI conformance coverage (Prism mock server, openapi-core)"]
        for version in versions:
            if not any(e.version == version for e in self.entries):
                continue
            lines.extend(self._version_table(version))
        return "\n".join(lines)

    @staticmethod
    def _payload_response(entries: list[Entry], operation: str, case: str) -> str:
        for e in entries:
            if (e.operation, e.case, e.check) == (operation, case, CORE_RESPONSE):
                if e.status == "pass":
                    return e.detail or "response valid per openapi-core"
                return f"openapi-core on the response: {e.status} ({e.blame or 'ours'})"
        for e in entries:
            if (e.operation, e.case, e.check) == (operation, case, "sse-schema"):
                return e.detail
        return "no response checked"

    def _version_table(self, version: str) -> list[str]:
        notes = self.notes[version]
        ops = notes.operations
        total = len(ops)
        mine = [e for e in self.entries if e.version == version]
        prism_calls = {(e.operation, e.case) for e in mine if e.check == PRISM}
        payload = sorted(
            {(e.operation, e.case) for e in mine if e.case in ("stream", "binary")}
        )
        examples = [e for e in mine if e.case.startswith(("examples", "response"))]
        example_cases = {(e.operation, e.case) for e in examples if e.check == "call"}
        example_bad = {
            (e.operation, e.case) for e in examples if e.status not in ("pass", "known")
        }
        schema_bad = sum(
            1
            for (v, op, where), count in self.example_schema_errors.items()
            if v == version and count
        )
        lines = [
            "",
            f"OpenAI {version}: {total} operations; spec {notes.validity or 'not checked'}",
            _row(
                "checked by Prism (accepted, parsed)",
                len(self.passing(version, PRISM)),
                total,
                f"{len(prism_calls)} calls",
            ),
            _row(
                "requests valid per openapi-core",
                len(self.passing(version, CORE_REQUEST)),
                total,
                f"{len(self.checked(version, CORE_REQUEST))} operations checked",
            ),
            _row(
                "responses valid per openapi-core",
                len(self.passing(version, CORE_RESPONSE)),
                total,
                f"{len(self.checked(version, CORE_RESPONSE))} operations checked",
            ),
            _row(
                "example responses parsed (read back equal)",
                len(example_cases) - len(example_bad),
                notes.examples_total or len(example_cases),
                f"{schema_bad} of them do not match their own schema",
            ),
        ]
        if payload:
            lines.append(
                "  served by the payload server (SSE, binary: Prism cannot serve them); "
                "request judged by openapi-core, response parsed and read back, and:"
            )
        for operation, case in payload:
            lines.append(
                f"    {operation} ({case}): {self._payload_response(mine, operation, case)}"
            )
        if notes.prism_blind_total:
            lines.append(
                f"  Prism does not validate {len(notes.prism_blind)} of "
                f"{notes.prism_blind_total} request bodies ({notes.prism_blind_nullable} "
                f"of them hold a `nullable` without `type`): "
                f"{', '.join(notes.prism_blind) or '-'}; openapi-core rejects the same "
                "invalid probe for each"
            )
        blocked = self.spec_blocked(version)
        if blocked:
            lines.append(
                "  checked, but only an asserted spec mistake to show (no valid "
                f"exchange exists): {', '.join(blocked)}"
            )
        uncovered = self.uncovered(version)
        lines.append(
            "  operations with no passing independent check: "
            + (", ".join(uncovered) if uncovered else "none")
        )
        problems: dict[tuple[str, str, str], list[str]] = {}
        for entry in mine:
            if entry.status != "pass":
                key = (entry.status, entry.blame, entry.detail)
                problems.setdefault(key, []).append(
                    f"{entry.operation} [{entry.case}] {entry.check}"
                )
        if problems:
            lines.append("  not passing (status, whose mistake: where; cause):")
        for (status, blame, detail), where in problems.items():
            label = f"{status}, {blame}" if blame else status
            lines.append(f"    - {label}: {', '.join(where)}")
            lines.append(f"        cause: {detail}")
        return lines


def _row(label: str, count: int, total: int, extra: str) -> str:
    return f"  {label:<44} {count:>4}/{total:<4} {extra}"


def _failure(check: str, errors: list[str], expected: list[str]) -> str:
    if not expected:
        return f"{check}: " + " | ".join(errors)
    return (
        f"{check}: known discrepancy changed; expected {expected!r}, found {errors!r}"
    )
