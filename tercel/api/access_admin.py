"""Managing access: users (super-admins), and a tenant's roles, bindings, groups, service
accounts with their API tokens, and its audit log (the tenant's admins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tercel.access.passwords import NO_PASSWORD, hash_password
from tercel.access.records import SubjectType
from tercel.access.tokens import digest, new_api_token
from tercel.api.access import access_of, principal_of
from tercel.api.tenants import repository
from tercel.engine.execution import parse_instant
from tercel.errors import InputError, InvalidNameError, NotFoundError, PermissionDeniedError
from tercel.model.names import check_namespace

users_router = APIRouter(prefix="/api/v1/users", tags=["Access"])
#: The audit log of the whole instance (tenants, users: super-admins).
instance_router = APIRouter(prefix="/api/v1/auditlogs", tags=["Access"])
router = APIRouter(prefix="/api/v1/{tenant}", tags=["Access"])


# -- users (super-admins) ----------------------------------------------------------------------
class UserBody(BaseModel):
    """A user to create or change."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    username: str | None = Field(default=None, min_length=1, max_length=150)
    password: str | None = Field(default=None, repr=False)
    super_admin: bool | None = Field(default=None, alias="superAdmin")
    disabled: bool | None = None


@users_router.get("", summary="List users")
def list_users(request: Request) -> dict[str, Any]:
    """Every user (never a password)."""
    found = [u.to_wire() for u in repository(request).users()]
    return {"results": found, "total": len(found)}


@users_router.post("", summary="Create a user")
async def create_user(body: UserBody, request: Request) -> dict[str, Any]:
    """A new user; without a password, they cannot log in until one is set."""
    if not body.username:
        raise InvalidNameError("username: required")
    hashed = NO_PASSWORD
    if body.password is not None:
        hashed = await anyio.to_thread.run_sync(hash_password, body.password)
    user = repository(request).create_user(
        body.username, hashed, super_admin=bool(body.super_admin)
    )
    access_of(request).users_changed()
    return user.to_wire()


def _user(request: Request, user_id: str) -> Any:
    repo = repository(request)
    found = repo.user(user_id) or repo.find_user(user_id)
    if found is None:
        raise NotFoundError(f"user `{user_id}` not found")
    return found


@users_router.get("/{user_id}", summary="Get a user (by id or name)")
def get_user(user_id: str, request: Request) -> dict[str, Any]:
    """The user."""
    return dict(_user(request, user_id).to_wire())


@users_router.put("/{user_id}", summary="Change a user: password, super-admin, disabled")
async def update_user(user_id: str, body: UserBody, request: Request) -> dict[str, Any]:
    """Set what the body gives; a new password or disabling ends the user's sessions."""
    user = _user(request, user_id)
    if body.username is not None and body.username != user.username:
        raise InvalidNameError("username: a user name cannot change")
    if user.id == principal_of(request).id and (body.super_admin is False or body.disabled):
        raise PermissionDeniedError("you cannot demote or disable yourself")
    hashed = None
    if body.password is not None:
        hashed = await anyio.to_thread.run_sync(hash_password, body.password)
    changed = repository(request).update_user(
        user.id, password_hash=hashed, super_admin=body.super_admin, disabled=body.disabled
    )
    access_of(request).users_changed()
    return changed.to_wire()


@users_router.delete("/{user_id}", status_code=204, summary="Delete a user")
def delete_user(user_id: str, request: Request) -> Response:
    """Delete a user with their sessions, group memberships and bindings."""
    user = _user(request, user_id)
    if user.id == principal_of(request).id:
        raise PermissionDeniedError("you cannot delete yourself")
    repository(request).delete_user(user.id)
    access_of(request).users_changed()
    return Response(status_code=204)


# -- roles -------------------------------------------------------------------------------------
class RoleBody(BaseModel):
    """A custom role: ``{"FLOW": ["READ"], ...}``."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    permissions: dict[str, list[str]]


@router.get("/roles", summary="Roles of the tenant (built-in and custom)")
def list_roles(tenant: str, request: Request) -> dict[str, Any]:
    """Built-in roles, then the tenant's own."""
    found = [r.to_wire() for r in repository(request).roles(tenant)]
    return {"results": found, "total": len(found)}


@router.put("/roles/{name}", summary="Create or replace a custom role")
def put_role(tenant: str, name: str, body: RoleBody, request: Request) -> dict[str, Any]:
    """Store the role (a built-in name is refused)."""
    role = repository(request).put_role(tenant, name, dict(body.permissions), body.description)
    access_of(request).users_changed()
    return role.to_wire()


@router.delete("/roles/{name}", status_code=204, summary="Delete a custom role")
def delete_role(tenant: str, name: str, request: Request) -> Response:
    """Delete the role and every binding to it."""
    if not repository(request).delete_role(tenant, name):
        raise NotFoundError(f"role `{name}` not found")
    access_of(request).users_changed()
    return Response(status_code=204)


