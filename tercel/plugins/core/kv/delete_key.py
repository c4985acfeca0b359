"""`kv.Delete`: remove a key from a namespace's KV store."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.kv.common import KVTask, kv_call
from tercel.plugins.core.templating.properties import Text, render_bool, require_str


@plugin("io.kestra.plugin.core.kv.Delete")
class Delete(KVTask):
    """Delete `key`; output `deleted` (false when it did not exist)."""

    key: Text = Field(description="The key to delete.")
    error_on_missing: bool | str = Field(
        default=False, description="Fail when the key does not exist."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"deleted": bool}``."""
        namespace = self.kv_namespace(ctx)
        key = require_str(ctx, self.key, "key")
        deleted = kv_call(lambda: ctx.kv.delete(namespace, key))
        if not deleted and render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
            raise TaskError(f"key `{key}` does not exist in namespace `{namespace}`")
        return TaskResult(outputs={"deleted": deleted})
