"""Namespaces (description, variables, plugin defaults) and their files."""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tercel.api.context import ApiContext, Ctx
from tercel.api.files_service import NamespaceFiles, clean_path
from tercel.api.wire import instant
from tercel.errors import InvalidNameError, NotFoundError
from tercel.model.names import check_namespace
from tercel.store.records import NamespaceRecord

router = APIRouter(prefix="/api/v1/{tenant}/namespaces", tags=["Namespaces"])


class NamespaceBody(BaseModel):
    """What ``PUT /namespaces/{ns}`` accepts."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = None
    description: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = Field(default_factory=list, alias="pluginDefaults")


def namespace_json(record: NamespaceRecord) -> dict[str, Any]:
    """A namespace as JSON."""
    return {
        "id": record.id,
        "tenantId": record.tenant,
        "description": record.description,
        "variables": record.variables,
        "pluginDefaults": record.plugin_defaults,
        "updated": instant(record.updated),
        "deleted": False,
    }


@router.get("/search", summary="Search namespaces")
def search_namespaces(
    *,
    tenant: str,
    q: Annotated[str | None, Query(description="text in the namespace")] = None,
    ctx: Ctx,
) -> dict[str, Any]:
    """Namespaces that are stored or have flows (their parents included)."""
    names = {record.id for record in ctx.store.namespaces.list(tenant=tenant)}
    for namespace in ctx.store.flows.namespaces(tenant=tenant):
        parts = namespace.split(".")
        names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    found = sorted(n for n in names if q is None or q.lower() in n.lower())
    return {"results": [{"id": n, "deleted": False} for n in found], "total": len(found)}


@router.put("/{namespace}", summary="Create or replace a namespace")
def put_namespace(*, tenant: str, namespace: str, body: NamespaceBody, ctx: Ctx) -> dict[str, Any]:
    """Store description, variables and plugin defaults (children inherit them)."""
    check_namespace(namespace)
    if body.id is not None and body.id != namespace:
        raise InvalidNameError(f"id: the body names `{body.id}` but the path `{namespace}`")
    for index, default in enumerate(body.plugin_defaults):
        if not isinstance(default.get("type"), str):
            raise InvalidNameError(f"pluginDefaults[{index}].type: a type name is required")
    record = ctx.store.namespaces.put(
        NamespaceRecord(
            tenant=tenant,
            id=namespace,
            description=body.description,
            variables=body.variables,
            plugin_defaults=body.plugin_defaults,
        )
    )
    ctx.namespaces_changed()
    return namespace_json(record)


@router.get("/{namespace}", summary="Get a namespace")
def get_namespace(
    *,
    tenant: str,
    namespace: str,
    inherited: Annotated[bool, Query(description="merge variables/defaults of parents")] = False,
    ctx: Ctx,
) -> dict[str, Any]:
    """The stored namespace (or its effective values); 404 when unknown."""
    record = ctx.store.namespaces.find(namespace, tenant=tenant)
    has_flows = any(
        n == namespace or n.startswith(namespace + ".")
        for n in ctx.store.flows.namespaces(tenant=tenant)
    )
    if record is None and not has_flows:
        raise NotFoundError(f"namespace `{namespace}` does not exist")
    if inherited:
        record = ctx.store.namespaces.effective(namespace, tenant=tenant)
    return namespace_json(record or NamespaceRecord(tenant=tenant, id=namespace))


@router.delete("/{namespace}", status_code=204, summary="Delete a namespace's settings")
def delete_namespace(*, tenant: str, namespace: str, ctx: Ctx) -> Response:
    """Forget description, variables and plugin defaults (flows are untouched)."""
    if not ctx.store.namespaces.delete(namespace, tenant=tenant):
        raise NotFoundError(f"namespace `{namespace}` has no stored settings")
    ctx.namespaces_changed()
    return Response(status_code=204)


# -- namespace files ---------------------------------------------------------------------
def files(ctx: ApiContext, tenant: str) -> NamespaceFiles:
    """The namespace-file service on the tenant's view of the server's storage."""
    return NamespaceFiles(ctx.require_storage(tenant))


@router.get("/{namespace}/files", summary="Read a namespace file")
def read_file(*, tenant: str, namespace: str, path: str = Query(...), ctx: Ctx) -> Response:
    """The file's bytes."""
    content = files(ctx, tenant).read(check_namespace(namespace), path)
    return Response(content, media_type="application/octet-stream")


