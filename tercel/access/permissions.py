"""Permissions: a resource and an action, as Kestra's Enterprise edition names them.

A role is a set of permissions; four roles are built in (viewer, runner, editor, admin) and
a tenant may define its own. Starting an execution is ``EXECUTION:CREATE``; acting on one
(kill, restart, replay, resume, change status, labels) is ``EXECUTION:UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tercel.errors import InputError


class Resource(StrEnum):
    """What a permission is about (Kestra's permission names)."""

    FLOW = "FLOW"
    EXECUTION = "EXECUTION"
    NAMESPACE = "NAMESPACE"
    KVSTORE = "KVSTORE"
    SECRET = "SECRET"  # noqa: S105 (a resource name)
    USER = "USER"
    GROUP = "GROUP"
    ROLE = "ROLE"
    BINDING = "BINDING"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    AUDITLOG = "AUDITLOG"
    TENANT = "TENANT"


class Action(StrEnum):
    """What is done to the resource."""

    CREATE = "CREATE"
    READ = "READ"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


ALL_ACTIONS = frozenset(Action)
#: Resources only a super-admin acts on: a tenant's roles never grant them.
INSTANCE_RESOURCES = frozenset({Resource.TENANT})


@dataclass(frozen=True, slots=True)
class Permission:
    """One resource × one action (``FLOW:READ``)."""

    resource: Resource
    action: Action

    def __str__(self) -> str:
        return f"{self.resource}:{self.action}"


@dataclass(frozen=True)
class Role:
    """A named set of permissions; `builtin` roles cannot be changed or deleted."""

    name: str
    permissions: frozenset[Permission]
    description: str = ""
    builtin: bool = False
    tenant: str | None = field(default=None, compare=False)

    def allows(self, permission: Permission) -> bool:
        """Whether the role holds `permission`."""
        return permission in self.permissions

    def to_wire(self) -> dict[str, object]:
        """``{"name", "description", "builtin", "permissions": {"FLOW": ["READ"]}}``."""
        return {
            "name": self.name,
            "description": self.description,
            "builtin": self.builtin,
            "permissions": permissions_to_wire(self.permissions),
        }


def grant(resources: Iterable[Resource], actions: Iterable[Action]) -> frozenset[Permission]:
    """Every resource × action pair."""
    acts = tuple(actions)
    return frozenset(Permission(r, a) for r in resources for a in acts)


def permissions_to_wire(permissions: Iterable[Permission]) -> dict[str, list[str]]:
    """``{"FLOW": ["CREATE", "READ"], ...}``, sorted."""
    wire: dict[str, list[str]] = {}
    for p in sorted(permissions, key=lambda p: (p.resource.value, p.action.value)):
        wire.setdefault(p.resource.value, []).append(p.action.value)
    return wire


def permissions_from_wire(wire: Mapping[str, object]) -> frozenset[Permission]:
    """Parse ``{"FLOW": ["READ"]}``; InputError naming an unknown resource or action."""
    found: set[Permission] = set()
    for resource, actions in wire.items():
        try:
            res = Resource(resource)
        except ValueError:
            known = ", ".join(r.value for r in Resource if r not in INSTANCE_RESOURCES)
            raise InputError(
                f"permissions: unknown resource `{resource}` (one of {known})"
            ) from None
        if res in INSTANCE_RESOURCES:
            raise InputError(f"permissions: `{resource}` is for super-admins only, not a role")
        if not isinstance(actions, list):
            raise InputError(f"permissions.{resource}: a list of actions")
        for action in actions:
            try:
                found.add(Permission(res, Action(str(action))))
            except ValueError:
                raise InputError(
                    f"permissions.{resource}: unknown action `{action}` "
                    "(CREATE, READ, UPDATE or DELETE)"
                ) from None
    return frozenset(found)


_DATA = (Resource.FLOW, Resource.EXECUTION, Resource.NAMESPACE, Resource.KVSTORE, Resource.SECRET)
_VIEWER = grant(_DATA, [Action.READ])
_RUNNER = _VIEWER | grant([Resource.EXECUTION], [Action.CREATE, Action.UPDATE])
_EDITOR = _RUNNER | grant(_DATA, ALL_ACTIONS)
_ADMIN = _EDITOR | grant(
    [
        Resource.USER,
        Resource.GROUP,
        Resource.ROLE,
        Resource.BINDING,
        Resource.SERVICE_ACCOUNT,
        Resource.AUDITLOG,
    ],
    ALL_ACTIONS,
)

BUILTIN_ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("viewer", _VIEWER, "reads flows, executions, logs, namespaces, KV keys", True),
        Role("runner", _RUNNER, "viewer, and starts and acts on executions", True),
        Role("editor", _EDITOR, "runner, and writes flows, namespaces, files, KV, secrets", True),
        Role(
            "admin", _ADMIN, "editor, and manages the tenant's access and reads its audit log", True
        ),
    )
}
