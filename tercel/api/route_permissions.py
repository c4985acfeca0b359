"""What every API route requires, in one table: the single place an authorization is declared.

`tercel.api.access.authorize` looks up the matched route's ``(method, path)`` here; a route
missing from the table is refused to everyone (fail closed), and a test checks that every
route the application serves has an entry. The OpenAPI document shows each route's rule as
``x-tercel-permission``.

A rule names a permission (resource × action) and where the namespace it applies to comes
from, so that a binding limited to a namespace can grant it:

* ``PATH``: the ``{namespace}`` path segment;
* ``EXECUTION``: the namespace of the ``{execution_id}`` of the path (read in the tenant);
* ``QUERY``: the ``namespace`` query parameter (a search: without one, the permission must
  hold tenant-wide; with one, for that namespace, which filters the results to it);
* ``YAML`` / ``JSON``: the ``namespace`` of the request body (a flow, a trigger reference);
* ``ANY``: held for some namespace of the tenant (editor helpers that return no data);
* ``TENANT``: held tenant-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tercel.access.permissions import Action, Permission, Resource


class Scope(StrEnum):
    """Where the namespace a permission applies to comes from."""

    PATH = "path"
    EXECUTION = "execution"
    QUERY = "query"
    YAML = "yaml"
    JSON = "json"
    ANY = "any"
    TENANT = "tenant"


class Kind(StrEnum):
    """Who may call a route at all."""

    PUBLIC = "public"  # anyone (probes, server configuration, webhooks checked by key)
    AUTHENTICATED = "authenticated"  # any caller who logged in (their own account)
    SUPER_ADMIN = "super-admin"  # instance administration (tenants, users)
    PERMISSION = "permission"  # a permission in the path's tenant


@dataclass(frozen=True, slots=True)
class Rule:
    """The requirement of one route."""

    kind: Kind
    permission: Permission | None = None
    scope: Scope = Scope.TENANT

    def describe(self) -> str:
        """``FLOW:READ (namespace from path)``, ``public``..."""
        if self.permission is None:
            return self.kind.value
        return f"{self.permission} (namespace: {self.scope.value})"


PUBLIC = Rule(Kind.PUBLIC)
AUTHENTICATED = Rule(Kind.AUTHENTICATED)
SUPER_ADMIN = Rule(Kind.SUPER_ADMIN)


def need(resource: Resource, action: Action, scope: Scope = Scope.TENANT) -> Rule:
    """A rule requiring ``resource:action`` in the tenant of the path."""
    return Rule(Kind.PERMISSION, Permission(resource, action), scope)


F, X, N, K, S = (
    Resource.FLOW,
    Resource.EXECUTION,
    Resource.NAMESPACE,
    Resource.KVSTORE,
    Resource.SECRET,
)
C, R, U, D = Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE
T = "/api/v1/{tenant}"

ROUTES: dict[tuple[str, str], Rule] = {
    # -- open --------------------------------------------------------------------------------
    ("GET", "/health"): PUBLIC,
    ("GET", "/api/v1/configs"): PUBLIC,
    ("GET", f"{T}/configs"): PUBLIC,
    # Webhooks are protected by their key alone, as in Kestra.
    ("GET", f"{T}/executions/webhook/{{namespace}}/{{flow_id}}/{{key}}"): PUBLIC,
    ("POST", f"{T}/executions/webhook/{{namespace}}/{{flow_id}}/{{key}}"): PUBLIC,
    ("PUT", f"{T}/executions/webhook/{{namespace}}/{{flow_id}}/{{key}}"): PUBLIC,
    # -- flows -------------------------------------------------------------------------------
    ("POST", f"{T}/flows"): need(F, C, Scope.YAML),
    ("POST", f"{T}/flows/validate"): need(F, R, Scope.ANY),
    ("GET", f"{T}/flows/search"): need(F, R, Scope.QUERY),
    ("GET", f"{T}/flows/distinct-namespaces"): need(F, R),
    ("GET", f"{T}/flows/{{namespace}}"): need(F, R, Scope.PATH),
    ("POST", f"{T}/flows/{{namespace}}"): need(F, U, Scope.PATH),
    ("GET", f"{T}/flows/{{namespace}}/{{flow_id}}"): need(F, R, Scope.PATH),
    ("PUT", f"{T}/flows/{{namespace}}/{{flow_id}}"): need(F, U, Scope.PATH),
    ("DELETE", f"{T}/flows/{{namespace}}/{{flow_id}}"): need(F, D, Scope.PATH),
    ("GET", f"{T}/flows/{{namespace}}/{{flow_id}}/revisions"): need(F, R, Scope.PATH),
    # -- executions --------------------------------------------------------------------------
    ("GET", f"{T}/executions"): need(X, R, Scope.QUERY),
    ("GET", f"{T}/executions/search"): need(X, R, Scope.QUERY),
    ("GET", f"{T}/executions/{{execution_id}}"): need(X, R, Scope.EXECUTION),
    ("DELETE", f"{T}/executions/{{execution_id}}"): need(X, D, Scope.EXECUTION),
    ("GET", f"{T}/executions/{{execution_id}}/follow"): need(X, R, Scope.EXECUTION),
    ("GET", f"{T}/executions/{{execution_id}}/file"): need(X, R, Scope.EXECUTION),
    ("DELETE", f"{T}/executions/{{execution_id}}/kill"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{execution_id}}/resume"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{execution_id}}/restart"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{execution_id}}/replay"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{execution_id}}/change-status"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{execution_id}}/labels"): need(X, U, Scope.EXECUTION),
    ("POST", f"{T}/executions/{{namespace}}/{{flow_id}}"): need(X, C, Scope.PATH),
    # -- logs (part of an execution, as in Kestra) -------------------------------------------
    ("GET", f"{T}/logs/{{execution_id}}"): need(X, R, Scope.EXECUTION),
    ("GET", f"{T}/logs/{{execution_id}}/download"): need(X, R, Scope.EXECUTION),
    ("GET", f"{T}/logs/{{execution_id}}/follow"): need(X, R, Scope.EXECUTION),
    ("DELETE", f"{T}/logs/{{execution_id}}"): need(X, D, Scope.EXECUTION),
    # -- namespaces and their files (files follow FLOW, as in Kestra 1.x) --------------------
    ("GET", f"{T}/namespaces/search"): need(N, R),
    ("PUT", f"{T}/namespaces/{{namespace}}"): need(N, U, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}"): need(N, R, Scope.PATH),
    ("DELETE", f"{T}/namespaces/{{namespace}}"): need(N, D, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/files"): need(F, R, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/files/stats"): need(F, R, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/files/directory"): need(F, R, Scope.PATH),
    ("POST", f"{T}/namespaces/{{namespace}}/files/directory"): need(F, U, Scope.PATH),
    ("POST", f"{T}/namespaces/{{namespace}}/files"): need(F, U, Scope.PATH),
    ("PUT", f"{T}/namespaces/{{namespace}}/files"): need(F, U, Scope.PATH),
    ("DELETE", f"{T}/namespaces/{{namespace}}/files"): need(F, U, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/files/export"): need(F, R, Scope.PATH),
    # -- KV and secrets ----------------------------------------------------------------------
    ("GET", f"{T}/namespaces/{{namespace}}/kv"): need(K, R, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/kv/{{key}}"): need(K, R, Scope.PATH),
    ("PUT", f"{T}/namespaces/{{namespace}}/kv/{{key}}"): need(K, U, Scope.PATH),
    ("DELETE", f"{T}/namespaces/{{namespace}}/kv/{{key}}"): need(K, D, Scope.PATH),
    ("DELETE", f"{T}/namespaces/{{namespace}}/kv"): need(K, D, Scope.PATH),
    ("GET", f"{T}/namespaces/{{namespace}}/secrets"): need(S, R, Scope.PATH),
    ("PUT", f"{T}/namespaces/{{namespace}}/secrets"): need(S, U, Scope.PATH),
    ("PUT", f"{T}/namespaces/{{namespace}}/secrets/{{key}}"): need(S, U, Scope.PATH),
    ("DELETE", f"{T}/namespaces/{{namespace}}/secrets/{{key}}"): need(S, D, Scope.PATH),
    # -- triggers (part of a flow, as in Kestra 1.x) -----------------------------------------
    ("GET", f"{T}/triggers/search"): need(F, R, Scope.QUERY),
    ("GET", f"{T}/triggers/{{namespace}}/{{flow_id}}"): need(F, R, Scope.PATH),
    ("PUT", f"{T}/triggers"): need(F, U, Scope.JSON),
    ("PUT", f"{T}/triggers/backfill/pause"): need(F, U, Scope.JSON),
    ("PUT", f"{T}/triggers/backfill/unpause"): need(F, U, Scope.JSON),
    ("POST", f"{T}/triggers/backfill/delete"): need(F, U, Scope.JSON),
    ("POST", f"{T}/triggers/{{namespace}}/{{flow_id}}/{{trigger_id}}/unlock"): need(
        F, U, Scope.PATH
    ),
    # -- flows as code: archives and bulk updates, a namespace's sync ------------------------
    ("GET", f"{T}/flows/export/by-query"): need(F, R, Scope.QUERY),
    # Ids name flows of any namespace: tenant-wide, as a search without a namespace is.
    ("POST", f"{T}/flows/export/by-ids"): need(F, R),
    ("POST", f"{T}/flows/import"): need(F, C),
    ("POST", f"{T}/flows/bulk"): need(F, U, Scope.QUERY),
    # The state names secrets (never values) and KV keys; applying writes flows, settings,
    # files, KV and secrets: both ask for the namespace permission an editor holds.
    ("POST", f"{T}/namespaces/{{namespace}}/sync/state"): need(N, R, Scope.PATH),
    ("POST", f"{T}/namespaces/{{namespace}}/sync/apply"): need(N, U, Scope.PATH),
    # -- flow unit tests (a test belongs to its flow; running one runs the flow) ---------------
    ("POST", f"{T}/tests"): need(F, C, Scope.YAML),
    ("POST", f"{T}/tests/validate"): need(F, R, Scope.ANY),
    ("GET", f"{T}/tests/search"): need(F, R, Scope.QUERY),
    ("GET", f"{T}/tests/results/search"): need(F, R, Scope.QUERY),
    ("GET", f"{T}/tests/results/{{run_id}}"): need(F, R),
    ("GET", f"{T}/tests/{{namespace}}/{{suite_id}}"): need(F, R, Scope.PATH),
    ("PUT", f"{T}/tests/{{namespace}}/{{suite_id}}"): need(F, U, Scope.PATH),
    ("DELETE", f"{T}/tests/{{namespace}}/{{suite_id}}"): need(F, D, Scope.PATH),
    ("POST", f"{T}/tests/{{namespace}}/{{suite_id}}/run"): need(X, C, Scope.PATH),
    # -- the UI's helpers --------------------------------------------------------------------
    ("GET", f"{T}/ui/failures"): need(X, R, Scope.QUERY),
    ("GET", f"{T}/ui/completions"): need(F, R, Scope.ANY),
    ("GET", f"{T}/ui/stats"): need(X, R, Scope.QUERY),
    ("GET", f"{T}/ui/blueprints"): need(F, R, Scope.ANY),
    # -- login and the caller's own account --------------------------------------------------
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): AUTHENTICATED,
    ("GET", "/api/v1/me"): AUTHENTICATED,
    ("PUT", "/api/v1/me/password"): AUTHENTICATED,
    # -- instance administration (super-admins) ----------------------------------------------
    ("GET", "/api/v1/tenants"): AUTHENTICATED,  # answers only the caller's tenants
    ("POST", "/api/v1/tenants"): SUPER_ADMIN,
    ("GET", "/api/v1/tenants/{tenant_id}"): AUTHENTICATED,  # 404 unless the caller sees it
    ("PUT", "/api/v1/tenants/{tenant_id}"): SUPER_ADMIN,
    ("DELETE", "/api/v1/tenants/{tenant_id}"): SUPER_ADMIN,
    ("GET", "/api/v1/users"): SUPER_ADMIN,
    ("POST", "/api/v1/users"): SUPER_ADMIN,
    ("GET", "/api/v1/users/{user_id}"): SUPER_ADMIN,
    ("PUT", "/api/v1/users/{user_id}"): SUPER_ADMIN,
    ("DELETE", "/api/v1/users/{user_id}"): SUPER_ADMIN,
    ("GET", "/api/v1/auditlogs/search"): SUPER_ADMIN,
    # -- a tenant's access (its admins) ------------------------------------------------------
    ("GET", f"{T}/roles"): need(Resource.ROLE, R),
    ("PUT", f"{T}/roles/{{name}}"): need(Resource.ROLE, U),
    ("DELETE", f"{T}/roles/{{name}}"): need(Resource.ROLE, D),
    ("GET", f"{T}/bindings"): need(Resource.BINDING, R),
    ("POST", f"{T}/bindings"): need(Resource.BINDING, C),
    ("DELETE", f"{T}/bindings/{{binding_id}}"): need(Resource.BINDING, D),
    ("GET", f"{T}/groups"): need(Resource.GROUP, R),
    ("POST", f"{T}/groups"): need(Resource.GROUP, C),
    ("PUT", f"{T}/groups/{{group_id}}/members"): need(Resource.GROUP, U),
    ("DELETE", f"{T}/groups/{{group_id}}"): need(Resource.GROUP, D),
    ("GET", f"{T}/service-accounts"): need(Resource.SERVICE_ACCOUNT, R),
    ("POST", f"{T}/service-accounts"): need(Resource.SERVICE_ACCOUNT, C),
    ("DELETE", f"{T}/service-accounts/{{account_id}}"): need(Resource.SERVICE_ACCOUNT, D),
    ("GET", f"{T}/service-accounts/{{account_id}}/tokens"): need(Resource.SERVICE_ACCOUNT, R),
    ("POST", f"{T}/service-accounts/{{account_id}}/tokens"): need(Resource.SERVICE_ACCOUNT, U),
    ("DELETE", f"{T}/service-accounts/{{account_id}}/tokens/{{token_id}}"): need(
        Resource.SERVICE_ACCOUNT, U
    ),
    ("GET", f"{T}/auditlogs/search"): need(Resource.AUDITLOG, R),
}

#: Paths served outside the API routes that still need a caller (the API's description).
DOCUMENT_PATHS = frozenset({"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect"})

#: Names a tenant may not take: they are path segments of `/api/v1/<name>`.
RESERVED_TENANT_IDS = frozenset({"tenants", "users", "me", "auth", "configs", "ui", "auditlogs"})


def rule_for(method: str, path_format: str) -> Rule | None:
    """The rule of a route (``HEAD`` as ``GET``), None when it declares none."""
    return ROUTES.get(("GET" if method == "HEAD" else method, path_format))
