"""The base of every trigger (Kestra §7.1), polling triggers, and `AnyTrigger`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SerializeAsAny, field_validator

from tercel.model.base import KestraModel
from tercel.model.condition import AnyCondition
from tercel.model.durations import parse_duration
from tercel.model.labels import LabelsField
from tercel.model.polymorphic import typed_field
from tercel.model.registry import Category
from tercel.model.state_names import StateName
from tercel.model.task import TASK_ID_PATTERN, WorkerGroup

TERMINAL_STATES = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED")


class Trigger(KestraModel):
    """Properties every trigger has: what starts an execution, and with which labels.

    Evaluation is done by the scheduler/executor (a later part); triggers here only
    declare and validate their properties.
    """

    #: Trigger id, unique in the flow.
    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    description: str | None = None
    #: The trigger fires only when all these conditions are true.
    conditions: list[AnyCondition] = Field(default_factory=list)
    #: A disabled trigger does not fire.
    disabled: bool = False
    worker_group: WorkerGroup | None = None
    log_level: str | None = None
    log_to_file: bool = False
    #: Labels added to the executions this trigger creates.
    labels: LabelsField = Field(default_factory=dict)
    #: Disable the trigger when an execution it created ends in one of these states.
    stop_after: list[StateName] | None = None
    #: Flow inputs for the executions this trigger creates (merged over input defaults).
    inputs: dict[str, Any] | None = None


class PollingTrigger(Trigger):
    """A trigger evaluated every `interval` (ISO-8601 duration, default one minute)."""

    #: How often the trigger is evaluated (ISO-8601 duration).
    interval: str = "PT60S"

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_duration(value)
        return value


AnyTrigger = Annotated[SerializeAsAny[Trigger], typed_field(Category.TRIGGER, "trigger")]
