"""Kestra's own test flows (EXPECTATIONS.md rows), run at the pure-engine level."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_driver import run_flow

from tercel.engine.state import State


@pytest.mark.parametrize(
    ("fixture", "state", "count"),
    [
        ("full.yaml", State.SUCCESS, 13),
        ("logs.yaml", State.SUCCESS, 5),
        ("errors.yaml", State.FAILED, 7),
        ("sequential.yaml", State.SUCCESS, 11),
        ("sequential-with-global-errors.yaml", State.FAILED, 6),
        ("sequential-with-local-errors.yaml", State.FAILED, 6),
        ("parallel.yaml", State.SUCCESS, 8),
        ("parallel-nested.yaml", State.SUCCESS, 11),
        ("dag.yaml", State.SUCCESS, 7),
        ("each-sequential.yaml", State.WARNING, 11),
        ("each-sequential-nested.yaml", State.SUCCESS, 23),
        ("each-parallel.yaml", State.SUCCESS, 8),
        ("each-parallel-nested.yaml", State.SUCCESS, 11),
        ("each-empty.yaml", State.SUCCESS, 2),
        ("each-null.yaml", State.FAILED, 1),
        ("each-object.yaml", State.SUCCESS, 8),
        ("each-object-in-list.yaml", State.SUCCESS, 8),
        ("each-switch.yaml", State.SUCCESS, 12),
        ("foreach-non-concurrent.yaml", State.SUCCESS, 7),
        ("foreach-concurrent.yaml", State.SUCCESS, 7),
        ("foreach-concurrent-no-limit.yaml", State.SUCCESS, 7),
        ("foreach-concurrent-parallel.yaml", State.SUCCESS, 10),
        ("if-in-flowable.yaml", State.SUCCESS, 8),
        ("flowable-with-parent-fail.yaml", State.FAILED, 5),
        ("switch-impossible.yaml", State.FAILED, None),
        ("fail-on-switch.yaml", State.FAILED, 1),
        ("disable-simple.yaml", State.SUCCESS, 2),
        ("disable-error.yaml", State.FAILED, 3),
        ("disable-flowable.yaml", State.SUCCESS, 10),
        ("variables-invalid.yaml", State.FAILED, 2),
        ("failed-first.yaml", State.FAILED, 1),
        ("return.yaml", State.SUCCESS, 3),
        ("execution.yaml", State.SUCCESS, 1),
        ("output-values.yml", State.SUCCESS, 1),
        ("flow-with-outputs.yml", State.SUCCESS, 1),
        ("flow-with-outputs-failed.yml", State.FAILED, 1),
        ("task-runif.yml", State.FAILED, 4),
        ("task-allow-failure-flowable.yml", State.WARNING, 3),
        ("task-allow-warning-flowable.yml", State.SUCCESS, 3),
        ("npe-labels-update-task.yml", State.SUCCESS, 1),
        ("working-directory-each.yaml", State.SUCCESS, 8),
        ("working-directory-taskrun.yml", State.SUCCESS, 3),
        ("working-directory-taskrun-nested.yml", State.SUCCESS, 6),
        ("exit.yaml", State.WARNING, 2),
        ("after-execution.yaml", State.SUCCESS, 2),
        ("after-execution-error.yaml", State.FAILED, 3),
    ],
)
def test_corpus_flow_ends_in_kestras_state_with_kestras_task_run_count(
    fixture: str, state: State, count: int | None, tmp_path: Path
) -> None:
    execution, _ = run_flow(fixture, tmp_path)
    assert execution.state.current is state
    if count is not None:
        assert len(execution.task_run_list) == count


def test_each_parallel_over_integers_stringifies_values(tmp_path: Path) -> None:
    execution, driver = run_flow("each-parallel-Integer.yml", tmp_path)
    assert execution.state.current is State.SUCCESS
    assert [tr.outputs for tr in driver.task_runs("return")] == [
        {"value": "1"},
        {"value": "2"},
        {"value": "3"},
    ]


@pytest.mark.parametrize(
    ("failed", "state", "count"), [("false", State.SUCCESS, 4), ("true", State.FAILED, 3)]
)
def test_working_directory_failure_runs_its_errors(
    failed: str, state: State, count: int, tmp_path: Path
) -> None:
    outcomes = {
        "first": State.FAILED if failed == "true" else State.SUCCESS,
        "second": (State.SUCCESS, {"uris": {"out/stay.txt": "kestra:///stay.txt"}}),
    }
    execution, driver = run_flow(
        "working-directory.yaml",
        tmp_path,
        inputs={"failed": failed},
        outcomes=outcomes,  # type: ignore[arg-type]
    )
    assert execution.state.current is state
    assert len(execution.task_run_list) == count
    if failed == "true":
        assert len(driver.task_runs("error-t1")) == 1


def test_sleep_is_a_runnable_task(tmp_path: Path) -> None:
    execution, driver = run_flow(
        "sleep-task-flow.yaml",
        tmp_path,
        outcomes={"sleep": State.SUCCESS},  # type: ignore[dict-item]
    )
    assert execution.state.current is State.SUCCESS
    assert driver.task_runs("sleep")[0].attempts


@pytest.mark.parametrize("fixture", ["pause_no_tasks.yaml", "pause-delay-from-input.yaml"])
def test_pause_variants_pause_then_succeed(fixture: str, tmp_path: Path) -> None:
    from engine_driver import Driver, load

    from tercel.engine.api import Resume

    driver = Driver(load(fixture), tmp_path)
    execution = driver.run()
    if execution.state.current is State.PAUSED:
        assert len(execution.task_run_list) == 1
        driver.send(Resume())
        driver.run(start=False)
    assert execution.state.current is State.SUCCESS
