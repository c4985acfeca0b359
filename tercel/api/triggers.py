"""Trigger state: list, enable/disable, unlock (the scheduler owns evaluation)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tercel.api.context import ApiContext, Ctx
from tercel.api.params import Page, PageSize
from tercel.api.wire import instant
from tercel.errors import ConflictError, InputError, NotFoundError
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


class BackfillBody(BaseModel):
    """A backfill: replay every schedule date in [start, end]."""

    model_config = ConfigDict(extra="ignore")

    start: datetime
    end: datetime | None = None
    inputs: dict[str, Any] | None = None
    labels: dict[str, str] | list[dict[str, str]] | None = None
    paused: bool = False


class TriggerRef(BaseModel):
    """Which trigger: namespace, flow id, trigger id."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    namespace: str
    flow_id: str = Field(alias="flowId")
    trigger_id: str = Field(alias="triggerId")


class TriggerUpdate(TriggerRef):
    """``PUT /triggers``: enable/disable a trigger, or start a backfill."""

    disabled: bool | None = None
    backfill: BackfillBody | None = None


def declared_triggers(
    ctx: ApiContext, tenant: str, namespace: str | None, flow_id: str | None
) -> list[dict[str, Any]]:
    """Every trigger the current flows declare, each with its state (a blank one if the
    scheduler has not seen it yet), sorted by namespace, flow and trigger id."""
    from tercel.api.flows import parse_record

    states = {
        (s.namespace, s.flow_id, s.trigger_id): s
        for s in ctx.store.triggers.list(namespace=namespace, flow_id=flow_id, tenant=tenant)
    }
    found = []
    for record in ctx.store.flows.list(namespace, tenant=tenant):
        if flow_id is not None and record.id != flow_id:
            continue
        for trigger in parse_record(record).triggers:
            key = (record.namespace, record.id, trigger.id)
            state = states.get(key) or TriggerState(tenant, *key)
            found.append(
                {**trigger_json(state), "type": trigger.type, "declaredDisabled": trigger.disabled}
            )
    return found


@router.get("/search", summary="Search triggers with their state")
def search_triggers(
    *,
    tenant: str,
    namespace: Annotated[str | None, Query(description="namespace prefix")] = None,
    flow_id: Annotated[str | None, Query(alias="flowId")] = None,
    page: Page = 1,
    size: PageSize = 25,
    ctx: Ctx,
) -> dict[str, Any]:
    """Triggers of current flows under a namespace prefix / of a flow, a page at a time."""
    found = declared_triggers(ctx, tenant, namespace, flow_id)
    start = (page - 1) * size
    return {"results": found[start : start + size], "total": len(found)}


@router.get("/{namespace}/{flow_id}", summary="Triggers of a flow with their state")
def flow_triggers(*, tenant: str, namespace: str, flow_id: str, ctx: Ctx) -> dict[str, Any]:
    """Every trigger of one flow (404 when the flow does not exist)."""
    ctx.store.flows.get(namespace, flow_id, tenant=tenant)
    found = [
        t for t in declared_triggers(ctx, tenant, namespace, flow_id) if t["namespace"] == namespace
    ]
    return {"results": found, "total": len(found)}


def _schedule_trigger(ctx: ApiContext, tenant: str, ref: TriggerRef) -> Any:
    """The trigger declaration (404 when the flow or trigger does not exist)."""
    from tercel.api.flows import parse_record

    flow = parse_record(ctx.store.flows.get(ref.namespace, ref.flow_id, tenant=tenant))
    for trigger in flow.triggers:
        if trigger.id == ref.trigger_id:
            return trigger
    raise NotFoundError(
        f"triggerId: flow `{ref.namespace}.{ref.flow_id}` has no trigger `{ref.trigger_id}`"
    )


def _state(ctx: ApiContext, tenant: str, ref: TriggerRef) -> TriggerState:
    return ctx.store.triggers.find(
        ref.namespace, ref.flow_id, ref.trigger_id, tenant=tenant
    ) or TriggerState(tenant, ref.namespace, ref.flow_id, ref.trigger_id)


@contextmanager
def _holding(ctx: ApiContext, tenant: str, ref: TriggerRef) -> Iterator[None]:
    """Hold the trigger's lease while changing its state (a firing scheduler holds it too)."""
    owner = f"api-{uuid.uuid4().hex}"
    key = (ref.namespace, ref.flow_id, ref.trigger_id)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        now = datetime.now(UTC)
        if ctx.store.triggers.lock(
            *key, owner=owner, until=now + timedelta(seconds=30), now=now, tenant=tenant
        ):
            break
        if time.monotonic() > deadline:
            raise ConflictError(
                f"trigger `{'.'.join(key)}` is being evaluated by a scheduler; try again"
            )
        time.sleep(0.01)
    try:
        yield
    finally:
        ctx.store.triggers.unlock(*key, owner, tenant=tenant)


