"""Flows: create and update from YAML, read (with source), delete, list, search, validate.

Paths are Kestra's v1 paths with the tenant segment: ``/api/v1/{tenant}/flows...``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tercel.api.context import ApiContext, Ctx
from tercel.api.errors import problem_to_wire
from tercel.api.params import Page, PageSize, Revision
from tercel.api.wire import flow_json, paged
from tercel.errors import ConflictError, FlowValidationError, InputError, Problem
from tercel.model.duplicates import flag_duplicate_flows
from tercel.model.flow import Flow
from tercel.model.loader import load_flow, validate_source
from tercel.runtime.scheduler.launcher import defaults_key, parse_with_defaults
from tercel.store.records import FlowRecord

router = APIRouter(prefix="/api/v1/{tenant}/flows", tags=["Flows"])

#: Tell OpenAPI that the body is a YAML document, not JSON.
YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/x-yaml": {"schema": {"type": "string"}}},
    }
}
BODY_PATH = "<request body>"


async def read_yaml(request: Request) -> str:
    """The request body as text; a 422 naming the body when it is empty or not UTF-8."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body: the flow must be UTF-8 YAML text") from None
    if not text.strip():
        raise InputError(
            "body: a flow YAML document is required (Content-Type: application/x-yaml)"
        )
    return text


def parse_record(record: FlowRecord) -> Flow:
    """The stored YAML parsed again (it was valid when stored); parsed once per revision."""
    return _parse(record.source, f"{record.namespace}/{record.id}", record.revision)


def executable_flow(ctx: ApiContext, record: FlowRecord) -> Flow:
    """The flow as an execution runs it: with its namespaces' `pluginDefaults` applied."""
    effective = ctx.effective_namespace(record.tenant, record.namespace)
    if not effective.plugin_defaults:
        return parse_record(record)
    return parse_with_defaults(
        record.source,
        f"{record.namespace}/{record.id}",
        record.revision,
        defaults_key(effective.plugin_defaults),
    )


@lru_cache(maxsize=1024)
def _parse(source: str, path: str, revision: int) -> Flow:
    # Parsing costs milliseconds; a webhook or an execution start must not pay it each time.
    flow = load_flow(source, path)
    return flow.model_copy(update={"revision": revision})


