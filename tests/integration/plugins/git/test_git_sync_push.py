"""SyncFlows, SyncNamespaceFiles, PushFlows and PushNamespaceFiles against a real bare
repository (``file://``), run by the local runtime on SQLite."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tercel.api.files_service import NamespaceFiles
from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.plugins.core.storage.ion import loads
from tercel.runtime.local import LocalRuntime
from tercel.storage.uri import to_path

pytestmark = pytest.mark.integration

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "HOME": "/tmp",
    "PATH": "/usr/bin:/bin",
}

FLOW = """\
id: {id}
namespace: anything.here
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: {message}
"""


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


class Remote:
    """A bare repository and a working clone that commits to it."""

    def __init__(self, tmp_path: Path) -> None:
        self.bare = tmp_path / "remote.git"
        self.work = tmp_path / "work"
        sh(tmp_path, "init", "-q", "--bare", "-b", "main", str(self.bare))
        sh(tmp_path, "clone", "-q", str(self.bare), str(self.work))
        self.url = f"file://{self.bare}"

    def commit(self, files: dict[str, str | None], message: str = "change") -> None:
        for relative, text in files.items():
            path = self.work / relative
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        sh(self.work, "add", "-A")
        sh(self.work, "commit", "-q", "-m", message)
        sh(self.work, "push", "-q", "origin", "HEAD:main")

    def show(self, branch: str, path: str) -> str:
        return sh(self.bare, "show", f"{branch}:{path}")


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path)


async def run(runtime: LocalRuntime, tasks: str) -> Any:
    flow = load_flow(f"id: git\nnamespace: company.ops\ntasks:\n{tasks}")
    execution = await runtime.run(flow, timeout=60)
    logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
    return execution, logs


def rows(runtime: LocalRuntime, uri: str) -> list[dict[str, Any]]:
    path = Path(runtime.storage.base_dir) / to_path(uri)  # type: ignore[attr-defined]
    return loads(path.read_text())


def sync_flows(url: str, **extra: str) -> str:
    lines = [
        "  - id: sync",
        "    type: io.kestra.plugin.git.SyncFlows",
        f"    url: {url}",
        "    targetNamespace: company.team",
        *[f"    {key}: {value}" for key, value in extra.items()],
    ]
    return "\n".join(lines) + "\n"


async def test_sync_flows_adds_updates_and_deletes_from_the_branch(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit(
        {
            "_flows/hello.yml": FLOW.format(id="hello", message="v1"),
            "_flows/sub/child.yml": FLOW.format(id="child", message="c1"),
            "_flows/.gitkeep": "",
        }
    )
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        execution, logs = await run(runtime, sync_flows(remote.url, includeChildNamespaces="true"))
        assert execution.state.current is State.SUCCESS, logs
        report = rows(runtime, execution.task_runs_of("sync")[0].outputs["flows"])
        assert {(r["namespace"], r["flowId"], r["syncState"]) for r in report} == {
            ("company.team", "hello", "ADDED"),
            ("company.team.sub", "child", "ADDED"),
        }
        hello = runtime.store.flows.get("company.team", "hello")
        assert "namespace: company.team\n" in hello.source
        assert runtime.store.flows.get("company.team.sub", "child").revision == 1

        runtime.store.flows.save(
            FLOW.format(id="local", message="x").replace("anything.here", "company.team"),
            load_flow(
                FLOW.format(id="local", message="x").replace("anything.here", "company.team")
            ),
        )
        remote.commit(
            {
                "_flows/hello.yml": FLOW.format(id="hello", message="v2"),
                "_flows/sub/child.yml": None,
            }
        )
        dry, _ = await run(
            runtime,
            sync_flows(remote.url, includeChildNamespaces="true", delete="true", dryRun="true"),
        )
        planned = rows(runtime, dry.task_runs_of("sync")[0].outputs["flows"])
        assert {(r["flowId"], r["syncState"]) for r in planned} == {
            ("hello", "UPDATED"),
            ("local", "DELETED"),
            ("child", "DELETED"),
        }
        assert runtime.store.flows.get("company.team", "hello").revision == 1  # dry run

        applied, logs = await run(
            runtime, sync_flows(remote.url, includeChildNamespaces="true", delete="true")
        )
        assert applied.state.current is State.SUCCESS, logs
        assert "message: v2" in runtime.store.flows.get("company.team", "hello").source
        assert runtime.store.flows.find("company.team", "local") is None
        assert runtime.store.flows.find("company.team.sub", "child") is None


async def test_sync_flows_with_an_invalid_flow_fails_and_applies_nothing(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit(
        {
            "_flows/good.yml": FLOW.format(id="good", message="ok"),
            "_flows/bad.yml": "id: bad\nnamespace: x\ntasks:\n  - id: a\n    type: nope.Nope\n",
        }
    )
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        execution, logs = await run(runtime, sync_flows(remote.url))
        assert execution.state.current is State.FAILED
        assert any("bad.yml:5:11" in line for line in logs), logs
        assert runtime.store.flows.list("company.team") == []

        skipped, logs = await run(runtime, sync_flows(remote.url, ignoreInvalidFlows="true"))
        assert skipped.state.current is State.SUCCESS, logs
        assert [r.id for r in runtime.store.flows.list("company.team")] == ["good"]


async def test_sync_namespace_files_honours_kestraignore_and_delete(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit(
        {
            "_files/scripts/etl.py": "print('etl')\n",
            "_files/secret.env": "TOKEN=x\n",
            "_files/.kestraignore": "*.env\n",
        }
    )
    task = f"""\
  - id: files
    type: io.kestra.plugin.git.SyncNamespaceFiles
    url: {remote.url}
    namespace: company.team
    delete: true
