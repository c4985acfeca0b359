"""Tasks that read the store: log.Fetch, log.PurgeLogs, execution.Count/Resume/PurgeExecutions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tercel.engine.execution import Execution, LogEntry
from tercel.engine.state import State, StateTrail
from tercel.errors import TaskError
from tercel.plugins.core.storage import ion
from tercel.store.records import MetricEntry
from tercel.testing import FakeTaskContext, run_task

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _execution(
    ctx: FakeTaskContext,
    exec_id: str,
    *,
    flow: str = "flow",
    ns: str = "company.team",
    state: State = State.SUCCESS,
    start: datetime = T0,
) -> Execution:
    trail = StateTrail.start(start)
    trail.set(state, start + timedelta(seconds=1))
    execution = Execution(id=exec_id, namespace=ns, flow_id=flow, flow_revision=1, state=trail)
    ctx.store.executions.create(execution)
    return execution


def _log(
    exec_id: str,
    task_id: str | None,
    level: str,
    message: str,
    *,
    flow: str = "flow",
    ns: str = "company.team",
) -> LogEntry:
    return LogEntry(
        namespace=ns,
        flow_id=flow,
        execution_id=exec_id,
        timestamp=T0,
        level=level,
        message=message,
        task_id=task_id,
        task_run_id="tr",
    )


@pytest.fixture
def ctx(tmp_path: Path) -> FakeTaskContext:
    context = FakeTaskContext(tmp_path, execution_id="current")
    _execution(context, "current", state=State.RUNNING, start=T0 + timedelta(days=1))
    context.store.logs.append(
        [
            _log("current", None, "INFO", "Flow started"),
            _log("current", "task-1", "INFO", "task 1"),
            _log("current", "task-2", "INFO", "task 2"),
            _log("current", "task-2", "DEBUG", "noise"),
        ]
    )
    return context


async def test_fetch_writes_the_current_executions_logs_as_ion(ctx: FakeTaskContext) -> None:
    result = await run_task({"id": "f", "type": "io.kestra.plugin.core.log.Fetch"}, ctx)
    assert result.outputs is not None
    assert result.outputs["size"] == 3
    rows = ion.loads(ctx.storage.get(result.outputs["uri"]).decode())
    assert [row["message"] for row in rows] == ["Flow started", "task 1", "task 2"]
    assert rows[1]["taskId"] == "task-1"
    assert rows[1]["level"] == "INFO"


async def test_fetch_filters_by_task_and_level(ctx: FakeTaskContext) -> None:
    by_task = await run_task(
        {"id": "f", "type": "io.kestra.core.tasks.log.Fetch", "tasksId": ["task-1"]}, ctx
    )
    assert by_task.outputs is not None
    assert by_task.outputs["size"] == 1
    debug = await run_task(
        {
            "id": "f",
            "type": "io.kestra.plugin.core.log.Fetch",
            "level": "DEBUG",
            "executionId": "{{ execution.id }}",
        },
        ctx,
    )
    assert debug.outputs is not None
    assert debug.outputs["size"] == 4


async def test_fetch_of_another_flows_execution_needs_its_ids(ctx: FakeTaskContext) -> None:
    _execution(ctx, "other", flow="other-flow")
    ctx.store.logs.append([_log("other", "t", "INFO", "x", flow="other-flow")])
    task: dict[str, Any] = {
        "id": "f",
        "type": "io.kestra.plugin.core.log.Fetch",
        "executionId": "other",
    }
    with pytest.raises(TaskError, match="other-flow"):
        await run_task(task, ctx)
    result = await run_task({**task, "flowId": "other-flow"}, ctx)
    assert result.outputs is not None
    assert result.outputs["size"] == 1


async def test_store_tasks_fail_clearly_without_a_store(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.store = None  # type: ignore[assignment]
    with pytest.raises(TaskError, match="execution store"):
        await run_task({"id": "f", "type": "io.kestra.plugin.core.log.Fetch"}, ctx)


async def test_count_per_flow_with_expression(ctx: FakeTaskContext) -> None:
    _execution(ctx, "a1", flow="a")
    _execution(ctx, "a2", flow="a", state=State.FAILED)
    _execution(ctx, "b1", flow="b")
    _execution(ctx, "old", flow="a", start=T0 - timedelta(days=30))
    task = {
        "id": "c",
        "type": "io.kestra.plugin.core.execution.Count",
        "flows": [
            {"namespace": "company.team", "flowId": "a"},
            {"namespace": "company.team", "flowId": "b"},
            {"namespace": "company.team", "flowId": "never"},
        ],
        "startDate": (T0 - timedelta(hours=1)).isoformat(),
        "endDate": (T0 + timedelta(hours=1)).isoformat(),
        "expression": "{{ count >= 1 }}",
    }
    result = await run_task(task, ctx)
    assert result.outputs == {
        "results": [
            {"namespace": "company.team", "flowId": "a", "count": 2},
            {"namespace": "company.team", "flowId": "b", "count": 1},
        ],
        "total": 3,
    }
    only_success = await run_task(
        {**task, "states": ["SUCCESS"], "expression": "{{ count == 1 }}"}, ctx
    )
    assert only_success.outputs is not None
    assert only_success.outputs["total"] == 2


async def test_count_by_namespace(ctx: FakeTaskContext) -> None:
    _execution(ctx, "x1", ns="other", flow="x")
    _execution(ctx, "x2", ns="other", flow="x")
    task = {
        "id": "c",
        "type": "io.kestra.plugin.core.execution.Count",
        "namespaces": ["other"],
        "startDate": "2024-01-01T00:00:00Z",
        "expression": "{{ count > 0 }}",
    }
    result = await run_task(task, ctx)
    assert result.outputs == {
        "results": [{"namespace": "other", "flowId": "x", "count": 2}],
        "total": 2,
    }


async def test_count_rejects_a_bad_date(ctx: FakeTaskContext) -> None:
    task = {
        "id": "c",
        "type": "io.kestra.plugin.core.execution.Count",
        "namespaces": ["x"],
        "startDate": "yesterday",
        "expression": "{{ true }}",
    }
    with pytest.raises(TaskError, match="startDate"):
        await run_task(task, ctx)


async def test_resume_a_paused_execution(ctx: FakeTaskContext) -> None:
    _execution(ctx, "paused", state=State.PAUSED)
    task = {
        "id": "r",
        "type": "io.kestra.plugin.core.execution.Resume",
        "executionId": "paused",
        "inputs": {"approved": "{{ flow.id }}"},
    }
    await run_task(task, ctx)
    assert ctx.resumed == [("paused", {"approved": "flow"})]


async def test_resume_refuses_an_execution_that_is_not_paused(ctx: FakeTaskContext) -> None:
    _execution(ctx, "done")
    task = {"id": "r", "type": "io.kestra.plugin.core.execution.Resume", "executionId": "done"}
    with pytest.raises(TaskError, match="SUCCESS, not PAUSED"):
        await run_task(task, ctx)
    with pytest.raises(TaskError, match="does not exist"):
        await run_task({**task, "executionId": "ghost"}, ctx)
    assert ctx.resumed == []


async def test_purge_executions(ctx: FakeTaskContext) -> None:
    _execution(ctx, "old")
    _execution(ctx, "running", state=State.RUNNING)
    ctx.store.logs.append([_log("old", "t", "INFO", "a"), _log("old", "t", "ERROR", "b")])
    ctx.store.metrics.append(
        [
            MetricEntry(
                name="m",
                namespace="company.team",
                flow_id="flow",
                type="counter",
                value=1.0,
                tags={},
                timestamp=T0,
                execution_id="old",
                task_id="t",
                task_run_id="tr",
            )
        ]
    )
    file_uri = ctx.storage.put("kestra:///company/team/flow/executions/old/tasks/t/tr/f.txt", b"x")
    task = {
        "id": "p",
        "type": "io.kestra.plugin.core.execution.PurgeExecutions",
        "endDate": (T0 + timedelta(days=2)).isoformat(),
    }
    result = await run_task(task, ctx)
    assert result.outputs == {
        "executionsCount": 1,
        "logsCount": 2,
        "metricsCount": 1,
        "storagesCount": 1,
    }
    assert ctx.store.executions.find("old") is None
    assert ctx.store.executions.find("running") is not None
    assert ctx.store.executions.find("current") is not None
    assert not ctx.storage.exists(file_uri)


async def test_purge_logs_by_level(ctx: FakeTaskContext) -> None:
    _execution(ctx, "old")
    ctx.store.logs.append([_log("old", "t", "INFO", "a"), _log("old", "t", "ERROR", "b")])
    task = {
        "id": "p",
        "type": "io.kestra.plugin.core.log.PurgeLogs",
        "logLevels": ["INFO"],
        "endDate": (T0 + timedelta(days=2)).isoformat(),
    }
    result = await run_task(task, ctx)
    assert result.outputs == {"count": 1, "executionLogsCount": 1, "nonExecutionLogsCount": 0}
    assert [line.message for line in ctx.store.logs.list("old")] == ["b"]
    assert len(ctx.store.logs.list("current")) == 4
    result = await run_task({**task, "logLevels": None}, ctx)
    assert result.outputs is not None
    assert result.outputs["count"] == 1
    assert ctx.store.logs.list("old") == []


async def test_resume_finds_the_paused_execution_of_a_flow(ctx: FakeTaskContext) -> None:
    _execution(ctx, "waiting", flow="approval", state=State.PAUSED)
    task = {
        "id": "r",
        "type": "io.kestra.plugin.core.execution.Resume",
        "namespace": "company.team",
        "flowId": "approval",
    }
    await run_task(task, ctx)
    assert ctx.resumed == [("waiting", None)]
    with pytest.raises(TaskError, match="no PAUSED execution"):
        await run_task({**task, "flowId": "other"}, ctx)


async def test_count_needs_flows_or_namespaces(ctx: FakeTaskContext) -> None:
    task = {
        "id": "c",
        "type": "io.kestra.core.tasks.executions.Counts",
        "startDate": "2024-01-01T00:00:00Z",
        "expression": "{{ count > 0 }}",
    }
    with pytest.raises(TaskError, match="`flows` or `namespaces`"):
        await run_task(task, ctx)


async def test_purge_logs_of_one_execution(ctx: FakeTaskContext) -> None:
    _execution(ctx, "a")
    _execution(ctx, "b")
    ctx.store.logs.append([_log("a", "t", "INFO", "x"), _log("b", "t", "INFO", "y")])
    task = {
        "id": "p",
        "type": "io.kestra.plugin.core.log.PurgeLogs",
        "executionId": "a",
        "endDate": (T0 + timedelta(days=2)).isoformat(),
    }
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["count"] == 1
    assert ctx.store.logs.list("a") == []
    assert len(ctx.store.logs.list("b")) == 1
