"""The authorization matrix: every route of the OpenAPI document × every persona × the
persona's own tenant and another one, on a real server with data in both tenants.

Each cell is allowed or denied by the route's declared rule and the persona's roles, the
roles' permissions spelled out here by hand (not read from the code under test). A denied
cell must answer 401, 403 or "tenant not found" and carry none of the seeded data; an
allowed cell must get past authorization. The test counts leaks (denied but answered) and
wrongful refusals, and expects none of either.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tercel.api.route_permissions import ROUTES, Kind, Rule, Scope
from tercel.config import Settings
from tercel.runtime.local import LocalRuntime
from tercel.server import Server
from tercel.storage.local import LocalStorage
from tercel.store.sql import SqlStore
from tests.integration.api.conftest import KEY, TestClient, fresh_postgres

ROOT = ("root", "root-password-1")
A, B = "main", "acme"
NS = "company.team"
YAML = {"Content-Type": "application/x-yaml"}
#: A flow unit test of `hello` (`tercel test`), for the routes that take one.
TEST_SUITE = """\
id: hello-tests
namespace: company.team
flowId: hello
testCases:
  - id: logs
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
"""
SEEDED = ("seeded-kv-value", "seeded-secret-value", "seeded file content", "hello from seed")

FLOW = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hello from seed
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: hook-key
"""

DATA = ("FLOW", "EXECUTION", "NAMESPACE", "KVSTORE", "SECRET")
ACCESS = ("USER", "GROUP", "ROLE", "BINDING", "SERVICE_ACCOUNT", "AUDITLOG")
CRUD = ("CREATE", "READ", "UPDATE", "DELETE")
#: The built-in roles, as docs/access.md states them.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    "viewer": {f"{r}:READ" for r in DATA},
    "runner": {f"{r}:READ" for r in DATA} | {"EXECUTION:CREATE", "EXECUTION:UPDATE"},
    "editor": {f"{r}:{a}" for r in DATA for a in CRUD},
    "admin": {f"{r}:{a}" for r in DATA + ACCESS for a in CRUD},
}


@dataclass(frozen=True)
class Persona:
    name: str
    role: str | None
    tenant: str = A
    namespace: str | None = None


PERSONAS = (
    Persona("anonymous", None),
    Persona("viewer", "viewer"),
    Persona("runner", "runner"),
    # Before the tenant-wide editors: the first allowed DELETE of the execution removes it,
    # and a namespace-limited editor cannot learn the namespace of what no longer exists.
    Persona("ns-editor", "editor", namespace=NS),
    Persona("editor", "editor"),
    Persona("admin-a", "admin"),
    Persona("admin-b", "admin", tenant=B),
)


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def expected_allowed(rule: Rule, persona: Persona, tenant: str, path: str) -> bool:
    """Whether `persona` may call a route with `rule` in `tenant` (independent oracle)."""
    if rule.kind is Kind.PUBLIC:
        return True
    if persona.role is None:
        return False
    if path == "/api/v1/tenants/{tenant_id}" and rule.kind is Kind.AUTHENTICATED:
        return tenant == persona.tenant  # a tenant one has no role in does not exist
    if rule.kind is Kind.AUTHENTICATED:
        return True
    if rule.kind is Kind.SUPER_ADMIN or tenant != persona.tenant:
        return False
    if str(rule.permission) not in ROLE_PERMISSIONS[persona.role]:
        return False
    if persona.namespace is None:
        return True
    # Every path of the matrix names the persona's namespace; searches send none.
    return rule.scope in (Scope.PATH, Scope.EXECUTION, Scope.YAML, Scope.JSON, Scope.ANY)


