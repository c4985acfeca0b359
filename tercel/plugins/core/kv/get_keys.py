"""`kv.GetKeys`: list the keys of a namespace's KV store."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.kv.common import KVTask, kv_call
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.kv.GetKeys")
class GetKeys(KVTask):
    """Output the live keys (optionally only those starting with `prefix`) as `keys`."""

    prefix: Text | None = Field(default=None, description="Only keys starting with this.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"keys": [...]}``, sorted."""
        namespace = self.kv_namespace(ctx)
        prefix = render_str(ctx, self.prefix) or None
        return TaskResult(outputs={"keys": kv_call(lambda: ctx.kv.keys(namespace, prefix))})