# -- bindings ----------------------------------------------------------------------------------
class BindingBody(BaseModel):
    """Kestra's binding shape: ``type``, ``externalId`` (id, or a user's name), ``roleId``,
    ``namespaceId`` (optional: that namespace and its children)."""

    model_config = ConfigDict(extra="forbid")

    type: SubjectType
    externalId: str = Field(min_length=1)  # noqa: N815 (Kestra's wire name)
    roleId: str = Field(min_length=1)  # noqa: N815
    namespaceId: str | None = None  # noqa: N815


@router.get("/bindings", summary="Role bindings of the tenant")
def list_bindings(tenant: str, request: Request) -> dict[str, Any]:
    """Who holds which role where."""
    found = [b.to_wire() for b in repository(request).bindings(tenant)]
    return {"results": found, "total": len(found)}


@router.post("/bindings", summary="Give a user, group or service account a role")
def create_binding(tenant: str, body: BindingBody, request: Request) -> dict[str, Any]:
    """Bind; the subject must exist (a group or service account of this tenant)."""
    repo = repository(request)
    subject_id = body.externalId
    if body.type is SubjectType.USER:
        user = repo.user(subject_id) or repo.find_user(subject_id)
        if user is None:
            raise NotFoundError(f"externalId: user `{subject_id}` not found")
        subject_id = user.id
    elif body.type is SubjectType.GROUP:
        if all(g.id != subject_id for g in repo.groups(tenant)):
            raise NotFoundError(f"externalId: group `{subject_id}` not found")
    elif repo.service_account(subject_id, tenant) is None:
        raise NotFoundError(f"externalId: service account `{subject_id}` not found")
    namespace = check_namespace(body.namespaceId) if body.namespaceId else None
    binding = repo.bind(tenant, body.type, subject_id, body.roleId, namespace)
    access_of(request).users_changed()
    return binding.to_wire()


@router.delete("/bindings/{binding_id}", status_code=204, summary="Delete a binding")
def delete_binding(tenant: str, binding_id: str, request: Request) -> Response:
    """Take the role away."""
    if not repository(request).unbind(tenant, binding_id):
        raise NotFoundError(f"binding `{binding_id}` not found")
    access_of(request).users_changed()
    return Response(status_code=204)


# -- groups ------------------------------------------------------------------------------------
class GroupBody(BaseModel):
    """A group to create."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=150)


class MembersBody(BaseModel):
    """A group's members: user ids or names."""

    model_config = ConfigDict(extra="forbid")

    members: list[str]


@router.get("/groups", summary="Groups of the tenant")
def list_groups(tenant: str, request: Request) -> dict[str, Any]:
    """Groups with their members' user ids."""
    found = [g.to_wire() for g in repository(request).groups(tenant)]
    return {"results": found, "total": len(found)}


@router.post("/groups", summary="Create a group")
def create_group(tenant: str, body: GroupBody, request: Request) -> dict[str, Any]:
    """A new, empty group."""
    return repository(request).create_group(tenant, body.name).to_wire()


@router.put("/groups/{group_id}/members", summary="Set a group's members")
def set_members(tenant: str, group_id: str, body: MembersBody, request: Request) -> dict[str, Any]:
    """Replace the members (user ids or names)."""
    repo = repository(request)
    ids = []
    for member in body.members:
        user = repo.user(member) or repo.find_user(member)
        if user is None:
            raise NotFoundError(f"members: user `{member}` not found")
        ids.append(user.id)
    group = repo.set_group_members(tenant, group_id, ids)
    access_of(request).users_changed()
    return group.to_wire()


@router.delete("/groups/{group_id}", status_code=204, summary="Delete a group")
def delete_group(tenant: str, group_id: str, request: Request) -> Response:
    """Delete the group and its bindings."""
    if not repository(request).delete_group(tenant, group_id):
        raise NotFoundError(f"group `{group_id}` not found")
    access_of(request).users_changed()
    return Response(status_code=204)


# -- service accounts and API tokens -----------------------------------------------------------
class ServiceAccountBody(BaseModel):
    """A service account to create."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=150)
    description: str | None = None


class TokenBody(BaseModel):
    """A token to create: a name and a lifetime (``maxAge`` as ISO-8601 like ``P30D``, or
    ``expiresAt``); no expiry when neither is given."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=150)
    maxAge: str | None = None  # noqa: N815 (Kestra's wire name)
    expiresAt: str | None = None  # noqa: N815


def _account(request: Request, tenant: str, account_id: str) -> Any:
    found = repository(request).service_account(account_id, tenant)
    if found is None:
        raise NotFoundError(f"service account `{account_id}` not found")
    return found