@router.post("", status_code=200, openapi_extra=YAML_BODY, summary="Create a flow from YAML")
async def create_flow(*, tenant: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Create a flow; 409 when it exists, 422 with positioned problems when invalid."""
    source = await read_yaml(request)
    flow = load_flow(source, BODY_PATH)
    if ctx.store.flows.find(flow.namespace, flow.id, tenant=tenant) is not None:
        raise ConflictError(
            f"flow `{flow.namespace}.{flow.id}` already exists: update it with "
            f"PUT /api/v1/{tenant}/flows/{flow.namespace}/{flow.id}"
        )
    record = ctx.store.flows.save(source, flow, tenant=tenant)
    ctx.flows_changed()
    return flow_json(flow, record, source=True)


@router.post("/validate", summary="Validate YAML flows without saving them")
async def validate_flows(tenant: str, request: Request) -> list[dict[str, Any]]:
    """One result per YAML document: the flow's id and namespace and every positioned problem."""
    del tenant
    source = await read_yaml(request)
    results = []
    for index, result in enumerate(validate_source(source, BODY_PATH)):
        errors = [p for p in result.problems if p.severity == "error"]
        warnings = [p for p in result.problems if p.severity == "warning"]
        infos = [p for p in result.problems if p.severity not in ("error", "warning")]
        flow = result.flow
        results.append(
            {
                "index": index,
                "flow": flow.id if flow is not None else None,
                "namespace": flow.namespace if flow is not None else None,
                "constraints": "\n".join(p.format() for p in errors) or None,
                "warnings": [p.format() for p in warnings],
                "infos": [p.format() for p in infos],
                "problems": [problem_to_wire(p) for p in result.problems],
                "valid": result.ok,
            }
        )
    return results


@router.get("/search", summary="Search flows")
def search_flows(
    *,
    tenant: str,
    q: Annotated[str | None, Query(description="text in the id or namespace")] = None,
    namespace: Annotated[str | None, Query(description="namespace prefix")] = None,
    page: Page = 1,
    size: PageSize = 25,
    ctx: Ctx,
) -> dict[str, Any]:
    """Current flows matching a text and a namespace prefix, a page at a time."""
    found = ctx.store.flows.search(
        namespace=namespace, query=q, page=page, size=size, tenant=tenant
    )
    return paged(found.items, found.total, lambda r: flow_json(parse_record(r), r))


@router.get("/distinct-namespaces", summary="Namespaces that have flows")
def distinct_namespaces(*, tenant: str, ctx: Ctx) -> list[str]:
    """Distinct namespaces of current flows, sorted."""
    return ctx.store.flows.namespaces(tenant=tenant)


@router.get("/{namespace}", summary="List the flows of a namespace")
def list_flows(*, tenant: str, namespace: str, ctx: Ctx) -> list[dict[str, Any]]:
    """Current flows of exactly this namespace (as Kestra lists them; search for children)."""
    records = ctx.store.flows.list(namespace, tenant=tenant)
    return [flow_json(parse_record(r), r) for r in records if r.namespace == namespace]


@router.post("/bulk", openapi_extra=YAML_BODY, summary="Create or update flows from YAML sources")
async def bulk_flows(
    *,
    tenant: str,
    request: Request,
    namespace: Annotated[str | None, Query(description="the namespace to update")] = None,
    delete: Annotated[bool, Query(description="delete flows missing from the body")] = True,
    allow_namespace_child: Annotated[
        bool, Query(alias="allowNamespaceChild", description="flows may be in child namespaces")
    ] = False,
    ctx: Ctx,
) -> list[dict[str, Any]]:
    """Kestra's bulk update: upsert every flow of a multi-document body in one transaction;
    with `delete`, flows of the namespace (of the body's namespaces without one) that the
    body does not have are deleted."""
    source = await read_yaml(request)
    return save_many(ctx, tenant, source, namespace, delete=delete, children=allow_namespace_child)


@router.post("/{namespace}", openapi_extra=YAML_BODY, summary="Create or update many flows")
async def bulk_update(
    *,
    tenant: str,
    namespace: str,
    request: Request,
    delete: Annotated[bool, Query(description="delete flows missing from the body")] = False,
    ctx: Ctx,
) -> list[dict[str, Any]]:
    """Upsert every flow of a multi-document YAML body; all must be in `namespace`."""
    source = await read_yaml(request)
    return save_many(ctx, tenant, source, namespace, delete=delete, children=False)


def _inside(namespace: str, scope: str, children: bool) -> bool:
    return namespace == scope or (children and namespace.startswith(scope + "."))


def save_many(
    ctx: ApiContext,
    tenant: str,
    source: str,
    namespace: str | None,
    *,
    delete: bool,
    children: bool,
) -> list[dict[str, Any]]:
    """Validate every document, then save all (and delete the missing ones) in one
    transaction; nothing is saved when any document is invalid."""
    results = validate_source(source, BODY_PATH)
    # Two documents with the same id would make the second silently replace the first.
    flag_duplicate_flows(results)
    problems: list[Problem] = [p for r in results for p in r.problems if p.severity == "error"]
    for result in results:
        flow = result.flow
        if (
            flow is not None
            and namespace is not None
            and not _inside(flow.namespace, namespace, children)
        ):
            problems.append(
                Problem(
                    f"flow `{flow.id}` is in namespace `{flow.namespace}`, not `{namespace}`",
                    BODY_PATH,
                    result.start_line,
                    1,
                    location="namespace",
                )
            )
    if problems:
        raise FlowValidationError(problems)
    flows = [result.flow for result in results if result.flow is not None]
    scopes = [namespace] if namespace is not None else sorted({f.namespace for f in flows})
    saved = []
    with ctx.store.transaction():
        kept = set()
        for result in results:
            assert result.flow is not None
            record = ctx.store.flows.save(result.source, result.flow, tenant=tenant)
            kept.add((result.flow.namespace, result.flow.id))
            saved.append(flow_json(result.flow, record))
        if delete:
            for scope in scopes:
                for record in ctx.store.flows.list(scope, tenant=tenant):
                    inside = _inside(record.namespace, scope, children)
                    if inside and (record.namespace, record.id) not in kept:
                        ctx.store.flows.delete(record.namespace, record.id, tenant=tenant)
    ctx.flows_changed()
    return saved


@router.get("/{namespace}/{flow_id}", summary="Get a flow")
def get_flow(
    *,
    tenant: str,
    namespace: str,
    flow_id: str,
    source: Annotated[bool, Query(description="include the YAML source")] = False,
    revision: Revision = None,
    ctx: Ctx,
) -> dict[str, Any]:
    """The current (or a given) revision of a flow; 404 when absent."""
    record = ctx.store.flows.get(namespace, flow_id, revision, tenant=tenant)
    return flow_json(parse_record(record), record, source=source)


@router.put("/{namespace}/{flow_id}", openapi_extra=YAML_BODY, summary="Update a flow")
async def update_flow(
    *,
    tenant: str,
    namespace: str,
    flow_id: str,
    request: Request,
    ctx: Ctx,
) -> dict[str, Any]:
    """Save a new revision; the body's id and namespace must match the path."""
    source = await read_yaml(request)
    flow = load_flow(source, BODY_PATH)
    if (flow.namespace, flow.id) != (namespace, flow_id):
        raise InputError(
            f"id/namespace: the body defines `{flow.namespace}.{flow.id}` but the path names "
            f"`{namespace}.{flow_id}`"
        )
    ctx.store.flows.get(namespace, flow_id, tenant=tenant)  # 404 when absent
    record = ctx.store.flows.save(source, flow, tenant=tenant)
    ctx.flows_changed()
    return flow_json(flow, record, source=True)


@router.delete("/{namespace}/{flow_id}", status_code=204, summary="Delete a flow")
def delete_flow(*, tenant: str, namespace: str, flow_id: str, ctx: Ctx) -> Response:
    """Mark the flow deleted (its revisions stay readable)."""
    ctx.store.flows.delete(namespace, flow_id, tenant=tenant)
    ctx.flows_changed()
    return Response(status_code=204)


@router.get("/{namespace}/{flow_id}/revisions", summary="Every revision of a flow")
def flow_revisions(*, tenant: str, namespace: str, flow_id: str, ctx: Ctx) -> list[dict[str, Any]]:
    """Revisions oldest first, each with its source; 404 when the flow never existed."""
    records = ctx.store.flows.revisions(namespace, flow_id, tenant=tenant)
    if not records:
        ctx.store.flows.get(namespace, flow_id, tenant=tenant)
    return [flow_json(parse_record(r), r, source=True) for r in records if not r.deleted]
