"""Retries, pauses, loops, subflows and ForEachItem as Kestra's tests expect them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from engine_driver import Driver, load, parse, run_flow

from tercel.engine.api import Resume, RetryExecution, ScheduleTimer, Start, StartSubflow
from tercel.engine.state import State
from tercel.errors import ConflictError, InputError


@pytest.mark.parametrize(
    ("fixture", "state", "count", "attempts"),
    [
        ("retry-success.yaml", State.WARNING, 1, 4),
        ("retry-success-first-attempt.yaml", State.SUCCESS, 1, 1),
        ("retry-failed.yaml", State.FAILED, 2, 5),
        ("retry-fail.yaml", State.FAILED, 2, 3),
        ("retry-random.yaml", State.FAILED, 1, 3),
        ("retry-expo.yaml", State.FAILED, 1, 3),
        ("retry-failed-task-attempts.yml", State.FAILED, 1, 4),
        ("retry-failed-task-duration.yml", State.FAILED, 1, 3),
        ("retry-failed-flow-attempts.yml", State.FAILED, 1, 4),
        ("retry-failed-flow-duration.yml", State.FAILED, 1, 3),
        ("task-allow-failure-runnable.yml", State.WARNING, 2, 3),
        ("task-allow-warning-runnable.yml", State.SUCCESS, 2, 3),
    ],
)
def test_retries_are_attempts_of_one_task_run(
    fixture: str, state: State, count: int, attempts: int, tmp_path: Path
) -> None:
    execution, _ = run_flow(fixture, tmp_path)
    assert execution.state.current is state
    assert len(execution.task_run_list) == count
    assert len(execution.task_run_list[0].attempts) == attempts


def test_retry_on_a_flowable_applies_to_its_failing_children(tmp_path: Path) -> None:
    execution, _ = run_flow("retry-flowable.yaml", tmp_path)
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list[1].attempts) == 3
    execution, _ = run_flow("retry-flowable-nested-child.yaml", tmp_path)
    assert len(execution.task_run_list[2].attempts) == 3
    execution, _driver = run_flow("retry-flowable-parallel.yaml", tmp_path)
    assert len(execution.task_run_list[1].attempts) >= 2
    assert len(execution.task_run_list[2].attempts) >= 2


def test_retry_waits_the_constant_interval_between_attempts(tmp_path: Path) -> None:
    _, driver = run_flow("retry-failed.yaml", tmp_path)
    timers = [e for e in driver.effects if isinstance(e, ScheduleTimer)]
    assert len(timers) == 4
    assert all(timer.event.purpose == "retry" for timer in timers)


def test_create_new_execution_retry_marks_the_execution_retried(tmp_path: Path) -> None:
    execution, driver = run_flow("retry-new-execution-task-attempts.yml", tmp_path)
    assert execution.state.current is State.RETRIED
    retries = [e for e in driver.effects if isinstance(e, RetryExecution)]
    assert [r.attempt_number for r in retries] == [2]
    execution.attempt_number = 3
    last = Driver(load("retry-new-execution-task-attempts.yml"), tmp_path)
    last.execution.attempt_number = 3
    assert last.run().state.current is State.FAILED


def test_pause_pauses_until_resumed_then_runs_its_tasks(tmp_path: Path) -> None:
    driver = Driver(load("pause.yaml"), tmp_path)
    execution = driver.run()
    assert execution.state.current is State.PAUSED
    assert len(execution.task_run_list) == 1
    assert execution.task_run_list[0].state.current is State.PAUSED
    driver.send(Resume())
    driver.run(start=False)
    assert execution.state.current is State.SUCCESS
    assert [h.state for h in execution.state.histories] == [
        State.CREATED,
        State.RUNNING,
        State.PAUSED,
        State.RESTARTED,
        State.RUNNING,
        State.SUCCESS,
    ]
    assert len(execution.task_run_list) == 3


def test_pause_delay_resumes_on_its_own(tmp_path: Path) -> None:
    execution, driver = run_flow("pause-delay.yaml", tmp_path)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 3
    pause = driver.task_runs("pause")[0]
    states = [h.state for h in pause.state.histories]
    assert states.count(State.PAUSED) == 1
    assert states.count(State.RUNNING) == 2


def test_pause_timeout_fails_the_pause(tmp_path: Path) -> None:
    execution, driver = run_flow("pause-timeout.yaml", tmp_path)
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 1
    states = [h.state for h in driver.task_runs("pause")[0].state.histories]
    assert states == [State.CREATED, State.RUNNING, State.PAUSED, State.FAILED]


def test_resume_types_on_resume_inputs_into_outputs(tmp_path: Path) -> None:
    driver = Driver(load("pause_on_resume.yaml"), tmp_path)
    driver.run()
    with pytest.raises(InputError, match="missing required input"):
        driver.send(Resume(inputs={}))
    assert driver.execution.state.current is State.PAUSED
    driver.send(Resume(inputs={"asked": "restarted"}))
    driver.run(start=False)
    assert driver.execution.state.current is State.SUCCESS
    assert driver.task_runs("last")[0].outputs == {"values": {"asked": "restarted", "data": ""}}


def test_optional_on_resume_input_may_be_missing(tmp_path: Path) -> None:
    driver = Driver(load("pause_on_resume_optional.yaml"), tmp_path)
    driver.run()
    driver.send(Resume())
    driver.run(start=False)
    assert driver.task_runs("last")[0].outputs == {"values": {"asked": "MISSING"}}


def test_resuming_a_running_execution_is_refused(tmp_path: Path) -> None:
    driver = Driver(load("pause.yaml"), tmp_path)
    with pytest.raises(ConflictError):
        driver.send(Resume())


def test_pauses_inside_each_parallel_resume_after_their_delay(tmp_path: Path) -> None:
    execution, _ = run_flow("each-parallel-pause.yml", tmp_path)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 7


@pytest.mark.parametrize(
    ("fixture", "state"),
    [
        ("waitfor.yaml", State.SUCCESS),
        ("waitfor-no-success.yaml", State.SUCCESS),
        ("waitfor-max-iterations.yaml", State.FAILED),
        ("waitfor-max-duration.yaml", State.FAILED),
        ("waitfor-multiple-tasks-failed.yaml", State.FAILED),
    ],
)
def test_waitfor_loops_until_its_condition_or_a_bound(
    fixture: str, state: State, tmp_path: Path
) -> None:
    execution, driver = run_flow(fixture, tmp_path)
    assert execution.state.current is state
    assert driver.task_runs("waitfor")[0].outputs is not None


def test_waitfor_iterates_until_the_condition_holds(tmp_path: Path) -> None:
    execution, driver = run_flow("waitfor-multiple-tasks.yaml", tmp_path)
    assert execution.state.current is State.SUCCESS
    assert execution.engine_state.outputs["output_values"]["values"]["count"] == "4"
    assert driver.task_runs("waitfor")[0].outputs == {"iterationCount": 4}
    assert [tr.iteration for tr in driver.task_runs("echo")] == [1, 2, 3, 4]


def _flows(*names: str) -> dict[tuple[str, str], object]:
    flows = {}
    for name in names:
        flow = load(name)
        flows[(flow.namespace, flow.id)] = flow
    return flows


def test_subflow_waits_and_takes_the_child_outputs_and_labels(tmp_path: Path) -> None:
    flows = _flows("switch.yaml")
    execution, driver = run_flow(
        "task-flow.yaml",
        tmp_path,
        inputs={"string": "OK"},
        flows=flows,  # type: ignore[arg-type]
    )
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 1
    child = driver.children[0].execution
    assert child.state.current is State.SUCCESS
    launch = execution.task_run_list[0]
    assert launch.outputs["executionId"] == child.id
    assert child.trigger is not None
    assert child.trigger.variables["executionId"] == execution.id
    labels = child.label_map()
    assert labels["system.correlationId"] == execution.id
    assert labels["launchTaskLabel"] == "launchFoo"
    assert labels["mainFlowLabel"] == "flowFoo"


def test_subflow_transmits_the_child_failure(tmp_path: Path) -> None:
    flows = _flows("switch.yaml")
    execution, driver = run_flow(
        "task-flow.yaml",
        tmp_path,
        inputs={"string": "THIRD"},
        flows=flows,  # type: ignore[arg-type]
    )
    assert execution.state.current is State.FAILED
    assert len(driver.children[0].execution.task_run_list) == 4


def test_correlation_id_propagates_to_grand_children(tmp_path: Path) -> None:
    flows = _flows("subflow-child.yaml", "subflow-grand-child.yaml")
    execution, driver = run_flow("subflow-parent.yaml", tmp_path, flows=flows)  # type: ignore[arg-type]
    assert execution.state.current is State.SUCCESS
    grand = driver.children[0].children[0].execution
    assert grand.label_map()["system.correlationId"] == execution.id


def test_allow_failure_on_subflow_gives_warning(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow-failed.yaml")
    execution, _ = run_flow("task-allow-failure-executable-flow.yml", tmp_path, flows=flows)  # type: ignore[arg-type]
    assert execution.state.current is State.WARNING
    assert len(execution.task_run_list) == 2


def test_retry_on_subflow_starts_a_new_child_per_attempt(tmp_path: Path) -> None:
    flows = _flows("failed-first.yaml")
    execution, driver = run_flow("retry-subflow.yaml", tmp_path, flows=flows)  # type: ignore[arg-type]
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list[0].attempts) == 3
    assert len([e for e in driver.effects if isinstance(e, StartSubflow)]) == 3


def test_unknown_subflow_inside_each_parallel_fails(tmp_path: Path) -> None:
    execution, _ = run_flow("each-parallel-subflow-notfound.yml", tmp_path)
    assert execution.state.current is State.FAILED
    failed = [tr for tr in execution.task_run_list if tr.state.current is State.FAILED]
    assert len(failed) >= 2


def _split(n: int) -> object:
    return (State.SUCCESS, {"splits": [f"kestra:///batch/{i}.txt" for i in range(1, n + 1)]})


def test_for_each_item_runs_one_child_per_batch(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow.yaml")
    execution, driver = run_flow(
        "for-each-item.yaml",
        tmp_path,
        inputs={"file": "kestra:///items.txt", "batch": 1},
        flows=flows,  # type: ignore[arg-type]
        outcomes={"each_split": _split(26)},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 4
    each = driver.task_runs("each")[0].outputs
    assert each["numberOfBatches"] == 26
    assert each["iterations"] == {"CREATED": 0, "RUNNING": 0, "SUCCESS": 26}
    assert driver.task_runs("each_merge")[0].outputs is not None
    child = driver.children[3].execution
    assert child.inputs == {"items": "kestra:///batch/4.txt"}
    assert child.label_map()["system.correlationId"] == execution.id


def test_for_each_item_with_failing_children_fails_without_merge(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow-failed.yaml")
    execution, driver = run_flow(
        "for-each-item-failed.yaml",
        tmp_path,
        inputs={"file": "kestra:///items.txt", "batch": 1},
        flows=flows,  # type: ignore[arg-type]
        outcomes={"each_split": _split(26)},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 3
    assert driver.task_runs("each_items")[0].outputs["iterations"]["FAILED"] == 26


def test_allow_failure_on_for_each_item_gives_warning(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow-failed.yaml")
    execution, _ = run_flow(
        "task-allow-failure-executable-foreachitem.yml",
        tmp_path,
        inputs={"file": "kestra:///items.txt"},
        flows=flows,  # type: ignore[arg-type]
        outcomes={"each_split": _split(3)},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.WARNING
    assert len(execution.task_run_list) == 4


def test_waitfor_interval_delays_iterations(tmp_path: Path) -> None:
    _, driver = run_flow("waitfor-max-iterations.yaml", tmp_path)
    loops = [e for e in driver.effects if isinstance(e, ScheduleTimer)]
    assert len(loops) == 2
    assert all(t.at - driver.now <= timedelta(seconds=1) for t in loops)


def test_for_each_item_over_an_empty_file_succeeds_without_outputs(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow.yaml")
    execution, driver = run_flow(
        "for-each-item.yaml",
        tmp_path,
        inputs={"file": "kestra:///empty.txt", "batch": 1},
        flows=flows,  # type: ignore[arg-type]
        outcomes={"each_split": _split(0)},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 4
    assert driver.task_runs("each_items")[0].outputs is None


def test_for_each_item_without_wait_counts_started_children_as_successes(tmp_path: Path) -> None:
    flows = _flows("for-each-item-subflow.yaml")
    execution, driver = run_flow(
        "for-each-item-no-wait.yaml",
        tmp_path,
        inputs={"file": "kestra:///items.txt"},
        flows=flows,  # type: ignore[arg-type]
        outcomes={"each_split": _split(26)},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.SUCCESS
    assert driver.task_runs("each_items")[0].outputs["iterations"] == {"RUNNING": 0, "SUCCESS": 26}


def test_for_each_item_counts_survive_a_reload(tmp_path: Path) -> None:
    from tercel.engine.api import SubflowEnded
    from tercel.engine.execution import Execution

    driver = Driver(
        load("for-each-item.yaml"),
        tmp_path,
        inputs={"file": "kestra:///items.txt", "batch": 1},
        flows=_flows("for-each-item-subflow.yaml"),  # type: ignore[arg-type]
        outcomes={"each_split": _split(26)},  # type: ignore[dict-item]
    )
    driver.send(Start())
    ended = 0
    while ended < 10:
        if driver.events and isinstance(driver.events[0], SubflowEnded):
            ended += 1
        assert driver.step()
    driver.execution = Execution.from_wire(driver.execution.to_wire())
    execution = driver.run(start=False)
    assert execution.state.current is State.SUCCESS
    items = driver.task_runs("each_items")[0].outputs
    assert items["iterations"] == {"CREATED": 0, "RUNNING": 0, "SUCCESS": 26}


def test_execution_is_retrying_while_an_attempt_waits_for_its_delay(tmp_path: Path) -> None:
    flow = parse(
        """
