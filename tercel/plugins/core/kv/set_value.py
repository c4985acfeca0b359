"""`kv.Set`: store a value in a namespace's KV store."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import Field

from tercel.errors import ConflictError, TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.kv.common import KVTask, kv_call
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_duration,
    render_enum,
    render_str,
    require_str,
)

KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


@plugin("io.kestra.plugin.core.kv.Set")
class Set(KVTask):
    """Store `value` under `key`; the value keeps its type (a lone expression stays typed)."""

    key: Text = Field(description="The key (letters, digits, `.`, `_`, `-`).")
    value: Any = Field(
        description="The value; `{{ expr }}` keeps the expression's type (list, number, ...)."
    )
    overwrite: bool | str = Field(
        default=True, description="Replace an existing value; false fails when the key exists."
    )
    ttl: str | None = Field(
        default=None, description="Time to live as an ISO-8601 duration (e.g. PT1H)."
    )
    kv_description: Text | None = Field(
        default=None, description="A description stored with the entry."
    )
    kv_type: str | None = Field(
        default=None,
        description=(
            "Force the type: STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION or JSON "
            "(deduced from the value when unset)."
        ),
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Render and store; no outputs."""
        namespace = self.kv_namespace(ctx)
        key = require_str(ctx, self.key, "key")
        value = (
            ctx.render_typed(self.value) if isinstance(self.value, str) else ctx.render(self.value)
        )
        overwrite = render_bool(ctx, self.overwrite, "overwrite", default=True)
        ttl = render_duration(ctx, self.ttl, "ttl")
        if ttl is not None and ttl.total_seconds() <= 0:
            raise TaskError(f"`ttl` must be a positive duration, got `{self.ttl}`")
        kv_type = render_enum(ctx, self.kv_type, "kvType", KV_TYPES) if self.kv_type else None
        extra: dict[str, Any] = {}
        description = render_str(ctx, self.kv_description)
        # The store's repositories keep descriptions; a minimal KVStore may not take one.
        if description and "description" in inspect.signature(ctx.kv.set).parameters:
            extra["description"] = description
        if not overwrite and ctx.kv.get(namespace, key) is not None:
            raise TaskError(_exists_message(key, namespace))
        try:
            kv_call(
                lambda: ctx.kv.set(
                    namespace,
                    key,
                    value,
                    ttl_seconds=ttl.total_seconds() if ttl is not None else None,
                    kv_type=kv_type,
                    overwrite=overwrite,
                    **extra,
                )
            )
        except TaskError as error:
            if isinstance(error.__cause__, ConflictError):
                raise TaskError(_exists_message(key, namespace)) from error
            raise
        return TaskResult()


def _exists_message(key: str, namespace: str) -> str:
    return (
        f"cannot set key `{key}` in namespace `{namespace}`: it already exists and "
        "`overwrite` is false"
    )
