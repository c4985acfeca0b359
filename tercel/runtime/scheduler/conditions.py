"""Condition evaluation, one function per condition class (Kestra §7.6).

    ok = evaluate_all(trigger.conditions, ConditionContext(flow=flow, upstream=execution))

A condition type with no evaluator here is reported as an error rather than ignored, so
that a trigger never fires on a condition nobody checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar

from tercel.engine.execution import Execution
from tercel.errors import TercelError
from tercel.model.condition import Condition
from tercel.model.flow import Flow
from tercel.plugins.core.condition import dates, execution, logic


class ConditionError(TercelError):
    """A condition could not be evaluated (unknown type, unreadable date...)."""


@dataclass(frozen=True, slots=True)
class ConditionContext:
    """What a condition may look at: the triggered flow, the upstream execution, the date."""

    flow: Flow
    upstream: Execution | None = None
    #: The schedule date being considered (Schedule triggers).
    date: datetime | None = None
    #: `trigger.*` variables (rendered expressions see them).
    variables: Mapping[str, Any] = field(default_factory=dict)

    def render_context(self) -> dict[str, Any]:
        """The variables an `Expression` renders with."""
        context: dict[str, Any] = {
            "flow": {"id": self.flow.id, "namespace": self.flow.namespace},
            "trigger": dict(self.variables),
        }
        if self.upstream is not None:
            context["execution"] = {
                "id": self.upstream.id,
                "state": self.upstream.state.current.value,
                "namespace": self.upstream.namespace,
                "flowId": self.upstream.flow_id,
            }
            context["labels"] = self.upstream.label_map()
        return context


def render(template: str, ctx: ConditionContext) -> str:
    """Render a template with the condition's variables."""
    from tercel.templating import render as render_template

    return render_template(template, ctx.render_context())


C = TypeVar("C", bound=Condition)
Evaluator = Callable[[Any, ConditionContext], bool]
_EVALUATORS: dict[type[Condition], Evaluator] = {}


def evaluator(cls: type[C]) -> Callable[[Callable[[C, ConditionContext], bool]], Evaluator]:
    """Register the evaluation of a condition class."""

    def register(function: Callable[[C, ConditionContext], bool]) -> Evaluator:
        _EVALUATORS[cls] = function
        return function

    return register


def evaluate(condition: Condition, ctx: ConditionContext) -> bool:
    """Whether one condition holds."""
    for cls in type(condition).__mro__:
        function = _EVALUATORS.get(cls)
        if function is not None:
            return function(condition, ctx)
    raise ConditionError(f"condition type `{condition.type}` cannot be evaluated yet")


def evaluate_all(conditions: Sequence[Condition], ctx: ConditionContext) -> bool:
    """Whether every condition holds (an empty list holds)."""
    return all(evaluate(condition, ctx) for condition in conditions)


def execution_conditions(conditions: Sequence[Condition], flow: Flow, execution: Execution) -> bool:
    """Whether `conditions` hold for `execution` of `flow` (flow `listeners`: the engine's
    `ConditionCheck`); ConditionError when one cannot be evaluated."""
    return evaluate_all(conditions, ConditionContext(flow=flow, upstream=execution))


def _upstream(ctx: ConditionContext, what: str) -> Execution:
    if ctx.upstream is None:
        raise ConditionError(f"{what} needs an upstream execution (use it in a Flow trigger)")
    return ctx.upstream


# -- logic -----------------------------------------------------------------------------------
@evaluator(logic.Expression)
def _expression(condition: logic.Expression, ctx: ConditionContext) -> bool:
    from tercel.templating import is_condition_true

    return is_condition_true(render(condition.expression, ctx))


@evaluator(logic.Not)
def _not(condition: logic.Not, ctx: ConditionContext) -> bool:
    # Kestra's Not: true when none of its conditions is true.
    return not any(evaluate(c, ctx) for c in condition.conditions)


@evaluator(logic.Or)
def _or(condition: logic.Or, ctx: ConditionContext) -> bool:
    return any(evaluate(c, ctx) for c in condition.conditions)


# -- upstream execution ---------------------------------------------------------------------
@evaluator(execution.ExecutionStatus)
def _status(condition: execution.ExecutionStatus, ctx: ConditionContext) -> bool:
    state = _upstream(ctx, "ExecutionStatus").state.current.value
    if condition.in_ is not None and state not in [str(s) for s in condition.in_]:
        return False
    return not (condition.not_in is not None and state in [str(s) for s in condition.not_in])


@evaluator(execution.ExecutionFlow)
def _flow(condition: execution.ExecutionFlow, ctx: ConditionContext) -> bool:
    upstream = _upstream(ctx, "ExecutionFlow")
    return (upstream.namespace, upstream.flow_id) == (condition.namespace, condition.flow_id)


def namespace_matches(actual: str, expected: str, comparison: str) -> bool:
    """EQUALS / PREFIX / SUFFIX comparison of namespaces."""
    if comparison == "PREFIX":
        return actual.startswith(expected)
    if comparison == "SUFFIX":
        return actual.endswith(expected)
    return actual == expected


