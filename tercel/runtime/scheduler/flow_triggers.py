"""Flow triggers: start a flow when another flow's execution changes state (Kestra §7.3).

`FlowTriggers.on_step` is an executor listener: it sees every execution after each step
and, when the execution's state changed, starts the flows whose Flow trigger matches:
the state is in `states` (default: terminal states), every plain condition holds, and every
window is complete: a deprecated `MultipleCondition` or the `preconditions` (each listed
upstream flow and each `where` group seen within the time window). A flow never triggers
itself. A condition that cannot be evaluated (a template error...) is false for that event
only, so one bad condition never silences the trigger for the other events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from tercel.engine.state import State
from tercel.errors import TercelError
from tercel.model.condition import Condition
from tercel.model.durations import parse_duration
from tercel.model.trigger import TERMINAL_STATES
from tercel.plugins.core.condition.logic import MultipleCondition
from tercel.plugins.core.trigger.flow import Filter, FlowTrigger, UpstreamFlow, Where
from tercel.runtime.scheduler.conditions import ConditionContext
from tercel.runtime.scheduler.conditions import evaluate as evaluate_condition
from tercel.runtime.scheduler.launcher import TriggerIndex, launch
from tercel.store.records import TriggerState

if TYPE_CHECKING:
    from collections.abc import Callable

    from tercel.engine.execution import Execution
    from tercel.model.flow import Flow
    from tercel.server import ServerRuntime
    from tercel.store.api import Store

_log = logging.getLogger(__name__)

#: Preconditions without a time window count upstream executions of the last day.
DEFAULT_WINDOW = "P1D"


def upstream_variables(execution: Execution) -> dict[str, Any]:
    """`trigger.*` of an execution started by a Flow trigger."""
    return {
        "executionId": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "state": execution.state.current.value,
        "outputs": execution.outputs or {},
        "labels": execution.label_map(),
    }


def upstream_context(execution: Execution) -> dict[str, Any]:
    """The upstream execution's variables, in which the trigger's `inputs` are rendered."""
    outputs: dict[str, Any] = {}
    for task_run in execution.task_run_list:
        if task_run.outputs is not None:
            outputs[task_run.task_id] = task_run.outputs
    return {
        "execution": {"id": execution.id, "state": execution.state.current.value},
        "flow": {"id": execution.flow_id, "namespace": execution.namespace},
        "inputs": execution.inputs or {},
        "outputs": outputs,
        "labels": execution.label_map(),
    }


class FlowTriggers:
    """Evaluates every Flow trigger against each execution state change."""

    def __init__(
        self, store: Store, runtime: ServerRuntime, index: TriggerIndex | None = None
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.index = index or TriggerIndex(store)
        self._seen: dict[str, State] = {}
        #: Called after `stop_after` disabled a trigger (the API's cached trigger states).
        self.on_disabled: list[Callable[[], None]] = []

    def on_step(self, execution: Execution) -> None:
        """Executor listener: act when the execution's state changed since last seen."""
        state = execution.state.current
        if self._seen.get(execution.id) is state:
            return
        if state.is_terminated:
            self._seen.pop(execution.id, None)
        else:
            self._seen[execution.id] = state
        try:
            if state.is_terminated:
                self.stop_after(execution)
            self.evaluate(execution)
        except Exception:  # noqa: BLE001 - a trigger bug must not break the executor
            _log.exception("flow triggers failed for execution %s", execution.id)

    def stop_after(self, execution: Execution) -> bool:
        """Disable the trigger that created `execution` if its `stopAfter` lists the end state."""
        if execution.trigger is None:
            return False
        for tenant, flow, trigger in (
            (item.tenant, item.flow, item.trigger) for item in self.index.refresh()
        ):
            if (
                tenant == execution.tenant_id
                and (flow.namespace, flow.id) == (execution.namespace, execution.flow_id)
                and trigger.id == execution.trigger.id
                and trigger.stop_after
                and execution.state.current.value in trigger.stop_after
            ):
                state = self.store.triggers.find(
                    flow.namespace, flow.id, trigger.id, tenant=tenant
                ) or TriggerState(tenant, flow.namespace, flow.id, trigger.id)
                state.disabled = True
                self.store.triggers.save(state)
                for listener in self.on_disabled:
                    listener()
                _log.info(
                    "trigger %s.%s.%s stopped after %s",
                    flow.namespace,
                    flow.id,
                    trigger.id,
                    execution.state.current.value,
                )
                return True
        return False

    def evaluate(self, upstream: Execution) -> list[Execution]:
        """Start every flow whose Flow trigger matches this execution's current state.

        Kestra's order: the trigger's `states`, then its plain conditions (a condition that
        cannot be evaluated counts as false for this event only), then every remembered
        window (`MultipleCondition`s and `preconditions`) records what this event satisfies,
        and the trigger fires when all of them are complete.
        """
        created = []
        for tenant, flow, trigger in self.index.of_type(FlowTrigger):
            if tenant != upstream.tenant_id:
                continue
            if (flow.namespace, flow.id) == (upstream.namespace, upstream.flow_id):
                continue  # a flow never triggers itself
            states = [str(s) for s in trigger.states] if trigger.states else TERMINAL_STATES
            if upstream.state.current.value not in states:
                continue
            stored = self.store.triggers.find(flow.namespace, flow.id, trigger.id, tenant=tenant)
            if stored is not None and stored.disabled:
                continue
            variables = upstream_variables(upstream)
            ctx = ConditionContext(flow=flow, upstream=upstream, variables=variables)
            plain = [c for c in trigger.conditions if not isinstance(c, MultipleCondition)]
            if not all(_holds(condition, ctx, trigger.id) for condition in plain):
                continue
            windows = condition_windows(trigger, ctx)
            if windows and not self._windows(tenant, flow, trigger, windows):
                continue
            try:
                created.append(
                    launch(
                        self.runtime,
                        tenant,
                        self.index.executable(tenant, flow),
                        trigger,
                        variables,
                        context=upstream_context(upstream),
                        # Kestra creates the execution with the rendered inputs as given.
                        require_inputs=False,
                    )
                )
            except TercelError as error:
                _log.warning(
                    "flow trigger %s.%s.%s: %s", flow.namespace, flow.id, trigger.id, error
                )
        return created

    def _windows(
        self, tenant: str, flow: Flow, trigger: FlowTrigger, windows: list[ConditionWindow]
    ) -> bool:
        """Record what this event satisfies in each window; true once every window is full."""
        now = datetime.now(UTC)
        state = self.store.triggers.find(
            flow.namespace, flow.id, trigger.id, tenant=tenant
        ) or TriggerState(tenant, flow.namespace, flow.id, trigger.id)
        stored: dict[str, dict[str, str]] = dict(state.extra.get("windows", {}))
        complete = True
        for window in windows:
            span = parse_duration(window.window)
            seen = {
                name: moment
                for name, moment in dict(stored.get(window.id, {})).items()
                if name in window.checks and datetime.fromisoformat(moment) + span >= now
            }
            for name, check in window.checks.items():
                if check():
                    seen[name] = now.isoformat()
            full = all(name in seen for name in window.checks)
            complete = complete and full
            # As in Kestra, a full window starts over unless `resetOnSuccess: false`.
            stored[window.id] = {} if full and window.reset_on_success else seen
        state.extra = {**state.extra, "windows": stored}
        self.store.triggers.save(state)
        return complete


