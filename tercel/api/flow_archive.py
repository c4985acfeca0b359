"""Kestra's flow export and import: a zip of YAML sources, one file per flow.

``GET /flows/export/by-query`` and ``POST /flows/export/by-ids`` answer a zip; ``POST
/flows/import`` takes a zip or a multi-document YAML file (multipart part ``fileUpload``)
and answers the names of the files (or the indexes of the documents) it could not import.
Its routes come before the flows router's ``/{namespace}/{id}`` ones, which would match.
"""

from __future__ import annotations

import io
import zipfile
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel

from tercel.api.context import ApiContext, Ctx
from tercel.errors import InputError
from tercel.model.loader import FLOW_SUFFIXES, validate_source
from tercel.store.records import FlowRecord

router = APIRouter(prefix="/api/v1/{tenant}/flows", tags=["Flows"])

#: Refuse archives that would unpack into more than this (zip bombs).
MAX_IMPORT_BYTES = 64 * 1024 * 1024


class FlowIdentifier(BaseModel):
    """Kestra's IdWithNamespace."""

    namespace: str
    id: str


def zip_of(records: list[FlowRecord], name: str) -> bytes:
    """A zip with one YAML file per flow; `name` is a format of namespace and id."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for record in records:
            bundle.writestr(name.format(namespace=record.namespace, id=record.id), record.source)
    return buffer.getvalue()


def _zip_response(archive: bytes) -> Response:
    return Response(
        archive,
        media_type="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="flows.zip"'},
    )


@router.get("/export/by-query", summary="Export flows as a zip of YAML sources")
def export_by_query(
    *,
    tenant: str,
    q: Annotated[str | None, Query(description="text in the id or namespace")] = None,
    namespace: Annotated[str | None, Query(description="namespace prefix")] = None,
    ctx: Ctx,
) -> Response:
    """Current flows matching the query, each as ``<namespace>-<id>.yml``."""
    records = ctx.store.flows.list(namespace, tenant=tenant)
    if q:
        needle = q.lower()
        records = [r for r in records if needle in r.id.lower() or needle in r.namespace.lower()]
    return _zip_response(zip_of(records, "{namespace}-{id}.yml"))


@router.post("/export/by-ids", summary="Export flows by id as a zip of YAML sources")
def export_by_ids(*, tenant: str, body: list[FlowIdentifier], ctx: Ctx) -> Response:
    """The named flows, each as ``<namespace>.<id>.yml``; 404 naming a missing one."""
    records = [ctx.store.flows.get(i.namespace, i.id, tenant=tenant) for i in body]
    return _zip_response(zip_of(records, "{namespace}.{id}.yml"))


def import_source(ctx: ApiContext, tenant: str, source: str, name: str) -> list[str]:
    """Create or update every valid flow of a YAML text; the names of the invalid ones."""
    refused = []
    results = validate_source(source, name)
    for index, result in enumerate(results):
        if not result.ok or result.flow is None:
            refused.append(name if len(results) == 1 else f"{name}[{index}]")
            continue
        ctx.store.flows.save(result.source, result.flow, tenant=tenant)
    return refused


@router.post("/import", summary="Import flows from a zip of YAML sources or a YAML file")
async def import_flows(
    *,
    tenant: str,
    file_upload: Annotated[UploadFile, File(alias="fileUpload")],
    ctx: Ctx,
) -> list[str]:
    """Every valid flow is created or updated; the answer lists what was not imported
    (file names for a zip, document indexes for a YAML file)."""
    content = await file_upload.read()
    refused: list[str] = []
    if (file_upload.filename or "").lower().endswith(".zip") or content[:2] == b"PK":
        try:
            bundle = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise InputError("fileUpload: not a valid zip archive") from None
        with bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_IMPORT_BYTES:
                raise InputError("fileUpload: the archive unpacks to more than 64 MiB")
            for member in members:
                if not member.filename.endswith(FLOW_SUFFIXES):
                    refused.append(member.filename)
                    continue
                try:
                    text = bundle.read(member).decode("utf-8")
                except UnicodeDecodeError:
                    refused.append(member.filename)
                    continue
                refused += import_source(ctx, tenant, text, member.filename)
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("fileUpload: a YAML file must be UTF-8") from None
        results = validate_source(text, "fileUpload")
        for index, result in enumerate(results):
            if result.ok and result.flow is not None:
                ctx.store.flows.save(result.source, result.flow, tenant=tenant)
            else:
                refused.append(str(index))
    ctx.flows_changed()
    return refused
