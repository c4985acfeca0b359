"""`trigger.Toggle`: a task enabling or disabling a trigger of a flow."""

from __future__ import annotations

from tercel.model.registry import plugin
from tercel.model.task import Task


@plugin("io.kestra.plugin.core.trigger.Toggle", aliases=("io.kestra.core.tasks.trigger.Toggle",))
class Toggle(Task):
    """Enable (or disable) trigger `trigger` of flow `namespace`.`flowId`.

    Declared so that flows using it validate; running it needs the trigger store and
    is not implemented yet (the runtime reports the type as not runnable).
    """

    namespace: str | None = None
    flow_id: str | None = None
    trigger: str
    enabled: bool | str = False