@router.get("/{namespace}/files/stats", summary="Attributes of a file or directory")
def file_stats(*, tenant: str, namespace: str, path: str = Query("/"), ctx: Ctx) -> dict[str, Any]:
    """Type (File/Directory), name and size."""
    return files(ctx, tenant).stat(check_namespace(namespace), path).to_wire()


@router.get("/{namespace}/files/directory", summary="List a directory")
def list_directory(
    *,
    tenant: str,
    namespace: str,
    path: Annotated[str | None, Query()] = None,
    ctx: Ctx,
) -> list[dict[str, Any]]:
    """Immediate children of a directory (the root when no path)."""
    return [s.to_wire() for s in files(ctx, tenant).list_dir(check_namespace(namespace), path)]


@router.post("/{namespace}/files/directory", status_code=204, summary="Create a directory")
def create_directory(*, tenant: str, namespace: str, path: str = Query(...), ctx: Ctx) -> Response:
    """Create a directory (and its parents)."""
    files(ctx, tenant).make_dir(check_namespace(namespace), path)
    return Response(status_code=204)


@router.post("/{namespace}/files", status_code=204, summary="Upload a file (a .zip is unpacked)")
async def upload_file(
    *,
    tenant: str,
    namespace: str,
    path: Annotated[str, Query(description="where to store it; a .zip unpacks into its folder")],
    file_content: Annotated[UploadFile, File(alias="fileContent")],
    ctx: Ctx,
) -> Response:
    """Store the uploaded file at `path`; an uploaded ``.zip`` is unpacked instead."""
    check_namespace(namespace)
    # Starlette spooled the part to a temporary file: copy from it, never read it whole.
    await file_content.seek(0)
    content = file_content.file
    service = files(ctx, tenant)
    target = clean_path(path, allow_root=True)
    if (file_content.filename or "").lower().endswith(".zip"):
        directory = target
        if target.lower().endswith(".zip") or (target and not service.is_dir(namespace, target)):
            directory = posixpath.dirname(target)
        # Copies of up to the upload limit: off the event loop.
        await run_in_threadpool(service.extract_zip, namespace, directory, content)
    else:
        if not target:
            raise InvalidNameError("path: a file path is required, e.g. ?path=/scripts/main.py")
        await run_in_threadpool(service.write, namespace, target, content)
    return Response(status_code=204)


@router.put("/{namespace}/files", status_code=204, summary="Move a file or directory")
def move_file(
    *,
    tenant: str,
    namespace: str,
    from_: Annotated[str, Query(alias="from")],
    to: Annotated[str, Query()],
    ctx: Ctx,
) -> Response:
    """Move (rename) a file or a directory."""
    files(ctx, tenant).move(check_namespace(namespace), from_, to)
    return Response(status_code=204)


@router.delete("/{namespace}/files", status_code=204, summary="Delete a file or directory")
def delete_file(*, tenant: str, namespace: str, path: str = Query(...), ctx: Ctx) -> Response:
    """Delete a file, or a directory with everything under it."""
    files(ctx, tenant).delete(check_namespace(namespace), path)
    return Response(status_code=204)


@router.get("/{namespace}/files/export", summary="Every file of a namespace as a zip")
def export_files(*, tenant: str, namespace: str, ctx: Ctx) -> Response:
    """A zip archive of the namespace's files."""
    archive = files(ctx, tenant).export_zip(check_namespace(namespace))
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{namespace}_files.zip"'},
    )
