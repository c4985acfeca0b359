"""Users, sessions, service-account tokens, roles and bindings, and the audit log, on a real
SQLite (and PostgreSQL) store through the HTTP API."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.store.sql import SqlStore
from tercel.store.sql.schema import api_tokens, audit_log, sessions, users
from tests.integration.api.conftest import KEY, TestClient

ROOT = ("root", "root-password")
YAML = {"Content-Type": "application/x-yaml"}
FLOW = """\
id: hello
namespace: {ns}
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


@pytest.fixture
def app(store: SqlStore, tmp_path: Path) -> FastAPI:
    """An API whose operator logs in with basic auth (a super-admin)."""
    settings = Settings(
        home=tmp_path,
        encryption_key=KEY,
        basic_auth_user=ROOT[0],
        basic_auth_password=ROOT[1],
    )
    return create_app(store, settings)


@pytest.fixture
def root(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=basic(*ROOT)) as client:
        yield client


def basic(name: str, password: str) -> dict[str, str]:
    """A basic-auth header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def user(
    root: TestClient,
    name: str,
    *,
    tenant: str = "main",
    role: str | None = None,
    namespace: str | None = None,
) -> str:
    """Create a user (password = name * 3) bound to `role`; return their id."""
    created = root.post("/api/v1/users", json={"username": name, "password": name * 3})
    assert created.status_code == 200, created.text
    if role is not None:
        bound = root.post(
            f"/api/v1/{tenant}/bindings",
            json={"type": "USER", "externalId": name, "roleId": role, "namespaceId": namespace},
        )
        assert bound.status_code == 200, bound.text
    return str(created.json()["id"])


def as_user(app: FastAPI, name: str) -> TestClient:
    return TestClient(app, headers=basic(name, name * 3))


def test_an_install_without_passwords_stays_open_until_one_is_set(
    store: SqlStore, tmp_path: Path
) -> None:
    app = create_app(store, Settings(home=tmp_path))
    with TestClient(app) as client:
        assert client.get("/api/v1/main/flows/search").status_code == 200
        admin = client.get("/api/v1/users/admin").json()  # the migration's super-admin
        assert admin["superAdmin"] is True
        assert admin["hasPassword"] is False
        changed = client.put(f"/api/v1/users/{admin['id']}", json={"password": "s3cret-pass"})
        assert changed.status_code == 200, changed.text
        # The next second, the door is locked.
        app.state.access.users_changed()
        assert client.get("/api/v1/main/flows/search").status_code == 401
        logged = client.get("/api/v1/main/flows/search", auth=("admin", "s3cret-pass"))
        assert logged.status_code == 200
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") for h in stored if h != "!")
    assert not any("s3cret-pass" in h for h in stored)


def test_basic_auth_and_api_tokens_of_the_settings_act_as_super_admin(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, api_tokens=("operator-token",))
    with TestClient(create_app(store, settings)) as client:
        bearer = {"Authorization": "Bearer operator-token"}
        assert (
            client.post("/api/v1/tenants", json={"id": "acme"}, headers=bearer).status_code == 200
        )
        me = client.get("/api/v1/me", headers=bearer).json()
        assert me["superAdmin"] is True
        assert set(me["tenants"]) == {"main", "acme"}


def test_login_sets_a_strict_http_only_cookie_and_state_changes_need_the_csrf_token(
    app: FastAPI, root: TestClient
) -> None:
    user(root, "dora", role="editor")
    with TestClient(app) as browser:
        wrong = browser.post("/api/v1/auth/login", json={"username": "dora", "password": "nope"})
        assert wrong.status_code == 401
        login = browser.post(
            "/api/v1/auth/login", json={"username": "dora", "password": "dora" * 3}
        )
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        csrf = login.json()["csrfToken"]
        assert login.json()["tenants"]["main"]["permissions"]["FLOW"] == [
            "CREATE",
            "READ",
            "UPDATE",
            "DELETE",
        ]
        assert browser.get("/api/v1/main/flows/search").status_code == 200
        flow = FLOW.format(ns="company.team")
        refused = browser.post("/api/v1/main/flows", content=flow, headers=YAML)
        assert refused.status_code == 403
        assert "csrf" in refused.json()["message"].lower()
        accepted = browser.post(
            "/api/v1/main/flows", content=flow, headers={**YAML, "X-CSRF-Token": csrf}
        )
        assert accepted.status_code == 200, accepted.text
        out = browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert browser.get("/api/v1/main/flows/search").status_code == 401
    done = root.get("/api/v1/auditlogs/search", params={"actor": "dora"}).json()["results"]
    # The flow was created through the UI's session; the login itself was a plain call.
    assert [(e["action"], e["channel"]) for e in done] == [("CREATE", "ui"), ("LOGIN", "api")]


def test_sessions_are_stored_hashed(app: FastAPI, root: TestClient, store: SqlStore) -> None:
    user(root, "sam", role="viewer")
    with TestClient(app) as browser:
        browser.post("/api/v1/auth/login", json={"username": "sam", "password": "sam" * 3})
        value = browser.cookies.get("tercel_session")
    assert value
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(sessions.c.id_hash)).scalars().all()
    assert stored
    assert value not in stored


def test_repeated_wrong_passwords_are_throttled(app: FastAPI, root: TestClient) -> None:
    user(root, "eve", role="viewer")
    with TestClient(app) as client:
        codes = [
            client.post(
                "/api/v1/auth/login", json={"username": "eve", "password": f"x{i}"}
            ).status_code
            for i in range(7)
        ]
        assert codes[:5] == [401] * 5
        assert codes[-1] == 429
        right = client.post("/api/v1/auth/login", json={"username": "eve", "password": "eve" * 3})
        assert right.status_code == 429  # even the right password waits
        assert int(right.headers["retry-after"]) >= 1


def test_a_user_changes_their_password_and_old_sessions_end(app: FastAPI, root: TestClient) -> None:
    user(root, "pat", role="viewer")
    with as_user(app, "pat") as client:
        bad = client.put("/api/v1/me/password", json={"oldPassword": "no", "newPassword": "x" * 12})
        assert bad.status_code == 409
        short = client.put(
            "/api/v1/me/password", json={"oldPassword": "pat" * 3, "newPassword": "short"}
        )
        assert short.status_code == 422
        ok = client.put(
            "/api/v1/me/password", json={"oldPassword": "pat" * 3, "newPassword": "a-new-password"}
        )
        assert ok.status_code == 204
        assert client.get("/api/v1/main/flows/search").status_code == 401
        fresh = client.get("/api/v1/main/flows/search", auth=("pat", "a-new-password"))
        assert fresh.status_code == 200


def test_service_account_tokens_are_shown_once_hashed_expire_and_revoke(
    app: FastAPI, root: TestClient, store: SqlStore
) -> None:
    account = root.post("/api/v1/main/service-accounts", json={"name": "ci"}).json()
    root.post(
        "/api/v1/main/bindings",
        json={"type": "SERVICE_ACCOUNT", "externalId": account["id"], "roleId": "runner"},
    )
    tokens = f"/api/v1/main/service-accounts/{account['id']}/tokens"
    created = root.post(tokens, json={"name": "deploy", "maxAge": "P30D"}).json()
    token = created["token"]
    assert token.startswith("tct_")
    assert created["expires"] is not None
    assert all("token" not in t for t in root.get(tokens).json()["results"])
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(api_tokens)).all()
    assert not any(token in str(tuple(r)) or token.split("_", 2)[2] in str(tuple(r)) for r in rows)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as ci:
        assert ci.get("/api/v1/main/flows/search").status_code == 200
        # A runner starts executions but does not edit flows.
        denied = ci.post("/api/v1/main/flows", content=FLOW.format(ns="a.b"), headers=YAML)
        assert denied.status_code == 403
        assert "FLOW:CREATE" in denied.json()["message"]
        assert root.delete(f"{tokens}/{created['id']}").status_code == 204
        assert ci.get("/api/v1/main/flows/search").status_code == 401
    expired = root.post(tokens, json={"name": "old", "expiresAt": "2020-01-01T00:00:00Z"}).json()
    with TestClient(app, headers={"Authorization": f"Bearer {expired['token']}"}) as old:
        response = old.get("/api/v1/main/flows/search")
        assert response.status_code == 401
        assert "expired" in response.json()["message"]


def test_a_namespace_limited_editor_works_only_in_that_namespace_and_its_children(
    app: FastAPI, root: TestClient
) -> None:
    user(root, "nora", role="editor", namespace="company.team")
    with as_user(app, "nora") as nora:
        own = nora.post(
            "/api/v1/main/flows", content=FLOW.format(ns="company.team.sub"), headers=YAML
        )
        assert own.status_code == 200, own.text
        other = nora.post(
            "/api/v1/main/flows", content=FLOW.format(ns="company.teamx"), headers=YAML
        )
        assert other.status_code == 403
        assert nora.get("/api/v1/main/flows/search").status_code == 403  # tenant-wide search
        scoped = nora.get("/api/v1/main/flows/search", params={"namespace": "company.team"})
        assert scoped.status_code == 200
        assert scoped.json()["total"] == 1
        wider = nora.get("/api/v1/main/flows/search", params={"namespace": "company"})
        assert wider.status_code == 403
        kv = nora.put(
            "/api/v1/main/namespaces/company.other/kv/k",
            content="1",
            headers={"Content-Type": "application/json"},
        )
        assert kv.status_code == 403


def test_a_group_binding_gives_its_members_the_role(app: FastAPI, root: TestClient) -> None:
    user(root, "gil")
    group = root.post("/api/v1/main/groups", json={"name": "data"}).json()
    assert (
        root.put(
            f"/api/v1/main/groups/{group['id']}/members", json={"members": ["gil"]}
        ).status_code
        == 200
    )
    with as_user(app, "gil") as gil:
        assert gil.get("/api/v1/main/flows/search").status_code == 404  # no role: no tenant
        root.post(
            "/api/v1/main/bindings",
            json={"type": "GROUP", "externalId": group["id"], "roleId": "viewer"},
        )
        app.state.access.users_changed()
        assert gil.get("/api/v1/main/flows/search").status_code == 200


def test_custom_roles_hold_exactly_their_permissions(app: FastAPI, root: TestClient) -> None:
    bad = root.put("/api/v1/main/roles/odd", json={"permissions": {"FLOWS": ["READ"]}})
    assert bad.status_code == 422
    assert "FLOWS" in bad.json()["message"]
    assert root.put("/api/v1/main/roles/viewer", json={"permissions": {}}).status_code == 409
    role = root.put(
        "/api/v1/main/roles/kv-keeper", json={"permissions": {"KVSTORE": ["READ", "UPDATE"]}}
    )
    assert role.status_code == 200
    user(root, "kai", role="kv-keeper")
    with as_user(app, "kai") as kai:
        put = kai.put(
            "/api/v1/main/namespaces/a.b/kv/k",
            content="1",
            headers={"Content-Type": "application/json"},
        )
        assert put.status_code in (200, 204), put.text
        assert kai.get("/api/v1/main/flows/search").status_code == 403


def test_nobody_but_a_super_admin_sees_another_tenant(app: FastAPI, root: TestClient) -> None:
    root.post("/api/v1/tenants", json={"id": "acme"})
    user(root, "bob", tenant="acme", role="admin")
    with as_user(app, "bob") as bob:
        assert [t["id"] for t in bob.get("/api/v1/tenants").json()["results"]] == ["acme"]
        assert bob.get("/api/v1/tenants/main").status_code == 404
        assert bob.get("/api/v1/main/flows/search").json() == {"message": "tenant `main` not found"}
        assert bob.get("/api/v1/nowhere/flows/search").json() == {
            "message": "tenant `nowhere` not found"
        }
        assert bob.post("/api/v1/tenants", json={"id": "mine"}).status_code == 403
        assert bob.get("/api/v1/users").status_code == 403
        assert bob.get("/api/v1/acme/bindings").status_code == 200


def test_the_audit_log_records_who_did_what_and_never_a_secret_value(
    app: FastAPI, root: TestClient, store: SqlStore
) -> None:
    user(root, "ann", role="admin")
    with as_user(app, "ann") as ann:
        ann.post("/api/v1/main/flows", content=FLOW.format(ns="company.team"), headers=YAML)
        ann.put(
            "/api/v1/main/namespaces/company.team/secrets/DB_PASSWORD",
            json={"value": "hunter2-very-secret"},
            headers={"X-Tercel-Client": "cli"},
        )
        ann.delete("/api/v1/main/flows/company.team/hello")
        ann.delete("/api/v1/main/flows/company.team/missing")  # 404: nothing happened
        found = ann.get("/api/v1/main/auditlogs/search", params={"actor": "ann"}).json()
    actions = [
        (e["resource"], e["action"], e["resourceId"], e["channel"]) for e in found["results"]
    ]
    assert actions == [
        ("FLOW", "DELETE", "hello", "api"),
        ("SECRET", "UPDATE", "DB_PASSWORD", "cli"),
        ("FLOW", "CREATE", None, "api"),
    ]
    assert all(e["ip"] for e in found["results"])
    assert found["results"][2]["namespace"] == "company.team"
    by_resource = root.get("/api/v1/main/auditlogs/search", params={"resource": "secret"}).json()
    assert by_resource["total"] == 1
    with store.engine.connect() as conn:
        everything = str(conn.execute(sa.select(audit_log)).all())
    assert "hunter2" not in everything
    with as_user(app, "ann") as ann:
        user(root, "vic", role="viewer")
        with as_user(app, "vic") as vic:
            assert vic.get("/api/v1/main/auditlogs/search").status_code == 403


def test_a_route_without_a_declared_permission_is_refused_to_everyone(
    app: FastAPI, root: TestClient
) -> None:
    @app.get("/api/v1/{tenant}/undeclared")
    def undeclared(tenant: str) -> dict[str, str]:
        return {"tenant": tenant}

    response = root.get("/api/v1/main/undeclared")
    assert response.status_code == 403
    assert "declares no permission" in response.json()["message"]


def test_the_admin_password_setting_unlocks_the_migrated_admin_once(
    store: SqlStore, tmp_path: Path
) -> None:
    first = create_app(store, Settings(home=tmp_path, admin_password="first-password"))
    with TestClient(first) as client:
        assert client.get("/api/v1/me").status_code == 401
        me = client.get("/api/v1/me", auth=("admin", "first-password")).json()
        assert me["superAdmin"] is True
    # A later start with another value does not overwrite the password set before.
    second = create_app(store, Settings(home=tmp_path, admin_password="other-password"))
    with TestClient(second) as client:
        assert client.get("/api/v1/me", auth=("admin", "other-password")).status_code == 401
        assert client.get("/api/v1/me", auth=("admin", "first-password")).status_code == 200


def test_execution_actions_and_instance_changes_are_audited_by_name(
    app: FastAPI, root: TestClient
) -> None:
    root.post("/api/v1/tenants", json={"id": "acme"})
    user(root, "ivy")
    # An action on an execution that does not exist is refused: nothing is recorded.
    assert root.delete("/api/v1/main/executions/nope/kill").status_code in (404, 409)
    instance = root.get("/api/v1/auditlogs/search", params={"tenant": "-"}).json()
    assert [(e["resource"], e["action"], e["resourceId"]) for e in instance["results"]] == [
        ("USER", "CREATE", None),
        ("TENANT", "CREATE", None),
    ]
    assert instance["results"][0]["actor"] == "root"
    assert instance["results"][0]["actorType"] == "SUPER_ADMIN"
    with as_user(app, "ivy") as ivy:
        assert ivy.get("/api/v1/auditlogs/search").status_code == 403


def test_execution_actions_are_audited_with_their_name(server_client: TestClient) -> None:
    flow = FLOW.format(ns="company.team")
    assert server_client.post("/api/v1/main/flows", content=flow, headers=YAML).status_code == 200
    done = server_client.post(
        "/api/v1/main/executions/company.team/hello", params={"wait": "true"}
    ).json()
    execution = f"/api/v1/main/executions/{done['id']}"
    changed = server_client.post(f"{execution}/change-status", params={"status": "FAILED"})
    assert changed.status_code == 200, changed.text
    assert server_client.post(f"{execution}/restart").status_code == 200
    found = server_client.get(
        "/api/v1/main/auditlogs/search", params={"resource": "EXECUTION"}
    ).json()
    assert [(e["action"], e["resourceId"]) for e in found["results"]] == [
        ("RESTART", done["id"]),
        ("CHANGE_STATUS", done["id"]),
        ("CREATE", "hello"),
    ]


HOOKED = """\
id: hooked
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
"""


def test_a_webhook_is_protected_by_its_key_alone_whatever_authorization_it_carries(
    app: FastAPI, root: TestClient
) -> None:
    assert root.post("/api/v1/main/flows", content=HOOKED, headers=YAML).status_code == 200
    url = "/api/v1/main/executions/webhook/company.team/hooked"
    with TestClient(app) as caller:
        foreign = {"Authorization": "Bearer token-of-the-sending-system"}
        refused = caller.post(f"{url}/wrong-key", headers=foreign)
        assert refused.status_code == 404
        accepted = caller.post(f"{url}/the-key", headers=foreign)
        assert accepted.status_code not in (401, 403, 404), accepted.text
        # The same header on any other route is still refused.
        assert caller.get("/api/v1/main/flows/search", headers=foreign).status_code == 401