@dataclass(frozen=True, slots=True)
class ConditionWindow:
    """Named checks that must all have held within `window` (MultipleCondition, preconditions).

    Each check judges the current upstream execution alone; the window remembers which
    ones held and when.
    """

    id: str
    window: str
    reset_on_success: bool
    checks: dict[str, Callable[[], bool]]


def condition_windows(trigger: FlowTrigger, ctx: ConditionContext) -> list[ConditionWindow]:
    """The trigger's deprecated `MultipleCondition`s and its `preconditions`, as windows."""
    windows = [
        ConditionWindow(
            f"multiple:{condition.id}",
            condition.window or DEFAULT_WINDOW,
            condition.reset_on_success,
            {
                name: partial(_holds, member, ctx, trigger.id)
                for name, member in condition.conditions.items()
            },
        )
        for condition in trigger.conditions
        if isinstance(condition, MultipleCondition)
    ]
    preconditions = trigger.preconditions
    if preconditions is not None and (preconditions.flows or preconditions.where):
        upstream = ctx.upstream
        assert upstream is not None
        checks: dict[str, Callable[[], bool]] = {}
        for index, expected in enumerate(preconditions.flows or []):
            checks[f"flow:{index}"] = partial(upstream_flow_matches, expected, upstream)
        for group in preconditions.where or []:
            checks[f"where:{group.id}"] = partial(_group_holds, group, upstream, trigger.id)
        window = (
            preconditions.time_window.window
            if preconditions.time_window is not None and preconditions.time_window.window
            else DEFAULT_WINDOW
        )
        windows.append(
            ConditionWindow(
                f"preconditions:{preconditions.id}",
                window,
                preconditions.reset_on_success,
                checks,
            )
        )
    return windows


