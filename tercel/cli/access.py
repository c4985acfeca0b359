"""`tercel user ...` (super-admins), `tercel access ...` (a tenant's bindings, roles, service
accounts and tokens) and `tercel audit` against a server."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tercel.cli.flow import ServerOption, TenantOption
from tercel.cli.tenant import with_client

user_app = typer.Typer(name="user", help="Manage users (super-admins).", no_args_is_help=True)
access_app = typer.Typer(
    name="access",
    help="Who may do what in a tenant: bindings, roles, service accounts.",
    no_args_is_help=True,
)

PasswordOption = Annotated[
    str,
    typer.Option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The password (prompted when not given).",
    ),
]


@user_app.command("list")
def list_users(server: ServerOption = None) -> None:
    """Every user: name, super-admin, disabled."""
    body = with_client(server, None, lambda c: c.call("GET", "/users", tenant_path=False))
    for user in body["results"]:
        flags = [
            f
            for f, on in (("super-admin", user["superAdmin"]), ("disabled", user["disabled"]))
            if on
        ]
        typer.echo(f"{user['username']}\t{','.join(flags)}")


@user_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(metavar="NAME")],
    password: PasswordOption,
    super_admin: Annotated[
        bool, typer.Option("--super-admin", help="Manages tenants and users.")
    ] = False,
    server: ServerOption = None,
) -> None:
    """Create a user (give them a role with `tercel access bind`)."""
    body = {"username": username, "password": password, "superAdmin": super_admin}
    with_client(server, None, lambda c: c.call("POST", "/users", tenant_path=False, json=body))
    typer.echo(f"user {username} created")


@user_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(metavar="NAME")],
    password: PasswordOption,
    server: ServerOption = None,
) -> None:
    """Set a user's password (their sessions end)."""
    path = f"/users/{username}"
    with_client(
        server, None, lambda c: c.call("PUT", path, tenant_path=False, json={"password": password})
    )
    typer.echo(f"password of {username} set")


@user_app.command("delete")
def delete_user(
    username: Annotated[str, typer.Argument(metavar="NAME")], server: ServerOption = None
) -> None:
    """Delete a user."""
    path = f"/users/{username}"
    with_client(server, None, lambda c: c.call("DELETE", path, tenant_path=False))
    typer.echo(f"user {username} deleted")


@access_app.command("bind")
def bind(  # noqa: PLR0917 - Typer maps each parameter to an option
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="User name, or an id.")],
    role: Annotated[str, typer.Argument(metavar="ROLE", help="viewer, runner, editor, admin...")],
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Only this namespace and its children.")
    ] = None,
    kind: Annotated[str, typer.Option("--type", help="USER, GROUP or SERVICE_ACCOUNT.")] = "USER",
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Give a user, group or service account a role in the tenant."""
    body = {"type": kind.upper(), "externalId": subject, "roleId": role, "namespaceId": namespace}
    made = with_client(server, tenant, lambda c: c.call("POST", "/bindings", json=body))
    typer.echo(made["id"])


@access_app.command("bindings")
def bindings(server: ServerOption = None, tenant: TenantOption = None) -> None:
    """The tenant's bindings: id, type, subject, role, namespace."""
    body = with_client(server, tenant, lambda c: c.call("GET", "/bindings"))
    for b in body["results"]:
        typer.echo(
            f"{b['id']}\t{b['type']}\t{b['externalId']}\t{b['roleId']}\t{b['namespaceId'] or '*'}"
        )


@access_app.command("unbind")
def unbind(
    binding_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Delete a binding."""
    with_client(server, tenant, lambda c: c.call("DELETE", f"/bindings/{binding_id}"))
    typer.echo(f"binding {binding_id} deleted")


@access_app.command("roles")
def roles(server: ServerOption = None, tenant: TenantOption = None) -> None:
    """The tenant's roles and their permissions."""
    body = with_client(server, tenant, lambda c: c.call("GET", "/roles"))
    for role in body["results"]:
        typer.echo(f"{role['name']}\t{json.dumps(role['permissions'])}")


@access_app.command("service-account")
def service_account(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[str | None, typer.Option("--role", help="Bind it to this role.")] = None,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create a service account (and bind it to --role); prints its id."""
    account = with_client(
        server, tenant, lambda c: c.call("POST", "/service-accounts", json={"name": name})
    )
    if role:
        body = {"type": "SERVICE_ACCOUNT", "externalId": account["id"], "roleId": role}
        with_client(server, tenant, lambda c: c.call("POST", "/bindings", json=body))
    typer.echo(account["id"])


@access_app.command("token")
def token(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "token",
    max_age: Annotated[
        str | None, typer.Option("--max-age", help="ISO-8601 duration, e.g. P90D.")
    ] = None,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create an API token for a service account: printed once, never again."""
    body = {"name": name, "maxAge": max_age}
    made = with_client(
        server,
        tenant,
        lambda c: c.call("POST", f"/service-accounts/{account_id}/tokens", json=body),
    )
    typer.echo(made["token"])


@access_app.command("revoke")
def revoke(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID")],
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")],
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Revoke an API token."""
    path = f"/service-accounts/{account_id}/tokens/{token_id}"
    with_client(server, tenant, lambda c: c.call("DELETE", path))
    typer.echo(f"token {token_id} revoked")


def audit(  # noqa: PLR0917 - Typer maps each parameter to an option
    actor: Annotated[str | None, typer.Option("--user", help="Only this user or account.")] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", help="FLOW, EXECUTION, KVSTORE...")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO-8601 date.")] = None,
    size: Annotated[int, typer.Option("--size", help="How many entries.")] = 50,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """The tenant's audit log, newest first: date, actor, action, resource, id, channel, ip."""
    params = {
        k: v
        for k, v in {"actor": actor, "resource": resource, "startDate": since, "size": size}.items()
        if v
    }
    body = with_client(server, tenant, lambda c: c.call("GET", "/auditlogs/search", params=params))
    for e in body["results"]:
        typer.echo(
            f"{e['date']}\t{e['actor']}\t{e['action']}\t{e['resource']}\t{e['resourceId'] or ''}\t"
            f"{e['channel']}\t{e['ip'] or ''}"
        )


def register(app: typer.Typer) -> None:
    """Add `tercel user ...`, `tercel access ...` and `tercel audit`."""
    app.add_typer(user_app, name="user")
    app.add_typer(access_app, name="access")
    app.command("audit")(audit)
