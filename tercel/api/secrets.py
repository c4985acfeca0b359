"""Namespace secrets: set, list names, delete. A value is never returned, never stored clear."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from tercel.api.context import ApiContext, Ctx
from tercel.errors import InvalidNameError, NotFoundError, SecretError
from tercel.model.names import check_namespace

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}/secrets", tags=["Secrets"])

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretBody(BaseModel):
    """A secret to store: its value and, on the collection path, its key."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = None
    value: str = Field(min_length=1, repr=False)
    description: str | None = None


def check_name(name: str) -> str:
    """The secret name upper-cased (lookups are case-insensitive), or a 422 naming `key`."""
    if not _NAME.match(name):
        raise InvalidNameError(
            f"key: {name!r} is not a valid secret name (letters, digits and '_')"
        )
    return name.upper()


def store_secret(ctx: ApiContext, tenant: str, namespace: str, name: str, value: str) -> str:
    """Encrypt and store a secret; refuse without an encryption key."""
    if ctx.secrets is None or not ctx.secrets.enabled:
        raise SecretError(
            "value: secrets cannot be stored without an encryption key; set "
            "TERCEL_ENCRYPTION_KEY to the base64 of 32 random bytes (openssl rand -base64 32)"
        )
    check_namespace(namespace)
    key = check_name(name)
    ctx.secrets.set(namespace, key, value, tenant=tenant)
    return key


@router.get("", summary="Names of a namespace's secrets")
def list_secrets(*, tenant: str, namespace: str, ctx: Ctx) -> dict[str, Any]:
    """Secret names stored in this namespace (never their values)."""
    names = ctx.store.secrets.names(check_namespace(namespace), tenant=tenant)
    return {"results": [{"key": n} for n in names], "total": len(names)}


@router.put("", status_code=204, summary="Set a secret (body: key and value)")
def put_secret(*, tenant: str, namespace: str, body: SecretBody, ctx: Ctx) -> Response:
    """Create or replace a secret named by the body's `key`."""
    if not body.key:
        raise InvalidNameError("key: the secret's name is required")
    store_secret(ctx, tenant, namespace, body.key, body.value)
    return Response(status_code=204)


@router.put("/{key}", status_code=204, summary="Set a secret")
def put_named_secret(
    *, tenant: str, namespace: str, key: str, body: SecretBody, ctx: Ctx
) -> Response:
    """Create or replace secret `key` with the body's `value`."""
    if body.key is not None and body.key.upper() != key.upper():
        raise InvalidNameError(f"key: the body names `{body.key}` but the path `{key}`")
    store_secret(ctx, tenant, namespace, key, body.value)
    return Response(status_code=204)


@router.delete("/{key}", status_code=204, summary="Delete a secret")
def delete_secret(*, tenant: str, namespace: str, key: str, ctx: Ctx) -> Response:
    """Delete a secret; 404 when absent."""
    name = check_name(key)
    if not ctx.store.secrets.delete(check_namespace(namespace), name, tenant=tenant):
        raise NotFoundError(f"secret `{name}` does not exist in namespace `{namespace}`")
    return Response(status_code=204)
