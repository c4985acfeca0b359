"""Conditions on the upstream execution (used by Flow triggers and listeners)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from tercel.model.condition import Condition
from tercel.model.labels import LabelsField
from tercel.model.registry import Category, plugin
from tercel.plugins.core.condition.names import condition_type, legacy_aliases
from tercel.plugins.core.condition.states import StateName


@plugin(
    condition_type("ExecutionStatus"),
    category=Category.CONDITION,
    aliases=legacy_aliases("ExecutionStatus"),
)
class ExecutionStatus(Condition):
    """True when the upstream execution's state is in `in` (if set) and not in `notIn`."""

    in_: list[StateName] | None = Field(default=None, alias="in")
    not_in: list[StateName] | None = None


@plugin(
    condition_type("ExecutionFlow"),
    category=Category.CONDITION,
    aliases=legacy_aliases("ExecutionFlow"),
)
class ExecutionFlow(Condition):
    """True when the upstream execution belongs to flow `namespace`.`flowId`."""

    namespace: str
    flow_id: str


class NamespaceComparison(StrEnum):
    """How `ExecutionNamespace` compares namespaces."""

    EQUALS = "EQUALS"
    PREFIX = "PREFIX"
    SUFFIX = "SUFFIX"


@plugin(
    condition_type("ExecutionNamespace"),
    category=Category.CONDITION,
    aliases=legacy_aliases("ExecutionNamespace"),
)
class ExecutionNamespace(Condition):
    """True when the upstream namespace equals (or starts/ends with) `namespace`."""

    namespace: str
    comparison: NamespaceComparison | None = None
    prefix: bool = False


@plugin(
    condition_type("ExecutionLabels"),
    category=Category.CONDITION,
    aliases=legacy_aliases("ExecutionLabels"),
)
class ExecutionLabels(Condition):
    """True when the upstream execution has all `labels`."""

    labels: LabelsField


@plugin(
    condition_type("ExecutionOutputs"),
    category=Category.CONDITION,
    aliases=legacy_aliases("ExecutionOutputs"),
)
class ExecutionOutputs(Condition):
    """True when the upstream execution has outputs and `expression` renders truthy."""

    schedule_capable = True
    expression: str


@plugin(
    condition_type("HasRetryAttempt"),
    category=Category.CONDITION,
    aliases=legacy_aliases("HasRetryAttempt"),
)
class HasRetryAttempt(Condition):
    """True when some task-run attempt of the upstream execution is in `in`/not in `notIn`."""

    in_: list[StateName] | None = Field(default=None, alias="in")
    not_in: list[StateName] | None = None


@plugin(
    condition_type("FlowCondition"),
    category=Category.CONDITION,
    aliases=("io.kestra.core.models.conditions.types.FlowCondition",),
)
class FlowCondition(Condition):
    """Deprecated: true for the flow `namespace`.`flowId` itself."""

    namespace: str
    flow_id: str


@plugin(
    condition_type("FlowNamespaceCondition"),
    category=Category.CONDITION,
    aliases=("io.kestra.core.models.conditions.types.FlowNamespaceCondition",),
)
class FlowNamespaceCondition(Condition):
    """Deprecated: true when the flow's namespace equals (or starts with) `namespace`."""

    namespace: str
    prefix: bool = False
