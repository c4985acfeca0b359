"""Helpers of the conversion tests: put a file in a task's storage, read a result back."""

from __future__ import annotations

from typing import Any

from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext, run_task


def put(ctx: FakeTaskContext, name: str, data: bytes | str) -> str:
    """Store `data` as this execution's file `name`; its kestra:/// URI."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return ctx.storage.put(ctx.file_uri(name), raw)


def rows_of(ctx: FakeTaskContext, uri: str) -> list[Any]:
    """The rows of a stored Ion file."""
    return ion.loads(ctx.storage.get(uri).decode("utf-8"))


async def convert(
    ctx: FakeTaskContext, task_type: str, uri: str, **properties: Any
) -> dict[str, Any]:
    """Run one conversion task on `uri`; its outputs."""
    task = {"id": "convert", "type": task_type, "from": uri, **properties}
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    return outputs
