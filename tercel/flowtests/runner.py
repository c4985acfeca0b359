"""Run test cases: each one a transient execution on its own in-memory runtime.

A case gets a fresh `LocalRuntime` on the memory store and a temporary storage folder
(nothing of it outlives the case), its fixture files uploaded among the execution's own
files, its inputs and trigger, and its task fixtures as the runtime's `TaskMocks`. Every
task not mocked runs as `tercel run` runs it. When the execution ends (or the case's
timeout kills it) the assertions are rendered against it::

    outcomes = await run_cases([CaseSpec(suite_result, 0, flow)], flows=others)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tercel.errors import InputError, TemplateError, TercelError
from tercel.flowtests.assertions import (
    AssertionResult,
    AssertionRunError,
    evaluate,
    wire_value,
)

if TYPE_CHECKING:
    from tercel.engine.execution import Execution
    from tercel.flowtests.loader import SuiteResult
    from tercel.flowtests.model import TestSuite, UnitTest
    from tercel.model.flow import Flow
    from tercel.runtime.flows import FlowResolver
    from tercel.runtime.local import LocalRuntime
    from tercel.runtime.mocks import TaskMocks
    from tercel.runtime.tracked import Tracked
    from tercel.secrets.masking import SecretMasker
    from tercel.store.records import NamespaceRecord

#: Seconds a case may run before its execution is killed and the case is an ERROR.
DEFAULT_TIMEOUT = 60.0
#: Cases run at once (each has its own runtime; scripts are the heavy part).
DEFAULT_JOBS = 4
#: Seconds a killed execution gets to end its task runs before the case gives up on it.
KILL_GRACE = 5.0

SUCCESS, FAILED, ERROR, SKIPPED = "SUCCESS", "FAILED", "ERROR", "SKIPPED"


@dataclass(frozen=True)
class CaseSpec:
    """One case to run: its suite (with positions), its index, and the tested flow."""

    suite_result: SuiteResult
    index: int
    flow: Flow | None

    @property
    def suite(self) -> TestSuite:
        """The test suite."""
        assert self.suite_result.suite is not None
        return self.suite_result.suite

    @property
    def case(self) -> UnitTest:
        """The test case."""
        return self.suite.test_cases[self.index]

    @property
    def name(self) -> str:
        """``<suite id>::<case id>``, what `-k` matches and reports show."""
        return f"{self.suite.id}::{self.case.id}"


@dataclass
class CaseOutcome:
    """What came of one case: Kestra's `UnitTestResult` plus where things are in the file."""

    spec: CaseSpec
    state: str
    #: ``(assertion index, result)`` in the order of the file.
    results: list[tuple[int, AssertionResult]] = field(default_factory=list)
    errors: list[AssertionRunError] = field(default_factory=list)
    execution_id: str | None = None
    execution_state: str | None = None
    duration: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        """Kestra's JSON shape of a unit test result."""
        case = self.spec.case
        return {
            "testId": case.id,
            "testType": case.type,
            "executionId": self.execution_id,
            "url": None,
            "state": self.state,
            "assertionResults": [
                {
                    **result.to_wire(),
                    "expected": wire_value(result.expected),
                    "actual": wire_value(result.actual),
                }
                for _, result in self.results
            ],
            "errors": [error.to_wire() for error in self.errors],
            "fixtures": case.fixtures.to_wire() if case.fixtures is not None else None,
        }


@dataclass
class RunOptions:
    """How cases run: timeout, parallelism, and what the flows folder provides."""

    timeout: float = DEFAULT_TIMEOUT
    jobs: int = DEFAULT_JOBS
    #: Namespace settings (`namespaces/<ns>.yml` of a flows folder).
    namespace_files: Mapping[str, NamespaceRecord] = field(default_factory=dict)
    #: Where namespace files come from (`files/` of a flows folder).
    files_root: Path | None = None
    environ: Mapping[str, str] | None = None
    #: Where subflows not among the given flows are found (the server's stored flows).
    resolver: FlowResolver | None = None


async def run_cases(
    specs: Sequence[CaseSpec], *, flows: Iterable[Flow] = (), options: RunOptions | None = None
) -> list[CaseOutcome]:
    """Run cases concurrently (at most `options.jobs` at once), results in the given order."""
    options = options or RunOptions()
    known = list(flows)
    slots = asyncio.Semaphore(max(1, options.jobs))

    async def one(spec: CaseSpec) -> CaseOutcome:
        async with slots:
            return await run_case(spec, flows=known, options=options)

    return list(await asyncio.gather(*(one(spec) for spec in specs)))


async def run_case(
    spec: CaseSpec, *, flows: Iterable[Flow] = (), options: RunOptions | None = None
) -> CaseOutcome:
    """Run one case to its end and check its assertions (never raises for a bad case)."""
    options = options or RunOptions()
    case = spec.case
    if spec.suite.disabled or case.disabled:
        return CaseOutcome(spec, SKIPPED)
    if spec.flow is None:
        error = AssertionRunError(f"flow `{spec.suite.namespace}.{spec.suite.flow_id}` not found")
        return CaseOutcome(spec, ERROR, errors=[error])
    started = time.monotonic()
    outcome = await _run(spec, spec.flow, list(flows), options)
    outcome.duration = time.monotonic() - started
    return outcome