@router.get("/service-accounts", summary="Service accounts of the tenant")
def list_service_accounts(tenant: str, request: Request) -> dict[str, Any]:
    """The service accounts."""
    found = [a.to_wire() for a in repository(request).service_accounts(tenant)]
    return {"results": found, "total": len(found)}


@router.post("/service-accounts", summary="Create a service account")
def create_service_account(
    tenant: str, body: ServiceAccountBody, request: Request
) -> dict[str, Any]:
    """A new service account (give it a role with a binding)."""
    repo = repository(request)
    return repo.create_service_account(tenant, body.name, body.description).to_wire()


@router.delete("/service-accounts/{account_id}", status_code=204, summary="Delete one")
def delete_service_account(tenant: str, account_id: str, request: Request) -> Response:
    """Delete the account, its tokens and bindings."""
    if not repository(request).delete_service_account(tenant, account_id):
        raise NotFoundError(f"service account `{account_id}` not found")
    access_of(request).users_changed()
    return Response(status_code=204)


@router.get("/service-accounts/{account_id}/tokens", summary="Tokens of a service account")
def list_tokens(tenant: str, account_id: str, request: Request) -> dict[str, Any]:
    """Each token's metadata (never its value)."""
    account = _account(request, tenant, account_id)
    found = [t.to_wire() for t in repository(request).tokens(account.id)]
    return {"results": found, "total": len(found)}


@router.post("/service-accounts/{account_id}/tokens", summary="Create an API token (shown once)")
def create_token(tenant: str, account_id: str, body: TokenBody, request: Request) -> dict[str, Any]:
    """A new token: its value is in this answer only; the server keeps its SHA-256."""
    account = _account(request, tenant, account_id)
    expires = _expiry(body)
    token_id, secret, token = new_api_token()
    record = repository(request).create_token(
        account.id, token_id, digest(secret), body.name, expires
    )
    return {**record.to_wire(), "token": token}


def _expiry(body: TokenBody) -> datetime | None:
    if body.expiresAt:
        try:
            return parse_instant(body.expiresAt)
        except ValueError:
            raise InputError(f"expiresAt: {body.expiresAt!r} is not an ISO-8601 date") from None
    if body.maxAge:
        from tercel.model.durations import parse_duration

        try:
            age: timedelta = parse_duration(body.maxAge)
        except ValueError:
            raise InputError(f"maxAge: {body.maxAge!r} is not an ISO-8601 duration") from None
        if age.total_seconds() <= 0:
            raise InputError("maxAge: must be positive")
        return datetime.now(UTC) + age
    return None


@router.delete(
    "/service-accounts/{account_id}/tokens/{token_id}", status_code=204, summary="Revoke a token"
)
def revoke_token(tenant: str, account_id: str, token_id: str, request: Request) -> Response:
    """Refuse the token from now on."""
    account = _account(request, tenant, account_id)
    if not repository(request).revoke_token(account.id, token_id):
        raise NotFoundError(f"token `{token_id}` not found")
    access_of(request).users_changed()
    return Response(status_code=204)


# -- audit log ---------------------------------------------------------------------------------
@router.get("/auditlogs/search", summary="Search the tenant's audit log")
def search_audit_log(
    *,
    tenant: str,
    request: Request,
    actor: Annotated[str | None, Query(description="user or service account name")] = None,
    resource: Annotated[str | None, Query(description="FLOW, EXECUTION, KVSTORE...")] = None,
    resource_id: Annotated[str | None, Query(alias="resourceId")] = None,
    start_date: Annotated[str | None, Query(alias="startDate")] = None,
    end_date: Annotated[str | None, Query(alias="endDate")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Who did what, when, from where: newest first."""

    entries, total = repository(request).audit_search(
        tenant,
        actor=actor,
        resource=resource,
        resource_id=resource_id,
        start=_instant(start_date, "startDate"),
        end=_instant(end_date, "endDate"),
        page=page,
        size=size,
    )
    return {"results": [e.to_wire() for e in entries], "total": total}


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not an ISO-8601 date") from None


@instance_router.get("/search", summary="Search the whole instance's audit log")
def search_instance_audit_log(
    *,
    request: Request,
    tenant: Annotated[str | None, Query(description="one tenant; `-`: the instance's own")] = None,
    actor: Annotated[str | None, Query()] = None,
    resource: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query(alias="startDate")] = None,
    end_date: Annotated[str | None, Query(alias="endDate")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every tenant's entries and the instance's own (tenants, users), newest first."""
    entries, total = repository(request).audit_search(
        tenant,
        actor=actor,
        resource=resource,
        start=_instant(start_date, "startDate"),
        end=_instant(end_date, "endDate"),
        page=page,
        size=size,
    )
    return {"results": [e.to_wire() for e in entries], "total": total}
