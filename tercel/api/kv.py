"""The KV store of a namespace: list, get (with its type), set (typed, with TTL), delete."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response

from tercel.api.context import Ctx
from tercel.api.wire import instant
from tercel.errors import InputError, NotFoundError
from tercel.model.durations import parse_duration
from tercel.model.names import check_namespace
from tercel.store.kvtypes import KV_TYPES, validate_key
from tercel.store.records import KVEntry

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}/kv", tags=["KV"])

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(r"^-?P(?:\d+[WD])*(?:T(?:\d+(?:\.\d+)?[HMS])+)?$", re.IGNORECASE)


def deduce(text: str) -> tuple[Any, str | None]:
    """A request body as a value: JSON when it parses, dates and durations by their form."""
    stripped = text.strip()
    try:
        value: Any = json.loads(stripped)
    except ValueError:
        value = text
    if isinstance(value, str):
        if _DATETIME.match(value):
            return value, "DATETIME"
        if _DATE.match(value):
            return value, "DATE"
        if _DURATION.match(value) and value.upper() not in ("P", "PT"):
            return value, "DURATION"
    return value, None


def entry_json(entry: KVEntry) -> dict[str, Any]:
    """A KV entry without its value, as the list endpoint answers."""
    return {
        "key": entry.key,
        "type": entry.type,
        "description": entry.description,
        "updateDate": instant(entry.updated),
        "creationDate": instant(entry.updated),
        "expirationDate": instant(entry.expiration),
    }


@router.get("", summary="List the keys of a namespace")
def list_keys(*, tenant: str, namespace: str, ctx: Ctx) -> list[dict[str, Any]]:
    """Live (not expired) entries, sorted by key."""
    return [entry_json(e) for e in ctx.store.kv.list(check_namespace(namespace), tenant=tenant)]


@router.get("/{key}", summary="Get a value with its type")
def get_value(*, tenant: str, namespace: str, key: str, ctx: Ctx) -> dict[str, Any]:
    """``{"type": ..., "value": ...}``; 404 when absent or expired."""
    entry = ctx.store.kv.entry(check_namespace(namespace), validate_key(key), tenant=tenant)
    if entry is None:
        raise NotFoundError(f"key `{key}` does not exist in namespace `{namespace}` (or expired)")
    return {"type": entry.type, "value": entry.value}


@router.put(
    "/{key}",
    status_code=204,
    summary="Set a value",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def set_value(
    *,
    tenant: str,
    namespace: str,
    key: str,
    request: Request,
    ttl: Annotated[str | None, Header(description="ISO-8601 duration, e.g. PT1H")] = None,
    kv_type: Annotated[str | None, Query(alias="type", description=", ".join(KV_TYPES))] = None,
    description: Annotated[str | None, Query()] = None,
    ctx: Ctx,
) -> Response:
    """Store the body as the value (JSON parsed; dates and durations recognised)."""
    check_namespace(namespace)
    validate_key(key)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body: the value must be UTF-8 text") from None
    value, deduced = deduce(text)
    ttl_seconds = None
    if ttl is not None:
        try:
            ttl_seconds = parse_duration(ttl).total_seconds()
        except ValueError:
            raise InputError(f"ttl: {ttl!r} is not an ISO-8601 duration (e.g. PT1H)") from None
        if ttl_seconds <= 0:
            raise InputError(f"ttl: {ttl!r} must be positive")
    if kv_type is not None and kv_type.upper() not in KV_TYPES:
        raise InputError(f"type: {kv_type!r} is not one of {', '.join(KV_TYPES)}")
    ctx.store.kv.set(
        namespace,
        key,
        value,
        ttl_seconds=ttl_seconds,
        kv_type=kv_type or deduced,
        description=description,
        tenant=tenant,
    )
    return Response(status_code=204)


@router.delete("/{key}", status_code=204, summary="Delete a key")
def delete_value(*, tenant: str, namespace: str, key: str, ctx: Ctx) -> Response:
    """Delete a key; 404 when it does not exist."""
    if not ctx.store.kv.delete(check_namespace(namespace), validate_key(key), tenant=tenant):
        raise NotFoundError(f"key `{key}` does not exist in namespace `{namespace}`")
    return Response(status_code=204)


@router.delete("", summary="Delete several keys")
def delete_values(
    *,
    tenant: str,
    namespace: str,
    keys: Annotated[list[str] | dict[str, list[str]], Body(description='["k1", ...]')],
    ctx: Ctx,
) -> dict[str, Any]:
    """Delete every listed key; the ones that existed."""
    names = keys if isinstance(keys, list) else keys.get("keys", [])
    deleted = [
        name
        for name in names
        if ctx.store.kv.delete(check_namespace(namespace), validate_key(name), tenant=tenant)
    ]
    return {"keys": deleted}
