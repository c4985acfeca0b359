"""`tercel plan` / `tercel apply` against a real server process on SQLite, as CI runs them."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from ascode_helpers import Project, Server, tercel

HELLO = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ namespace.greeting }}"
"""

NAMESPACE = """\
description: The data team
variables:
  greeting: from-the-folder
kv:
  start_date: "2024-01-01"
"""


def environment(project: Project, server: Server, name: str = "dev", extra: str = "") -> None:
    project.write(f"environments/{name}.yml", f"server: {server.url}\ntenant: main\n{extra}")


def base_folder(project: Project, server: Server) -> None:
    project.write("flows/company/team/hello.yml", HELLO)
    project.write("namespaces/company.team.yml", NAMESPACE)
    project.write("files/company.team/scripts/etl.py", "print('etl')\n")
    environment(project, server)


def run_flow(server: Server, namespace: str, flow_id: str, tenant: str = "main") -> dict:
    response = server.api("POST", f"/executions/{namespace}/{flow_id}", tenant)
    assert response.status_code == 200, response.text
    return server.wait_execution(response.json()["id"], tenant)


def log_messages(server: Server, execution_id: str, tenant: str = "main") -> list[str]:
    return [line["message"] for line in server.api("GET", f"/logs/{execution_id}", tenant).json()]


