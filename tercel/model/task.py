"""The base task model and the polymorphic `AnyTask` field type.

A task in YAML is a map with a `type`; `AnyTask` looks the type up in the registry and
validates the map with that class, so nested task lists (`tasks`, `then`, `errors`...)
come out as the right subclasses, with pydantic's error locations intact.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    Field,
    SerializeAsAny,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tercel.model.base import KestraModel
from tercel.model.registry import Category, registry

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


class TaskKind(StrEnum):
    """How the engine treats a task; it never looks at task *names*."""

    #: Run by a worker (in-process or in a subprocess); returns outputs or fails.
    RUNNABLE = "runnable"
    #: Decided by the executor: has child tasks and resolves their order and its state.
    FLOWABLE = "flowable"
    #: Creates other executions (Subflow, ForEachItem).
    EXECUTABLE = "executable"


class Retry(KestraModel):
    """Retry policy of a task or flow (Kestra §3.2). `maxAttempt` counts the first attempt."""

    type: str = Field(description="`constant`, `exponential` or `random`.")
    max_attempt: int | None = Field(
        default=None, ge=1, description="Total attempts, the first included."
    )
    max_duration: str | None = Field(
        default=None, description="Stop retrying once this ISO-8601 duration has passed."
    )
    warning_on_retry: bool = Field(
        default=False, description="End in WARNING when success needed more than one attempt."
    )
    behavior: str = Field(
        default="RETRY_FAILED_TASK",
        description="`RETRY_FAILED_TASK` or `CREATE_NEW_EXECUTION`.",
    )
    interval: str | None = Field(
        default=None, description="Delay between attempts (ISO-8601, e.g. `PT30S`)."
    )
    max_interval: str | None = Field(
        default=None, description="Longest delay (`exponential`, `random`)."
    )
    min_interval: str | None = Field(default=None, description="Shortest delay (`random`).")
    delay_factor: float | None = Field(
        default=None, description="Growth of the delay between attempts (`exponential`)."
    )

    @model_validator(mode="after")
    def _check_intervals(self) -> Retry:
        from tercel.model.retry_rules import check_retry

        check_retry(self)
        return self


class WorkerGroup(KestraModel):
    """Which workers run the task: only those started with `--worker-group KEY`."""

    key: str = Field(
        description="The worker group to run on (`tercel server worker --worker-group KEY`)."
    )
    fallback: str | None = Field(
        default=None, description="What to do when no worker of the group is up."
    )


class TaskCache(KestraModel):
    """Cache of a task's outputs keyed on identical inputs."""

    enabled: bool = Field(default=False, description="Reuse outputs of an identical run.")
    ttl: str | None = Field(default=None, description="How long outputs are reused (ISO-8601).")


class Task(KestraModel):
    """Properties every task has (Kestra §3.1). Subclasses add their own."""

    kind: ClassVar[TaskKind] = TaskKind.RUNNABLE

    # Capabilities the engine reads instead of task names. A task type that needs one sets
    # it on its class; the defaults describe an ordinary task. The method capabilities
    # (planning, looping, pausing, subflows, final outputs) use the engine's types, which
    # this layer may not import: they are the Protocols of `tercel.engine.plan`.

    #: A flowable whose children all run on one worker, in one shared directory
    #: (WorkingDirectory): the engine sends the whole task as one job, adopts the task runs
    #: the worker reports for its children, and kills it as a job.
    runs_children_on_worker: ClassVar[bool] = False
    #: The task changes the execution's labels (Labels): the engine applies them itself
    #: instead of sending the task to a worker.
    updates_execution_labels: ClassVar[bool] = False
    #: The task ends the whole execution with a state (Exit): the engine decides it itself.
    ends_execution: ClassVar[bool] = False
    #: An executable that starts one child execution per batch (ForEachItem): the engine
    #: reports `numberOfBatches` and `iterations` instead of one child's outputs.
    multiple_subflows: ClassVar[bool] = False

    #: Unique in the whole flow: letters, digits, `-` and `_`; read as `outputs['<id>']`.
    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    #: Free text shown in the UI.
    description: str | None = None
    #: Retry policy when the task fails (`type`, `maxAttempt`, `interval`...).
    retry: Retry | None = None
    #: Fail the task when it runs longer than this ISO-8601 duration (e.g. `PT10M`).
    timeout: str | None = None
    #: Skip the task (and its children) as if it were not there.
    disabled: bool = False
    #: Run only on workers of this group (`tercel server worker --worker-group KEY`).
    worker_group: WorkerGroup | None = None
    #: Minimum level of the task's logs that are kept (`TRACE` ... `ERROR`).
    log_level: str | None = None
    #: Store the task's logs as a file instead of log lines.
    log_to_file: bool = False
    #: A failure of this task ends it in WARNING and the flow goes on.
    allow_failure: bool = False
    #: A WARNING of this task counts as SUCCESS.
    allow_warning: bool = False
    #: Run the task only when this renders truthy; else it is SKIPPED.
    run_if: str | bool | None = None
    #: Reuse the outputs of an earlier identical run.
    task_cache: TaskCache | None = None

    def child_task_lists(self) -> dict[str, list[Task]]:
        """Named lists of direct child tasks (empty for runnable tasks)."""
        return {}

    @field_validator("timeout")
    @classmethod
    def _timeout_is_a_duration(cls, value: str | None) -> str | None:
        # A literal timeout must parse now; a templated one is rendered when the task runs.
        if value is not None and "{{" not in value:
            from tercel.model.durations import parse_duration

            parse_duration(value)
        return value


def _dispatch_task(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """Validate a YAML map as the task class its `type` names."""
    if isinstance(value, Task):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("task_not_a_map", "a task must be a map with `id` and `type`")
    type_name = value.get("type")
    if not isinstance(type_name, str):
        raise PydanticCustomError("task_missing_type", "missing required property `type`")
    found = registry.get(type_name)
    if found is None or found.category is not Category.TASK:
        raise PydanticCustomError(
            "unknown_type",
            "unknown type `{type_name}`",
            {"type_name": type_name, "category": Category.TASK.value},
        )
    data = dict(value)
    # Legacy aliases resolve to the canonical name, as Kestra does at parse time.
    data["type"] = found.name
    return found.cls.model_validate(data, context=info.context)


AnyTask = Annotated[SerializeAsAny[Task], WrapValidator(_dispatch_task)]
