"""`tercel server local` as a real process on 127.0.0.1, driven by the CLI and Kestra's client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

TERCEL = str(Path(sys.executable).parent / "tercel")

HELLO = """\
id: hello
namespace: company.team
inputs:
  - id: user
    type: STRING
    defaults: world
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
"""

SLOW = """\
id: slow
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: before
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - sleep 3
      - echo finished-work
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """A `tercel server local` subprocess."""

    def __init__(self, home: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.extra_env = env or {}
        self.home = home
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = home / "server.log"

    def start(self) -> float:
        """Start and wait for /health; the seconds it took."""
        started = time.monotonic()
        env = {**os.environ, "TERCEL_ENCRYPTION_KEY": "", **self.extra_env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [TERCEL, "server", "local", "--port", str(self.port), "--home", str(self.home)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = started + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise AssertionError("server never became healthy: " + self.log.read_text())

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "home", free_port())
    running.home.mkdir()
    running.start()
    yield running
    running.stop()


def cli(*args: str, server: RunningServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TERCEL, *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_pushes_lists_starts_and_reads_logs(server: RunningServer, tmp_path: Path) -> None:
    flow_file = tmp_path / "hello.yml"
    flow_file.write_text(HELLO)
    pushed = cli("flow", "push", str(flow_file), server=server)
    assert pushed.returncode == 0, pushed.stderr
    assert "company.team.hello revision 1" in pushed.stdout
    listed = cli("flow", "list", server=server)
    assert "company.team\thello\t1" in listed.stdout
    started = cli(
        "execution",
        "start",
        "company.team",
        "hello",
        "--input",
        "user=Ada",
        "--wait",
        server=server,
    )
    assert started.returncode == 0, started.stderr
    assert "ended SUCCESS" in started.stdout
    execution_id = started.stdout.split()[1]
    logs = cli("logs", execution_id, server=server)
    assert "Hello Ada" in logs.stdout
    followed = cli("execution", "start", "company.team", "hello", "--follow", server=server)
    assert followed.returncode == 0, followed.stderr
    assert "Hello world" in followed.stdout


def test_cli_reports_an_invalid_flow_with_its_position(
    server: RunningServer, tmp_path: Path
) -> None:
    flow_file = tmp_path / "bad.yml"
    flow_file.write_text(HELLO.replace("    message:", "    mesage:"))
    pushed = cli("flow", "push", str(flow_file), server=server)
    assert pushed.returncode == 1
    assert f"{flow_file}:10:5: unknown property `mesage`" in pushed.stderr


def test_kestra_python_client_runs_a_flow(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    kestra = pytest.importorskip("kestra")
    response = httpx.post(
        f"{server.url}/api/v1/main/flows",
        content=HELLO,
        headers={"Content-Type": "application/x-yaml"},
    )
    assert response.status_code == 200
    monkeypatch.setenv("KESTRA_HOSTNAME", server.url)
    monkeypatch.delenv("KESTRA_USER", raising=False)
    monkeypatch.delenv("KESTRA_API_TOKEN", raising=False)
    result = kestra.Flow(tenant="main").execute("company.team", "hello", {"user": "Kestra"})
    assert result.status == "SUCCESS"
    assert "Hello Kestra" in result.log


def test_public_address_without_auth_is_refused(tmp_path: Path) -> None:
    refused = subprocess.run(
        [TERCEL, "server", "local", "--host", "0.0.0.0", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "without authentication" in refused.stderr


def test_sigkill_mid_run_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    running = RunningServer(home, free_port())
    running.start()
    try:
        created = httpx.post(
            f"{running.url}/api/v1/main/flows",
            content=SLOW,
            headers={"Content-Type": "application/x-yaml"},
        )
        assert created.status_code == 200, created.text
        execution = httpx.post(f"{running.url}/api/v1/main/executions/company.team/slow").json()
        url = f"{running.url}/api/v1/main/executions/{execution['id']}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            body = httpx.get(url).json()
            runs = {tr["taskId"]: tr for tr in body["taskRunList"]}
            if runs.get("work", {}).get("state", {}).get("current") == "RUNNING":
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"task never ran: {body}")
        running.kill()
        running.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = httpx.get(url).json()
            if body["state"]["current"] in ("SUCCESS", "FAILED", "KILLED"):
                break
            time.sleep(0.1)
        assert body["state"]["current"] == "SUCCESS", body
        work = next(tr for tr in body["taskRunList"] if tr["taskId"] == "work")
        assert len(work["attempts"]) == 2
        assert work["attempts"][0]["state"]["current"] == "RESUBMITTED"
        assert [tr["taskId"] for tr in body["taskRunList"]].count("after") == 1
        logs = httpx.get(f"{running.url}/api/v1/main/logs/{execution['id']}").text
        assert "finished-work" in logs
        assert "interrupted by a restart" in logs
    finally:
        running.stop()


def test_kestra_client_authenticates_with_an_api_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kestra = pytest.importorskip("kestra")
    home = tmp_path / "home"
    home.mkdir()
    running = RunningServer(home, free_port(), {"TERCEL_API_TOKENS": "tok-1"})
    running.start()
    try:
        headers = {"Content-Type": "application/x-yaml", "Authorization": "Bearer tok-1"}
        unauthorized = httpx.post(f"{running.url}/api/v1/main/flows", content=HELLO)
        assert unauthorized.status_code == 401
        created = httpx.post(f"{running.url}/api/v1/main/flows", content=HELLO, headers=headers)
        assert created.status_code == 200
        monkeypatch.setenv("KESTRA_HOSTNAME", running.url)
        monkeypatch.setenv("KESTRA_API_TOKEN", "tok-1")
        monkeypatch.delenv("KESTRA_USER", raising=False)
        result = kestra.Flow(tenant="main").execute("company.team", "hello", {"user": "Token"})
        assert result.status == "SUCCESS"
        assert "Hello Token" in result.log
    finally:
        running.stop()


def test_cli_says_when_the_server_cannot_be_reached(tmp_path: Path) -> None:
    flow_file = tmp_path / "hello.yml"
    flow_file.write_text(HELLO)
    url = f"http://127.0.0.1:{free_port()}"
    pushed = subprocess.run(
        [TERCEL, "flow", "push", str(flow_file), "--server", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert pushed.returncode == 1
    assert f"cannot reach {url}" in pushed.stderr
    started = subprocess.run(
        [TERCEL, "execution", "start", "company.team", "hello", "--server", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 1
    assert "cannot reach" in started.stderr


LIMITED = """\
id: limited
namespace: company.team
concurrency:
  limit: 1
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - sleep 2
"""


def test_concurrency_limit_holds_across_a_sigkill(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    running = RunningServer(home, free_port())
    running.start()
    try:
        created = httpx.post(
            f"{running.url}/api/v1/main/flows",
            content=LIMITED,
            headers={"Content-Type": "application/x-yaml"},
        )
        assert created.status_code == 200, created.text
        first = httpx.post(f"{running.url}/api/v1/main/executions/company.team/limited").json()
        second = httpx.post(f"{running.url}/api/v1/main/executions/company.team/limited").json()
        urls = [f"{running.url}/api/v1/main/executions/{e['id']}" for e in (first, second)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = [httpx.get(url).json()["state"]["current"] for url in urls]
            if states == ["RUNNING", "QUEUED"]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"expected RUNNING then QUEUED, got {states}")
        running.kill()
        running.start()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            bodies = [httpx.get(url).json() for url in urls]
            if all(b["state"]["current"] in ("SUCCESS", "FAILED", "KILLED") for b in bodies):
                break
            time.sleep(0.1)
        assert [b["state"]["current"] for b in bodies] == ["SUCCESS", "SUCCESS"], bodies
        # The queued execution's task started only after the first execution had ended.
        first_end = bodies[0]["state"]["endDate"]
        second_work = bodies[1]["taskRunList"][0]["state"]["startDate"]
        assert second_work >= first_end, (first_end, second_work)
    finally:
        running.stop()
