"""Creating executions (root, subflow, retried) and their per-execution services."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.engine.execution import Execution, ExecutionTrigger, Label
from tercel.engine.state import State, StateTrail
from tercel.errors import InputError, NotFoundError, TercelError
from tercel.ids import short_id
from tercel.runtime.inputs import _field
from tercel.runtime.services import ExecutionServices, SecretSource
from tercel.storage.tenant import tenant_storage
from tercel.store.tenant_kv import TenantKV

if TYPE_CHECKING:
    from tercel.engine.api import RetryExecution, StartSubflow
    from tercel.model.flow import Flow
    from tercel.runtime.flows import FlowResolver
    from tercel.secrets.masking import SecretMasker
    from tercel.storage.access import Upstream
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store

ENV_PREFIX = "KESTRA_"
CORRELATION_ID = "system.correlationId"


def envs_from(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``envs.*`` of templates: ``KESTRA_FOO_BAR`` → ``foo_bar`` (Kestra §9.2)."""
    source = os.environ if environ is None else environ
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in source.items()
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX)
    }


def merge_labels(*groups: Iterable[Label]) -> list[Label]:
    """Labels in order, a later label replacing an earlier one with the same key."""
    merged: dict[str, Label] = {}
    for group in groups:
        for label in group:
            merged.pop(label.key, None)
            merged[label.key] = Label(label.key, str(label.value))
    return list(merged.values())