def test_plan_then_apply_then_plan_again_has_nothing_to_do(
    server: Server, project: Project
) -> None:
    base_folder(project, server)

    first = tercel("plan", str(project.root), "--env", "dev")
    assert first.returncode == 2, first.stderr
    for line in (
        "+ create settings company.team",
        "+ create flow hello",
        "+ create file scripts/etl.py",
        "+ create kv start_date",
        "Plan: 4 to create, 0 to update, 0 to delete.",
    ):
        assert line in first.stdout
    assert '+    message: "Hello {{ namespace.greeting }}"' in first.stdout

    applied = tercel("apply", str(project.root), "--env", "dev", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 4 change(s)." in applied.stdout

    again = tercel("plan", str(project.root), "--env", "dev")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes: the server matches the folder." in again.stdout

    flow = server.api("GET", "/flows/company.team/hello", params={"source": "true"}).json()
    assert flow["source"] == HELLO
    settings = server.api("GET", "/namespaces/company.team").json()
    assert settings["variables"] == {"greeting": "from-the-folder"}
    assert settings["description"] == "The data team"
    script = server.api("GET", "/namespaces/company.team/files", params={"path": "scripts/etl.py"})
    assert script.content == b"print('etl')\n"
    kv = server.api("GET", "/namespaces/company.team/kv/start_date").json()
    assert kv["value"] == "2024-01-01"
    execution = run_flow(server, "company.team", "hello")
    assert "Hello from-the-folder" in log_messages(server, execution["id"])


def test_apply_without_yes_outside_a_terminal_applies_nothing(
    server: Server, project: Project
) -> None:
    base_folder(project, server)
    refused = tercel("apply", str(project.root))
    assert refused.returncode == 1
    assert "pass --yes" in refused.stderr
    assert server.api("GET", "/flows/company.team/hello").status_code == 404


def test_a_renamed_flow_is_a_delete_and_a_create_and_its_executions_stay(
    server: Server, project: Project
) -> None:
    base_folder(project, server)
    assert tercel("apply", str(project.root), "--yes").returncode == 0
    old_run = run_flow(server, "company.team", "hello")

    project.remove("flows/company/team/hello.yml")
    project.write("flows/company/team/greet.yml", HELLO.replace("id: hello", "id: greet"))

    kept = tercel("plan", str(project.root))
    assert kept.returncode == 2
    assert "+ create flow greet" in kept.stdout
    assert "not managed here (on the server, not in the folder): flow hello" in kept.stdout

    pruned = tercel("plan", str(project.root), "--prune")
    assert pruned.returncode == 2
    assert "+ create flow greet" in pruned.stdout
    assert "- delete flow hello" in pruned.stdout
    assert "warning: executions of `company.team.hello` stay" in pruned.stdout
    assert "renamed to `greet`" in pruned.stdout

    applied = tercel("apply", str(project.root), "--prune", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert server.api("GET", "/flows/company.team/hello").status_code == 404
    assert server.api("GET", "/flows/company.team/greet").status_code == 200
    still = server.api("GET", f"/executions/{old_run['id']}").json()
    assert (still["flowId"], still["state"]["current"]) == ("hello", "SUCCESS")
    assert tercel("plan", str(project.root), "--prune").returncode == 0


def test_dev_and_prod_from_one_folder_get_the_same_flows_and_their_own_variables(
    server: Server, project: Project
) -> None:
    project.write("flows/company/team/hello.yml", HELLO)
    project.write("namespaces/company.team.yml", NAMESPACE)
    project.write(
        "environments/dev.yml",
        f"""\
        server: {server.url}
        tenant: dev
        namespaces:
          company.team:
            variables:
              greeting: dev
        """,
    )
    project.write(
        "environments/prod.yml",
        f"""\
        server: {server.url}
        tenant: main
        managedNamespaces: [company.team]
        namespaces:
          company.team:
            variables:
              greeting: prod
        """,
    )
    ambiguous = tercel("apply", str(project.root), "--yes")
    assert ambiguous.returncode == 1
    assert "several environments (dev, prod): choose with --env" in ambiguous.stderr
    # A tenant exists before anything is applied to it (an operator creates it once).
    created = tercel("tenant", "create", "dev", "--server", server.url)
    assert created.returncode == 0, created.stdout + created.stderr
    for env in ("dev", "prod"):
        done = tercel("apply", str(project.root), "--env", env, "--yes")
        assert done.returncode == 0, done.stdout + done.stderr

    for tenant, greeting in (("dev", "dev"), ("main", "prod")):
        settings = server.api("GET", "/namespaces/company.team", tenant).json()
        assert settings["variables"] == {"greeting": greeting}
        flow = server.api("GET", "/flows/company.team/hello", tenant, params={"source": True})
        assert flow.json()["source"] == HELLO
        execution = run_flow(server, "company.team", "hello", tenant)
        assert f"Hello {greeting}" in log_messages(server, execution["id"], tenant)
    for env in ("dev", "prod"):
        assert tercel("plan", str(project.root), "--env", env).returncode == 0


def test_a_flow_edited_through_the_api_shows_as_drift_that_apply_reverts(
    server: Server, project: Project
) -> None:
    base_folder(project, server)
    assert tercel("apply", str(project.root), "--yes").returncode == 0
    edited = HELLO.replace("Hello {{ namespace.greeting }}", "edited in the UI")
    response = server.api(
        "PUT",
        "/flows/company.team/hello",
        content=edited,
        headers={"Content-Type": "application/x-yaml"},
    )
    assert response.status_code == 200

    drift = tercel("plan", str(project.root))
    assert drift.returncode == 2
    assert "~ update flow hello" in drift.stdout
    assert '-    message: "edited in the UI"' in drift.stdout
    assert '+    message: "Hello {{ namespace.greeting }}"' in drift.stdout

    assert tercel("apply", str(project.root), "--yes").returncode == 0
    flow = server.api("GET", "/flows/company.team/hello", params={"source": True}).json()
    assert (flow["source"], flow["revision"]) == (HELLO, 3)


def test_prune_deletes_inside_managed_namespaces_and_lists_the_rest(
    server: Server, project: Project
) -> None:
    base_folder(project, server)
    project.write(
        "flows/company/shared/lib.yml",
        HELLO.replace("id: hello", "id: lib").replace(
            "namespace: company.team", "namespace: company.shared"
        ),
    )
    environment(project, server, "prod", "managedNamespaces: [company.team]\n")
    assert tercel("apply", str(project.root), "--env", "prod", "--yes").returncode == 0
    for namespace in ("company.team", "company.shared"):
        stray = HELLO.replace("id: hello", "id: stray").replace(
            "namespace: company.team", f"namespace: {namespace}"
        )
        created = server.api(
            "POST", "/flows", content=stray, headers={"Content-Type": "application/x-yaml"}
        )
        assert created.status_code == 200
    server.api("PUT", "/namespaces/company.team/secrets/STRAY", json={"value": "x"})
    server.api(
        "POST",
        "/namespaces/company.team/files",
        params={"path": "stray.txt"},
        files={"fileContent": ("stray.txt", b"stray")},
    )

    plan = tercel("plan", str(project.root), "--env", "prod", "--prune")
    assert plan.returncode == 2
    assert "- delete flow stray" in plan.stdout
    assert "- delete secret STRAY" in plan.stdout
    assert "- delete file stray.txt" in plan.stdout
    shared = plan.stdout.split("namespace company.shared")[1].split("namespace company.team")[0]
    assert "not managed here (on the server, not in the folder): flow stray" in shared

    assert tercel("apply", str(project.root), "--env", "prod", "--prune", "--yes").returncode == 0
    assert server.api("GET", "/flows/company.team/stray").status_code == 404
    assert server.api("GET", "/flows/company.shared/stray").status_code == 200
    assert server.api("GET", "/namespaces/company.team/secrets").json()["total"] == 0
    again = tercel("plan", str(project.root), "--env", "prod", "--prune")
    assert again.returncode == 0, again.stdout


SECRET_VALUE = "hunter2-Zq81-xv"
USES_SECRET = """\
id: uses_secret
namespace: company.team
tasks:
  - id: check
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      PASS: "{{ secret('DB_PASSWORD') }}"
    commands:
      - printf %s "$PASS" | sha256sum
  - id: masked
    type: io.kestra.plugin.core.log.Log
    message: "password is {{ secret('DB_PASSWORD') }}"
"""


def test_a_secret_from_env_reaches_the_flow_and_no_output(
    server: Server, project: Project, tmp_path: Path
) -> None:
    base_folder(project, server)
    project.write("flows/company/team/uses_secret.yml", USES_SECRET)
    project.write(
        "namespaces/company.team.yml", NAMESPACE + "secrets:\n  DB_PASSWORD: env:DB_PASSWORD\n"
    )
    env = {"DB_PASSWORD": SECRET_VALUE}
    plan_file = tmp_path / "plan.json"
    outputs = []
    planned = tercel("plan", str(project.root), "-o", str(plan_file), env=env)
    assert planned.returncode == 2
    assert "+ create secret DB_PASSWORD" in planned.stdout
    assert "(value from env:DB_PASSWORD, not shown)" in planned.stdout
    applied = tercel("apply", str(plan_file), env=env)
    assert applied.returncode == 0, applied.stderr
    again = tercel("plan", str(project.root), env=env)
    assert again.returncode == 0, again.stdout
    rotated = tercel("plan", str(project.root), env={"DB_PASSWORD": "another-value"})
    assert "~ update secret DB_PASSWORD" in rotated.stdout
    outputs += [planned, applied, again, rotated]

    execution = run_flow(server, "company.team", "uses_secret")
    assert execution["state"]["current"] == "SUCCESS"
    logs = server.api("GET", f"/logs/{execution['id']}").text
    assert hashlib.sha256(SECRET_VALUE.encode()).hexdigest() in logs  # the value reached it

    responses = [
        logs,
        server.api("GET", f"/executions/{execution['id']}").text,
        server.api("GET", "/namespaces/company.team/secrets").text,
        server.api("POST", "/namespaces/company.team/sync/state", json={}).text,
        server.api("GET", "/flows/company.team/uses_secret", params={"source": True}).text,
    ]
    texts = [p.stdout + p.stderr for p in outputs] + responses + [plan_file.read_text()]
    texts.append(server.log.read_text())
    for text in texts:
        assert SECRET_VALUE not in text
    database = (server.home / "tercel.db").read_bytes()
    for wal in server.home.glob("tercel.db-wal"):
        database += wal.read_bytes()
    assert SECRET_VALUE.encode() not in database


SLOW_V1 = """\
id: slow
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "ran revision one"
"""


def start_paused(server: Server) -> dict:
    started: dict = server.api("POST", "/executions/company.team/slow").json()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = server.api("GET", f"/executions/{started['id']}").json()
        if body["state"]["current"] == "PAUSED":
            return started
        time.sleep(0.05)
    raise AssertionError("the execution never paused")


def test_apply_racing_a_running_execution_leaves_it_on_its_revision(
    server: Server, project: Project
) -> None:
    project.write("flows/company/team/slow.yml", SLOW_V1)
    environment(project, server)
    assert tercel("apply", str(project.root), "--yes").returncode == 0
    started = start_paused(server)
    project.write("flows/company/team/slow.yml", SLOW_V1.replace("revision one", "revision two"))
    applied = tercel("apply", str(project.root), "--yes")
    assert applied.returncode == 0, applied.stderr
    # The execution started on revision 1 and is still under way (paused) when 2 lands.
    assert server.api("GET", f"/executions/{started['id']}").json()["state"]["current"] == "PAUSED"
    assert server.api("POST", f"/executions/{started['id']}/resume").status_code == 204

    ended = server.wait_execution(started["id"])
    assert (ended["state"]["current"], ended["flowRevision"]) == ("SUCCESS", 1)
    messages = log_messages(server, started["id"])
    assert "ran revision one" in messages
    assert "ran revision two" not in messages
    fresh = start_paused(server)
    server.api("POST", f"/executions/{fresh['id']}/resume")
    fresh = server.wait_execution(fresh["id"])
    assert fresh["flowRevision"] == 2
    assert "ran revision two" in log_messages(server, fresh["id"])


def test_a_folder_with_invalid_flows_plans_nothing_and_names_every_problem(
    server: Server, project: Project
) -> None:
    base_folder(project, server)
    project.write(
        "flows/company/team/broken.yml",
        """\
        id: broken
        namespace: company.team
        tasks:
          - id: say
            type: io.kestra.plugin.core.log.Log
            mesage: typo
        """,
    )
    project.write(
        "flows/company/team/nothing.yml",
        """\
        id: nothing
        namespace: company.team
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Nope
        """,
    )
    project.write(
        "namespaces/company.team.yml", NAMESPACE + "secrets:\n  TOKEN: the-token-itself\n"
    )
    planned = tercel("plan", str(project.root))
    assert planned.returncode == 1
    root = str(project.root)
    assert f"{root}/flows/company/team/broken.yml:6:5:" in planned.stderr
    assert f"{root}/flows/company/team/nothing.yml:5:11:" in planned.stderr
    assert f"{root}/namespaces/company.team.yml:7:10: secret `TOKEN`" in planned.stderr
    assert "nothing planned" in planned.stderr
    applied = tercel("apply", str(project.root), "--yes")
    assert applied.returncode == 1
    assert server.api("GET", "/flows/search").json()["total"] == 0
    assert server.api("GET", "/namespaces/company.team").status_code == 404


def test_a_saved_plan_is_refused_when_the_server_moved_and_nothing_is_applied(
    server: Server, project: Project, tmp_path: Path
) -> None:
    base_folder(project, server)
    assert tercel("apply", str(project.root), "--yes").returncode == 0
    project.write("flows/company/team/hello.yml", HELLO.replace("Hello", "Hi"))
    project.write("namespaces/company.team.yml", NAMESPACE.replace("from-the-folder", "new"))
    plan_file = tmp_path / "plan.json"
    assert tercel("plan", str(project.root), "-o", str(plan_file)).returncode == 2
    saved = json.loads(plan_file.read_text())
    assert {c["kind"] for ns in saved["namespaces"] for c in ns["changes"]} == {"flow", "settings"}

    edited = HELLO.replace("Hello", "Edited")
    server.api(
        "PUT",
        "/flows/company.team/hello",
        content=edited,
        headers={"Content-Type": "application/x-yaml"},
    )
    refused = tercel("apply", str(plan_file))
    assert refused.returncode == 1
    assert "changed on the server since the plan was made" in refused.stderr
    assert "flow hello: planned revision 1, now revision 2" in refused.stderr
    flow = server.api("GET", "/flows/company.team/hello", params={"source": True}).json()
    assert flow["source"] == edited
    variables = server.api("GET", "/namespaces/company.team").json()["variables"]
    assert variables == {"greeting": "from-the-folder"}  # the settings change waited too


def test_plan_and_apply_authenticate_with_the_api_token_of_the_environment(
    project: Project, tmp_path: Path
) -> None:
    guarded = Server(tmp_path / "guarded", env={"TERCEL_API_TOKENS": "ci-token-123"})
    try:
        base_folder(project, guarded)
        refused = tercel("plan", str(project.root), env={"TERCEL_API_TOKEN": ""})
        assert refused.returncode == 1
        assert "401" in refused.stderr
        token = {"TERCEL_API_TOKEN": "ci-token-123"}
        assert tercel("plan", str(project.root), env=token).returncode == 2
        assert tercel("apply", str(project.root), "--yes", env=token).returncode == 0
        assert tercel("plan", str(project.root), env=token).returncode == 0
    finally:
        guarded.stop()
