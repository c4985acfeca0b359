"""Flow triggers: start a flow when another flow's execution changes state (Kestra §7.3).

`FlowTriggers.on_step` is an executor listener: it sees every execution after each step
and, when the execution's state changed, starts the flows whose Flow trigger matches:
the state is in `states` (default: terminal states), every condition holds, and the
`preconditions` (every listed upstream flow seen within the window) are met. A flow never
triggers itself.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tercel.engine.state import State
from tercel.errors import TercelError
from tercel.model.durations import parse_duration
from tercel.model.trigger import TERMINAL_STATES
from tercel.plugins.core.trigger.flow import Filter, FlowTrigger, Preconditions
from tercel.runtime.scheduler.conditions import ConditionContext, evaluate_all
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
        """Start every flow whose Flow trigger matches this execution's current state."""
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
            try:
                if not evaluate_all(trigger.conditions, ctx):
                    continue
                if trigger.preconditions is not None and not self._preconditions(
                    tenant, flow, trigger, trigger.preconditions, upstream
                ):
                    continue
                created.append(
                    launch(
                        self.runtime,
                        tenant,
                        self.index.executable(tenant, flow),
                        trigger,
                        variables,
                        context=upstream_context(upstream),
                    )
                )
            except TercelError as error:
                _log.warning(
                    "flow trigger %s.%s.%s: %s", flow.namespace, flow.id, trigger.id, error
                )
        return created

    def _preconditions(
        self,
        tenant: str,
        flow: Flow,
        trigger: FlowTrigger,
        preconditions: Preconditions,
        upstream: Execution,
    ) -> bool:
        """Record which listed flows and `where` groups matched; true once all did in the window."""
        if not preconditions.flows and not preconditions.where:
            return True
        now = datetime.now(UTC)
        window_text = (
            preconditions.time_window.window
            if preconditions.time_window is not None and preconditions.time_window.window
            else DEFAULT_WINDOW
        )
        window = parse_duration(window_text)
        state = self.store.triggers.find(
            flow.namespace, flow.id, trigger.id, tenant=tenant
        ) or TriggerState(tenant, flow.namespace, flow.id, trigger.id)
        seen: dict[str, str] = dict(state.extra.get("seen", {}))
        required = [f"flow:{i}" for i in range(len(preconditions.flows))]
        required += [f"where:{group.id}" for group in preconditions.where]
        for index, expected in enumerate(preconditions.flows):
            states = [str(s) for s in expected.states] if expected.states else ["SUCCESS"]
            labels = upstream.label_map()
            if (
                upstream.namespace == expected.namespace
                and expected.flow_id in (None, upstream.flow_id)
                and upstream.state.current.value in states
                and all(labels.get(k) == v for k, v in (expected.labels or {}).items())
            ):
                seen[f"flow:{index}"] = now.isoformat()
        for group in preconditions.where:
            results = [filter_matches(f, upstream) for f in group.filters]
            if all(results) if str(group.operand) == "AND" else any(results):
                seen[f"where:{group.id}"] = now.isoformat()
        seen = {
            key: moment
            for key, moment in seen.items()
            if key in required and datetime.fromisoformat(moment) + window >= now
        }
        satisfied = all(key in seen for key in required)
        if satisfied and preconditions.reset_on_success:
            seen = {}
        state.extra = {**state.extra, "seen": seen}
        self.store.triggers.save(state)
        return satisfied


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
