"""JSON shapes the API returns that are not execution wire models (flows, pages, KV...)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from tercel.engine.execution import format_instant
from tercel.model.flow import Flow
from tercel.store.records import FlowRecord

T = TypeVar("T")


def flow_json(flow: Flow, record: FlowRecord, *, source: bool = False) -> dict[str, Any]:
    """A flow as Kestra returns it: the parsed model, its revision, and maybe its YAML."""
    body: dict[str, Any] = flow.model_dump(
        mode="json", by_alias=True, exclude_none=True, serialize_as_any=True
    )
    body["revision"] = record.revision
    body["tenantId"] = record.tenant
    body["deleted"] = record.deleted
    body["updated"] = format_instant(record.updated)
    if source:
        body["source"] = record.source
    return body


def instant(value: datetime | None) -> str | None:
    """An ISO-8601 UTC instant with milliseconds, or None."""
    return format_instant(value) if value is not None else None


def paged(items: Iterable[T], total: int, convert: Callable[[T], Any]) -> dict[str, Any]:
    """Kestra's ``PagedResults``: ``{"results": [...], "total": n}``."""
    return {"results": [convert(item) for item in items], "total": total}
