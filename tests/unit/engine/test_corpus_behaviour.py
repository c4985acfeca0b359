"""Kestra's test flows with the inputs and assertions of Kestra's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_driver import load, run_flow

from tercel.engine.state import State


def test_allow_failure_without_crash_ends_warning(tmp_path: Path) -> None:
    execution, driver = run_flow("allow-failure.yaml", tmp_path)
    assert execution.state.current is State.WARNING
    assert len(execution.task_run_list) == 9
    assert driver.task_runs("global-error") == []
    assert driver.state_of("last") is State.SUCCESS


def test_allow_failure_with_crash_runs_global_errors_and_fails(tmp_path: Path) -> None:
    execution, driver = run_flow("allow-failure.yaml", tmp_path, inputs={"crash": "x"})
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 10
    assert driver.state_of("global-error") is State.SUCCESS
    assert driver.state_of("switch") is State.FAILED
    assert driver.state_of("crash") is State.FAILED


@pytest.mark.parametrize(
    ("param", "branch"),
    [
        ("true", "when-true"),
        ("1", "when-true"),
        ("false", "when-false"),
        ("0", "when-false"),
        ("-0", "when-false"),
    ],
)
def test_if_picks_the_branch_by_kestra_truthiness(param: str, branch: str, tmp_path: Path) -> None:
    execution, driver = run_flow("if-condition.yaml", tmp_path, inputs={"param": param})
    assert execution.state.current is State.SUCCESS
    assert [tr.task_id for tr in execution.task_run_list] == ["if", branch]
    assert driver.task_runs("if")[0].outputs == {"evaluationResult": branch == "when-true"}


def test_if_without_else_and_false_condition_runs_nothing(tmp_path: Path) -> None:
    execution, _ = run_flow("if-without-else.yaml", tmp_path, inputs={"param": "false"})
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 1


def test_parallel_of_ifs_counts_only_taken_branches(tmp_path: Path) -> None:
    inputs = {"if1": True, "if2": False, "if3": True}
    execution, _ = run_flow("if.yaml", tmp_path, inputs=inputs)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 12


@pytest.mark.parametrize(
    ("value", "state", "second", "third"),
    [
        ("FIRST", State.SUCCESS, "t1", None),
        ("SECOND", State.SUCCESS, "t2", "t2_sub"),
        ("THIRD", State.FAILED, "t3", "failed"),
    ],
)
def test_switch_runs_the_matching_case(
    value: str, state: State, second: str, third: str | None, tmp_path: Path
) -> None:
    execution, _ = run_flow("switch.yaml", tmp_path, inputs={"string": value})
    assert execution.state.current is state
    ids = [tr.task_id for tr in execution.task_run_list]
    assert ids[1] == second
    if third is not None:
        assert ids[2] == third
    switch = execution.task_run_list[0]
    assert switch.outputs == {"value": value, "defaults": False}
    if value == "THIRD":
        assert ids[3] == "error-t1"


def test_switch_without_match_uses_defaults(tmp_path: Path) -> None:
    execution, driver = run_flow("switch.yaml", tmp_path, inputs={"string": "OTHER"})
    assert execution.state.current is State.SUCCESS
    assert driver.task_runs("default")[0].outputs["value"].startswith("default > amazing")


@pytest.mark.parametrize(
    ("param", "state", "count"), [("fail", State.FAILED, 2), ("ok", State.SUCCESS, 3)]
)
def test_fail_with_condition(param: str, state: State, count: int, tmp_path: Path) -> None:
    execution, driver = run_flow("fail-on-condition.yaml", tmp_path, inputs={"param": param})
    assert execution.state.current is state
    assert len(execution.task_run_list) == count
    assert driver.state_of("fail") is (State.FAILED if param == "fail" else State.SUCCESS)


def test_each_object_values_are_json_strings(tmp_path: Path) -> None:
    execution, _ = run_flow("each-object.yaml", tmp_path)
    assert '{"key":"my-complex","value":{"sub":1,"bool":true}}' in [
        tr.value for tr in execution.task_run_list
    ]
    assert 'json > JSON > ["my-complex"]' in execution.task_run_list[6].outputs["value"]


def test_each_switch_reads_outer_values_through_parents(tmp_path: Path) -> None:
    _execution, driver = run_flow("each-switch.yaml", tmp_path)
    assert driver.task_runs("2-1-1_switch-number-1")[0].outputs == {"value": "1"}
    assert driver.task_runs("2-1-1_switch-number-2")[0].outputs == {"value": "2 b"}


def test_outputs_of_nested_loops_are_keyed_by_values(tmp_path: Path) -> None:
    execution, _driver = run_flow("current-output.yaml", tmp_path)
    assert execution.state.current is State.SUCCESS
    index = execution.engine_state
    assert index.outputs["1-1-1_return"]["v11"]["v21"]["v31"]["value"] == "return-v11-v21-v31"
    assert index.outputs["2-1_return"]["v42"]["value"] == "return-v42"
    assert index.outputs["2-1-1_return"]["value"].startswith("return-")


def test_each_sequential_nested_looks_outputs_up_by_value(tmp_path: Path) -> None:
    execution, driver = run_flow("each-sequential-nested.yaml", tmp_path)
    end = driver.task_runs("2_return")[0].outputs["value"]
    first = execution.engine_state.outputs["1-2-1_return"]["s1"]["a a"]["value"]
    assert end == f"2_return > {first}"


def test_runif_false_skips_and_render_error_fails(tmp_path: Path) -> None:
    _execution, driver = run_flow("task-runif.yml", tmp_path)
    assert driver.state_of("executed") is State.SUCCESS
    assert driver.state_of("notexecuted") is State.SKIPPED
    assert driver.state_of("willfailedtheflow") is State.FAILED


def test_flow_outputs_are_rendered_and_typed(tmp_path: Path) -> None:
    execution, _ = run_flow("flow-with-outputs.yml", tmp_path)
    assert execution.outputs == {"key": '{"value":"flow-with-outputs"}'}
    execution, _ = run_flow("flow-with-array-outputs.yml", tmp_path)
    assert execution.outputs == {"myout": ["1rstValue", "2ndValue"]}


def test_flow_outputs_that_fail_to_render_fail_the_execution_without_outputs(
    tmp_path: Path,
) -> None:
    execution, _ = run_flow("flow-with-outputs-failed.yml", tmp_path)
    assert execution.state.current is State.FAILED
    assert execution.outputs is None


def test_labels_task_merges_overrides_and_stringifies(tmp_path: Path) -> None:
    inputs = {
        "labelsJson": '{"keyFromJson": "valueFromJson"}',
        "labelsMapKey": "keyFromMap",
        "labelsMapValue": "valueFromMap",
        "labelsListKey": "keyFromList",
        "labelsListValue": "valueFromList",
    }
    execution, _ = run_flow("labels-update-task.yml", tmp_path, inputs=inputs)
    assert execution.state.current is State.SUCCESS
    labels = execution.label_map()
    assert labels["system.correlationId"] == execution.id
    assert labels["flowLabelKey"] == "flowLabelValue"
    assert labels["overriddenFlowLabelKey"] == "io.kestra.tests.labels-update-task"
    assert labels["keyFromJson"] == "valueFromJson"
    assert labels["keyFromMap"] == "valueFromMap"
    assert labels["keyFromList"] == "valueFromList"
    execution, _ = run_flow(
        "primitive-labels-flow.yml",
        tmp_path,
        inputs={"intLabel": 42, "floatLabel": 3.14, "boolLabel": True},
    )
    labels = execution.label_map()
    assert (labels["intValue"], labels["floatValue"], labels["boolValue"]) == ("42", "3.14", "true")


def test_exit_ends_the_execution_with_its_state_and_skips_the_rest(tmp_path: Path) -> None:
    execution, driver = run_flow("exit.yaml", tmp_path)
    assert execution.state.current is State.WARNING
    assert driver.state_of("if") is State.WARNING
    assert driver.task_runs("end") == []


def test_after_execution_sees_the_final_state_and_does_not_change_it(tmp_path: Path) -> None:
    execution, driver = run_flow("after-execution-error.yaml", tmp_path)
    assert execution.state.current is State.FAILED
    assert driver.state_of("hello") is State.SUCCESS
    end = driver.task_runs("end")[0]
    assert end.state.current is State.SUCCESS
    assert end.outputs["values"]["state"] == "FAILED"
    assert end.state.start_date >= execution.state.end_date  # type: ignore[operator]


@pytest.mark.parametrize(("failed", "count"), [(False, 4), (True, 6)])
def test_finally_runs_after_tasks_and_errors(failed: bool, count: int, tmp_path: Path) -> None:
    execution, driver = run_flow("finally-flow-error.yaml", tmp_path, inputs={"failed": failed})
    assert len(execution.task_run_list) == count
    assert driver.state_of("a1") is State.SUCCESS
    assert driver.state_of("a2") is State.SUCCESS
    assert execution.state.current is (State.FAILED if failed else State.SUCCESS)


def test_working_directory_runs_children_on_one_worker(tmp_path: Path) -> None:
    _execution, driver = run_flow("working-directory-taskrun.yml", tmp_path)
    assert driver.task_runs("log-taskrun")[0].outputs == {"value": "1"}
    assert driver.task_runs("log-taskrun")[0].dynamic


def test_each_null_fails_with_kestras_message(tmp_path: Path) -> None:
    _execution, driver = run_flow("each-null.yaml", tmp_path)
    messages = [getattr(e, "message", "") for e in driver.effects]
    assert "Found '1' null values on Each" in messages


def test_loaded_fixture_is_the_kestra_flow() -> None:
    assert load("dag.yaml").id == "dag"
