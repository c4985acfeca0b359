"""Tenants: create, list, rename, delete (`/api/v1/tenants`). Super-admins manage them;
anyone else lists only the tenants where they hold a role, and sees no other exists."""

from __future__ import annotations

import re
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tercel.api.access import access_of, principal_of, tenant_not_found
from tercel.api.context import Ctx
from tercel.api.route_permissions import RESERVED_TENANT_IDS
from tercel.errors import ConflictError, InvalidNameError
from tercel.storage.tenant import drop_tenant_files
from tercel.store.records import DEFAULT_TENANT
from tercel.store.sql.access import AccessRepository

router = APIRouter(prefix="/api/v1/tenants", tags=["Tenants"])

#: A tenant id is a path segment and a storage folder: keep it plain.
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TenantBody(BaseModel):
    """A tenant to create (``id``) or rename (``name``)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str | None = Field(default=None, min_length=1, max_length=255)


def check_tenant_id(tenant_id: str) -> str:
    """A valid, unreserved tenant id, or a 422 naming `id`."""
    if not TENANT_ID.match(tenant_id):
        raise InvalidNameError(
            f"id: {tenant_id!r} is not a valid tenant id (lower-case letters, digits, '_' "
            "and '-', at most 64, starting with a letter or digit)"
        )
    if tenant_id in RESERVED_TENANT_IDS:
        raise InvalidNameError(f"id: `{tenant_id}` is reserved (an API path segment)")
    return tenant_id


def repository(request: Request) -> AccessRepository:
    """The access tables, or a 409 when this store has none."""
    repo = access_of(request).repository
    if repo is None:
        raise ConflictError("this server's store keeps no tenants")
    return repo


@router.get("", summary="List the tenants the caller can see")
def list_tenants(request: Request) -> dict[str, Any]:
    """Every tenant for a super-admin; the caller's own tenants for anyone else."""
    principal = principal_of(request)
    visible = [
        t.to_wire()
        for t in repository(request).tenants()
        if principal.super_admin or t.id in principal.tenants()
    ]
    return {"results": visible, "total": len(visible)}


@router.post("", summary="Create a tenant")
def create_tenant(body: TenantBody, request: Request) -> dict[str, Any]:
    """A new, empty tenant (409 if the id is taken)."""
    if not body.id:
        raise InvalidNameError("id: the tenant id is required")
    record = repository(request).create_tenant(check_tenant_id(body.id), body.name)
    access_of(request).users_changed()
    return record.to_wire()


@router.get("/{tenant_id}", summary="Get a tenant")
def get_tenant(tenant_id: str, request: Request) -> dict[str, Any]:
    """The tenant, or 404 (also when the caller holds no role in it)."""
    found = repository(request).find_tenant(tenant_id)
    if found is None or not principal_of(request).sees_tenant(tenant_id):
        raise tenant_not_found(tenant_id)
    return found.to_wire()


@router.put("/{tenant_id}", summary="Rename a tenant")
def rename_tenant(tenant_id: str, body: TenantBody, request: Request) -> dict[str, Any]:
    """Change the display name (the id, in every path, stays)."""
    if not body.name:
        raise InvalidNameError("name: the new name is required")
    if body.id is not None and body.id != tenant_id:
        raise InvalidNameError("id: a tenant id cannot change; create another tenant")
    return repository(request).rename_tenant(tenant_id, body.name).to_wire()


@router.delete("/{tenant_id}", status_code=204, summary="Delete a tenant")
async def delete_tenant(
    tenant_id: str,
    request: Request,
    ctx: Ctx,
    force: Annotated[bool, Query(description="delete its flows and executions too")] = False,
) -> Response:
    """Delete an empty tenant (409 while it holds flows or executions, unless `force`)."""
    if tenant_id == DEFAULT_TENANT:
        raise ConflictError(f"the default tenant `{DEFAULT_TENANT}` cannot be deleted")
    repo = repository(request)
    if repo.find_tenant(tenant_id) is None:
        raise tenant_not_found(tenant_id)
    if await anyio.to_thread.run_sync(repo.tenant_has_data, tenant_id):
        if not force:
            raise ConflictError(
                f"tenant `{tenant_id}` still has flows or executions: delete them first, "
                "or pass force=true"
            )
        await anyio.to_thread.run_sync(repo.purge_tenant_data, tenant_id)
    repo.delete_tenant(tenant_id)
    if ctx.storage is not None:
        drop_tenant_files(ctx.storage, tenant_id)
    ctx.flows_changed()
    access_of(request).users_changed()
    return Response(status_code=204)
