"""Request size limits, checked before a route reads the body, answered 413 with the reason.

Which limit applies is decided from the request alone: a webhook's body, a flow's YAML (any
body under ``/flows``), a multipart upload (execution inputs, namespace files: Starlette
spools file parts to disk, so the limit bounds disk, not memory), or any other body.
A declared ``Content-Length`` over the limit is refused before a byte is read; a body sent
without one is counted as it arrives and refused the moment it passes the limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tercel.config import Settings, format_size

_WEBHOOK = re.compile(r"^/api/v1/[^/]+/executions/webhook/")
_FLOWS = re.compile(r"^/api/v1/[^/]+/flows(?:/|$)")


@dataclass(frozen=True, slots=True)
class Limit:
    """The largest body a kind of request may send, and the setting that changes it."""

    size: int
    what: str
    setting: str

    def message(self) -> str:
        """Why the request was refused and what to change."""
        return (
            f"request body too large: {self.what} may be at most {format_size(self.size)} "
            f"(server setting {self.setting})"
        )


def limit_for(settings: Settings, path: str, content_type: str) -> Limit:
    """The limit that applies to a request to `path` with this ``Content-Type``."""
    if _WEBHOOK.match(path):
        return Limit(settings.max_webhook_size, "a webhook body", "TERCEL_MAX_WEBHOOK_SIZE")
    if content_type.startswith("multipart/"):
        return Limit(settings.max_upload_size, "an upload", "TERCEL_MAX_UPLOAD_SIZE")
    if _FLOWS.match(path):
        return Limit(settings.max_flow_size, "a flow source", "TERCEL_MAX_FLOW_SIZE")
    return Limit(settings.max_body_size, "a request body", "TERCEL_MAX_BODY_SIZE")


class BodyLimitMiddleware:
    """Pure ASGI middleware (SSE and uploads pass through unbuffered) enforcing `limit_for`."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared length over the limit; count an undeclared one as it arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = limit_for(self.settings, scope.get("path", ""), content_type)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.size:
            await _refuse(send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    # An HTTPException so that FastAPI's body parsing lets it through as is.
                    raise HTTPException(413, limit.message())
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, limit: Limit) -> None:
    body = json.dumps({"message": limit.message()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
