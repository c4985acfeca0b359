"""Concurrency, kill, restart and replay, and scheduling limits, fed event by event."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from engine_driver import Driver, load, parse, run_flow

from tercel.engine.api import ExecutionEnded, Kill, KillTaskRun, RunTask, Start, TaskRunStarted
from tercel.engine.lifecycle import replay, restart
from tercel.engine.state import State
from tercel.errors import ConflictError


@pytest.mark.parametrize(
    ("fixture", "state"),
    [
        ("flow-concurrency-queue.yml", State.QUEUED),
        ("flow-concurrency-cancel.yml", State.CANCELLED),
        ("flow-concurrency-fail.yml", State.FAILED),
    ],
)
def test_concurrency_limit_reached_at_start(fixture: str, state: State, tmp_path: Path) -> None:
    driver = Driver(load(fixture), tmp_path, running_count=1)
    execution = driver.run()
    assert execution.state.current is state
    assert execution.task_run_list == []
    assert driver.ended == ([] if state is State.QUEUED else [state])


def test_queued_execution_starts_when_a_slot_frees(tmp_path: Path) -> None:
    driver = Driver(load("flow-concurrency-queue.yml"), tmp_path, running_count=1)
    driver.run()
    driver.running_count = 0
    execution = driver.run()
    assert execution.state.current is State.SUCCESS
    states = [h.state for h in execution.state.histories]
    assert states[:3] == [State.CREATED, State.QUEUED, State.RUNNING]


def test_kill_kills_created_and_stops_running_task_runs(tmp_path: Path) -> None:
    flow = parse(
        """
id: k
namespace: t
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: 1
    tasks:
      - {id: a, type: io.kestra.plugin.core.log.Log, message: a}
      - {id: b, type: io.kestra.plugin.core.log.Log, message: b}
  - {id: after, type: io.kestra.plugin.core.log.Log, message: c}
errors:
  - {id: err, type: io.kestra.plugin.core.log.Log, message: e}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    (job,) = driver.running.values()
    driver.send(TaskRunStarted(job.task_run.id))
    driver.send(Kill())
    assert driver.execution.state.current is State.KILLING
    driver.run(start=False)
    execution = driver.execution
    assert execution.state.current is State.KILLED
    assert [tr.task_id for tr in execution.task_run_list] == ["par", "a"]
    assert driver.state_of("a") is State.KILLED
    assert driver.state_of("par") is State.KILLED
    assert driver.ended == [State.KILLED]


def test_kill_of_a_paused_execution_kills_the_pause(tmp_path: Path) -> None:
    driver = Driver(load("pause.yaml"), tmp_path)
    driver.run()
    driver.send(Kill())
    assert driver.execution.state.current is State.KILLED
    assert driver.state_of("pause") is State.KILLED


