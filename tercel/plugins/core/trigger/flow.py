"""The Flow trigger: start this flow when another flow's execution changes state."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from tercel.model.base import KestraModel
from tercel.model.labels import LabelsField
from tercel.model.registry import Category, plugin
from tercel.model.trigger import Trigger
from tercel.plugins.core.condition.states import StateName


class FilterField(StrEnum):
    """What a `where` filter looks at in the upstream execution."""

    FLOW_ID = "FLOW_ID"
    NAMESPACE = "NAMESPACE"
    STATE = "STATE"
    EXPRESSION = "EXPRESSION"


class FilterType(StrEnum):
    """How a `where` filter compares."""

    EQUAL_TO = "EQUAL_TO"
    NOT_EQUAL_TO = "NOT_EQUAL_TO"
    IS_NULL = "IS_NULL"
    IS_NOT_NULL = "IS_NOT_NULL"
    IS_TRUE = "IS_TRUE"
    IS_FALSE = "IS_FALSE"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    REGEX = "REGEX"
    CONTAINS = "CONTAINS"
    IN = "IN"
    NOT_IN = "NOT_IN"


class Operand(StrEnum):
    """How the filters of one `where` group combine."""

    AND = "AND"
    OR = "OR"


class UpstreamFlow(KestraModel):
    """One flow that must have completed (in one of `states`) for the trigger to fire."""

    namespace: str
    flow_id: str | None = None
    states: list[StateName] | None = None
    labels: LabelsField | None = None


class Filter(KestraModel):
    """One test on the upstream execution."""

    field: FilterField
    type: FilterType
    value: str | None = None
    values: list[str] | None = None


class Where(KestraModel):
    """A named group of filters, all (AND) or any (OR) of which must hold."""

    id: str
    operand: Operand = Operand.AND
    filters: list[Filter] = Field(min_length=1)


class TimeWindow(KestraModel):
    """The window in which all upstream flows must complete."""

    type: str | None = None
    window: str | None = None
    window_advance: str | None = None
    deadline: str | None = None
    start_time: str | None = None
    end_time: str | None = None


class Preconditions(KestraModel):
    """Fire only when all `flows` and `where` groups were satisfied within `timeWindow`."""

    id: str | None = None
    flows: list[UpstreamFlow] = Field(default_factory=list)
    where: list[Where] = Field(default_factory=list)
    time_window: TimeWindow | None = None
    reset_on_success: bool = True


@plugin(
    "io.kestra.plugin.core.trigger.Flow",
    category=Category.TRIGGER,
    aliases=("io.kestra.core.models.triggers.types.Flow",),
)
class FlowTrigger(Trigger):
    """Start this flow when an execution of another flow reaches one of `states`.

    `states` defaults to every terminal state; `inputs` are rendered in the upstream
    execution's context.
    """

    #: Upstream states that fire the trigger (default: every terminal state).
    states: list[StateName] | None = None
    #: Fire only once all listed flows completed within a time window.
    preconditions: Preconditions | None = None