async def _run(spec: CaseSpec, flow: Flow, flows: list[Flow], options: RunOptions) -> CaseOutcome:
    from tercel.runtime.local import LocalRuntime

    runtime = LocalRuntime.open(
        None,
        database_url="memory://",
        files_root=options.files_root,
        namespace_files=options.namespace_files,
        environ=options.environ,
        flows=options.resolver,
    )
    try:
        runtime.add_flows(flows)
        runtime.start()
        try:
            tracked = _submit(runtime, spec, flow)
        except (InputError, TemplateError) as error:
            return CaseOutcome(spec, ERROR, errors=[AssertionRunError(str(error))])
        outcome = CaseOutcome(spec, SUCCESS, execution_id=tracked.execution.id)
        try:
            await runtime.wait(tracked, options.timeout)
        except TimeoutError:
            outcome.errors.append(
                AssertionRunError(
                    f"the execution did not end within {options.timeout:g}s: killed",
                    "raise the timeout with --timeout if the flow is only slow",
                )
            )
            runtime.kill(tracked.execution.id)
            with contextlib.suppress(TimeoutError):
                await runtime.wait(tracked, KILL_GRACE)
        execution = tracked.execution
        outcome.execution_state = execution.state.current.value
        if not outcome.errors:
            _check(outcome, tracked, execution, runtime.dispatcher.mocks)
        # A secret an expression read is shown masked, as in logs.
        _mask(outcome, runtime.masker)
        outcome.state = _state(outcome)
        return outcome
    finally:
        await runtime.close()


def _submit(runtime: LocalRuntime, spec: CaseSpec, flow: Flow) -> Tracked:
    from tercel.engine.execution import ExecutionTrigger
    from tercel.engine.state import State
    from tercel.ids import short_id
    from tercel.runtime.mocks import TaskMock, TaskMocks
    from tercel.storage.uri import execution_prefix
    from tercel.templating import render_value

    fixtures = spec.case.fixtures
    execution_id = short_id()
    files: dict[str, str] = {}
    if fixtures is not None and fixtures.files:
        # Among the execution's own files, so that its tasks may read them.
        prefix = execution_prefix(flow.namespace, flow.id, execution_id) + "fixtures/"
        for name, content in fixtures.files.items():
            files[name] = runtime.storage.put(prefix + quote(name), content.encode())
    variables = {"files": files}
    inputs: dict[str, Any] = {}
    trigger = None
    if fixtures is not None:
        inputs = dict(render_value(dict(fixtures.inputs or {}), variables))
        if fixtures.trigger is not None:
            trigger = ExecutionTrigger(
                fixtures.trigger.id, fixtures.trigger.type, dict(fixtures.trigger.variables or {})
            )
    execution = runtime.factory.new_execution(
        flow, inputs=inputs, trigger=trigger, execution_id=execution_id
    )
    mocks = [
        TaskMock(task.id, State(task.state), task.outputs, task.value)
        for task in (fixtures.tasks or [] if fixtures is not None else [])
    ]
    runtime.dispatcher.mocks = TaskMocks(execution.id, mocks, variables)
    return runtime.submit(flow, execution)


def _check(
    outcome: CaseOutcome, tracked: Tracked, execution: Execution, mocks: TaskMocks | None
) -> None:
    from tercel.engine.context import execution_context
    from tercel.engine.rendering import render_value

    context = execution_context(tracked.flow, execution, environment=tracked.environment)
    context["execution"] = {**context["execution"], "outputs": execution.outputs or {}}
    if mocks is not None:
        context.update(mocks.variables)  # `files`, as the mocked outputs saw it

    def render(value: Any) -> Any:
        if isinstance(value, str):
            return tracked.renderer.render_typed(value, context)
        return render_value(tracked.renderer, value, context)

    for index, assertion in enumerate(outcome.spec.case.assertions):
        try:
            results, errors = evaluate(assertion, render)
        except TercelError as error:  # a template service failed (e.g. read() of a lost file)
            results, errors = [], [AssertionRunError(str(error))]
        outcome.results.extend((index, result) for result in results)
        outcome.errors.extend(errors)


def _mask(outcome: CaseOutcome, masker: SecretMasker) -> None:
    if not len(masker):
        return
    outcome.results = [
        (
            index,
            dataclasses.replace(
                result,
                expected=_masked(result.expected, masker),
                actual=_masked(result.actual, masker),
                error_message=_masked(result.error_message, masker),
                expression=masker.mask(result.expression),
            ),
        )
        for index, result in outcome.results
    ]
    outcome.errors = [
        AssertionRunError(masker.mask(error.message), _masked(error.details, masker))
        for error in outcome.errors
    ]


def _masked(value: Any, masker: SecretMasker) -> Any:
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, list):
        return [_masked(item, masker) for item in value]
    if isinstance(value, Mapping):
        return {key: _masked(item, masker) for key, item in value.items()}
    return value


def _state(outcome: CaseOutcome) -> str:
    if outcome.errors:
        return ERROR
    if any(not result.is_success for _, result in outcome.results):
        return FAILED
    return SUCCESS