def _holds(condition: Condition, ctx: ConditionContext, trigger_id: str) -> bool:
    """One condition; one that cannot be evaluated is false for this event (logged)."""
    try:
        return evaluate_condition(condition, ctx)
    except TercelError as error:
        _log.warning(
            "trigger %s: condition `%s` not evaluated: %s", trigger_id, condition.type, error
        )
        return False


def upstream_flow_matches(expected: UpstreamFlow, upstream: Execution) -> bool:
    """One entry of `preconditions.flows` against the upstream execution."""
    if upstream.namespace != expected.namespace:
        return False
    if expected.flow_id is not None and upstream.flow_id != expected.flow_id:
        return False
    # Without `states`, any state the trigger listens to counts (the trigger's `states`
    # were checked first).
    if expected.states and upstream.state.current.value not in [str(s) for s in expected.states]:
        return False
    labels = upstream.label_map()
    return all(labels.get(k) == str(v) for k, v in dict(expected.labels or {}).items())


def _group_holds(group: Where, upstream: Execution, trigger_id: str) -> bool:
    """A `where` group: its filters in order, stopping at the first that decides."""
    try:
        if str(group.operand) == "OR":
            return any(filter_matches(f, upstream) for f in group.filters)
        return all(filter_matches(f, upstream) for f in group.filters)
    except TercelError as error:
        _log.warning("trigger %s: filter group `%s` not evaluated: %s", trigger_id, group.id, error)
        return False


def filter_matches(condition: Filter, upstream: Execution) -> bool:
    """One `where` filter against the upstream execution."""
    field = str(condition.field)
    kind = str(condition.type)
    value: str | None
    if field == "FLOW_ID":
        value = upstream.flow_id
    elif field == "NAMESPACE":
        value = upstream.namespace
    elif field == "STATE":
        value = upstream.state.current.value
    else:  # EXPRESSION: the rendered expression is judged
        from tercel.templating import is_condition_true, render

        rendered = render(condition.value or "", upstream_context(upstream))
        truth = is_condition_true(rendered)
        return not truth if kind == "IS_FALSE" else truth
    expected = condition.value
    options = condition.values or []
    if kind == "EQUAL_TO":
        return value == expected
    if kind == "NOT_EQUAL_TO":
        return value != expected
    if kind == "IS_NULL":
        return value is None
    if kind == "IS_NOT_NULL":
        return value is not None
    if kind == "IS_TRUE":
        return (value or "").lower() == "true"
    if kind == "IS_FALSE":
        return (value or "").lower() == "false"
    if kind == "STARTS_WITH":
        return value is not None and value.startswith(expected or "")
    if kind == "ENDS_WITH":
        return value is not None and value.endswith(expected or "")
    if kind == "REGEX":
        return value is not None and re.fullmatch(expected or "", value) is not None
    if kind == "CONTAINS":
        return value is not None and (expected or "") in value
    if kind == "IN":
        return value in options
    if kind == "NOT_IN":
        return value not in options
    return False