@evaluator(execution.ExecutionNamespace)
def _namespace(condition: execution.ExecutionNamespace, ctx: ConditionContext) -> bool:
    upstream = _upstream(ctx, "ExecutionNamespace")
    comparison = (
        str(condition.comparison)
        if condition.comparison is not None
        else ("PREFIX" if condition.prefix else "EQUALS")
    )
    return namespace_matches(upstream.namespace, condition.namespace, comparison)


@evaluator(execution.ExecutionLabels)
def _labels(condition: execution.ExecutionLabels, ctx: ConditionContext) -> bool:
    labels = _upstream(ctx, "ExecutionLabels").label_map()
    return all(labels.get(key) == value for key, value in condition.labels.items())


@evaluator(execution.ExecutionOutputs)
def _outputs(condition: execution.ExecutionOutputs, ctx: ConditionContext) -> bool:
    from tercel.templating import is_condition_true

    upstream = _upstream(ctx, "ExecutionOutputs")
    if not upstream.outputs:
        return False
    return is_condition_true(render(condition.expression, ctx))


@evaluator(execution.HasRetryAttempt)
def _retried(condition: execution.HasRetryAttempt, ctx: ConditionContext) -> bool:
    upstream = _upstream(ctx, "HasRetryAttempt")
    states = {
        attempt.state.current.value
        for task_run in upstream.task_run_list
        if len(task_run.attempts) > 1
        for attempt in task_run.attempts
    }
    if condition.in_ is not None:
        states &= {str(s) for s in condition.in_}
    if condition.not_in is not None:
        states -= {str(s) for s in condition.not_in}
    return bool(states)


@evaluator(execution.FlowCondition)
def _this_flow(condition: execution.FlowCondition, ctx: ConditionContext) -> bool:
    return (ctx.flow.namespace, ctx.flow.id) == (condition.namespace, condition.flow_id)


@evaluator(execution.FlowNamespaceCondition)
def _this_namespace(condition: execution.FlowNamespaceCondition, ctx: ConditionContext) -> bool:
    comparison = "PREFIX" if condition.prefix else "EQUALS"
    return namespace_matches(ctx.flow.namespace, condition.namespace, comparison)


# -- dates -------------------------------------------------------------------------------------
def condition_date(condition: dates.DateCondition, ctx: ConditionContext) -> datetime:
    """The date a date condition judges: `date` rendered (default: the trigger date)."""
    if condition.date == dates.TRIGGER_DATE and ctx.date is not None:
        return ctx.date
    text = render(condition.date, ctx).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConditionError(f"date: `{text}` is not an ISO-8601 date-time") from None


def _parse_time(text: str) -> time:
    return time.fromisoformat(text.replace("Z", "+00:00"))


@evaluator(dates.DateTimeBetween)
def _between(condition: dates.DateTimeBetween, ctx: ConditionContext) -> bool:
    moment = condition_date(condition, ctx)
    if condition.after is not None:
        after = datetime.fromisoformat(condition.after.replace("Z", "+00:00"))
        if moment < after:
            return False
    if condition.before is not None:
        before = datetime.fromisoformat(condition.before.replace("Z", "+00:00"))
        if moment > before:
            return False
    return True


@evaluator(dates.TimeBetween)
def _time_between(condition: dates.TimeBetween, ctx: ConditionContext) -> bool:
    moment = condition_date(condition, ctx)

    def as_local(text: str) -> time:
        parsed = _parse_time(text)
        if parsed.tzinfo is not None and moment.tzinfo is not None:
            anchor = datetime.combine(moment.date(), parsed)
            return anchor.astimezone(moment.tzinfo).time().replace(tzinfo=None)
        return parsed.replace(tzinfo=None)

    current = moment.time().replace(tzinfo=None)
    if condition.after is not None and current < as_local(condition.after):
        return False
    return not (condition.before is not None and current > as_local(condition.before))


@evaluator(dates.DayWeek)
def _day_week(condition: dates.DayWeek, ctx: ConditionContext) -> bool:
    return day_name(condition_date(condition, ctx)) == str(condition.day_of_week)


_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def day_name(moment: date) -> str:
    """Java's DayOfWeek name (not locale-dependent, unlike strftime)."""
    return _DAYS[moment.weekday()]


_ORDINALS = {"FIRST": 0, "SECOND": 1, "THIRD": 2, "FOURTH": 3}


def in_month_position(day: date) -> tuple[int, bool]:
    """(0-based index of this weekday in its month, whether it is the last one)."""
    index = (day.day - 1) // 7
    last = (day.day + 7) > _days_in_month(day)
    return index, last


def _days_in_month(day: date) -> int:
    import calendar

    return calendar.monthrange(day.year, day.month)[1]


@evaluator(dates.DayWeekInMonth)
def _day_week_in_month(condition: dates.DayWeekInMonth, ctx: ConditionContext) -> bool:
    moment = condition_date(condition, ctx)
    if day_name(moment) != str(condition.day_of_week):
        return False
    index, last = in_month_position(moment.date())
    position = str(condition.day_in_month)
    return last if position == "LAST" else index == _ORDINALS[position]


@evaluator(dates.Weekend)
def _weekend(condition: dates.Weekend, ctx: ConditionContext) -> bool:
    return condition_date(condition, ctx).weekday() >= 5
