"""The pure access model: bindings cover a namespace and its children, roles hold exactly
their permissions, super-admins everything, and the login throttle backs off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tercel.access.permissions import (
    BUILTIN_ROLES,
    Action,
    Permission,
    Resource,
    permissions_from_wire,
)
from tercel.access.principal import ActorType, Grant, Principal, operator
from tercel.access.records import BindingRecord, SubjectType
from tercel.access.throttle import FREE_ATTEMPTS, LoginThrottle
from tercel.errors import InputError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FLOW_UPDATE = Permission(Resource.FLOW, Action.UPDATE)


def grant(role: str, tenant: str = "a", namespace: str | None = None) -> Grant:
    binding = BindingRecord("b", tenant, SubjectType.USER, "u", role, namespace, T0)
    return Grant(binding, BUILTIN_ROLES[role])


def user(*grants: Grant) -> Principal:
    return Principal(ActorType.USER, "u", "u", grants=grants)


def test_a_namespace_binding_covers_the_namespace_and_its_children_only() -> None:
    editor = user(grant("editor", namespace="company.team"))
    assert editor.can("a", FLOW_UPDATE, "company.team")
    assert editor.can("a", FLOW_UPDATE, "company.team.sub.deep")
    assert not editor.can("a", FLOW_UPDATE, "company.teamx")
    assert not editor.can("a", FLOW_UPDATE, "company")
    assert not editor.can("a", FLOW_UPDATE, None)  # tenant-wide is more than a namespace
    assert editor.namespaces_for("a", FLOW_UPDATE) == ["company.team"]


def test_roles_hold_exactly_their_permissions_in_their_tenant_only() -> None:
    viewer = user(grant("viewer"))
    read = Permission(Resource.EXECUTION, Action.READ)
    start = Permission(Resource.EXECUTION, Action.CREATE)
    assert viewer.can("a", read)
    assert not viewer.can("a", start)
    assert not viewer.can("b", read)
    assert not viewer.sees_tenant("b")
    assert user(grant("runner")).can("a", start)
    assert not user(grant("runner")).can("a", FLOW_UPDATE)
    audit = Permission(Resource.AUDITLOG, Action.READ)
    assert user(grant("admin")).can("a", audit)
    assert not user(grant("editor")).can("a", audit)
    # No tenant role reaches the instance's resources.
    assert not user(grant("admin")).can("a", Permission(Resource.TENANT, Action.CREATE))


def test_super_admins_and_the_operator_may_do_everything_everywhere() -> None:
    root = operator("root")
    assert root.can("any", Permission(Resource.TENANT, Action.DELETE))
    assert root.sees_tenant("any")


def test_custom_role_permissions_are_checked_by_name() -> None:
    parsed = permissions_from_wire({"KVSTORE": ["READ", "UPDATE"]})
    assert parsed == {
        Permission(Resource.KVSTORE, Action.READ),
        Permission(Resource.KVSTORE, Action.UPDATE),
    }
    with pytest.raises(InputError, match="unknown resource `FLOWS`"):
        permissions_from_wire({"FLOWS": ["READ"]})
    with pytest.raises(InputError, match="unknown action `EXECUTE`"):
        permissions_from_wire({"FLOW": ["EXECUTE"]})
    with pytest.raises(InputError, match="super-admins"):
        permissions_from_wire({"TENANT": ["CREATE"]})


def test_the_login_throttle_backs_off_then_forgets() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(FREE_ATTEMPTS - 1):
        throttle.failed("user:ada")
    assert throttle.retry_after("user:ada") == 0
    throttle.failed("user:ada")
    assert throttle.retry_after("user:ada") == pytest.approx(2.0)
    throttle.failed("user:ada")
    assert throttle.retry_after("user:ada") == pytest.approx(4.0)
    now[0] += 5
    assert throttle.retry_after("user:ada") == 0
    throttle.succeeded("user:ada")
    throttle.failed("user:ada")
    assert throttle.retry_after("user:ada") == 0
    for _ in range(10):
        throttle.failed("ip:1.2.3.4")
    now[0] += 16 * 60  # failures decay after the window
    assert throttle.retry_after("ip:1.2.3.4") == 0