def _save(ctx: ApiContext, state: TriggerState) -> None:
    """Write a changed state, releasing the lease `_holding` took in the same write."""
    state.locked_by = None
    state.locked_until = None
    ctx.store.triggers.save(state)
    ctx.triggers_changed()


#: How long a trigger update waits for a scheduler to finish firing it.
LOCK_WAIT_SECONDS = 5.0


def _labels(raw: dict[str, str] | list[dict[str, str]] | None) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    return {item["key"]: item["value"] for item in raw if "key" in item and "value" in item}


@router.put("", summary="Enable or disable a trigger, or start a backfill")
def update_trigger(*, tenant: str, body: TriggerUpdate, ctx: Ctx) -> dict[str, Any]:
    """Set `disabled`, and/or start a backfill of a Schedule trigger over [start, end]."""
    trigger = _schedule_trigger(ctx, tenant, body)
    with _holding(ctx, tenant, body):
        return _update(ctx, tenant, body, trigger)


def _update(ctx: ApiContext, tenant: str, body: TriggerUpdate, trigger: Any) -> dict[str, Any]:
    from tercel.plugins.core.trigger.schedule import Schedule

    state = _state(ctx, tenant, body)
    if body.disabled is not None:
        state.disabled = body.disabled
    if body.backfill is not None:
        if not isinstance(trigger, Schedule):
            raise InputError("backfill: only Schedule triggers can be backfilled")
        now = datetime.now(UTC)
        start = body.backfill.start.astimezone(UTC)
        end = (body.backfill.end or now).astimezone(UTC)
        if end < start:
            raise InputError("backfill.end: must not be before backfill.start")
        if state.backfill is not None:
            raise ConflictError("backfill: this trigger already has a backfill; delete it first")
        state.backfill = {
            "start": instant(start),
            "end": instant(end),
            "currentDate": instant(start),
            "inputs": body.backfill.inputs or {},
            "labels": _labels(body.backfill.labels),
            "paused": body.backfill.paused,
            "executions": 0,
        }
    state.updated = datetime.now(UTC)
    _save(ctx, state)
    return trigger_json(state)


def _set_paused(ctx: ApiContext, tenant: str, ref: TriggerRef, paused: bool) -> dict[str, Any]:
    with _holding(ctx, tenant, ref):
        return _set_paused_locked(ctx, tenant, ref, paused)


def _set_paused_locked(
    ctx: ApiContext, tenant: str, ref: TriggerRef, paused: bool
) -> dict[str, Any]:
    state = _state(ctx, tenant, ref)
    if state.backfill is None:
        raise NotFoundError(
            f"trigger `{ref.namespace}.{ref.flow_id}.{ref.trigger_id}` has no backfill"
        )
    state.backfill = {**state.backfill, "paused": paused}
    _save(ctx, state)
    return trigger_json(state)


@router.put("/backfill/pause", summary="Pause a backfill")
def pause_backfill(*, tenant: str, body: TriggerRef, ctx: Ctx) -> dict[str, Any]:
    """Stop creating executions for the backfill until it is unpaused."""
    return _set_paused(ctx, tenant, body, paused=True)


@router.put("/backfill/unpause", summary="Resume a paused backfill")
def unpause_backfill(*, tenant: str, body: TriggerRef, ctx: Ctx) -> dict[str, Any]:
    """Go on creating the backfill's executions."""
    return _set_paused(ctx, tenant, body, paused=False)


@router.post("/backfill/delete", summary="Delete a backfill")
def delete_backfill(*, tenant: str, body: TriggerRef, ctx: Ctx) -> dict[str, Any]:
    """Forget the backfill (executions already created stay)."""
    with _holding(ctx, tenant, body):
        return _delete_backfill(ctx, tenant, body)


def _delete_backfill(ctx: ApiContext, tenant: str, body: TriggerRef) -> dict[str, Any]:
    state = _state(ctx, tenant, body)
    if state.backfill is None:
        raise NotFoundError(
            f"trigger `{body.namespace}.{body.flow_id}.{body.trigger_id}` has no backfill"
        )
    state.backfill = None
    _save(ctx, state)
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
