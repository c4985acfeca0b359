"""Read test files with the position of every key, and check them against their flows.

Problems are `Problem`s at ``path:line:col`` like a flow's: the model's (unknown property,
missing `assertions`, a state that is not a task state), unknown assertion operators (with
the closest name as a hint), and, given the flows, an unknown flow, a fixture for a task
the flow does not have, or a fixture for a task that cannot be mocked::

    for result in validate_test_file(Path("tests/marts.yml")):
        result.problems.extend(check_against_flows(result, flows))
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tercel.errors import NotFoundError, Problem
from tercel.flowtests.model import OPERATOR_ALIASES, OPERATORS, TestSuite
from tercel.model.positions import problems_from_error
from tercel.model.yaml_source import PositionMap, format_path, parse_documents

if TYPE_CHECKING:
    from tercel.model.flow import Flow

#: Keys an assertion has besides its operators.
ASSERTION_KEYS = frozenset({"value", "taskId", "errorMessage", "description"})
_KNOWN = ASSERTION_KEYS | set(OPERATORS) | set(OPERATOR_ALIASES)
#: A top-level `testCases:` key: what tells a test file from a flow file without parsing it.
_TEST_MARKER = re.compile(r"^testCases\s*:", re.MULTILINE)

#: Finds a flow by namespace and id (NotFoundError when there is none).
FlowLookup = Callable[[str, str], "Flow"]


@dataclass
class SuiteResult:
    """One test document: the suite, or problems, or both."""

    path: str
    suite: TestSuite | None = None
    positions: PositionMap = field(default_factory=PositionMap)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the document is a valid test suite."""
        return self.suite is not None and not any(p.severity == "error" for p in self.problems)

    def at(self, *path: str | int, key: bool = True) -> tuple[int, int]:
        """``(line, column)`` of the key (or value) at `path` in the file."""
        position = self.positions.key(path) if key else self.positions.value(path)
        return position.line, position.column

    def location(self, *path: str | int) -> str:
        """``path:line:col`` of the key at `path`."""
        line, column = self.at(*path)
        return f"{self.path}:{line}:{column}"


def is_test_source(source: str) -> bool:
    """Whether a YAML text is a test file (it has a top-level `testCases` key)."""
    return _TEST_MARKER.search(source) is not None


