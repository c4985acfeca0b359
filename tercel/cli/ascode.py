"""`tercel plan DIR` and `tercel apply DIR|plan.json`: flows as code against a server.

Exit codes of `plan` follow Terraform's ``-detailed-exitcode``, which CI scripts test:
0 nothing to do, 2 changes planned, 1 an error. `apply` exits 0 when done, 1 otherwise.
The server and tenant come from the environment file (``--env``), else ``--server`` or
``TERCEL_SERVER``; credentials from ``TERCEL_API_TOKEN`` or ``TERCEL_USER``/``TERCEL_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tercel.cli.client import DEFAULT_SERVER, ServerClient, ServerError
from tercel.errors import SecretError, StaleStateError, TercelError

if TYPE_CHECKING:
    from tercel.ascode.plan import Plan

# `tercel.ascode` (the model, templating, diffs) is imported by the commands when they run,
# so that `tercel --help` lists them without loading it.

EnvOption = Annotated[
    str | None,
    typer.Option("--env", "-e", help="Environment: environments/NAME.yml (server, tenant...)."),
]
ServerOption = Annotated[
    str | None,
    typer.Option("--server", help="Server URL (overrides the environment file)."),
]
PruneOption = Annotated[
    bool,
    typer.Option(
        "--prune", help="Delete what the folder no longer has, in managed namespaces only."
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def compute_plan(
    directory: Path, env_name: str | None, server: str | None, prune: bool
) -> tuple[Plan, ServerClient]:
    """Check the folder, read the server, and compare; typer.Exit(1) on any error."""
    from tercel.ascode.desired import desired_state
    from tercel.ascode.folder import is_project, load_folder
    from tercel.ascode.plan import Plan, make_plan

    if not is_project(directory):
        raise _fail(
            f"{directory} is not a flows-as-code folder (it needs flows/, namespaces/ or "
            "environments/)"
        )
    folder = load_folder(directory)
    errors = folder.errors
    if errors:
        for problem in errors:
            typer.echo(problem.format(), err=True)
        raise _fail(f"{len(errors)} problem(s) in {directory}: nothing planned")
    try:
        environment = folder.environment(env_name)
    except KeyError as error:
        raise _fail(str(error.args[0])) from None
    wanted, notes = desired_state(folder, environment)
    url = server or environment.server or os.environ.get("TERCEL_SERVER") or DEFAULT_SERVER
    client = ServerClient.from_env(url, tenant=environment.tenant)
    try:
        namespaces = make_plan(
            wanted,
            client.namespace_state,
            prune=prune,
            root=directory.resolve(),
        )
    except (ServerError, SecretError) as error:
        client.close()
        raise _fail(str(error)) from None
    plan = Plan(
        client.base_url,
        environment.tenant,
        environment.name,
        str(directory.resolve()),
        prune,
        namespaces,
        notes,
    )
    return plan, client


def plan_command(
    directory: Annotated[Path, typer.Argument(help="The flows-as-code folder.")],
    env: EnvOption = None,
    prune: PruneOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan as JSON for `apply`.")
    ] = None,
    server: ServerOption = None,
) -> None:
    """Show what `apply` would create, update and delete; exit 0 none, 2 changes, 1 error."""
    from tercel.ascode.plan import render

    plan, client = compute_plan(directory, env, server, prune)
    client.close()
    typer.echo(render(plan))
    if out is not None:
        out.write_text(json.dumps(plan.to_json(), indent=2) + "\n", encoding="utf-8")
        typer.echo(f"plan saved to {out}", err=True)
    raise typer.Exit(2 if plan.changes else 0)


def apply_command(
    target: Annotated[Path, typer.Argument(help="The folder, or a plan saved by `plan -o`.")],
    env: EnvOption = None,
    prune: PruneOption = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    server: ServerOption = None,
) -> None:
    """Make exactly the planned changes, each namespace in one transaction.

    A folder is planned first and confirmed (or `--yes`); a saved plan is applied as it is,
    refused when the server moved since it was made."""
    from tercel.ascode.apply import apply_plan, moved_lines
    from tercel.ascode.plan import Plan, render

    saved = target.is_file()
    if saved:
        try:
            plan = Plan.from_json(json.loads(target.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _fail(f"{target}: not a readable plan: {error}") from None
        client = ServerClient.from_env(server or plan.server, tenant=plan.tenant)
        typer.echo(render(plan, diffs=False))
    else:
        plan, client = compute_plan(target, env, server, prune)
        typer.echo(render(plan))
    try:
        if not plan.changes:
            return
        # A saved plan was reviewed when it was made (as with Terraform): no second question.
        if not yes and not saved:
            if not sys.stdin.isatty():
                raise _fail("not a terminal: pass --yes to apply without asking")
            if not typer.confirm("Apply these changes?"):
                raise _fail("nothing applied")

        def applied(namespace: object, answer: dict[str, object]) -> None:
            done = answer.get("applied")
            count = len(done) if isinstance(done, list) else 0
            typer.echo(f"applied {count} change(s) to namespace {answer.get('namespace')}")

        try:
            total = apply_plan(plan, client.apply_namespace, on_applied=applied)
        except ServerError as error:
            if error.status == 409 and isinstance(error.body, dict) and "moved" in error.body:
                stale = StaleStateError(str(error.body.get("message")), error.body["moved"])
                lines = "\n".join(moved_lines(stale))
                raise _fail(f"{stale}\n{lines}") from None
            raise _fail(str(error)) from None
        except TercelError as error:
            raise _fail(str(error)) from None
        typer.echo(f"Apply complete: {total} change(s).")
    finally:
        client.close()


def register(app: typer.Typer) -> None:
    """Add `plan` and `apply`."""
    app.command("plan")(plan_command)
    app.command("apply")(apply_command)
