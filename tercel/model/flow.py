"""The flow: top-level properties of Kestra §1.1."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from tercel.model.base import KestraModel
from tercel.model.condition import AnyCondition
from tercel.model.inputs import INPUT_ID_PATTERN, AnyInput, InputType
from tercel.model.labels import LabelsField
from tercel.model.names import NamespaceName
from tercel.model.task import AnyTask, Retry, Task
from tercel.model.trigger import AnyTrigger

FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class ConcurrencyBehavior(StrEnum):
    """What happens to an execution started over the concurrency limit."""

    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class Concurrency(KestraModel):
    """How many executions of this flow may run at once, and what happens to the others."""

    limit: int = Field(gt=0)
    behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE


class PluginDefault(KestraModel):
    """Default property values for every plugin whose type starts with `type`."""

    type: str
    forced: bool = False
    values: dict[str, Any] = Field(default_factory=dict)


class Output(KestraModel):
    """A flow output: `value` rendered at the end of the execution, then typed as `type`."""

    id: str = Field(pattern=INPUT_ID_PATTERN)
    type: InputType
    value: Any
    description: str | None = None
    display_name: str | None = Field(default=None, max_length=64)
    required: bool | None = None


class Listener(KestraModel):
    """Deprecated: tasks run once the execution ended, when all `conditions` hold."""

    description: str | None = None
    conditions: list[AnyCondition] = Field(default_factory=list)
    tasks: list[AnyTask] = Field(min_length=1)


class SlaType(StrEnum):
    """Kind of service-level agreement."""

    MAX_DURATION = "MAX_DURATION"
    EXECUTION_ASSERTION = "EXECUTION_ASSERTION"


class SlaBehavior(StrEnum):
    """What to do with an execution that breaks its SLA."""

    FAIL = "FAIL"
    CANCEL = "CANCEL"
    NONE = "NONE"


class Sla(KestraModel):
    """A service-level agreement checked while the execution runs (beta in Kestra)."""

    id: str
    type: SlaType
    behavior: SlaBehavior = SlaBehavior.FAIL
    labels: LabelsField = Field(default_factory=dict)
    duration: str | None = None
    assert_: str | None = Field(default=None, alias="assert")


class FlowCheck(KestraModel):
    """A pre-execution assertion (Kestra 1.x `checks`): blocks or warns before creation."""

    condition: str
    message: str | None = None
    style: str | None = None
    behavior: str | None = None


class Flow(KestraModel):
    """A flow as written in YAML, after plugin defaults were applied and types resolved."""

    #: Flow id, unique in its namespace; letters, digits, `.`, `_`, `-` (immutable).
    id: str = Field(pattern=FLOW_ID_PATTERN, min_length=1, max_length=100)
    #: Lower-case dotted namespace, e.g. `company.team` (immutable).
    namespace: NamespaceName
    #: Managed by the server: incremented on every change.
    revision: int | None = Field(default=None, ge=1)
    #: Markdown description shown in the UI.
    description: str | None = None
    #: Labels added to every execution: a map or a list of `{key, value}`.
    labels: LabelsField = Field(default_factory=dict)
    #: Typed parameters given when an execution starts (`{{ inputs.<id> }}`).
    inputs: list[AnyInput] = Field(default_factory=list)
    #: Values rendered at the end of the execution and exposed to callers.
    outputs: list[Output] = Field(default_factory=list)
    #: Constants available as `{{ vars.<name> }}` (not rendered recursively).
    variables: dict[str, Any] | None = None
    #: The tasks to run, in order (at least one).
    tasks: list[AnyTask] = Field(min_length=1)
    #: Tasks run when a task of `tasks` fails; the execution still ends FAILED.
    errors: list[AnyTask] = Field(default_factory=list)
    #: Tasks always run at the end of `tasks` (and `errors`).
    finally_: list[AnyTask] = Field(default_factory=list, alias="finally")
    #: Tasks run after the execution reached its final state (see `execution.state`).
    after_execution: list[AnyTask] = Field(default_factory=list)
    #: Deprecated: tasks run when the execution ends and all conditions hold.
    listeners: list[Listener] = Field(default_factory=list)
    #: What starts executions automatically: schedules, webhooks, other flows...
    triggers: list[AnyTrigger] = Field(default_factory=list)
    #: Default property values for plugins whose type starts with `type`.
    plugin_defaults: list[PluginDefault] = Field(default_factory=list)
    #: Deprecated spelling of `pluginDefaults`.
    task_defaults: list[PluginDefault] = Field(default_factory=list)
    #: Maximum executions of this flow running at once, and what to do over it.
    concurrency: Concurrency | None = None
    #: Default retry policy of the runnable tasks that have none.
    retry: Retry | None = None
    #: Service-level agreements checked while the execution runs.
    sla: list[Sla] = Field(default_factory=list)
    #: Assertions evaluated before an execution is created.
    checks: list[FlowCheck] = Field(default_factory=list)
    #: A disabled flow cannot be executed and its triggers do not fire.
    disabled: bool = False
    tenant_id: str | None = Field(default=None, pattern=TENANT_PATTERN)
    deleted: bool = False

    def all_tasks(self) -> list[Task]:
        """Every task of the flow, depth first, across tasks/errors/finally/afterExecution."""
        found: list[Task] = []

        def walk(tasks: list[Task]) -> None:
            for task in tasks:
                found.append(task)
                for children in task.child_task_lists().values():
                    walk(children)

        for top in (self.tasks, self.errors, self.finally_, self.after_execution):
            walk(top)
        for listener in self.listeners:
            walk(listener.tasks)
        return found

    def input(self, input_id: str) -> Any:
        """The declared input `input_id`, or None."""
        return next((item for item in self.inputs if item.key == input_id), None)
