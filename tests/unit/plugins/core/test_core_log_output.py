"""log.Log and output.OutputValues."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tercel.testing import FakeTaskContext, LogLine, parse_task, run_task

LOG = "io.kestra.plugin.core.log.Log"


async def test_log_writes_the_rendered_message_at_info(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "world"}})
    await run_task({"id": "l", "type": LOG, "message": "hello {{ inputs.who }}"}, ctx)
    assert ctx.logs == [LogLine("INFO", "hello world")]


async def test_log_with_a_list_writes_one_line_per_message(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {
        "id": "l",
        "type": "io.kestra.core.tasks.log.Log",
        "message": ["a", "{{ 1 + 1 }}"],
        "level": "ERROR",
    }
    await run_task(task, ctx)
    assert ctx.logs == [LogLine("ERROR", "a"), LogLine("ERROR", "2")]


async def test_log_level_can_be_an_expression(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"vars": {"lvl": "debug"}})
    await run_task({"id": "l", "type": LOG, "message": "m", "level": "{{ vars.lvl }}"}, ctx)
    assert ctx.logs == [LogLine("DEBUG", "m")]


def test_log_requires_a_message() -> None:
    with pytest.raises(ValidationError, match="message"):
        parse_task({"id": "l", "type": LOG})


async def test_output_values_renders_strings_and_keeps_typed_values(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"n": 5}})
    task = {
        "id": "o",
        "type": "io.kestra.plugin.core.output.OutputValues",
        "values": {
            "s": "n is {{ inputs.n }}",
            "i": 42,
            "b": True,
            "l": [1, "{{ inputs.n }}"],
            "m": {"k": None},
        },
    }
    result = await run_task(task, ctx)
    assert result.outputs == {
        "values": {"s": "n is 5", "i": 42, "b": True, "l": [1, "5"], "m": {"k": None}}
    }
