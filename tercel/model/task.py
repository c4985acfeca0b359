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

    type: str
    max_attempt: int | None = Field(default=None, ge=1)
    max_duration: str | None = None
    warning_on_retry: bool = False
    behavior: str = "RETRY_FAILED_TASK"
    interval: str | None = None
    max_interval: str | None = None
    min_interval: str | None = None
    delay_factor: float | None = None

    @model_validator(mode="after")
    def _check_intervals(self) -> Retry:
        from tercel.model.retry_rules import check_retry

        check_retry(self)
        return self


class WorkerGroup(KestraModel):
    """Enterprise worker group selector; accepted for compatibility."""

    key: str
    fallback: str | None = None


class TaskCache(KestraModel):
    """Cache of a task's outputs keyed on identical inputs."""

    enabled: bool = False
    ttl: str | None = None


class Task(KestraModel):
    """Properties every task has (Kestra §3.1). Subclasses add their own."""

    kind: ClassVar[TaskKind] = TaskKind.RUNNABLE

    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    description: str | None = None
    retry: Retry | None = None
    timeout: str | None = None
    disabled: bool = False
    worker_group: WorkerGroup | None = None
    log_level: str | None = None
    log_to_file: bool = False
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: str | bool | None = None
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
