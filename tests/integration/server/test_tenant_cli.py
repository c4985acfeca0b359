"""`tercel tenant`, `tercel user`, `tercel access`, `tercel audit` and `--tenant` against a
real `tercel server local` process with user logins."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server.test_server_process import HELLO, TERCEL, RunningServer, free_port

ADMIN = ("admin", "admin-password-1")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "home", free_port(), env={"TERCEL_ADMIN_PASSWORD": ADMIN[1]})
    running.home.mkdir()
    running.start()
    yield running
    running.stop()


def cli(
    *args: str, server: RunningServer, who: tuple[str, str] = ADMIN, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERCEL_USER": who[0], "TERCEL_PASSWORD": who[1]}
    env.pop("TERCEL_API_TOKEN", None)
    return subprocess.run(
        [TERCEL, *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        input=stdin,
    )


def test_two_teams_share_a_server_through_the_cli(server: RunningServer, tmp_path: Path) -> None:
    flow_file = tmp_path / "hello.yml"
    flow_file.write_text(HELLO)
    assert cli("tenant", "create", "acme", "--name", "Acme", server=server).returncode == 0
    pushed = cli("flow", "push", str(flow_file), "--tenant", "acme", server=server)
    assert pushed.returncode == 0, pushed.stderr
    assert "company.team\thello" in cli("flow", "list", "--tenant", "acme", server=server).stdout
    assert cli("flow", "list", server=server).stdout == ""  # main has none
    made = cli("user", "create", "bob", "--password", "bob-password", server=server)
    assert made.returncode == 0, made.stderr
    bound = cli("access", "bind", "bob", "viewer", "--tenant", "acme", server=server)
    assert bound.returncode == 0, bound.stderr
    bob = ("bob", "bob-password")
    assert cli("tenant", "list", server=server, who=bob).stdout == "acme\tAcme\n"
    listed = cli("flow", "list", "--tenant", "acme", server=server, who=bob)
    assert "hello" in listed.stdout
    refused = cli("flow", "push", str(flow_file), "--tenant", "acme", server=server, who=bob)
    assert refused.returncode == 1
    assert "403" in refused.stderr
    assert "FLOW" in refused.stderr
    hidden = cli("flow", "list", server=server, who=bob)
    assert hidden.returncode == 1
    assert "tenant `main` not found" in hidden.stderr
    audit = cli("audit", "--tenant", "acme", server=server)
    assert audit.returncode == 0, audit.stderr
    lines = [line.split("\t") for line in audit.stdout.splitlines()]
    assert [lines[0][i] for i in (1, 2, 3, 5)] == ["admin", "CREATE", "BINDING", "cli"]
    assert any(row[1:4] == ["admin", "CREATE", "FLOW"] for row in lines)
    assert all(row[6] == "127.0.0.1" for row in lines)
