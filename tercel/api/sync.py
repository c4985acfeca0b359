"""Flows as code on the server: one namespace's state, and a list of changes applied at once.

``POST /api/v1/{tenant}/namespaces/{namespace}/sync/state`` answers what `tercel plan`
compares with; ``POST .../sync/apply`` makes the planned operations in one transaction, or
answers 409 with ``moved`` (what changed since the plan) and makes none. Secret values go
to the server only inside an apply request, and never come back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tercel.api.context import ApiContext, Ctx
from tercel.api.files_service import NamespaceFiles
from tercel.ascode.sync import NamespaceSync, Operation
from tercel.model.names import check_namespace

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}/sync", tags=["Flows as code"])

#: Enough for a namespace of a few thousand objects; more should be split by the client.
MAX_OPERATIONS = 10_000


class StateBody(BaseModel):
    """What a plan sends to compare secret values without revealing them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    nonce: str | None = Field(default=None, min_length=16, max_length=128)
    secret_digests: dict[str, str] = Field(default_factory=dict, alias="secretDigests")


class ApplyBody(BaseModel):
    """The operations of one namespace, as the plan made them."""

    model_config = ConfigDict(extra="forbid")

    operations: list[dict[str, Any]] = Field(max_length=MAX_OPERATIONS)


def namespace_sync(ctx: ApiContext, tenant: str) -> NamespaceSync:
    """The sync service on the server's store, `tenant`'s view of storage, and secrets."""
    files = NamespaceFiles(ctx.require_storage(tenant)) if ctx.storage is not None else None
    return NamespaceSync(ctx.store, files, ctx.secrets)


@router.post("/state", summary="What flows as code manages in a namespace, now")
def namespace_state(
    *, tenant: str, namespace: str, body: StateBody | None = None, ctx: Ctx
) -> dict[str, Any]:
    """Flows (source, revision), settings, files, KV and secret names with fingerprints."""
    body = body or StateBody()
    digests = {name.upper(): digest for name, digest in body.secret_digests.items()}
    return namespace_sync(ctx, tenant).state(
        tenant, check_namespace(namespace), nonce=body.nonce, digests=digests
    )


@router.post("/apply", summary="Apply a namespace's planned changes in one transaction")
def apply_namespace(*, tenant: str, namespace: str, body: ApplyBody, ctx: Ctx) -> dict[str, Any]:
    """Every operation or none; 409 with `moved` when the server changed since the plan."""
    check_namespace(namespace)
    operations = [Operation.from_wire(op, i) for i, op in enumerate(body.operations)]
    applied = namespace_sync(ctx, tenant).apply(tenant, namespace, operations)
    if any(op.kind == "flow" for op in operations):
        ctx.flows_changed()
    if any(op.kind == "settings" for op in operations):
        ctx.namespaces_changed()
    return {"namespace": namespace, "applied": applied}
