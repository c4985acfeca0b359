"""templating.TemplatedTask: render a task's YAML, then run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, LogLine, run_task

TT = "io.kestra.plugin.core.templating.TemplatedTask"


async def test_runs_the_rendered_task_and_returns_its_outputs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"vars": {"kind": "Return", "prop": "format"}})
    spec = "type: io.kestra.plugin.core.debug.{{ vars.kind }}\n{{ vars.prop }}: '{{ task.id }}'"
    result = await run_task({"id": "templated", "type": TT, "spec": spec}, ctx)
    assert result.outputs == {"value": "task"}


async def test_inner_task_logs_through_the_same_context(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    spec = "type: io.kestra.core.tasks.log.Log\nmessage: hi"
    await run_task(
        {"id": "t", "type": "io.kestra.core.tasks.templating.TemplatedTask", "spec": spec}, ctx
    )
    assert ctx.logs == [LogLine("INFO", "hi")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type: io.kestra.plugin.core.debug.Nope", "not a valid task"),
        ("just a string", "YAML map"),
        ("type: [unclosed", "valid YAML"),
        ("type: io.kestra.plugin.core.log.Log\nmessage: x\nbogus: 1", "bogus"),
        (f"type: {TT}\nspec: 'type: x'", "runnable task"),
    ],
)
async def test_invalid_specs_fail_with_a_message(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(TaskError, match=message):
        await run_task({"id": "t", "type": TT, "spec": spec}, FakeTaskContext(tmp_path))
