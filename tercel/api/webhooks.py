"""``/api/v1/{tenant}/executions/webhook/{namespace}/{flowId}/{key}``: start a flow by HTTP.

Answers 404 for an unknown flow or key, 204 when the trigger's conditions are false, 422
for bad inputs, else 200 with the execution (its outputs with `returnOutputs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tercel.api.context import ApiContext, Ctx
from tercel.api.executions import execution_json
from tercel.api.flows import executable_flow
from tercel.engine.execution import ExecutionTrigger, Label
from tercel.errors import NotFoundError
from tercel.ids import short_id
from tercel.model.flow import Flow
from tercel.runtime.scheduler.conditions import ConditionContext, evaluate_all
from tercel.runtime.scheduler.launcher import render_inputs
from tercel.runtime.scheduler.webhook import find_webhook, webhook_variables
from tercel.templating.services import NoServices

router = APIRouter(prefix="/api/v1/{tenant}/executions/webhook", tags=["Executions"])


class _KeyServices(NoServices):
    """Template services for a webhook key: only `secret()`."""

    def __init__(self, lookup: Callable[[str, str, str], str], tenant: str, namespace: str) -> None:
        self._lookup = lookup
        self._tenant = tenant
        self._namespace = namespace

    def secret(self, name: str) -> str:
        """A secret of the flow's namespace (or its parents, or SECRET_* variables)."""
        return self._lookup(self._tenant, self._namespace, name)


def key_renderer(ctx: ApiContext, tenant: str, flow: Flow) -> Callable[[str], str]:
    """Renders a dynamic key such as ``{{ secret('WEBHOOK_KEY') }}``."""
    from tercel.templating import render

    lookup = ctx.secret_lookup
    services = _KeyServices(lookup, tenant, flow.namespace) if lookup is not None else None
    context = {"flow": {"id": flow.id, "namespace": flow.namespace}}

    def render_key(text: str) -> str:
        return render(text, context, services=services)

    return render_key


async def webhook(
    *, tenant: str, namespace: str, flow_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    """Create an execution with `trigger.body`, `trigger.headers` and `trigger.parameters`.

    Served by the key alone, with or without server authentication (Kestra's open URLs);
    an address that sent too many wrong keys gets 429 before its key is even looked at.
    """
    client = request.client.host if request.client is not None else ""
    wait = ctx.webhook_failures.retry_after(client)
    if wait is not None:
        raise HTTPException(
            429,
            "too many webhook requests with a wrong key from this address; "
            f"retry in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    record = ctx.current_flow(tenant, namespace, flow_id)
    flow = executable_flow(ctx, record) if record is not None else None
    trigger = (
        find_webhook(flow, key, key_renderer(ctx, tenant, flow))
        if flow is not None and not flow.disabled
        else None
    )
    if trigger is not None and flow is not None:
        state = ctx.trigger_state(tenant, namespace, flow_id, trigger.id)
        if state is not None and state.disabled:
            trigger = None  # disabled through the API or by `stopAfter`
    if flow is None or trigger is None:
        # Same answer for an unknown flow and a wrong key: the key is a secret.
        ctx.webhook_failures.failed(client)
        raise NotFoundError(f"no webhook `{namespace}.{flow_id}` with this key")
    variables = webhook_variables(
        await request.body(),
        request.headers.items(),
        request.query_params.multi_items(),
    )
    condition_ctx = ConditionContext(flow=flow, variables=variables)
    if trigger.conditions and not evaluate_all(trigger.conditions, condition_ctx):
        return Response(status_code=204)
    runtime = ctx.require_runtime()
    execution = await runtime.start(
        flow,
        render_inputs(trigger, {"trigger": variables}),
        [Label(k, str(v)) for k, v in trigger.labels.items()],
        execution_id=short_id(),
        tenant=tenant,
        trigger=ExecutionTrigger(trigger.id, trigger.type, variables),
    )
    if trigger.wait:
        execution = await runtime.wait(execution.id)
        if trigger.return_outputs:
            outputs: Any = execution.outputs or {}
            return JSONResponse(ctx.shown(outputs))
    return JSONResponse(execution_json(ctx, execution, url=True))


for _method in ("GET", "POST", "PUT"):
    # One route per method: OpenAPI needs a distinct operation id for each.
    router.add_api_route(
        "/{namespace}/{flow_id}/{key}",
        webhook,
        methods=[_method],
        operation_id=f"webhook_{_method.lower()}",
        summary="Start a flow through its Webhook trigger",
    )