"""
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        files = NamespaceFiles(runtime.storage)
        files.write("company.team", "old.sql", b"select 1")
        execution, logs = await run(runtime, task)
        assert execution.state.current is State.SUCCESS, logs
        assert files.all_files("company.team") == {"scripts/etl.py": b"print('etl')\n"}
        report = rows(runtime, execution.task_runs_of("files")[0].outputs["files"])
        assert {(r["kestraPath"], r["syncState"]) for r in report} == {
            ("/scripts/etl.py", "ADDED"),
            ("/old.sql", "DELETED"),
        }


async def test_push_flows_commits_to_a_new_branch_and_skips_an_empty_commit(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit({"README.md": "repo\n"})
    source = FLOW.format(id="hello", message="hi").replace("anything.here", "company.team")
    task = f"""\
  - id: push
    type: io.kestra.plugin.git.PushFlows
    url: {remote.url}
    sourceNamespace: company.team
    targetNamespace: prod.team
    branch: release
    commitMessage: "release {{{{ flow.id }}}}"
    authorName: Robot
    authorEmail: robot@example.com
"""
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        runtime.store.flows.save(source, load_flow(source))
        dry, _ = await run(runtime, task.replace("authorName", "dryRun: true\n    authorName"))
        assert dry.task_runs_of("push")[0].outputs.get("commitId") is None
        assert "release" not in sh(remote.bare, "branch", "--list")

        execution, logs = await run(runtime, task)
        assert execution.state.current is State.SUCCESS, logs
        outputs = execution.task_runs_of("push")[0].outputs
        assert outputs["commitId"] == sh(remote.bare, "rev-parse", "release")
        pushed = remote.show("release", "_flows/hello.yml")
        assert "namespace: prod.team" in pushed
        assert "message: hi" in pushed
        assert remote.show("release", "README.md") == "repo"
        log = sh(remote.bare, "log", "-1", "--format=%an <%ae>|%s", "release")
        assert log == "Robot <robot@example.com>|release git"
        diff = rows(runtime, outputs["flows"])
        assert diff == [
            {"file": "hello.yml", "key": "hello.yml", "kind": "FLOW", "action": "ADDED"}
        ]

        again, _ = await run(runtime, task)
        assert again.task_runs_of("push")[0].outputs["commitId"] is None
        assert sh(remote.bare, "rev-parse", "release") == outputs["commitId"]


async def test_push_namespace_files_selected_by_glob_and_deletes_stale_ones(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit({"_files/gone.sql": "select 0\n"})
    task = f"""\
  - id: push
    type: io.kestra.plugin.git.PushNamespaceFiles
    url: {remote.url}
    namespace: company.team
    files: ["**/*.sql"]
"""
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        files = NamespaceFiles(runtime.storage)
        files.write("company.team", "sql/a.sql", b"select 1\n")
        files.write("company.team", "notes.txt", b"not pushed\n")
        execution, logs = await run(runtime, task)
        assert execution.state.current is State.SUCCESS, logs
        tree = sh(remote.bare, "ls-tree", "-r", "--name-only", "main").split("\n")
        assert tree == ["_files/sql/a.sql"]
        assert sh(remote.bare, "log", "-1", "--format=%s", "main") == (
            "Add files from company.team namespace"
        )
