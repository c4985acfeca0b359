"""Authentication: HTTP basic auth and bearer API tokens, checked before any route runs.

When neither is configured the API is open, which `Settings.check_bind` only allows on a
loopback address. ``GET /health`` is always open so that probes need no credentials, and
so are webhook URLs, as Kestra's "open URLs": their key is their credential (wrong keys are
rate-limited per address, see `tercel.api.webhooks`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from tercel.config import Settings

#: Paths answered without credentials.
OPEN_PATHS = frozenset({"/health"})
#: ``/api/v1/{tenant}/executions/webhook/{namespace}/{flowId}/{key}``: served by the key.
OPEN_PATTERN = re.compile(r"^/api/v1/[^/]+/executions/webhook/[^/]+/[^/]+/[^/]+$")


def is_open(path: str) -> bool:
    """Whether `path` is answered without credentials."""
    return path in OPEN_PATHS or OPEN_PATTERN.match(path) is not None


def _equal(given: str, expected: str) -> bool:
    # Constant-time: the comparison must not tell how much of a token was right.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def is_authorized(settings: Settings, header: str | None) -> bool:
    """Whether an ``Authorization`` header value satisfies the configured authentication."""
    if not settings.auth_enabled:
        return True
    if not header:
        return False
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer":
        return any(_equal(credentials, token) for token in settings.api_tokens)
    if scheme == "basic" and settings.has_basic_auth:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        return (
            bool(sep)
            and _equal(user, settings.basic_auth_user or "")
            and _equal(password, settings.basic_auth_password or "")
        )
    return False


class AuthMiddleware:
    """Pure ASGI middleware (it must not buffer SSE streams) answering 401 when needed."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check credentials of HTTP requests, pass everything else through."""
        if (
            scope["type"] != "http"
            or not self.settings.auth_enabled
            or is_open(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if is_authorized(self.settings, header):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"message": "authentication required: use basic auth or a bearer API token"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Basic realm="tercel"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
