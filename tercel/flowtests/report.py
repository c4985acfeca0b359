"""Reports of a test run: a pytest-like text summary, JUnit XML for CI, Kestra's JSON.

Every failing assertion is reported at the ``path:line:col`` of its operator in the test
file, with the expression, the expected and the actual value.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tercel.flowtests.assertions import AssertionResult
from tercel.flowtests.model import OPERATOR_ALIASES
from tercel.flowtests.runner import ERROR, FAILED, SKIPPED, SUCCESS, CaseOutcome
from tercel.templating.output import to_text

#: One character per case on the progress line.
MARKS = {SUCCESS: ".", FAILED: "F", ERROR: "E", SKIPPED: "s"}
WIDTH = 78


@dataclass(frozen=True)
class Counts:
    """How many cases ended in each state."""

    passed: int
    failed: int
    errors: int
    skipped: int

    @classmethod
    def of(cls, outcomes: Sequence[CaseOutcome]) -> Counts:
        """Count `outcomes` by state."""
        states = [outcome.state for outcome in outcomes]
        return cls(
            states.count(SUCCESS), states.count(FAILED), states.count(ERROR), states.count(SKIPPED)
        )

    def summary(self) -> str:
        """``1 failed, 3 passed, 1 skipped`` (states with no case left out)."""
        parts = [
            (self.failed, "failed"),
            (self.errors, "error" if self.errors == 1 else "errors"),
            (self.passed, "passed"),
            (self.skipped, "skipped"),
        ]
        return ", ".join(f"{count} {word}" for count, word in parts if count) or "no tests ran"


def assertion_location(outcome: CaseOutcome, index: int, result: AssertionResult) -> str:
    """``path:line:col`` of the operator of a result in its test file."""
    spec = outcome.spec
    base = ("testCases", spec.index, "assertions", index)
    written = [result.operator, *(k for k, v in OPERATOR_ALIASES.items() if v == result.operator)]
    for key in written:
        if spec.suite_result.positions.has((*base, key)):
            return spec.suite_result.location(*base, key)
    return spec.suite_result.location(*base)


def case_location(outcome: CaseOutcome) -> str:
    """``path:line:col`` of a case's `id`."""
    return outcome.spec.suite_result.location("testCases", outcome.spec.index, "id")


def _shown(value: Any) -> str:
    return "null" if value is None else to_text(value)


def failure_lines(outcome: CaseOutcome) -> list[str]:
    """What a failing or erroring case reports, line by line."""
    lines: list[str] = []
    for index, result in outcome.results:
        if result.is_success:
            continue
        lines.append(f"{assertion_location(outcome, index, result)}: {result.operator} failed")
        lines.append(f"    expression: {result.expression}")
        if result.operator not in ("isNull", "isNotNull"):
            lines.append(f"    expected:   {_shown(result.expected)}")
        else:
            lines.append(f"    expected:   {'null' if result.operator == 'isNull' else 'not null'}")
        lines.append(f"    actual:     {_shown(result.actual)}")
        if outcome.spec.case.assertions[index].error_message and result.error_message:
            lines.append(f"    message:    {result.error_message}")
    for error in outcome.errors:
        lines.append(f"{case_location(outcome)}: error: {error.message}")
        if error.details:
            lines.append(f"    {error.details}")
    if outcome.execution_id:
        lines.append(f"  execution {outcome.execution_id} ended {outcome.execution_state}")
    return lines


def text_report(outcomes: Sequence[CaseOutcome], seconds: float) -> str:
    """The pytest-like summary: a progress line per file, failures, then the counts."""
    out: list[str] = []
    by_file: dict[str, list[CaseOutcome]] = {}
    for outcome in outcomes:
        by_file.setdefault(outcome.spec.suite_result.path, []).append(outcome)
    for path, group in by_file.items():
        out.append(f"{path} {''.join(MARKS[o.state] for o in group)}")
    bad = [o for o in outcomes if o.state in (FAILED, ERROR)]
    if bad:
        out.append(_rule("FAILURES"))
        for outcome in bad:
            out.append(_rule(f"{outcome.spec.name} ({outcome.state})", "_"))
            out.extend(failure_lines(outcome))
    out.append(_rule(f"{Counts.of(outcomes).summary()} in {seconds:.2f}s"))
    return "\n".join(out)