def is_test_file(file: Path) -> bool:
    """Whether `file` is a readable test file."""
    try:
        return is_test_source(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def find_test_files(paths: Iterable[str | Path]) -> list[Path]:
    """The test files among `paths` (folders searched recursively, ``*.yml``/``*.yaml``)."""
    from tercel.model.loader import flow_files

    return [file for file in flow_files(paths) if is_test_file(file)]


def validate_test_source(source: str, path: str = "<string>") -> list[SuiteResult]:
    """Every test document of `source`, validated; never raises on bad input."""
    results: list[SuiteResult] = []
    for document in parse_documents(source, path):
        if document.data is None and not document.problems:
            continue
        result = SuiteResult(path, None, document.positions, list(document.problems))
        data = document.data
        if not isinstance(data, dict):
            if not document.problems:
                result.problems.append(
                    Problem(
                        "a test must be a map with `id`, `namespace`, `flowId` and `testCases`",
                        path,
                        document.start_line,
                        1,
                    )
                )
            results.append(result)
            continue
        data = _without_unknown_operators(data, result)
        try:
            result.suite = TestSuite.model_validate(data)
        except ValidationError as error:
            result.problems.extend(
                problems_from_error(error, data, document.positions, path_name=path, root=TestSuite)
            )
        result.problems.sort(key=lambda problem: (problem.line, problem.column))
        results.append(result)
    return results


def validate_test_file(file: Path) -> list[SuiteResult]:
    """Validate one test file; an unreadable file is a problem, not an exception."""
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem(f"cannot read file: {error}", str(file), 1, 1)
        return [SuiteResult(str(file), problems=[problem])]
    return validate_test_source(source, str(file))


def _without_unknown_operators(data: dict[str, Any], result: SuiteResult) -> dict[str, Any]:
    """`data` minus unknown assertion keys, each reported as an unknown operator."""
    cases = data.get("testCases")
    if not isinstance(cases, list):
        return data
    cleaned_cases: list[Any] = []
    for case_index, case in enumerate(cases):
        assertions = case.get("assertions") if isinstance(case, dict) else None
        if not isinstance(assertions, list):
            cleaned_cases.append(case)
            continue
        cleaned: list[Any] = []
        for index, assertion in enumerate(assertions):
            if not isinstance(assertion, dict):
                cleaned.append(assertion)
                continue
            for key in assertion:
                if key not in _KNOWN:
                    where = ("testCases", case_index, "assertions", index, key)
                    line, column = result.at(*where)
                    close = difflib.get_close_matches(key, [*OPERATORS, *ASSERTION_KEYS], n=1)
                    result.problems.append(
                        Problem(
                            f"unknown assertion operator `{key}`",
                            result.path,
                            line,
                            column,
                            f"did you mean `{close[0]}`?"
                            if close
                            else "operators: " + ", ".join(OPERATORS),
                            format_path(where),
                        )
                    )
            kept = {k: v for k, v in assertion.items() if k in _KNOWN}
            if len(kept) < len(assertion) and not set(kept) - ASSERTION_KEYS:
                # Its only operators were unknown (reported above): not "no operator" too.
                kept["isNotNull"] = False
            cleaned.append(kept)
        cleaned_cases.append({**case, "assertions": cleaned})
    return {**data, "testCases": cleaned_cases}


def check_against_flows(result: SuiteResult, find: FlowLookup) -> list[Problem]:
    """Problems of a valid suite against its flow: unknown flow, unknown or unmockable tasks."""
    suite = result.suite
    if suite is None:
        return []
    try:
        flow = find(suite.namespace, suite.flow_id)
    except NotFoundError:
        line, column = result.at("flowId", key=False)
        return [
            Problem(
                f"unknown flow `{suite.namespace}.{suite.flow_id}`",
                result.path,
                line,
                column,
                "the flow must be among the validated paths or in the --flows folder",
                "flowId",
            )
        ]
    tasks = {task.id: task for task in flow.all_tasks()}
    problems: list[Problem] = []
    for case_index, case in enumerate(suite.test_cases):
        fixtures = case.fixtures.tasks if case.fixtures is not None else None
        for index, fixture in enumerate(fixtures or []):
            where = ("testCases", case_index, "fixtures", "tasks", index, "id")
            line, column = result.at(*where, key=False)
            task = tasks.get(fixture.id)
            if task is None:
                close = difflib.get_close_matches(fixture.id, list(tasks), n=1)
                problems.append(
                    Problem(
                        f"flow `{flow.namespace}.{flow.id}` has no task `{fixture.id}`",
                        result.path,
                        line,
                        column,
                        f"did you mean `{close[0]}`?" if close else None,
                        format_path(where),
                    )
                )
            elif not mockable(task):
                problems.append(
                    Problem(
                        f"task `{fixture.id}` ({task.type}) cannot be mocked: the executor"
                        " runs flowable tasks itself",
                        result.path,
                        line,
                        column,
                        "mock the tasks inside it instead",
                        format_path(where),
                    )
                )
    return problems


def mockable(task: Any) -> bool:
    """Whether a fixture can replace `task`: tasks a worker runs, and subflows."""
    from tercel.model.task import TaskKind

    return bool(task.kind is not TaskKind.FLOWABLE)


@dataclass
class Collection:
    """The test suites found under some paths, checked against the flows they test."""

    suites: list[SuiteResult]
    #: Flows by (namespace, id): from `--flows`, else from the given folders.
    flows: dict[tuple[str, str], Flow]
    #: Problems of invalid flow files met while looking for flows (reported, not fatal).
    flow_problems: list[Problem]

    @property
    def problems(self) -> list[Problem]:
        """Every error of the test files."""
        return [p for s in self.suites for p in s.problems if p.severity == "error"]

    def find(self, namespace: str, flow_id: str) -> Flow:
        """The tested flow (NotFoundError when it is not known)."""
        found = self.flows.get((namespace, flow_id))
        if found is None:
            raise NotFoundError(f"flow `{namespace}.{flow_id}` not found")
        return found


def collect(paths: Sequence[Path], flows_dir: Path | None = None) -> Collection:
    """Test files under `paths`, validated, and checked against the flows they name.

    The flows come from `flows_dir` when given, else from the flow files under `paths`
    (a flows-as-code folder holding its `tests/`).
    """
    from tercel.runtime.flows import load_flow_dir

    flow_problems: list[Problem] = []
    flows: dict[tuple[str, str], Flow] = {}
    for source in [flows_dir] if flows_dir is not None else [p for p in paths if p.exists()]:
        for flow in load_flow_dir(source, flow_problems.extend).all():
            flows[(flow.namespace, flow.id)] = flow
    suites: list[SuiteResult] = []
    for file in find_test_files(p for p in paths if p.exists()):
        suites.extend(validate_test_file(file))
    collection = Collection(suites, flows, flow_problems)
    for suite in suites:
        suite.problems.extend(check_against_flows(suite, collection.find))
        suite.problems.sort(key=lambda problem: (problem.line, problem.column))
    return collection
