"""execution.Fail, execution.Labels and execution.Exit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tercel.engine.execution import Label
from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.plugins.core.execution.exit import Exit
from tercel.plugins.core.execution.labels import Labels
from tercel.testing import FakeTaskContext, parse_task, run_task

FAIL = "io.kestra.plugin.core.execution.Fail"
LABELS = "io.kestra.plugin.core.execution.Labels"


async def test_fail_without_condition_fails_with_default_message(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"^Task failure$"):
        await run_task(
            {"id": "f", "type": "io.kestra.core.tasks.executions.Fail"}, FakeTaskContext(tmp_path)
        )


async def test_fail_renders_its_error_message(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"x": "boom"}})
    with pytest.raises(TaskError, match=r"^failed: boom$"):
        await run_task({"id": "f", "type": FAIL, "errorMessage": "failed: {{ inputs.x }}"}, ctx)


@pytest.mark.parametrize("param", ["fail", "yes"])
async def test_fail_on_a_truthy_condition(tmp_path: Path, param: str) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"param": param}})
    task = {"id": "f", "type": FAIL, "condition": "{{ inputs.param }}"}
    with pytest.raises(TaskError):
        await run_task(task, ctx)


@pytest.mark.parametrize("rendered", ["false", "FALSE", "0", "-0", "", "  "])
async def test_fail_succeeds_on_a_falsy_condition(tmp_path: Path, rendered: str) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"param": rendered}})
    task = {"id": "f", "type": FAIL, "condition": "{{ inputs.param }}"}
    result = await run_task(task, ctx)
    assert result.outputs is None


def _labels(task: dict[str, Any], ctx: FakeTaskContext) -> list[Label]:
    parsed = parse_task({"id": "l", "type": LABELS, **task})
    assert isinstance(parsed, Labels)
    return parsed.resolve_labels(ctx.render)


def test_labels_is_flagged_for_the_engine() -> None:
    assert Labels.updates_execution_labels is True
    assert (
        parse_task({"id": "l", "type": "io.kestra.core.tasks.executions.Labels", "labels": {}}).type
        == LABELS
    )


def test_labels_from_a_map_render_keys_and_values(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"k": "team", "v": "data"}})
    assert _labels({"labels": {"{{ inputs.k }}": "{{ inputs.v }}"}}, ctx) == [Label("team", "data")]


def test_labels_from_a_list(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    assert _labels({"labels": [{"key": "a", "value": "{{ flow.id }}"}]}, ctx) == [
        Label("a", "flow")
    ]


def test_labels_from_a_json_string(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"json": '{"a": "1", "b": 2}'}})
    assert _labels({"labels": "{{ inputs.json }}"}, ctx) == [Label("a", "1"), Label("b", "2")]


def test_label_values_are_stringified(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    assert _labels({"labels": {"i": 42, "b": True, "f": 3.14}}, ctx) == [
        Label("i", "42"),
        Label("b", "true"),
        Label("f", "3.14"),
    ]


def test_system_labels_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"system\.correlationId"):
        _labels({"labels": {"system.correlationId": "x"}}, FakeTaskContext(tmp_path))


def test_labels_json_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="JSON object"):
        _labels({"labels": "not json"}, FakeTaskContext(tmp_path))


async def test_labels_run_validates(tmp_path: Path) -> None:
    with pytest.raises(TaskError):
        await run_task(
            {"id": "l", "type": LABELS, "labels": {"system.x": "y"}}, FakeTaskContext(tmp_path)
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("SUCCESS", State.SUCCESS),
        ("warning", State.WARNING),
        ("CANCELED", State.CANCELLED),
        ("KILLED", State.KILLED),
        ("FAILED", State.FAILED),
    ],
)
def test_exit_state(tmp_path: Path, given: str, expected: State) -> None:
    task = parse_task({"id": "e", "type": "io.kestra.plugin.core.execution.Exit", "state": given})
    assert isinstance(task, Exit)
    assert Exit.ends_execution
    assert task.exit_state(FakeTaskContext(tmp_path).render) is expected


async def test_exit_refuses_an_unknown_state(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="RUNNING"):
        await run_task(
            {"id": "e", "type": "io.kestra.plugin.core.execution.Exit", "state": "RUNNING"},
            FakeTaskContext(tmp_path),
        )
