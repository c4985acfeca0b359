"""`kv.Get`: read a value from a namespace's KV store."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.kv.common import KVTask, kv_call
from tercel.plugins.core.templating.properties import Text, render_bool, require_str


@plugin("io.kestra.plugin.core.kv.Get")
class Get(KVTask):
    """Output the value stored under `key` as `value` (null when missing, unless told)."""

    key: Text = Field(description="The key to read.")
    error_on_missing: bool | str = Field(
        default=False, description="Fail when the key is missing or expired."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"value": ...}``."""
        namespace = self.kv_namespace(ctx)
        key = require_str(ctx, self.key, "key")
        value = kv_call(lambda: ctx.kv.get(namespace, key))
        if value is None and render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
            raise TaskError(
                f"no value for key `{key}` in namespace `{namespace}` "
                "(and `errorOnMissing` is true)"
            )
        return TaskResult(outputs={"value": value})
