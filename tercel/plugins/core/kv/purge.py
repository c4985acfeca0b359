"""`kv.PurgeKV`: delete keys (by default the expired ones) across namespaces."""

from __future__ import annotations

from pydantic import Field, model_validator

from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.kv.common import kv_call
from tercel.plugins.core.templating.properties import Text, render_bool, render_list, render_str
from tercel.storage import globs


class PurgeBehavior(KestraModel):
    """Which keys a purge deletes: `expiredOnly` (the default) or every matching key."""

    type: str = "key"
    expired_only: bool | str = True


@plugin("io.kestra.plugin.core.kv.PurgeKV")
class PurgeKV(RunnableTask):
    """Delete KV keys of `namespaces` (children included) or of `namespacePattern`.

    Without either, every namespace is considered. Output ``size``: the number deleted.
    """

    namespaces: list[Text] | str | None = Field(
        default=None, description="Namespaces whose keys to delete (not with namespacePattern)."
    )
    namespace_pattern: Text | None = Field(
        default=None, description="Glob of the namespaces whose keys to delete."
    )
    include_child_namespaces: bool | str = Field(
        default=True, description="Also delete keys of the child namespaces of `namespaces`."
    )
    key_pattern: Text | None = Field(default=None, description="Glob of the keys to delete.")
    behavior: PurgeBehavior | None = Field(
        default=None, description="Purge behaviour; expired keys only by default."
    )
    expired_only: bool | str | None = Field(
        default=None, description="Deprecated: overrides `behavior.expiredOnly` when set."
    )

    @model_validator(mode="after")
    def _namespaces_or_pattern(self) -> PurgeKV:
        if self.namespaces is not None and self.namespace_pattern is not None:
            raise ValueError("use one of `namespaces` or `namespacePattern`, not both")
        return self

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"size": number of keys deleted}``."""
        names = [str(name) for name in render_list(ctx, self.namespaces, "namespaces")]
        children = render_bool(ctx, self.include_child_namespaces, "includeChildNamespaces", True)
        pattern = render_str(ctx, self.namespace_pattern)
        namespace_glob = globs.compile_pattern(pattern) if pattern else None
        key_text = render_str(ctx, self.key_pattern)
        key_glob = globs.compile_pattern(key_text) if key_text else None
        expired_only = True
        if self.behavior is not None:
            expired_only = render_bool(
                ctx, self.behavior.expired_only, "behavior.expiredOnly", True
            )
        if self.expired_only is not None:
            expired_only = render_bool(ctx, self.expired_only, "expiredOnly", True)

        def wanted_namespace(namespace: str) -> bool:
            if namespace_glob is not None:
                return namespace_glob.fullmatch(namespace) is not None
            if not names:
                return True
            return any(
                namespace == name or (children and namespace.startswith(name + "."))
                for name in names
            )

        def select(namespace: str, key: str) -> bool:
            if not wanted_namespace(namespace):
                return False
            return key_glob is None or key_glob.fullmatch(key) is not None

        size = kv_call(lambda: ctx.kv.purge(select, expired_only=expired_only))
        message = f"purged {size} KV key(s)"
        ctx.logger.info(message)
        return TaskResult(outputs={"size": size})