def _rule(title: str, char: str = "=") -> str:
    side = max(3, (WIDTH - len(title) - 2) // 2)
    return f"{char * side} {title} {char * side}"


def junit_xml(outcomes: Sequence[CaseOutcome], seconds: float) -> str:
    """JUnit XML: one `<testsuite>` per test suite, one `<testcase>` per case."""
    counts = Counts.of(outcomes)
    root = ET.Element(
        "testsuites",
        name="tercel test",
        tests=str(len(outcomes)),
        failures=str(counts.failed),
        errors=str(counts.errors),
        skipped=str(counts.skipped),
        time=f"{seconds:.3f}",
    )
    suites: dict[tuple[str, str], list[CaseOutcome]] = {}
    for outcome in outcomes:
        key = (outcome.spec.suite_result.path, _suite_name(outcome))
        suites.setdefault(key, []).append(outcome)
    for (path, name), group in suites.items():
        group_counts = Counts.of(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(group)),
            failures=str(group_counts.failed),
            errors=str(group_counts.errors),
            skipped=str(group_counts.skipped),
            time=f"{sum(o.duration for o in group):.3f}",
            file=path,
        )
        for outcome in group:
            line = outcome.spec.suite_result.at("testCases", outcome.spec.index, "id")[0]
            case = ET.SubElement(
                suite,
                "testcase",
                classname=name,
                name=outcome.spec.case.id,
                file=path,
                line=str(line),
                time=f"{outcome.duration:.3f}",
            )
            details = "\n".join(failure_lines(outcome))
            if outcome.state == FAILED:
                first = next(r for _, r in outcome.results if not r.is_success)
                failure = ET.SubElement(case, "failure", message=first.error_message or "")
                failure.text = details
            elif outcome.state == ERROR:
                error = ET.SubElement(
                    case, "error", message=outcome.errors[0].message if outcome.errors else ""
                )
                error.text = details
            elif outcome.state == SKIPPED:
                ET.SubElement(case, "skipped", message="disabled")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite_name(outcome: CaseOutcome) -> str:
    suite = outcome.spec.suite
    return f"{suite.namespace}.{suite.id}"


def json_report(outcomes: Sequence[CaseOutcome], started: datetime, ended: datetime) -> str:
    """Kestra's `TestSuiteRunResult` objects, one per test suite, as a JSON list."""
    suites: dict[tuple[str, str], list[CaseOutcome]] = {}
    for outcome in outcomes:
        suites.setdefault((outcome.spec.suite_result.path, _suite_name(outcome)), []).append(
            outcome
        )
    documents = [
        {**suite_run_result(group, started, ended), "path": path}
        for (path, _), group in suites.items()
    ]
    return json.dumps(documents, indent=2, default=str) + "\n"


def suite_run_result(
    outcomes: Sequence[CaseOutcome], started: datetime, ended: datetime, run_id: str | None = None
) -> dict[str, Any]:
    """Kestra's `TestSuiteRunResult` of the cases of one suite."""
    from tercel.ids import short_id

    suite = outcomes[0].spec.suite
    return {
        "id": run_id or short_id(),
        "testSuiteId": suite.id,
        "namespace": suite.namespace,
        "flowId": suite.flow_id,
        "state": suite_state([o.state for o in outcomes]),
        "startDate": _instant(started),
        "endDate": _instant(ended),
        "results": [o.to_wire() for o in outcomes],
    }


def suite_state(states: Sequence[str]) -> str:
    """A suite's state from its cases': ERROR, else FAILED, else SKIPPED if all are, else
    SUCCESS."""
    if ERROR in states:
        return ERROR
    if FAILED in states:
        return FAILED
    if states and all(state == SKIPPED for state in states):
        return SKIPPED
    return SUCCESS


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
