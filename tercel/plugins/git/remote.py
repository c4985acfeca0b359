"""What the Git tasks that talk to a remote share: Kestra's connection properties, a clone of
one branch in a scratch directory, glob and ``.kestraignore`` matching, and the ION report
of what a sync or push did.

Kestra's Sync*/Push* tasks reach flows and namespace files through Kestra's API (`kestraUrl`,
`auth`); Tercel's run inside the server and use its store directly, so those two properties
are accepted and have nothing to do.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec
from pydantic import Field

from tercel.errors import TaskError
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.storage.ion import dump_rows
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_list,
    render_map,
    render_str,
    require_str,
)
from tercel.plugins.git.command import credential_env, git

#: Files of a repository that are never flows or namespace files.
IGNORED_NAMES = frozenset({".git", ".gitignore", ".gitkeep", ".kestraignore"})
GIT_TIMEOUT_SECONDS = 600.0


class GitRemoteTask(RunnableTask):
    """Kestra's properties of a task that clones (and maybe pushes to) a repository."""

    url: Text = Field(description="Repository URL (https, ssh, git@host:, file://).")
    username: Text | None = None
    password: Text | None = None
    private_key: Text | None = None
    passphrase: Text | None = None
    trusted_ca_pem_path: Text | None = None
    no_proxy: bool | str | None = None
    connect_timeout: int | str | None = None
    read_timeout: int | str | None = None
    git_config: dict[str, Any] | str | None = None
    clone_submodules: bool | str | None = None
    #: Accepted for Kestra flows; Tercel's tasks use the server's store directly.
    kestra_url: Text | None = None
    auth: dict[str, Any] | None = None
    dry_run: bool | str | None = False

    def is_dry_run(self, ctx: TaskContext) -> bool:
        """`dryRun`, rendered."""
        return render_bool(ctx, self.dry_run, "dryRun", False)

    @asynccontextmanager
    async def checkout(self, ctx: TaskContext, branch: str, *, create: bool) -> AsyncIterator[Repo]:
        """A clone of `branch` (or, with `create`, a new branch when the remote lacks it)."""
        if render_str(ctx, self.passphrase):
            raise TaskError("`passphrase` is not supported: use a private key without one")
        url = require_str(ctx, self.url, "url")
        password = render_str(ctx, self.password) or ""
        with tempfile.TemporaryDirectory(prefix="tercel-git-") as scratch_name:
            scratch = Path(scratch_name)
            env = credential_env(
                scratch,
                username=render_str(ctx, self.username),
                password=password,
                private_key=render_str(ctx, self.private_key),
            )
            config = [
                arg
                for key, value in render_map(ctx, self.git_config, "gitConfig").items()
                for arg in ("-c", f"{key}={value}")
            ]
            repo = Repo(scratch / "repo", env, (password,), branch)
            heads = await git(
                *config,
                "ls-remote",
                "--heads",
                url,
                branch,
                cwd=scratch,
                env=env,
                timeout=GIT_TIMEOUT_SECONDS,
                secrets=repo.secrets,
            )
            args = [*config, "clone", "--quiet", "--depth", "1"]
            if render_bool(ctx, self.clone_submodules, "cloneSubmodules", False):
                args.append("--recurse-submodules")
            if heads.strip():
                await git(
                    *args,
                    "--branch",
                    branch,
                    "--",
                    url,
                    str(repo.path),
                    cwd=scratch,
                    env=env,
                    timeout=GIT_TIMEOUT_SECONDS,
                    secrets=repo.secrets,
                )
            elif not create:
                raise TaskError(f"branch `{branch}` does not exist in the repository")
            else:
                await git(
                    *args,
                    "--",
                    url,
                    str(repo.path),
                    cwd=scratch,
                    env=env,
                    timeout=GIT_TIMEOUT_SECONDS,
                    secrets=repo.secrets,
                )
                await repo.run(
                    "checkout", "--quiet", "--orphan" if not await repo.has_head() else "-b", branch
                )
            yield repo


@dataclass
class Repo:
    """A working clone; `run` is git in it, with the task's credentials."""

    path: Path
    env: dict[str, str]
    secrets: tuple[str, ...]
    branch: str

    async def run(self, *args: str) -> str:
        """`git args...` in the clone."""
        return await git(
            *args, cwd=self.path, env=self.env, timeout=GIT_TIMEOUT_SECONDS, secrets=self.secrets
        )

    async def has_head(self) -> bool:
        """Whether the clone has any commit (an empty repository has none)."""
        try:
            await self.run("rev-parse", "--verify", "--quiet", "HEAD")
        except TaskError:
            return False
        return True

    def directory(self, relative: str) -> Path:
        """`relative` inside the clone; a TaskError when it would leave it."""
        root = self.path.resolve()
        target = (root / relative.strip("/")).resolve()
        if not target.is_relative_to(root):
            raise TaskError("`gitDirectory` must stay inside the repository")
        return target

    async def commit_and_push(
        self, message: str, author_name: str | None, author_email: str | None
    ) -> str | None:
        """Commit everything staged and push it; the commit id, None when nothing changed."""
        await self.run("add", "--all")
        if not (await self.run("status", "--porcelain")).strip():
            return None
        name = author_name or "Tercel"
        email = author_email or "tercel@localhost"
        await self.run(
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "--quiet",
            "-m",
            message,
            "--author",
            f"{name} <{email}>",
        )
        await self.run("push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}")
        return (await self.run("rev-parse", "HEAD")).strip()


def commit_url(url: str, commit_id: str | None) -> str | None:
    """A page showing the commit on GitHub-like hosts (None for other remotes)."""
    if commit_id is None or not url.startswith(("http://", "https://")):
        return None
    base = url.removesuffix(".git")
    if "@" in base.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = base.split("://", 1)
        base = f"{scheme}://{rest.split('@', 1)[1]}"
    return f"{base}/commit/{commit_id}"


def matcher(ctx: TaskContext, value: Any, name: str) -> pathspec.PathSpec:
    """Glob(s) of a property, all (`**`) when unset, as a `.gitignore`-style matcher."""
    patterns = [str(p) for p in render_list(ctx, value, name)] or ["**"]
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def kestra_ignore(directory: Path) -> pathspec.PathSpec:
    """The ``.kestraignore`` of a git directory (gitignore rules; empty when absent)."""
    path = directory / ".kestraignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def tree_files(directory: Path, *, recursive: bool = True) -> dict[str, Path]:
    """Files under `directory` by POSIX path relative to it, Git's own files and
    ``.kestraignore`` matches left out."""
    if not directory.is_dir():
        return {}
    ignore = kestra_ignore(directory)
    found: dict[str, Path] = {}
    entries: Iterable[Path] = directory.rglob("*") if recursive else directory.iterdir()
    for path in sorted(entries):
        relative = path.relative_to(directory)
        if not path.is_file() or any(part in IGNORED_NAMES for part in relative.parts):
            continue
        if ignore.match_file(relative.as_posix()):
            continue
        found[relative.as_posix()] = path
    return found


def report(ctx: TaskContext, name: str, rows: list[dict[str, Any]]) -> str:
    """Store the rows as an ION file of the task run; its URI."""
    buffer = io.BytesIO()
    dump_rows(rows, buffer)
    return ctx.storage.put(ctx.file_uri(name), buffer.getvalue())
