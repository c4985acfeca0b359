"""Access control of the API: who calls (`AccessMiddleware`), may they (`authorize`), and
what they did (the audit log).

* `AccessMiddleware` (pure ASGI, it must not buffer SSE streams) resolves the caller from
  the ``Authorization`` header (basic auth and ``TERCEL_API_TOKENS`` act as super-admin;
  a user's name and password; a service account's ``tct_`` token) or the UI's session
  cookie, and answers 401 to credentials that are wrong. After the response it appends an
  audit entry for every state-changing request that succeeded.
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

import base64
import binascii
import hashlib
import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tercel.access.passwords import verify_password
from tercel.access.permissions import Permission
from tercel.access.principal import ANONYMOUS, ActorType, Grant, Principal, operator
from tercel.access.records import AuditEntry, SubjectType, UserRecord
from tercel.access.throttle import LoginThrottle
from tercel.access.tokens import digest, parse_api_token, same
from tercel.api.route_permissions import DOCUMENT_PATHS, Kind, Rule, rule_for
from tercel.api.route_permissions import Scope as NsScope
from tercel.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    TercelError,
    TooManyAttemptsError,
)

if TYPE_CHECKING:
    from tercel.config import Settings
    from tercel.store.api import Store
    from tercel.store.sql.access import AccessRepository

_log = logging.getLogger(__name__)

SESSION_COOKIE = "tercel_session"
CSRF_HEADER = "x-csrf-token"
#: Set by Tercel's CLI on its requests (the audit log's channel).
CLIENT_HEADER = "x-tercel-client"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How long a verified user name + password is trusted without hashing it again.
BASIC_CACHE_SECONDS = 60.0
ENFORCED_CACHE_SECONDS = 1.0
#: How long a resolved caller (roles included) and a tenant's existence are reused.
PRINCIPAL_CACHE_SECONDS = 2.0
_YAML_NAMESPACE = re.compile(r"^namespace:[ \t]*['\"]?([A-Za-z0-9_.\-]+)", re.MULTILINE)


class AccessControl:
    """Authentication and authorization of one application (`app.state.access`)."""

    def __init__(
        self, settings: Settings, repository: AccessRepository | None, store: Store
    ) -> None:
        self.settings = settings
        self.repository = repository
        self.store = store
        self.throttle = LoginThrottle()
        self._verified: dict[str, tuple[float, str]] = {}
        self._principals: dict[str, tuple[float, Principal]] = {}
        self._tenants: dict[str, tuple[float, bool]] = {}
        self._enforced: tuple[float, bool] = (0.0, False)

    def bootstrap(self) -> None:
        """Give the `admin` super-admin the ``TERCEL_ADMIN_PASSWORD`` when it has none yet
        (a fresh or migrated install); a password set since is never overwritten."""
        password = self.settings.admin_password
        if not password or self.repository is None:
            return
        from tercel.access.passwords import hash_password

        found = self.repository.find_user("admin")
        if found is None:
            self.repository.create_user("admin", hash_password(password), super_admin=True)
        elif not found.has_password:
            self.repository.update_user(found.id, password_hash=hash_password(password))
        self.users_changed()

    # -- whether credentials are required --------------------------------------------------
    def enforced(self) -> bool:
        """Whether callers must authenticate (re-checked at most once a second)."""
        if self.settings.auth_enabled:
            return True
        if self.repository is None:
            return False
        now = time.monotonic()
        if now - self._enforced[0] > ENFORCED_CACHE_SECONDS:
            self._enforced = (now, self.repository.any_password())
        return self._enforced[1]

    def users_changed(self) -> None:
        """Forget cached verifications (a password, a user, a binding or a tenant changed)."""
        self._verified.clear()
        self._principals.clear()
        self._tenants.clear()
        self._enforced = (0.0, False)

    # -- who calls -------------------------------------------------------------------------
    def resolve(
        self, headers: dict[str, str], cookies: dict[str, str], ip: str | None
    ) -> Principal:
        """The caller of a request; AuthenticationError when its credentials are wrong.

        A resolved caller is reused for `PRINCIPAL_CACHE_SECONDS` (its credentials' digest is
        the key): a change made through this process applies at once (`users_changed`),
        one made through another process within that delay.
        """
        if not self.enforced():
            return operator("local")
        credentials = headers.get("authorization") or cookies.get(SESSION_COOKIE)
        if not credentials:
            return ANONYMOUS
        key = digest(credentials)
        now = time.monotonic()
        hit = self._principals.get(key)
        if hit is not None and now - hit[0] < PRINCIPAL_CACHE_SECONDS:
            return hit[1]
        principal = self._resolve(headers, cookies, ip)
        if principal.authenticated:
            if len(self._principals) > 10_000:
                self._principals.clear()
            self._principals[key] = (now, principal)
        return principal

    def _resolve(
        self, headers: dict[str, str], cookies: dict[str, str], ip: str | None
    ) -> Principal:
        header = headers.get("authorization")
        if header:
            scheme, _, credentials = header.partition(" ")
            scheme, credentials = scheme.lower(), credentials.strip()
            if scheme == "bearer":
                return self._bearer(credentials)
            if scheme == "basic":
                return self._basic(credentials, ip)
            raise AuthenticationError("authentication: use basic auth, a bearer token or log in")
        session = cookies.get(SESSION_COOKIE)
        if session and self.repository is not None:
            found = self.repository.session(digest(session))
            if found is not None:
                user = self.repository.user(found.user_id)
                if user is not None and not user.disabled:
                    return self.user_principal(user, csrf_token=found.csrf_token)
        return ANONYMOUS

    def _bearer(self, token: str) -> Principal:
        if any(same(token, configured) for configured in self.settings.api_tokens):
            return operator("api-token")
        parsed = parse_api_token(token)
        if parsed is not None and self.repository is not None:
            found = self.repository.token_secret(parsed[0])
            if found is not None and same(digest(parsed[1]), found[1]):
                record = found[0]
                if record.usable(datetime.now(UTC)):
                    account = self.repository.service_account(record.service_account_id)
                    if account is not None:
                        self.repository.token_used(record.id)
                        grants = self._grants([(SubjectType.SERVICE_ACCOUNT, account.id)])
                        return Principal(
                            ActorType.SERVICE_ACCOUNT,
                            account.name,
                            account.id,
                            grants=grants,
                            home_tenant=account.tenant,
                        )
                raise AuthenticationError("authentication: this API token is revoked or expired")
        raise AuthenticationError("authentication: unknown API token")

    def _basic(self, credentials: str, ip: str | None) -> Principal:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("authentication: malformed basic credentials") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise AuthenticationError("authentication: malformed basic credentials")
        settings = self.settings
        if settings.has_basic_auth and same(username, settings.basic_auth_user or ""):
            if same(password, settings.basic_auth_password or ""):
                return operator(username)
            raise AuthenticationError("authentication: wrong user name or password")
        user = self.check_password(username, password, ip)
        return self.user_principal(user)

    def check_password(self, username: str, password: str, ip: str | None) -> UserRecord:
        """The user whose password this is (throttled; AuthenticationError when wrong)."""
        if self.repository is None:
            raise AuthenticationError("authentication: wrong user name or password")
        key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        hit = self._verified.get(key)
        if hit is not None and time.monotonic() - hit[0] < BASIC_CACHE_SECONDS:
            user = self.repository.user(hit[1])
            if user is not None and not user.disabled:
                return user
        keys = (f"user:{username}", f"ip:{ip}")
        wait = self.throttle.retry_after(*keys)
        if wait > 0:
            raise TooManyAttemptsError(
                f"too many failed logins: retry in {int(wait) + 1} s", retry_after=wait
            )
        found = self.repository.password_hash(username)
        ok = verify_password(None if found is None else found[1], password)
        if not ok or found is None or found[0].disabled:
            self.throttle.failed(*keys)
            raise AuthenticationError("authentication: wrong user name or password")
        self.throttle.succeeded(keys[0])
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[key] = (time.monotonic(), found[0].id)
        return found[0]

    def user_principal(self, user: UserRecord, csrf_token: str | None = None) -> Principal:
        """A user with the roles of their bindings and of their groups' bindings."""
        assert self.repository is not None
        subjects = [(SubjectType.USER, user.id)]
        subjects += [(SubjectType.GROUP, g) for g in self.repository.groups_of(user.id)]
        return Principal(
            ActorType.USER,
            user.username,
            user.id,
            super_admin=user.super_admin,
            grants=self._grants(subjects),
            csrf_token=csrf_token,
        )

    def _grants(self, subjects: list[tuple[SubjectType, str]]) -> tuple[Grant, ...]:
        assert self.repository is not None
        grants = []
        for binding in self.repository.bindings_of(subjects):
            role = self.repository.role(binding.tenant, binding.role)
            if role is not None:
                grants.append(Grant(binding, role))
        return tuple(grants)

    # -- tenants ---------------------------------------------------------------------------
    def tenant_exists(self, tenant: str) -> bool:
        """Whether the tenant exists (always true without the access tables; cached like
        callers)."""
        if self.repository is None:
            return True
        now = time.monotonic()
        hit = self._tenants.get(tenant)
        if hit is not None and now - hit[0] < PRINCIPAL_CACHE_SECONDS:
            return hit[1]
        if len(self._tenants) > 10_000:
            self._tenants.clear()
        exists = self.repository.find_tenant(tenant) is not None
        self._tenants[tenant] = (now, exists)
        return exists


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
