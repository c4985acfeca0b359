"""`trigger.Toggle`: a task enabling or disabling a trigger of a flow."""

from __future__ import annotations

from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask


@plugin("io.kestra.plugin.core.trigger.Toggle", aliases=("io.kestra.core.tasks.trigger.Toggle",))
class Toggle(RunnableTask):
    """Enable (or disable) trigger `trigger` of flow `namespace`.`flowId`.

    Declared so that flows using it validate; running it needs the trigger store, which
    a task context does not offer yet: `run` raises `PluginNotRunnableError`, saying so.
    """

    runnable: ClassVar[bool] = False

    namespace: str | None = None
    flow_id: str | None = None
    trigger: str
    enabled: bool | str = False
