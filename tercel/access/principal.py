"""The caller of a request and what it may do (pure: no I/O).

A super-admin (a user flagged so, or the operator's basic-auth credentials and
``TERCEL_API_TOKENS``) may do everything in every tenant. Anyone else holds the roles of
their bindings: a permission is granted in a tenant when a binding there, whose namespace
covers the one asked about, has a role holding it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tercel.access.permissions import INSTANCE_RESOURCES, Permission, Role
from tercel.access.records import BindingRecord


class ActorType(StrEnum):
    """How the caller authenticated."""

    ANONYMOUS = "ANONYMOUS"
    SUPER_ADMIN = "SUPER_ADMIN"  # basic auth or TERCEL_API_TOKENS, or open mode
    USER = "USER"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"


@dataclass(frozen=True)
class Grant:
    """A binding with its role resolved."""

    binding: BindingRecord
    role: Role


@dataclass(frozen=True)
class Principal:
    """Who calls, and the roles they hold."""

    actor_type: ActorType
    name: str
    id: str | None = None
    super_admin: bool = False
    grants: tuple[Grant, ...] = ()
    #: Set for a UI session: state-changing requests must echo it (X-CSRF-Token).
    csrf_token: str | None = field(default=None, repr=False)
    #: A service account belongs to one tenant.
    home_tenant: str | None = None

    @property
    def authenticated(self) -> bool:
        """False for the anonymous caller."""
        return self.actor_type is not ActorType.ANONYMOUS

    def tenants(self) -> set[str]:
        """The tenants where the principal holds some role."""
        return {g.binding.tenant for g in self.grants}

    def sees_tenant(self, tenant: str) -> bool:
        """Whether the tenant exists for this principal at all."""
        return self.super_admin or tenant in self.tenants()

    def can(self, tenant: str, permission: Permission, namespace: str | None = None) -> bool:
        """Whether `permission` is granted in `tenant` for `namespace` (None: tenant-wide)."""
        if self.super_admin:
            return True
        if permission.resource in INSTANCE_RESOURCES:
            return False
        return any(
            g.binding.tenant == tenant and g.binding.covers(namespace) and g.role.allows(permission)
            for g in self.grants
        )

    def namespaces_for(self, tenant: str, permission: Permission) -> list[str] | None:
        """Where `permission` holds in `tenant`: None for the whole tenant, else the
        namespaces of the limited bindings that grant it (empty: nowhere)."""
        if self.can(tenant, permission):
            return None
        return sorted(
            g.binding.namespace
            for g in self.grants
            if g.binding.tenant == tenant
            and g.binding.namespace is not None
            and g.role.allows(permission)
        )


ANONYMOUS = Principal(ActorType.ANONYMOUS, "anonymous")


def operator(name: str) -> Principal:
    """The super-admin of basic auth, ``TERCEL_API_TOKENS``, or an open (no-auth) server."""
    return Principal(ActorType.SUPER_ADMIN, name, super_admin=True)