def test_parallel_respects_concurrent(tmp_path: Path) -> None:
    flow = parse(
        """
id: p
namespace: t
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: 2
    tasks:
      - {id: a, type: io.kestra.plugin.core.log.Log, message: a}
      - {id: b, type: io.kestra.plugin.core.log.Log, message: b}
      - {id: c, type: io.kestra.plugin.core.log.Log, message: c}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    assert sorted(job.task.id for job in driver.running.values()) == ["a", "b"]
    first = next(iter(driver.running))
    driver.finish(first, State.SUCCESS)
    assert sorted(job.task.id for job in driver.running.values()) == ["b", "c"]


def test_foreach_concurrency_limit_runs_groups_in_parallel_tasks_in_sequence(
    tmp_path: Path,
) -> None:
    driver = Driver(load("foreach-concurrent.yaml"), tmp_path, auto=False)
    driver.run()
    running = sorted((job.task.id, job.task_run.value) for job in driver.running.values())
    assert running == [("log", "value 1"), ("log", "value 2")]
    first = next(tid for tid, job in driver.running.items() if job.task_run.value == "value 1")
    driver.finish(first, State.SUCCESS)
    running = sorted((job.task.id, job.task_run.value) for job in driver.running.values())
    assert running == [("log", "value 2"), ("shell", "value 1")]


def test_dag_starts_a_task_once_its_dependencies_are_done(tmp_path: Path) -> None:
    driver = Driver(load("dag.yaml"), tmp_path, auto=False)
    driver.run()
    assert [job.task.id for job in driver.running.values()] == ["task1"]
    driver.finish(next(iter(driver.running)), State.SUCCESS)
    assert sorted(job.task.id for job in driver.running.values()) == ["task2", "task3"]


def test_run_task_carries_the_timeout(tmp_path: Path) -> None:
    flow = parse(
        """
id: t
namespace: t
tasks:
  - {id: a, type: io.kestra.plugin.core.log.Log, message: a, timeout: PT5M}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    (job,) = driver.running.values()
    assert isinstance(job, RunTask)
    assert job.timeout == timedelta(minutes=5)
    assert job.context["taskrun"]["attemptsCount"] == 0


def test_disabled_tasks_get_no_task_run_and_all_disabled_is_success(tmp_path: Path) -> None:
    flow = parse(
        """
id: d
namespace: t
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - {id: a, type: io.kestra.plugin.core.log.Log, message: a, disabled: true}
"""
    )
    execution, _ = run_flow(flow, tmp_path)
    assert execution.state.current is State.SUCCESS
    assert [tr.task_id for tr in execution.task_run_list] == ["seq"]


def test_restart_resets_the_failed_task_run_and_keeps_the_id(tmp_path: Path) -> None:
    driver = Driver(load("restart_last_failed.yaml"), tmp_path)
    execution = driver.run()
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 3
    reset = restart(driver.flow, execution, driver.now)
    assert [tr.task_id for tr in reset] == ["c"]
    assert execution.state.current is State.RESTARTED
    assert execution.attempt_number == 2
    driver.run()
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 4
    assert len(execution.task_run_list[2].attempts) == 2


def test_restart_drops_error_branch_task_runs_and_runs_them_again(tmp_path: Path) -> None:
    driver = Driver(load("restart_always_failed.yaml"), tmp_path)
    execution = driver.run()
    assert len(execution.task_run_list) == 2
    restart(driver.flow, execution, driver.now)
    assert len(execution.task_run_list) == 1
    driver.run()
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 2
    assert len(execution.task_run_list[0].attempts) == 2


def test_restart_with_local_errors(tmp_path: Path) -> None:
    driver = Driver(load("restart_local_errors.yaml"), tmp_path)
    execution = driver.run()
    assert len(execution.task_run_list) == 5
    restart(driver.flow, execution, driver.now)
    assert len(execution.task_run_list) == 4
    driver.run()
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 5
    assert len(driver.task_runs("failStep")[0].attempts) == 2


def test_restart_of_a_running_execution_is_refused(tmp_path: Path) -> None:
    driver = Driver(load("pause.yaml"), tmp_path, auto=False)
    with pytest.raises(ConflictError):
        restart(driver.flow, driver.execution, driver.now)


def test_replay_from_scratch_and_from_a_task_run(tmp_path: Path) -> None:
    driver = Driver(load("logs.yaml"), tmp_path)
    execution = driver.run()
    fresh = replay(execution, None, driver.now, new_id=lambda: "new")
    assert fresh.state.current is State.CREATED
    assert fresh.task_run_list == []
    assert fresh.original_id == execution.id
    partial = replay(
        execution,
        execution.task_run_list[1].id,
        driver.now,
        new_id=iter(["r", "x1", "x2"]).__next__,
    )
    assert partial.state.current is State.RESTARTED
    assert len(partial.task_run_list) == 2
    assert partial.task_run_list[1].state.current is State.RESTARTED


def test_replay_inside_a_loop_copies_earlier_task_runs_with_new_ids(tmp_path: Path) -> None:
    driver = Driver(load("restart-each.yaml"), tmp_path)
    execution = driver.run()
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 20
    counter = iter(range(1000))
    replayed = replay(
        execution, execution.task_run_list[19].id, driver.now, new_id=lambda: f"n{next(counter)}"
    )
    assert len(replayed.task_run_list) == 20
    assert replayed.task_run_list[19].state.current is State.RESTARTED
    assert not {tr.id for tr in replayed.task_run_list} & {tr.id for tr in execution.task_run_list}
    follow = Driver(driver.flow, tmp_path)
    follow.execution = replayed
    assert follow.run().state.current is State.SUCCESS


def test_start_twice_is_ignored(tmp_path: Path) -> None:
    driver = Driver(load("return.yaml"), tmp_path, auto=False)
    driver.run()
    decision = driver.send(Start())
    assert decision.effects == []
    assert not any(isinstance(e, ExecutionEnded) for e in decision.effects)


def test_sla_max_duration_fails_a_long_execution(tmp_path: Path) -> None:
    # The task never finishes on its own (auto=False): only the SLA deadline ends it.
    driver = Driver(load("sla-max-duration-fail.yaml"), tmp_path, auto=False)
    execution = driver.run()
    assert execution.state.current is State.FAILED
    assert driver.state_of("sleep") is State.KILLED


def test_sla_max_duration_not_reached(tmp_path: Path) -> None:
    execution, _ = run_flow("sla-max-duration-ok.yaml", tmp_path, outcomes={"sleep": State.SUCCESS})  # type: ignore[dict-item]
    assert execution.state.current is State.SUCCESS


@pytest.mark.parametrize(
    ("value", "state", "label"),
    [
        ("PASS", State.SUCCESS, None),
        ("CANCEL", State.CANCELLED, None),
        ("LABEL", State.SUCCESS, "violated"),
    ],
)
def test_sla_execution_assertion(
    value: str, state: State, label: str | None, tmp_path: Path
) -> None:
    execution, _ = run_flow("sla-execution-condition.yaml", tmp_path, inputs={"string": value})
    assert execution.state.current is state
    assert execution.label_map().get("sla") == label


def test_a_task_run_ended_in_the_decision_that_started_it_is_not_dispatched(
    tmp_path: Path,
) -> None:
    driver = Driver(load("sla-execution-condition.yaml"), tmp_path, inputs={"string": "CANCEL"})
    decision = driver.send(Start())
    assert driver.execution.state.current is State.CANCELLED
    assert not [e for e in decision.effects if isinstance(e, RunTask | KillTaskRun)]


def test_executor_logs_the_start_and_the_end_of_the_execution(tmp_path: Path) -> None:
    from tercel.engine.api import EmitLog

    _, driver = run_flow("return.yaml", tmp_path)
    messages = [
        e.message for e in driver.effects if isinstance(e, EmitLog) and e.task_run_id is None
    ]
    assert messages == ["Flow started", "Flow completed with state SUCCESS"]


@pytest.mark.parametrize(
    ("fixture", "count"),
    [
        ("foreach-concurrent.yaml", 7),
        ("each-sequential-nested.yaml", 23),
        ("dag.yaml", 7),
        ("parallel-nested.yaml", 11),
        ("waitfor-multiple-tasks.yaml", 9),
    ],
)
def test_reloaded_execution_continues_where_it_stopped(
    fixture: str, count: int, tmp_path: Path
) -> None:
    from tercel.engine.execution import Execution

    driver = Driver(load(fixture), tmp_path, auto=False)
    driver.run()
    for _ in range(3):
        if not driver.running:
            break
        job = next(iter(driver.running.values()))
        driver.finish(
            job.task_run.id, State.SUCCESS, driver.outcome(job, job.task, job.context).outputs
        )
        driver.run(start=False)
    # What a runtime does after a crash: read the execution back from its wire JSON.
    driver.execution = Execution.from_wire(driver.execution.to_wire())
    for job in list(driver.running.values()):
        job_run = driver.execution.find_task_run(job.task_run.id)
        driver.running[job.task_run.id] = type(job)(
            job_run, job.task, job.attempt_number, job.context, job.timeout
        )
    driver.auto = True
    execution = driver.run(start=False)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == count


def test_reloaded_execution_accepts_its_pending_timers(tmp_path: Path) -> None:
    from tercel.engine.execution import Execution

    driver = Driver(load("waitfor-multiple-tasks.yaml"), tmp_path)
    driver.send(Start())
    while not driver.timers:
        assert driver.step()
    # Reloaded while waiting for the next iteration: the durable timer fires on a new object.
    driver.execution = Execution.from_wire(driver.execution.to_wire())
    execution = driver.run(start=False)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 9


@pytest.mark.parametrize(
    ("failed", "restarted_task", "running_tasks"),
    [
        ("FIRST", "2-1-1_t1", {"1_each", "2-1_seq"}),
        ("SECOND", "2-1-2-1_t1", {"1_each", "2-1_seq", "2-1-2_t2"}),
    ],
)
def test_restart_sets_failed_flowable_parents_running_and_failed_children_restarted(
    failed: str, restarted_task: str, running_tasks: set[str], tmp_path: Path
) -> None:
    driver = Driver(load("restart-each.yaml"), tmp_path, inputs={"failed": failed})
    execution = driver.run()
    assert execution.state.current is State.FAILED
    restart(driver.flow, execution, driver.now)
    states = {(tr.task_id, tr.state.current) for tr in execution.task_run_list}
    assert {task for task, state in states if state is State.RUNNING} == running_tasks
    assert {task for task, state in states if state is State.RESTARTED} == {restarted_task}
    assert [h.state for h in execution.state.histories][-2:] == [State.FAILED, State.RESTARTED]
    assert len(execution.state.histories) == 4
    # Continuing runs the restarted children again under their RUNNING parents.
    assert driver.run().state.current is State.FAILED
    assert all(len(tr.attempts) == 2 for tr in driver.task_runs(restarted_task))


def test_restart_leaves_killed_task_runs_alone(tmp_path: Path) -> None:
    flow = parse(
        """
id: k
namespace: t
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - {id: a, type: io.kestra.plugin.core.log.Log, message: a}
      - {id: b, type: io.kestra.plugin.core.log.Log, message: b}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    jobs = {job.task_run.task_id: job.task_run.id for job in driver.running.values()}
    driver.finish(jobs["a"], State.FAILED)
    driver.finish(jobs["b"], State.KILLED)
    execution = driver.run(start=False)
    assert execution.state.current.is_terminated
    reset = restart(driver.flow, execution, driver.now)
    assert sorted(tr.task_id for tr in reset) == ["a", "par"]
    assert driver.state_of("b") is State.KILLED


def test_replay_is_a_child_of_the_original_and_keeps_its_history(tmp_path: Path) -> None:
    driver = Driver(load("restart-each.yaml"), tmp_path, inputs={"failed": "NO"})
    execution = driver.run()
    # The first Log inside the nested ForEach: three flowable ancestors.
    index = next(i for i, tr in enumerate(execution.task_run_list) if tr.task_id == "2-1-2-1_t1")
    target = execution.task_run_list[index]
    counter = iter(range(1000))
    replayed = replay(
        execution, target.id, driver.now, new_id=lambda: f"n{next(counter)}", flow=driver.flow
    )
    assert replayed.parent_id == execution.id
    assert replayed.original_id == execution.id
    assert [h.state for h in replayed.state.histories] == [
        *(h.state for h in execution.state.histories),
        State.RESTARTED,
    ]
    assert replayed.task_run_list[index].state.current is State.RESTARTED
    # Its flowable ancestors plan their children again: RUNNING, as Kestra leaves them.
    by_id = {tr.id: tr for tr in replayed.task_run_list}
    parent = by_id.get(replayed.task_run_list[index].parent_task_run_id or "")
    ancestors = []
    while parent is not None:
        ancestors.append((parent.task_id, parent.state.current))
        parent = by_id.get(parent.parent_task_run_id or "")
    assert ancestors == [
        ("2-1-2_t2", State.RUNNING),
        ("2-1_seq", State.RUNNING),
        ("1_each", State.RUNNING),
    ]
    follow = Driver(driver.flow, tmp_path)
    follow.execution = replayed
    assert follow.run().state.current is State.SUCCESS


def test_flowable_errors_start_at_the_first_failure_and_finally_waits_for_all(
    tmp_path: Path,
) -> None:
    flow = parse(
        """
id: e
namespace: t
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - {id: a, type: io.kestra.plugin.core.log.Log, message: a}
      - {id: b, type: io.kestra.plugin.core.log.Log, message: b}
    errors:
      - {id: err, type: io.kestra.plugin.core.log.Log, message: e}
    finally:
      - {id: fin, type: io.kestra.plugin.core.log.Log, message: f}
"""
    )
    driver = Driver(flow, tmp_path, auto=False)
    driver.run()
    jobs = {job.task_run.task_id: job.task_run.id for job in driver.running.values()}
    driver.finish(jobs["a"], State.FAILED)
    driver.run(start=False)
    # `b` still runs, and the errors branch has already started.
    assert not driver.state_of("b").is_terminated
    assert [job.task_run.task_id for job in driver.running.values()] == ["b", "err"]
    err = next(job.task_run.id for job in driver.running.values() if job.task_run.task_id == "err")
    driver.finish(err, State.SUCCESS)
    driver.run(start=False)
    assert not driver.task_runs("fin")  # finally waits for `b`
    driver.finish(jobs["b"], State.SUCCESS)
    driver.run(start=False)
    (fin,) = driver.running.values()
    driver.finish(fin.task_run.id, State.SUCCESS)
    execution = driver.run(start=False)
    assert execution.state.current is State.FAILED
    assert [tr.task_id for tr in execution.task_run_list] == ["par", "a", "b", "err", "fin"]
