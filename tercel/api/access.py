"""Access control of the API: who calls (`AccessMiddleware`), may they (`authorize`), and
what they did (the audit log).

* `AccessMiddleware` (pure ASGI, it must not buffer SSE streams) resolves the caller with
  `tercel.api.callers.AccessControl`; wrong credentials are refused by `authorize` (401),
  except on public routes (webhooks). After the response it appends an audit entry for
  every state-changing request that succeeded.
* `authorize`, one dependency on every route, reads the route's rule in
  `tercel.api.route_permissions` (no rule: refused), then checks the caller's permission in
  the path's tenant and namespace; a tenant the caller has no role in answers 404, like one
  that does not exist. Requests authenticated by the session cookie must echo its CSRF token
  in ``X-CSRF-Token`` to change anything.

Access control is on when basic auth or API tokens are configured, or when some user has a
password; otherwise (a laptop on 127.0.0.1, `Settings.check_bind`) every caller acts as
super-admin, as before tenants existed.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tercel.access.permissions import Permission
from tercel.access.principal import ANONYMOUS, Principal
from tercel.access.records import AuditEntry
from tercel.access.tokens import same
from tercel.api.callers import AccessControl
from tercel.api.route_permissions import DOCUMENT_PATHS, Kind, Rule, rule_for
from tercel.api.route_permissions import Scope as NsScope
from tercel.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    TercelError,
    TooManyAttemptsError,
)

_log = logging.getLogger(__name__)

CSRF_HEADER = "x-csrf-token"
#: Set by Tercel's CLI on its requests (the audit log's channel).
CLIENT_HEADER = "x-tercel-client"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_YAML_NAMESPACE = re.compile(r"^namespace:[ \t]*['\"]?([A-Za-z0-9_.\-]+)", re.MULTILINE)


def access_of(request: Request) -> AccessControl:
    """The application's `AccessControl`."""
    access: AccessControl = request.app.state.access
    return access


def principal_of(request: Request) -> Principal:
    """The caller the middleware resolved (anonymous outside it)."""
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    return principal


def tenant_not_found(tenant: str) -> NotFoundError:
    """The one answer for a tenant that does not exist or that the caller cannot see."""
    return NotFoundError(f"tenant `{tenant}` not found")


# -- the dependency on every route ---------------------------------------------------------
async def authorize(request: Request) -> None:
    """Refuse the request unless the caller holds what the route's rule requires."""
    route = request.scope.get("route")
    path_format = getattr(route, "path_format", None)
    rule = rule_for(request.method, path_format) if path_format else None
    if rule is None:
        raise PermissionDeniedError(
            f"{request.method} {path_format}: this route declares no permission, so it is refused"
        )
    principal = principal_of(request)
    if rule.kind is Kind.PUBLIC:
        return
    refusal: TercelError | None = getattr(request.state, "refusal", None)
    if refusal is not None:
        raise refusal  # wrong credentials, or too many failed logins
    if not principal.authenticated:
        raise AuthenticationError("authentication required: log in, or use basic auth or a token")
    if principal.csrf_token is not None and request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER, "")
        if not same(given, principal.csrf_token):
            raise PermissionDeniedError(f"missing or wrong {CSRF_HEADER} header for this session")
    if rule.kind is Kind.AUTHENTICATED:
        return
    if rule.kind is Kind.SUPER_ADMIN:
        if not principal.super_admin:
            raise PermissionDeniedError("only a super-admin may do this")
        _audit_later(request, rule, request.path_params.get("tenant_id") or "-", None)
        return
    tenant = str(request.path_params.get("tenant", ""))
    access = access_of(request)
    if not principal.sees_tenant(tenant) or not await anyio.to_thread.run_sync(
        access.tenant_exists, tenant
    ):
        raise tenant_not_found(tenant)
    assert rule.permission is not None
    namespace = await _namespace(request, rule, tenant)
    if not _granted(principal, tenant, rule, namespace):
        where = f"namespace `{namespace}`" if namespace else f"tenant `{tenant}`"
        raise PermissionDeniedError(f"permission {rule.permission} is required in {where}")
    _audit_later(request, rule, tenant, namespace)


def _granted(principal: Principal, tenant: str, rule: Rule, namespace: str | None) -> bool:
    permission: Permission = rule.permission  # type: ignore[assignment]
    if rule.scope is NsScope.ANY:
        return principal.namespaces_for(tenant, permission) != []
    if rule.scope is NsScope.TENANT:
        return principal.can(tenant, permission)
    return principal.can(tenant, permission, namespace)


async def _namespace(request: Request, rule: Rule, tenant: str) -> str | None:
    params = request.path_params
    if rule.scope is NsScope.PATH:
        return str(params["namespace"])
    if rule.scope is NsScope.QUERY:
        return request.query_params.get("namespace") or None
    if rule.scope is NsScope.EXECUTION:
        execution_id = str(params["execution_id"])
        store = access_of(request).store
        found = await anyio.to_thread.run_sync(
            lambda: store.executions.find(execution_id, tenant=tenant)
        )
        return None if found is None else found.namespace
    if rule.scope is NsScope.YAML:
        match = _YAML_NAMESPACE.search((await request.body()).decode("utf-8", "replace"))
        return match.group(1) if match else None
    if rule.scope is NsScope.JSON:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return None
        value = body.get("namespace") if isinstance(body, dict) else None
        return value if isinstance(value, str) and value else None
    return None


