"""What the access tables hold, as frozen records (never a password or a token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


def _date(value: datetime | None) -> str | None:
    return (
        None if value is None else value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class SubjectType(StrEnum):
    """Who a role binding is for."""

    USER = "USER"
    GROUP = "GROUP"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """A tenant: its id (in every API path) and a display name."""

    id: str
    name: str
    created: datetime

    def to_wire(self) -> dict[str, Any]:
        """Kestra's tenant shape (``id``, ``name``)."""
        return {"id": self.id, "name": self.name, "created": _date(self.created)}


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person who logs in (the password hash stays in the repository)."""

    id: str
    username: str
    super_admin: bool
    disabled: bool
    created: datetime
    password_changed: datetime
    has_password: bool

    def to_wire(self) -> dict[str, Any]:
        """The user without any secret."""
        return {
            "id": self.id,
            "username": self.username,
            "superAdmin": self.super_admin,
            "disabled": self.disabled,
            "hasPassword": self.has_password,
            "created": _date(self.created),
            "passwordChanged": _date(self.password_changed),
        }


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A named set of users of one tenant; bindings to it apply to every member."""

    id: str
    tenant: str
    name: str
    members: tuple[str, ...]

    def to_wire(self) -> dict[str, Any]:
        """The group with its members' user ids."""
        return {"id": self.id, "name": self.name, "members": list(self.members)}


@dataclass(frozen=True, slots=True)
class ServiceAccountRecord:
    """A non-human caller of one tenant, authenticated by its API tokens."""

    id: str
    tenant: str
    name: str
    description: str | None
    created: datetime

    def to_wire(self) -> dict[str, Any]:
        """The service account."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created": _date(self.created),
        }


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token of a service account (the secret part is only ever hashed)."""

    id: str
    service_account_id: str
    name: str
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        return self.revoked is None and (self.expires is None or self.expires > now)

    def to_wire(self) -> dict[str, Any]:
        """The token's metadata (never its value)."""
        return {
            "id": self.id,
            "name": self.name,
            "created": _date(self.created),
            "expires": _date(self.expires),
            "revoked": _date(self.revoked),
            "lastUsed": _date(self.last_used),
        }


@dataclass(frozen=True, slots=True)
class BindingRecord:
    """A subject holds a role in a tenant, in one namespace and its children or everywhere."""

    id: str
    tenant: str
    subject_type: SubjectType
    subject_id: str
    role: str
    namespace: str | None
    created: datetime

    def covers(self, namespace: str | None) -> bool:
        """Whether the binding applies to `namespace` (None: the whole tenant is asked)."""
        if self.namespace is None:
            return True
        if namespace is None:
            return False
        return namespace == self.namespace or namespace.startswith(self.namespace + ".")

    def to_wire(self) -> dict[str, Any]:
        """Kestra's binding shape (``type``, ``externalId``, ``roleId``, ``namespaceId``)."""
        return {
            "id": self.id,
            "type": self.subject_type.value,
            "externalId": self.subject_id,
            "roleId": self.role,
            "namespaceId": self.namespace,
            "created": _date(self.created),
        }


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A UI login session (the cookie's value is only ever hashed)."""

    user_id: str
    csrf_token: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, when, from where: one state-changing request that succeeded."""

    tenant: str
    date: datetime
    actor_type: str
    actor: str
    action: str
    resource: str
    resource_id: str | None
    namespace: str | None
    method: str
    path: str
    status: int
    ip: str | None
    channel: str
    details: dict[str, Any] | None = None
    id: int | None = None

    def to_wire(self) -> dict[str, Any]:
        """The entry as the audit-log API answers it."""
        return {
            "id": self.id,
            "tenantId": self.tenant,
            "date": _date(self.date),
            "actorType": self.actor_type,
            "actor": self.actor,
            "action": self.action,
            "resource": self.resource,
            "resourceId": self.resource_id,
            "namespace": self.namespace,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "ip": self.ip,
            "channel": self.channel,
            "details": self.details,
        }
