"""UI login sessions and the caller's own account: log in, log out, who am I, my password.

A session is a random id in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS); the
database keeps only its SHA-256. Login answers a CSRF token that the UI sends back in
``X-CSRF-Token`` on every state-changing request (`tercel.api.access.authorize` checks it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tercel.access.passwords import hash_password
from tercel.access.permissions import Action, Permission, Resource
from tercel.access.principal import ActorType, Principal
from tercel.access.tokens import digest, new_secret
from tercel.api.access import access_of, principal_of
from tercel.api.callers import SESSION_COOKIE
from tercel.api.tenants import repository
from tercel.errors import AuthenticationError, ConflictError, PermissionDeniedError

router = APIRouter(prefix="/api/v1", tags=["Access"])

SESSION_HOURS = 12


class LoginBody(BaseModel):
    """User name and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024, repr=False)


class PasswordBody(BaseModel):
    """The current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(alias="oldPassword", repr=False)
    new_password: str = Field(alias="newPassword", repr=False)


def me_json(principal: Principal, tenants: list[str]) -> dict[str, Any]:
    """The caller, their tenants and, per tenant, what they may do (the UI hides the rest)."""
    visible: dict[str, Any] = {}
    for tenant in tenants:
        allowed: dict[str, list[str]] = {}
        for resource in Resource:
            actions = [
                a.value
                for a in Action
                if principal.namespaces_for(tenant, Permission(resource, a)) != []
            ]
            if actions:
                allowed[resource.value] = actions
        limits = sorted(
            {
                g.binding.namespace
                for g in principal.grants
                if g.binding.tenant == tenant and g.binding.namespace is not None
            }
        )
        visible[tenant] = {"permissions": allowed, "namespaces": limits}
    return {
        "username": principal.name,
        "type": principal.actor_type.value,
        "superAdmin": principal.super_admin,
        "tenants": visible,
    }


@router.post("/auth/login", summary="Log in: a session cookie and a CSRF token")
async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Check the password (throttled), start a session, answer the CSRF token."""
    access = access_of(request)
    repo = repository(request)
    ip = request.client.host if request.client else None
    if access.settings.basic_auth_user and body.username == access.settings.basic_auth_user:
        # The operator's credentials are basic auth, not a user: the UI falls back to them.
        raise AuthenticationError("authentication: the operator logs in with basic auth")
    user = await anyio.to_thread.run_sync(access.check_password, body.username, body.password, ip)
    session, csrf = new_secret(), new_secret()
    expires = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
    repo.create_session(digest(session), user.id, csrf, expires)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    principal = access.user_principal(user, csrf_token=csrf)
    request.state.audit = {
        "tenant": "-",
        "resource": "USER",
        "action": "LOGIN",
        "namespace": None,
        "resource_id": user.id,
        "actor": user.username,
        "actor_type": "USER",
        "details": {"route": "/api/v1/auth/login"},
    }
    return {"csrfToken": csrf, **me_json(principal, _tenants_of(request, principal))}


@router.post("/auth/logout", status_code=204, summary="Log out (end the session)")
def logout(request: Request) -> Response:
    """End this session; the cookie is cleared."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        repository(request).end_session(digest(cookie))
        access_of(request).users_changed()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _tenants_of(request: Request, principal: Principal) -> list[str]:
    repo = access_of(request).repository
    if repo is None:
        return ["main"]
    return [t.id for t in repo.tenants() if principal.sees_tenant(t.id)]


@router.get("/me", summary="The caller, their tenants and permissions")
def me(request: Request) -> dict[str, Any]:
    """Who is calling and what they may do in each tenant they see."""
    principal = principal_of(request)
    result = me_json(principal, _tenants_of(request, principal))
    if principal.csrf_token is not None:
        result["csrfToken"] = principal.csrf_token
    return result


@router.put("/me/password", status_code=204, summary="Change my password")
async def change_password(body: PasswordBody, request: Request) -> Response:
    """Check the current password, store the new one, end the user's other sessions."""
    principal = principal_of(request)
    if principal.actor_type is not ActorType.USER or principal.id is None:
        raise PermissionDeniedError("only a user has a password to change")
    access = access_of(request)
    ip = request.client.host if request.client else None
    try:
        await anyio.to_thread.run_sync(access.check_password, principal.name, body.old_password, ip)
    except AuthenticationError:
        raise ConflictError("oldPassword: the current password is wrong") from None
    new_hash = await anyio.to_thread.run_sync(hash_password, body.new_password)
    repository(request).update_user(principal.id, password_hash=new_hash)
    access.users_changed()
    request.state.audit = {
        "tenant": "-",
        "resource": "USER",
        "action": "UPDATE",
        "namespace": None,
        "resource_id": principal.id,
        "details": {"route": "/api/v1/me/password"},
    }
    return Response(status_code=204)
