"""Trigger state: list, enable/disable, unlock (the scheduler owns evaluation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tercel.api.context import Ctx
from tercel.api.wire import instant
from tercel.errors import NotFoundError
from tercel.store.records import TriggerState

router = APIRouter(prefix="/api/v1/{tenant}/triggers", tags=["Triggers"])


def trigger_json(state: TriggerState) -> dict[str, Any]:
    """Kestra's Trigger JSON."""
    return {
        "tenantId": state.tenant,
        "namespace": state.namespace,
        "flowId": state.flow_id,
        "triggerId": state.trigger_id,
        "date": instant(state.date),
        "nextExecutionDate": instant(state.next_execution_date),
        "executionId": state.execution_id,
        "updatedDate": instant(state.updated),
        "evaluateRunningDate": instant(state.locked_until) if state.locked_by else None,
        "workerId": state.locked_by,
        "disabled": state.disabled,
        "backfill": state.backfill,
    }


class TriggerUpdate(BaseModel):
    """``PUT /triggers``: which trigger, and whether it is disabled."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    namespace: str
    flow_id: str = Field(alias="flowId")
    trigger_id: str = Field(alias="triggerId")
    disabled: bool


@router.get("/search", summary="Search trigger states")
def search_triggers(
    *,
    tenant: str,
    namespace: Annotated[str | None, Query()] = None,
    flow_id: Annotated[str | None, Query(alias="flowId")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
    ctx: Ctx,
) -> dict[str, Any]:
    """Trigger states under a namespace prefix / of a flow, a page at a time."""
    states = ctx.store.triggers.list(namespace=namespace, flow_id=flow_id, tenant=tenant)
    start = (page - 1) * size
    return {
        "results": [trigger_json(s) for s in states[start : start + size]],
        "total": len(states),
    }


@router.get("/{namespace}/{flow_id}", summary="Trigger states of a flow")
def flow_triggers(*, tenant: str, namespace: str, flow_id: str, ctx: Ctx) -> dict[str, Any]:
    """Every trigger state of one flow."""
    states = ctx.store.triggers.list(namespace=namespace, flow_id=flow_id, tenant=tenant)
    states = [s for s in states if s.namespace == namespace]
    return {"results": [trigger_json(s) for s in states], "total": len(states)}


@router.put("", summary="Enable or disable a trigger")
def update_trigger(*, tenant: str, body: TriggerUpdate, ctx: Ctx) -> dict[str, Any]:
    """Set `disabled` on a trigger (its state is created if the scheduler has none yet)."""
    record = ctx.store.flows.get(body.namespace, body.flow_id, tenant=tenant)
    del record
    state = ctx.store.triggers.find(
        body.namespace, body.flow_id, body.trigger_id, tenant=tenant
    ) or TriggerState(tenant, body.namespace, body.flow_id, body.trigger_id)
    state.disabled = body.disabled
    state.updated = datetime.now(UTC)
    ctx.store.triggers.save(state)
    return trigger_json(state)


@router.post("/{namespace}/{flow_id}/{trigger_id}/unlock", summary="Force-unlock a trigger")
def unlock_trigger(
    *,
    tenant: str,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    ctx: Ctx,
) -> dict[str, Any]:
    """Release a trigger's evaluation lease (after a scheduler died mid-evaluation)."""
    state = ctx.store.triggers.find(namespace, flow_id, trigger_id, tenant=tenant)
    if state is None:
        raise NotFoundError(f"trigger `{namespace}.{flow_id}.{trigger_id}` has no state")
    ctx.store.triggers.unlock(namespace, flow_id, trigger_id, tenant=tenant)
    found = ctx.store.triggers.find(namespace, flow_id, trigger_id, tenant=tenant)
    return trigger_json(found or state)
