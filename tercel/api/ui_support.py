"""Read-only endpoints the web UI needs that Kestra's API shape lacks.

- ``GET /api/v1/{tenant}/ui/completions``: type names and property names for the editor,
  boiled down from the flow JSON Schema (the full schema is ~0.5 MB).
- ``GET /api/v1/{tenant}/ui/stats``: execution counts by state and day for the dashboard.
- ``GET /api/v1/{tenant}/ui/blueprints``: the blueprint catalog as editor starting points.
- ``GET /api/v1/{tenant}/ui/failures?id=...``: why executions failed (failing task runs and
  their last error lines, a one-line reason), for the execution page and the list.
"""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from tercel.api.context import Ctx
from tercel.engine.state import State

router = APIRouter(prefix="/api/v1/{tenant}/ui", tags=["UI"])

#: States the dashboard charts (others are rare and transient).
CHART_STATES = (
    State.SUCCESS,
    State.WARNING,
    State.FAILED,
    State.KILLED,
    State.RUNNING,
    State.PAUSED,
    State.CREATED,
)


def _properties(schema: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    """Property names of a definition, following one `$ref`/`allOf` level."""
    if "$ref" in schema:
        schema = definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
    names = list(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names.extend(_properties(part, definitions))
    return [name for name in dict.fromkeys(names) if name != "type"]


_LOCK = threading.Lock()


def warm_up() -> None:
    """Build the completions in a background thread (the flow schema takes seconds)."""
    threading.Thread(target=completions, name="tercel-ui-completions", daemon=True).start()


def completions() -> dict[str, Any]:
    """`{"flow": [...], "types": {type: {"category", "properties", "required"}}}`."""
    with _LOCK:  # one build, even when the warm-up and a request race
        return _completions()


@functools.cache
def _completions() -> dict[str, Any]:
    from tercel.model.registry import registry
    from tercel.model.schema import flow_schema

    schema = flow_schema()
    definitions: dict[str, Any] = schema["definitions"]
    types: dict[str, Any] = {}
    for info in registry:
        definition = definitions.get(info.name)
        if definition is None:
            continue
        types[info.name] = {
            "category": str(getattr(info.category, "value", info.category)).lower(),
            "properties": _properties(definition, definitions),
            "required": [r for r in definition.get("required", []) if r != "type"],
            "description": str(definition.get("description", ""))[:300],
        }
    inputs = sorted(k[6:] for k in definitions if k.startswith("input.") and k.count(".") == 1)
    return {"flow": _properties(schema, definitions), "types": types, "inputTypes": inputs}


@router.get("/completions", summary="Type and property names for the flow editor")
def read_completions(tenant: str) -> dict[str, Any]:
    """Every registered type with its category and properties, and the flow's properties."""
    del tenant
    return completions()


@router.get("/stats", summary="Executions by state and day")
def execution_stats(
    *,
    tenant: str,
    namespace: Annotated[str | None, Query(description="namespace prefix")] = None,
    days: Annotated[int, Query(ge=1, le=60)] = 7,
    ctx: Ctx,
) -> dict[str, Any]:
    """`{"days": ["2026-01-01", ...], "series": {"SUCCESS": [n, ...], ...}}` (UTC days)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [today - timedelta(days=days - 1 - index) for index in range(days)]
    series: dict[str, list[int]] = {state.value: [] for state in CHART_STATES}
    for start in starts:
        end = start + timedelta(days=1) - timedelta(microseconds=1)
        for state in CHART_STATES:
            found = ctx.store.executions.search(
                tenant=tenant,
                namespace=namespace,
                states=[state],
                start_from=start,
                start_to=end,
                size=1,
                with_task_runs=False,
            )
            series[state.value].append(found.total)
    return {"days": [s.date().isoformat() for s in starts], "series": series}


@router.get("/blueprints", summary="Blueprints to start a flow from")
def list_blueprints(tenant: str) -> list[dict[str, Any]]:
    """Each blueprint's id, title, description, tags and YAML (flows joined by ``---``)."""
    del tenant
    try:
        from tercel.blueprints.catalog import all_blueprints
    except ImportError:  # the catalog is optional
        return []
    return [
        {
            "id": b.id,
            "title": b.title,
            "description": b.description,
            "tags": list(b.tags),
            "source": b.text(),
        }
        for b in all_blueprints()
    ]


#: Executions one `failures` request may ask about (a page of the list is 25).
MAX_FAILURE_IDS = 50


@router.get("/failures", summary="Why executions failed: failing task runs and last errors")
def execution_failures(
    *,
    tenant: str,
    ids: Annotated[list[str], Query(alias="id", max_length=MAX_FAILURE_IDS)],
    ctx: Ctx,
) -> dict[str, Any]:
    """``{"failures": {execution id: summary}}`` (see `tercel.api.failure_summary`);
    ids of other tenants or unknown ids are left out."""
    from tercel.api.failure_summary import failure_summary
    from tercel.errors import NotFoundError

    found: dict[str, Any] = {}
    for execution_id in dict.fromkeys(ids):
        try:
            execution = ctx.store.executions.get(execution_id, tenant=tenant)
        except NotFoundError:
            continue
        found[execution_id] = failure_summary(execution, ctx.store.logs)
    return {"failures": found}
