"""The base of every condition (Kestra §7.6) and the polymorphic `AnyCondition` field."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import SerializeAsAny

from tercel.model.base import KestraModel
from tercel.model.polymorphic import typed_field
from tercel.model.registry import Category


class Condition(KestraModel):
    """A condition: decides whether a trigger (or a listener) fires.

    Evaluation comes with the trigger runtime; a condition class will then implement
    ``def test(self, context: ConditionContext) -> bool`` (given the upstream execution,
    the flow, the trigger date and a `render` function). These are declarations only.
    """

    #: Schedule triggers evaluate only conditions that can judge a date (Kestra's
    #: ScheduleCondition: date-based ones, Expression, Not, Or...).
    schedule_capable: ClassVar[bool] = False

    type: str


AnyCondition = Annotated[SerializeAsAny[Condition], typed_field(Category.CONDITION, "condition")]
