"""`state.Set`, `state.Get` and `state.Delete`: deprecated per-flow states (use KV instead)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.state.store import StateTask, deep_merge
from tercel.plugins.core.templating.properties import render_bool, render_map


@plugin("io.kestra.plugin.core.state.Set", aliases=("io.kestra.core.tasks.states.Set",))
class Set(StateTask):
    """Merge `data` into the state (nested maps merged, other values replaced)."""

    data: dict[str, Any] | str = Field(
        default_factory=dict, description="Values to store; strings are rendered."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"count": keys in the state, "key": its URI}``."""
        uri = self.state_uri(ctx)
        merged = deep_merge(self.read_state(ctx, uri) or {}, render_map(ctx, self.data, "data"))
        ctx.storage.put(uri, json.dumps(merged, default=str).encode("utf-8"))
        return TaskResult(outputs={"count": len(merged), "key": uri})


@plugin("io.kestra.plugin.core.state.Get", aliases=("io.kestra.core.tasks.states.Get",))
class Get(StateTask):
    """Output the state as `data` (an empty map when there is none, unless told to fail)."""

    error_on_missing: bool | str = Field(
        default=False, description="Fail when the state does not exist."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"count": keys, "data": {...}}``."""
        uri = self.state_uri(ctx)
        data = self.read_state(ctx, uri)
        if data is None:
            if render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
                raise TaskError(f"state `{uri}` does not exist")
            data = {}
        return TaskResult(outputs={"count": len(data), "data": data})


@plugin("io.kestra.plugin.core.state.Delete", aliases=("io.kestra.core.tasks.states.Delete",))
class Delete(StateTask):
    """Delete the state; output whether it existed as `deleted`."""

    error_on_missing: bool | str = Field(
        default=False, description="Fail when the state does not exist."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"deleted": bool}``."""
        uri = self.state_uri(ctx)
        deleted = ctx.storage.delete(uri)
        if not deleted and render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
            raise TaskError(f"state `{uri}` does not exist")
        return TaskResult(outputs={"deleted": deleted})
