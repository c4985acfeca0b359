"""Conditions combining others, evaluating an expression, or waiting for several flows."""

from __future__ import annotations

from pydantic import Field, field_validator

from tercel.model.condition import AnyCondition, Condition
from tercel.model.durations import parse_duration
from tercel.model.registry import Category, plugin
from tercel.plugins.core.condition.names import LEGACY_PREFIX, condition_type, legacy_aliases


@plugin(
    condition_type("Expression"),
    category=Category.CONDITION,
    aliases=legacy_aliases("Expression", "VariableCondition"),
)
class Expression(Condition):
    """True when `expression` renders to anything but blank or ``false`` (``0`` is true)."""

    schedule_capable = True
    expression: str


@plugin(condition_type("Not"), category=Category.CONDITION, aliases=legacy_aliases("Not"))
class Not(Condition):
    """True when none of `conditions` is true."""

    schedule_capable = True
    conditions: list[AnyCondition] = Field(min_length=1)


@plugin(condition_type("Or"), category=Category.CONDITION, aliases=legacy_aliases("Or"))
class Or(Condition):
    """True when at least one of `conditions` is true."""

    schedule_capable = True
    conditions: list[AnyCondition] = Field(min_length=1)


@plugin(
    condition_type("MultipleCondition"),
    category=Category.CONDITION,
    aliases=(f"{LEGACY_PREFIX}MultipleCondition",),
)
class MultipleCondition(Condition):
    """Deprecated (use Flow trigger `preconditions`): all named conditions true in a window."""

    id: str
    window: str = "P1D"
    window_advance: str | None = None
    conditions: dict[str, AnyCondition] = Field(min_length=1)
    reset_on_success: bool = True

    @field_validator("window", "window_advance")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value