@dataclass
class World:
    client: TestClient
    ids: dict[str, str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A server with access control, tenants A and B, the personas, and data in A."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'tercel.db'}"
        else:
            url = stack.enter_context(fresh_postgres())
        store = SqlStore.open(url)
        runtime = LocalRuntime(store=store, storage=LocalStorage(tmp_path / "storage"))
        runtime._owned.append(store.close)
        settings = Settings(
            home=tmp_path, encryption_key=KEY, basic_auth_user=ROOT[0], basic_auth_password=ROOT[1]
        )
        server = Server(settings, runtime)
        client = stack.enter_context(TestClient(server.app))
        yield World(client, seed(client))


def seed(client: TestClient) -> dict[str, str]:
    root = basic(*ROOT)

    def ok(response: Any) -> Any:
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    ok(client.post("/api/v1/tenants", json={"id": B}, headers=root))
    for persona in PERSONAS[1:]:
        ok(
            client.post(
                "/api/v1/users",
                json={"username": persona.name, "password": persona.name * 3},
                headers=root,
            )
        )
        ok(
            client.post(
                f"/api/v1/{persona.tenant}/bindings",
                json={
                    "type": "USER",
                    "externalId": persona.name,
                    "roleId": persona.role,
                    "namespaceId": persona.namespace,
                },
                headers=root,
            )
        )
    ok(client.post(f"/api/v1/{A}/flows", content=FLOW, headers={**YAML, **root}))
    json_body = {**root, "Content-Type": "application/json"}
    ok(
        client.put(
            f"/api/v1/{A}/namespaces/{NS}/kv/color", content='"seeded-kv-value"', headers=json_body
        )
    )
    ok(
        client.put(
            f"/api/v1/{A}/namespaces/{NS}/secrets/API_TOKEN",
            json={"value": "seeded-secret-value"},
            headers=root,
        )
    )
    ok(
        client.post(
            f"/api/v1/{A}/namespaces/{NS}/files",
            params={"path": "/notes.txt"},
            files={"fileContent": ("notes.txt", b"seeded file content")},
            headers=root,
        )
    )
    execution = ok(
        client.post(f"/api/v1/{A}/executions/{NS}/hello", params={"wait": "true"}, headers=root)
    )
    account = ok(client.post(f"/api/v1/{A}/service-accounts", json={"name": "ci"}, headers=root))
    token = ok(
        client.post(
            f"/api/v1/{A}/service-accounts/{account['id']}/tokens", json={"name": "t"}, headers=root
        )
    )
    group = ok(client.post(f"/api/v1/{A}/groups", json={"name": "team"}, headers=root))
    ok(
        client.put(
            f"/api/v1/{A}/roles/custom", json={"permissions": {"FLOW": ["READ"]}}, headers=root
        )
    )
    binding = ok(client.get(f"/api/v1/{A}/bindings", headers=root))["results"][0]
    admin = ok(client.get("/api/v1/users/admin", headers=root))
    return {
        "namespace": NS,
        "flow_id": "hello",
        "execution_id": execution["id"],
        "trigger_id": "hook",
        "name": "custom",
        "binding_id": binding["id"],
        "group_id": group["id"],
        "account_id": account["id"],
        "token_id": token["id"],
        "user_id": admin["id"],
        # Flow unit tests: the matrix checks who may ask, an unknown suite or run is a 404.
        "suite_id": "hello-tests",
        "run_id": "no-such-run",
    }


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document, plus the routes hidden from it."""
    spec = client.get("/api/openapi.json", headers=basic(*ROOT)).json()
    found = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            found |= {(m, route.path_format) for m in route.methods}
    with contextlib.suppress(ImportError):
        from fastapi.routing import iter_route_contexts

        for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
            route = context._effective_route  # hidden routes have no public list
            for method in getattr(route, "methods", None) or ():
                if (
                    method != "HEAD"
                    and context.path_format
                    and context.path_format.startswith("/api/v1")
                ):
                    found.add((method, context.path_format))
    return sorted(found)


def fill(path: str, tenant: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("tenant", "tenant_id"):
            return tenant
        if name == "key":
            if "/secrets/" in path:
                return "API_TOKEN"
            return "hook-key" if "/webhook/" in path else "color"
        return ids[name]

    return re.sub(r"\{(\w+)\}", value, path)


def call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    if method in ("POST", "PUT"):
        if url.endswith("/flows") or re.search(r"/flows/[^/]+(/[^/]+)?$", url):
            kwargs["content"] = FLOW.replace("id: hello", "id: matrix")
            kwargs["headers"]["Content-Type"] = "application/x-yaml"
        elif url.endswith("/tests") or re.search(r"/tests/[^/]+/[^/]+$", url):
            kwargs["content"] = TEST_SUITE
            kwargs["headers"]["Content-Type"] = "application/x-yaml"
        else:
            kwargs["content"] = json.dumps(
                {"namespace": NS, "flowId": "hello", "triggerId": "hook"}
            )
            kwargs["headers"]["Content-Type"] = "application/json"
    if url.endswith("/follow"):
        with client.stream(method, url, **kwargs) as response:
            return (
                response.status_code,
                "" if response.status_code < 400 else response.read().decode(),
            )
    response = client.request(method, url, **kwargs)
    return response.status_code, response.text


def is_denial(status: int, body: str) -> bool:
    if status in (401, 403):
        return True
    return status == 404 and "tenant `" in body and "not found" in body


def order(item: tuple[str, str]) -> tuple[int, str, str]:
    # Destructive calls last, so that they do not remove what the other cells read.
    method, path = item
    rank = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}.get(method, 4)
    if path.endswith("/executions/{execution_id}") and method == "DELETE":
        rank = 5
    return rank, path, method


def test_every_route_declares_a_permission(world: World) -> None:
    spec = world.client.get("/api/openapi.json", headers=basic(*ROOT)).json()
    missing = [
        f"{m.upper()} {p}"
        for p, ops in spec["paths"].items()
        for m, op in ops.items()
        if not op.get("x-tercel-permission")
    ]
    assert missing == []
    undeclared = [f"{m} {p}" for m, p in routes(world.client) if (m, p) not in ROUTES]
    assert undeclared == []


def test_the_authorization_matrix_has_no_leak(world: World) -> None:
    cells = 0
    leaks: list[str] = []
    refusals: list[str] = []
    all_routes = sorted(routes(world.client), key=order)
    for tenant_kind in ("other", "same"):
        for method, path in all_routes:
            rule = ROUTES[(method, path)]
            for persona in PERSONAS:
                tenant = (
                    persona.tenant if tenant_kind == "same" else (B if persona.tenant == A else A)
                )
                if "{tenant" not in path and tenant_kind == "other":
                    continue  # an instance route: no tenant to vary
                headers = {} if persona.role is None else basic(persona.name, persona.name * 3)
                url = fill(path, tenant, world.ids)
                status, body = call(world.client, method, url, headers)
                cells += 1
                denied = is_denial(status, body)
                cell = f"{persona.name} {method} {url} -> {status} {body[:120]}"
                if expected_allowed(rule, persona, tenant, path):
                    if denied:
                        refusals.append(cell)
                else:
                    if not denied:
                        leaks.append(cell)
                    elif any(s in body for s in SEEDED):
                        leaks.append(cell + " (data in the refusal)")
    assert leaks == [], f"{len(leaks)} leaks in {cells} cells:\n" + "\n".join(leaks)
    assert refusals == [], f"{len(refusals)} refusals in {cells} cells:\n" + "\n".join(refusals)
    print(f"matrix: {cells} cells, {len(leaks)} leaks")
    assert cells > 700