id: r
namespace: t
tasks:
  - id: flaky
    type: io.kestra.plugin.core.log.Log
    message: x
    retry: {type: constant, interval: PT1M, maxAttempt: 2}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    (job,) = driver.running.values()
    driver.finish(job.task_run.id, State.FAILED)
    assert driver.state_of("flaky") is State.RETRYING
    assert driver.execution.state.current is State.RETRYING
    assert driver.step()  # the retry delay is over
    assert driver.execution.state.current is State.RUNNING
    (job,) = driver.running.values()
    driver.finish(job.task_run.id, State.SUCCESS)
    execution = driver.run(start=False)
    assert [h.state for h in execution.state.histories] == [
        State.CREATED,
        State.RUNNING,
        State.RETRYING,
        State.RUNNING,
        State.SUCCESS,
    ]


def test_working_directory_children_carry_the_retry_that_applies_to_them(
    tmp_path: Path,
) -> None:
    from tercel.engine.api import RunWorkingDirectory, TaskRunResult, TaskRunStarted

    flow = parse(
        """
id: w
namespace: t
retry: {type: constant, interval: PT1S, maxAttempt: 5}
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: own
        type: io.kestra.plugin.core.log.Log
        message: x
        retry: {type: constant, interval: PT2S, maxAttempt: 2}
      - {id: inherited, type: io.kestra.plugin.core.log.Log, message: y}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.send(Start())
    (effect,) = [e for e in driver.effects if isinstance(e, RunWorkingDirectory)]
    own, inherited = effect.children
    assert own.retry is not None
    assert own.retry.interval == "PT2S"
    assert inherited.retry is flow.retry
    # The worker reports a failed attempt it will retry: RETRYING, then a second attempt.
    driver.send(TaskRunStarted(own.task_run_id, 1))
    driver.send(TaskRunResult(own.task_run_id, State.FAILED, attempt_number=1, retrying=True))
    assert driver.state_of("own") is State.RETRYING
    assert driver.execution.state.current is State.RETRYING
    driver.send(TaskRunStarted(own.task_run_id, 2))
    assert driver.execution.state.current is State.RUNNING
    driver.send(TaskRunResult(own.task_run_id, State.SUCCESS, attempt_number=2))
    run = driver.task_runs("own")[0]
    assert [a.state.current for a in run.attempts] == [State.FAILED, State.SUCCESS]
    assert run.state.current is State.SUCCESS
