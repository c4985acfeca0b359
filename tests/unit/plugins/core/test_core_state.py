"""state.Set/Get/Delete (deprecated): Kestra's state.yaml scenarios, task by task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

ST = "io.kestra.plugin.core.state."


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.lower(), "type": ST + kind, "name": "{{ inputs.state }}", **props}


def _ctx(tmp_path: Path, value: str | None = None) -> FakeTaskContext:
    taskrun: dict[str, Any] = {"id": "tr"}
    if value is not None:
        taskrun["value"] = value
    return FakeTaskContext(
        tmp_path, variables={"inputs": {"state": "my-state"}, "taskrun": taskrun}
    )


async def test_set_get_update_delete(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    assert (await run_task(_task("Get"), ctx)).outputs == {"count": 0, "data": {}}
    result = await run_task(_task("Set", data={"value": 1}), ctx)
    assert result.outputs is not None
    assert result.outputs["count"] == 1
    assert (await run_task(_task("Get"), ctx)).outputs == {"count": 1, "data": {"value": 1}}
    ctx.variables["outputs"]["state"] = {"data": {"value": 1}}
    await run_task(_task("Set", data={"value": "{{ outputs.state.data.value + 1 }}"}), ctx)
    assert (await run_task(_task("Get"), ctx)).outputs == {"count": 1, "data": {"value": "2"}}
    assert (await run_task(_task("Delete"), ctx)).outputs == {"deleted": True}
    assert (await run_task(_task("Get"), ctx)).outputs == {"count": 0, "data": {}}


async def test_set_merges_nested_maps(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    await run_task(_task("Set", data={"a": {"x": 1}, "b": 1}), ctx)
    await run_task(_task("Set", data={"a": {"y": 2}}), ctx)
    result = await run_task(_task("Get"), ctx)
    assert result.outputs == {"count": 2, "data": {"a": {"x": 1, "y": 2}, "b": 1}}


async def test_each_loop_value_has_its_own_state_by_default(tmp_path: Path) -> None:
    await run_task(_task("Set", data={"value": "null-a"}), _ctx(tmp_path, "a"))
    result = await run_task(_task("Get"), _ctx(tmp_path, "b"))
    assert result.outputs == {"count": 0, "data": {}}


async def test_taskrun_value_false_shares_the_state_across_values(tmp_path: Path) -> None:
    await run_task(_task("Set", data={"value": "null-a"}, taskrunValue=False), _ctx(tmp_path, "a"))
    result = await run_task(_task("Get", taskrunValue=False), _ctx(tmp_path, "b"))
    assert result.outputs == {"count": 1, "data": {"value": "null-a"}}


async def test_namespace_state_is_shared_between_flows(tmp_path: Path) -> None:
    first = FakeTaskContext(tmp_path, flow_id="one")
    second = FakeTaskContext(tmp_path, flow_id="two")
    second.storage = first.storage
    await run_task({"id": "s", "type": ST + "Set", "namespace": True, "data": {"k": 1}}, first)
    shared = await run_task({"id": "g", "type": ST + "Get", "namespace": True}, second)
    private = await run_task({"id": "g", "type": ST + "Get"}, second)
    assert shared.outputs == {"count": 1, "data": {"k": 1}}
    assert private.outputs == {"count": 0, "data": {}}


async def test_missing_state_errors_when_asked(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    with pytest.raises(TaskError, match="does not exist"):
        await run_task(_task("Get", errorOnMissing=True), ctx)
    with pytest.raises(TaskError, match="does not exist"):
        await run_task(_task("Delete", errorOnMissing=True), ctx)


async def test_legacy_alias(tmp_path: Path) -> None:
    result = await run_task({"id": "g", "type": "io.kestra.core.tasks.states.Get"}, _ctx(tmp_path))
    assert result.outputs == {"count": 0, "data": {}}