def flow_labels(flow: Flow) -> list[Label]:
    """A flow's `labels` as execution labels (values as strings)."""
    labels: Any = flow.labels
    if isinstance(labels, Mapping):
        return [Label(str(k), _label_text(v)) for k, v in labels.items()]
    return [Label(str(item["key"]), _label_text(item["value"])) for item in labels or []]


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ExecutionFactory:
    """Builds executions with typed inputs and the services their templates use."""

    def __init__(
        self,
        *,
        store: Store,
        storage: InternalStorage,
        flows: FlowResolver,
        secrets: SecretSource,
        masker: SecretMasker,
        clock: Callable[[], datetime],
        files_root: Path | None = None,
    ) -> None:
        self.store = store
        self.storage = storage
        self.flows = flows
        self.secrets = secrets
        self.masker = masker
        self.clock = clock
        self.files_root = files_root
        #: Called before a template reads the execution's logs (flushes buffered lines).
        self.before_log_read: Callable[[], None] | None = None
        #: ``(flow, tenant) -> {envs, globals, namespace...}`` for input expressions
        #: (`LocalRuntime` sets it to the executor's; none of these when None).
        self.environment_of: Callable[[Flow, str], Mapping[str, Any]] | None = None

    # -- services ------------------------------------------------------------------------
    def services_for(self, flow: Flow, execution: Execution) -> ExecutionServices:
        """The template services of one execution."""
        from tercel.storage.access import Upstream

        readable: tuple[Upstream, ...] = ()
        if execution.trigger is not None:
            upstream = Upstream.from_trigger(execution.trigger.variables)
            if upstream is not None:
                readable = (upstream,)
        if execution.parent_id:
            readable = (*readable, Upstream(execution.parent_id))
        return self._services(flow, execution.id, execution.tenant_id, readable)

    def _services(
        self, flow: Flow, execution_id: str, tenant: str, readable: tuple[Upstream, ...] = ()
    ) -> ExecutionServices:

        def error_logs() -> list[dict[str, Any]]:
            if self.before_log_read is not None:
                self.before_log_read()
            return [
                entry.to_wire()
                for entry in self.store.logs.list(execution_id, min_level="ERROR", tenant=tenant)
            ]

        return ExecutionServices(
            tenant_id=tenant,
            namespace=flow.namespace,
            flow_id=flow.id,
            execution_id=execution_id,
            secrets=self.secrets,
            masker=self.masker,
            kv_store=TenantKV(self.store.kv, tenant),
            storage=tenant_storage(self.storage, tenant),
            error_logs=error_logs,
            files_root=self.files_root,
            upstream=readable,
        )

    # -- inputs --------------------------------------------------------------------------
    def typed_inputs(
        self,
        flow: Flow,
        raw: Mapping[str, Any],
        execution_id: str,
        *,
        local_files: bool,
        tenant: str = "main",
        require: bool = True,
    ) -> dict[str, Any]:
        """Type and validate `raw` against the flow's declarations (InputError if wrong).

        With `local_files`, a FILE input's value is a local path, uploaded to internal
        storage at ``.../executions/<id>/inputs/<input>/<name>``. Input expressions
        (``dependsOn.condition``, SELECT ``expression``, templated ``defaults``) see the
        inputs resolved before them, ``flow``, ``execution.id``, ``envs``, ``globals`` and
        ``namespace``, with the execution's template services (``secret()``, ``kv()``...).
        `require` false leaves a missing required input null instead of refusing it.
        """
        from tercel.runtime.inputs import resolve_execution_inputs

        context: dict[str, Any] = dict(
            self.environment_of(flow, tenant) if self.environment_of is not None else {}
        )
        context["flow"] = {
            "id": flow.id,
            "namespace": flow.namespace,
            "revision": flow.revision or 1,
            "tenantId": tenant,
        }
        context["execution"] = {"id": execution_id}
        inputs = resolve_execution_inputs(
            flow,
            raw,
            execution_id=execution_id,
            storage=tenant_storage(self.storage, tenant),
            local_files=local_files,
            context=context,
            services=self._services(flow, execution_id, tenant),
            require=require,
        )
        for declared in flow.inputs:
            if _field(declared, "type", None) == "SECRET":
                value = inputs.get(str(_field(declared, "id", "")))
                if isinstance(value, str):
                    self.masker.add(value)
        return inputs

    # -- executions ----------------------------------------------------------------------
    def new_execution(
        self,
        flow: Flow,
        *,
        inputs: Mapping[str, Any] | None = None,
        labels: Iterable[Label] = (),
        trigger: ExecutionTrigger | None = None,
        execution_id: str | None = None,
        local_files: bool = False,
        tenant_id: str = "main",
        require_inputs: bool = True,
    ) -> Execution:
        """A CREATED root execution with typed inputs (InputError if they are wrong).

        `require_inputs` false: a required input without a value is left null (executions
        that Flow triggers create, as Kestra creates them).
        """
        execution_id = execution_id or short_id()
        typed = self.typed_inputs(
            flow,
            inputs or {},
            execution_id,
            local_files=local_files,
            tenant=tenant_id,
            require=require_inputs,
        )
        now = self.clock()
        return Execution(
            id=execution_id,
            namespace=flow.namespace,
            flow_id=flow.id,
            flow_revision=flow.revision or 1,
            state=StateTrail.start(now, State.CREATED),
            tenant_id=tenant_id,
            inputs=typed,
            labels=merge_labels(flow_labels(flow), labels, [Label(CORRELATION_ID, execution_id)]),
            trigger=trigger,
            original_created_date=now,
        )

    def subflow_execution(self, parent: Execution, effect: StartSubflow) -> tuple[Flow, Execution]:
        """The child execution a Subflow/ForEachItem task asked for (TercelError if it can't)."""
        try:
            flow = self.flows.resolve(
                effect.namespace, effect.flow_id, effect.revision, parent.tenant_id
            )
        except NotFoundError as error:
            raise TercelError(
                f"cannot start subflow `{effect.namespace}.{effect.flow_id}`: {error}"
            ) from error
        if flow.disabled:
            raise TercelError(
                f"cannot start subflow `{effect.namespace}.{effect.flow_id}`: it is disabled"
            )
        try:
            typed = self.typed_inputs(
                flow,
                effect.inputs,
                effect.execution_id,
                local_files=False,
                tenant=parent.tenant_id,
            )
        except InputError as error:
            raise TercelError(f"invalid inputs for subflow `{flow.id}`: {error}") from error
        now = self.clock()
        labels = merge_labels(flow_labels(flow), effect.labels)
        if not any(label.key == CORRELATION_ID for label in labels):
            correlation = parent.label_map().get(CORRELATION_ID, parent.id)
            labels.append(Label(CORRELATION_ID, correlation))
        child = Execution(
            id=effect.execution_id,
            namespace=flow.namespace,
            flow_id=flow.id,
            flow_revision=flow.revision or 1,
            state=StateTrail.start(now, State.CREATED),
            tenant_id=parent.tenant_id,
            inputs=typed,
            labels=labels,
            parent_id=parent.id,
            trigger=effect.trigger,
            original_created_date=now,
            schedule_date=effect.schedule_date,
        )
        return flow, child

    def retried_execution(
        self, flow: Flow, execution: Execution, effect: RetryExecution
    ) -> Execution:
        """The new execution of a `CREATE_NEW_EXECUTION` retry."""
        from tercel.engine.lifecycle import replay

        retried: Execution = replay(execution, None, self.clock(), new_id=short_id)
        retried.attempt_number = effect.attempt_number
        correlation = execution.label_map().get(CORRELATION_ID, execution.id)
        retried.labels = merge_labels(retried.labels, [Label(CORRELATION_ID, correlation)])
        return retried
