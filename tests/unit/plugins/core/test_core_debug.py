"""debug.Return and debug.Echo."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, LogLine, parse_task, run_task

RETURN = "io.kestra.plugin.core.debug.Return"
ECHO = "io.kestra.plugin.core.debug.Echo"


async def test_return_outputs_the_rendered_format(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"n": 3}})
    result = await run_task({"id": "r", "type": RETURN, "format": "n={{ inputs.n }}"}, ctx)
    assert result.outputs == {"value": "n=3"}


async def test_return_records_length_and_duration_metrics(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task({"id": "r", "type": RETURN, "format": "abcd"}, ctx)
    assert [(m["name"], m["type"]) for m in ctx.metrics] == [
        ("length", "counter"),
        ("duration", "timer"),
    ]
    assert ctx.metrics[0]["value"] == 4


async def test_return_accepts_a_number_as_format(tmp_path: Path) -> None:
    result = await run_task({"id": "r", "type": RETURN, "format": 42}, FakeTaskContext(tmp_path))
    assert result.outputs == {"value": "42"}


async def test_return_without_format_outputs_null(tmp_path: Path) -> None:
    result = await run_task({"id": "r", "type": RETURN}, FakeTaskContext(tmp_path))
    assert result.outputs == {"value": None}


async def test_echo_logs_at_its_level(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {"id": "e", "type": "io.kestra.core.tasks.debugs.Echo", "format": "hi", "level": "WARN"}
    result = await run_task(task, ctx)
    assert result.outputs is None
    assert ctx.logs == [LogLine("WARN", "hi")]


async def test_echo_rejects_an_unknown_level(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="level"):
        await run_task(
            {"id": "e", "type": ECHO, "format": "x", "level": "LOUD"}, FakeTaskContext(tmp_path)
        )


def test_echo_requires_format() -> None:
    with pytest.raises(ValidationError, match="format"):
        parse_task({"id": "e", "type": ECHO})
