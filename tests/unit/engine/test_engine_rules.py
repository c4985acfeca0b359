"""Rules of §3/§6 checked on small inline flows."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_driver import Driver, parse, run_flow

from tercel.engine.api import StartSubflow
from tercel.engine.state import State
from tercel.errors import FlowValidationError

LOG = "io.kestra.plugin.core.log.Log"
FAIL = "io.kestra.plugin.core.execution.Fail"


def test_template_task_is_refused_at_load_with_the_replacement() -> None:
    with pytest.raises(FlowValidationError, match="Subflow"):
        parse(
            """
id: t
namespace: n
tasks:
  - id: tpl
    type: io.kestra.plugin.core.flow.Template
    namespace: n
    templateId: x
"""
        )


def test_run_if_false_on_a_flowable_skips_it_and_its_children(tmp_path: Path) -> None:
    flow = parse(
        f"""
id: t
namespace: n
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    runIf: "{{{{ 1 == 2 }}}}"
    tasks:
      - {{id: a, type: {LOG}, message: a}}
  - {{id: b, type: {LOG}, message: b}}
"""
    )
    execution, driver = run_flow(flow, tmp_path)
    assert execution.state.current is State.SUCCESS
    assert [tr.task_id for tr in execution.task_run_list] == ["seq", "b"]
    assert driver.state_of("seq") is State.SKIPPED


def test_exit_killed_kills_running_siblings(tmp_path: Path) -> None:
    flow = parse(
        f"""
id: t
namespace: n
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - {{id: slow, type: {LOG}, message: slow}}
      - {{id: stop, type: io.kestra.plugin.core.execution.Exit, state: KILLED}}
  - {{id: after, type: {LOG}, message: never}}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    execution = driver.execution
    assert execution.state.current is State.KILLED
    assert driver.state_of("slow") is State.KILLED
    assert driver.task_runs("after") == []


def test_subflow_without_wait_succeeds_at_once(tmp_path: Path) -> None:
    flow = parse(
        """
id: t
namespace: n
tasks:
  - id: fire
    type: io.kestra.plugin.core.flow.Subflow
    namespace: n
    flowId: child
    wait: false
"""
    )
    driver = Driver(flow, tmp_path)
    execution = driver.run()
    assert execution.state.current is State.SUCCESS
    (start,) = [e for e in driver.effects if isinstance(e, StartSubflow)]
    assert not start.wait
    assert execution.task_run_list[0].outputs == {"executionId": start.execution_id}


def test_errors_branch_goes_on_after_a_failing_error_task_and_finally_still_runs(
    tmp_path: Path,
) -> None:
    flow = parse(
        f"""
id: t
namespace: n
tasks:
  - {{id: boom, type: {FAIL}}}
errors:
  - {{id: e1, type: {FAIL}}}
  - {{id: e2, type: {LOG}, message: e2}}
finally:
  - {{id: f1, type: {LOG}, message: f1}}
"""
    )
    execution, driver = run_flow(flow, tmp_path)
    assert execution.state.current is State.FAILED
    assert [tr.task_id for tr in execution.task_run_list] == ["boom", "e1", "e2", "f1"]
    assert driver.state_of("f1") is State.SUCCESS


def test_warning_task_makes_the_execution_warning_but_the_next_task_runs(
    tmp_path: Path,
) -> None:
    flow = parse(
        f"""
id: t
namespace: n
tasks:
  - {{id: a, type: {LOG}, message: a}}
  - {{id: b, type: {LOG}, message: b}}
errors:
  - {{id: e, type: {LOG}, message: e}}
"""
    )
    execution, driver = run_flow(flow, tmp_path, outcomes={"a": State.WARNING})  # type: ignore[dict-item]
    assert execution.state.current is State.WARNING
    assert driver.state_of("b") is State.SUCCESS
    assert driver.task_runs("e") == []


def test_tasks_state_is_visible_to_later_templates(tmp_path: Path) -> None:
    flow = parse(
        f"""
id: t
namespace: n
tasks:
  - {{id: a, type: {LOG}, message: a, allowFailure: true}}
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ tasks.a.state }}}}"
"""
    )
    execution, driver = run_flow(flow, tmp_path, outcomes={"a": State.FAILED})  # type: ignore[dict-item]
    assert execution.state.current is State.WARNING
    assert driver.task_runs("r")[0].outputs == {"value": "WARNING"}
