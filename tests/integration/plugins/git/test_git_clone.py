"""git.Clone on local repositories made by the test (branches, tags, commits, depth)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

CLONE = "io.kestra.plugin.git.Clone"
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "HOME": "/tmp",
    "PATH": "/usr/bin:/bin",
}


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: 3 commits (v1 tagged at the first); branch `dev` adds dev.txt."""
    path = tmp_path / "origin"
    path.mkdir()
    sh(path, "init", "-q", "-b", "main")
    for n in (1, 2, 3):
        (path / "version.txt").write_text(f"{n}\n")
        sh(path, "add", ".")
        sh(path, "commit", "-q", "-m", f"v{n}")
        if n == 1:
            sh(path, "tag", "v1")
    sh(path, "checkout", "-q", "-b", "dev")
    (path / "dev.txt").write_text("dev\n")
    sh(path, "add", ".")
    sh(path, "commit", "-q", "-m", "dev")
    sh(path, "checkout", "-q", "main")
    return path


async def test_clone_default_branch_shallow_into_the_working_dir(
    repo: Path, tmp_path: Path
) -> None:
    ctx = FakeTaskContext(tmp_path / "ctx")
    (ctx.working_dir / "already-here.txt").write_text("x")
    outputs = (await run_task({"id": "c", "type": CLONE, "url": str(repo)}, ctx)).outputs
    assert outputs == {"directory": str(ctx.working_dir.resolve())}
    assert (ctx.working_dir / "version.txt").read_text() == "3\n"
    assert (ctx.working_dir / "already-here.txt").exists()
    assert sh(ctx.working_dir, "rev-list", "--count", "HEAD") == "1"


async def test_clone_a_branch_into_a_directory(repo: Path, tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path / "ctx")
    task = {
        "id": "c",
        "type": CLONE,
        "url": f"file://{repo}",
        "branch": "dev",
        "directory": "src/app",
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["directory"] == str((ctx.working_dir / "src" / "app").resolve())
    assert (ctx.working_dir / "src" / "app" / "dev.txt").read_text() == "dev\n"


async def test_clone_a_tag_and_a_commit(repo: Path, tmp_path: Path) -> None:
    tagged = FakeTaskContext(tmp_path / "tag")
    await run_task({"id": "c", "type": CLONE, "url": str(repo), "tag": "v1"}, tagged)
    assert (tagged.working_dir / "version.txt").read_text() == "1\n"
    second = sh(repo, "rev-parse", "HEAD~1")
    pinned = FakeTaskContext(tmp_path / "commit")
    await run_task({"id": "c", "type": CLONE, "url": str(repo), "commit": second}, pinned)
    assert (pinned.working_dir / "version.txt").read_text() == "2\n"


async def test_unknown_branch_fails_with_gits_message(repo: Path, tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path / "ctx")
    with pytest.raises(TaskError, match=r"git clone failed: .*nope"):
        await run_task({"id": "c", "type": CLONE, "url": str(repo), "branch": "nope"}, ctx)


async def test_password_never_appears_in_the_error(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path / "ctx")
    task = {
        "id": "c",
        "type": CLONE,
        "url": "http://127.0.0.1:9/private.git",
        "username": "ada",
        "password": "hunter2-secret",
    }
    with pytest.raises(TaskError, match="git clone failed") as raised:
        await run_task(task, ctx)
    assert "hunter2-secret" not in str(raised.value)
    assert not list(ctx.working_dir.iterdir())


async def test_directory_outside_the_working_dir_is_refused(repo: Path, tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path / "ctx")
    with pytest.raises(TaskError, match="must stay inside the working directory"):
        await run_task({"id": "c", "type": CLONE, "url": str(repo), "directory": "../x"}, ctx)


async def test_clone_then_run_a_script_in_a_working_directory(repo: Path, tmp_path: Path) -> None:
    flow = load_flow(
        f"""
id: build
namespace: company.team
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: clone
        type: io.kestra.plugin.git.Clone
        url: {repo}
        branch: dev
      - id: read
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo "::{{\\"outputs\\":{{\\"version\\":\\"$(cat version.txt)\\",\\"dev\\":\\"$(cat dev.txt)\\"}}}}::"
""",
        "build.yml",
    )
    async with LocalRuntime.open(tmp_path / "home") as runtime:
        execution = await runtime.run(flow, timeout=60)
        logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
        assert execution.state.current is State.SUCCESS, logs
        assert execution.task_runs_of("read")[0].outputs["vars"] == {"version": "3", "dev": "dev"}
