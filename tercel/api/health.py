"""Liveness and configuration endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tercel import __version__
from tercel.api.context import Ctx

router = APIRouter(tags=["Health"])


@router.get("/health", summary="Whether the server is up")
def health(*, ctx: Ctx) -> dict[str, Any]:
    """200 ``{"status": "UP"}`` once the server is ready (always open, no credentials);
    a component of a cluster adds its `role`, `id` and what it is `waitingFor`."""
    answer: dict[str, Any] = {"status": "UP", "executor": ctx.runtime is not None}
    if ctx.health is not None:
        answer.update(ctx.health())
    return answer


@router.get("/api/v1/configs", summary="Server configuration clients read")
@router.get("/api/v1/{tenant}/configs", include_in_schema=False)
def configs(tenant: str | None = None) -> dict[str, Any]:
    """Version and features, as Kestra's `/configs` answers."""
    del tenant
    return {"version": __version__, "isBasicAuthEnabled": False, "edition": "OSS"}