def _audit_later(request: Request, rule: Rule, tenant: str, namespace: str | None) -> None:
    """Remember what to audit; the middleware writes it once the response succeeded."""
    if request.method in SAFE_METHODS:
        return
    path_format = str(getattr(request.scope.get("route"), "path_format", ""))
    if rule.permission is not None:
        resource, action = rule.permission.resource.value, rule.permission.action.value
    else:  # an instance route of a super-admin: users or tenants
        resource = "USER" if path_format.startswith("/api/v1/users") else "TENANT"
        action = _ACTIONS[request.method]
    last = path_format.rsplit("/", 1)[-1]
    if resource == "EXECUTION" and last in _EXECUTION_ACTIONS:
        action = _EXECUTION_ACTIONS[last]  # kill, restart... rather than a plain UPDATE
    ids = {k: str(v) for k, v in request.path_params.items() if k != "tenant"}
    request.state.audit = {
        "tenant": tenant,
        "resource": resource,
        "action": action,
        "namespace": namespace,
        "resource_id": _resource_id(ids),
        "details": {"route": path_format},
    }


_ACTIONS = {"POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}
_EXECUTION_ACTIONS = {
    "kill": "KILL",
    "resume": "RESUME",
    "restart": "RESTART",
    "replay": "REPLAY",
    "change-status": "CHANGE_STATUS",
    "labels": "SET_LABELS",
}


def _resource_id(ids: dict[str, str]) -> str | None:
    # The most specific identifier of the path: never a body, so never a secret value.
    for key in (
        "execution_id",
        "flow_id",
        "key",
        "name",
        "binding_id",
        "group_id",
        "token_id",
        "account_id",
        "user_id",
        "tenant_id",
        "trigger_id",
        "namespace",
    ):
        if key in ids:
            return ids[key]
    return None


# -- the middleware ------------------------------------------------------------------------
class AccessMiddleware:
    """Resolve the caller of each HTTP request; audit the state-changing ones that succeed."""

    def __init__(self, app: ASGIApp, access: AccessControl) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """See the class docstring."""
        if scope["type"] != "http" or scope.get("path") == "/health":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookies = _cookies(headers.get("cookie", ""))
        client = scope.get("client")
        ip = client[0] if client else None
        refusal: TercelError | None = None
        try:
            principal = await anyio.to_thread.run_sync(self.access.resolve, headers, cookies, ip)
        except TercelError as error:
            # Refused by `authorize` unless the route is public: a webhook is called by
            # systems that may send an Authorization header of their own.
            principal, refusal = ANONYMOUS, error
        if not principal.authenticated and scope.get("path") in DOCUMENT_PATHS:
            await _refuse(refusal or AuthenticationError("authentication required"), send)
            return
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["refusal"] = refusal
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            audit = state.get("audit")
            if audit is not None and 0 < status < 400 and self.access.repository is not None:
                entry = AuditEntry(
                    tenant=audit["tenant"],
                    date=datetime.now(UTC),
                    actor_type=audit.get("actor_type", principal.actor_type.value),
                    actor=audit.get("actor", principal.name),
                    action=audit["action"],
                    resource=audit["resource"],
                    resource_id=audit["resource_id"],
                    namespace=audit["namespace"],
                    method=scope.get("method", ""),
                    path=scope.get("path", ""),
                    status=status,
                    ip=ip,
                    channel=_channel(headers, principal),
                    details=audit.get("details"),
                )
                try:
                    await anyio.to_thread.run_sync(self.access.repository.audit, entry)
                except TercelError:
                    _log.exception("could not write an audit entry")


def _channel(headers: dict[str, str], principal: Principal) -> str:
    if headers.get(CLIENT_HEADER) == "cli":
        return "cli"
    if principal.csrf_token is not None or headers.get("x-tercel-ui") == "1":
        return "ui"
    return "api"


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found[name] = value
    return found


async def _refuse(error: TercelError, send: Send) -> None:
    status = 429 if isinstance(error, TooManyAttemptsError) else 401
    body = json.dumps({"message": str(error)}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Basic realm="tercel"'))
    else:
        retry = int(getattr(error, "retry_after", 1)) + 1
        headers.append((b"retry-after", str(retry).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install_access(app: FastAPI, access: AccessControl) -> None:
    """Resolve callers on `app`, answer access errors, and show each route's rule in the
    OpenAPI document (`authorize` itself is an application-wide dependency)."""
    app.state.access = access
    app.add_middleware(AccessMiddleware, access=access)

    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(_: Request, error: AuthenticationError) -> JSONResponse:
        return JSONResponse(
            {"message": str(error)},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="tercel"'},
        )

    @app.exception_handler(PermissionDeniedError)
    async def _denied(_: Request, error: PermissionDeniedError) -> JSONResponse:
        return JSONResponse({"message": str(error)}, status_code=403)

    @app.exception_handler(TooManyAttemptsError)
    async def _throttled(_: Request, error: TooManyAttemptsError) -> JSONResponse:
        return JSONResponse(
            {"message": str(error)},
            status_code=429,
            headers={"Retry-After": str(int(error.retry_after) + 1)},
        )

    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain_openapi()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                rule = rule_for(method.upper(), path)
                operation["x-tercel-permission"] = None if rule is None else rule.describe()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
