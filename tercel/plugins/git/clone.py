"""`io.kestra.plugin.git.Clone`: clone a repository into the working directory.

Used inside a `WorkingDirectory` so that the next tasks (DbtCLI, scripts) see the files.
`branch` or `tag` pick what to check out (`commit` a precise revision); `depth` defaults to
a shallow clone of 1 commit, as in Kestra.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_duration,
    render_int,
    render_map,
    render_str,
    require_str,
)
from tercel.plugins.git.command import credential_env, git

#: Kestra's default connect timeout (10 s) is for the connection; a whole clone gets longer.
CLONE_TIMEOUT_SECONDS = 600.0


@plugin("io.kestra.plugin.git.Clone")
class Clone(RunnableTask):
    """Clone `url` into `directory` (default: the working directory); output `directory`."""

    url: Text = Field(description="Repository URL (https, ssh, git@host:, file:// or a path).")
    branch: Text | None = None
    tag: Text | None = None
    commit: Text | None = None
    directory: Text | None = Field(default=None, description="Relative to the working dir.")
    depth: int | str | None = 1
    username: Text | None = None
    password: Text | None = None
    private_key: Text | None = None
    passphrase: Text | None = None
    clone_submodules: bool | str | None = False
    connect_timeout: int | str | None = None
    no_proxy: bool | str | None = None
    git_config: dict[str, str] | str | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Clone, check out the asked revision, and return the clone's absolute path."""
        url = require_str(ctx, self.url, "url")
        target = self._target(ctx)
        password = render_str(ctx, self.password)
        if render_str(ctx, self.passphrase):
            raise TaskError("`passphrase` is not supported: use a private key without one")
        commit = render_str(ctx, self.commit)
        ref = render_str(ctx, self.tag) or render_str(ctx, self.branch)
        depth = render_int(ctx, self.depth, "depth")
        timeout = render_duration(ctx, self.timeout, "timeout") if self.timeout else None
        with tempfile.TemporaryDirectory(prefix="tercel-git-") as scratch_name:
            scratch = Path(scratch_name)
            env = credential_env(
                scratch,
                username=render_str(ctx, self.username),
                password=password,
                private_key=render_str(ctx, self.private_key),
            )
            args = ["clone", "--quiet"]
            for key, value in render_map(ctx, self.git_config, "gitConfig").items():
                args[0:0] = ["-c", f"{key}={value}"]
            if ref:
                args += ["--branch", ref]
            # A commit may be deep in history: fetch everything to find it.
            if depth and depth > 0 and not commit:
                args += ["--depth", str(depth)]
            if render_bool(ctx, self.clone_submodules, "cloneSubmodules", False):
                args.append("--recurse-submodules")
            clone_into = scratch / "repo"
            await git(
                *args,
                "--",
                _local_url(url),
                str(clone_into),
                cwd=scratch,
                env=env,
                timeout=timeout.total_seconds() if timeout else CLONE_TIMEOUT_SECONDS,
                secrets=(password or "",),
            )
            if commit:
                await git("checkout", "--quiet", commit, cwd=clone_into, env=env)
            head = (await git("rev-parse", "HEAD", cwd=clone_into, env=env)).strip()
            _move_into(clone_into, target)
        message = f"cloned {_display(url)} at {head[:12]} into {target}"
        ctx.logger.info(message)
        return TaskResult(outputs={"directory": str(target)})

    def _target(self, ctx: TaskContext) -> Path:
        root = ctx.working_dir.resolve()
        target = (root / (render_str(ctx, self.directory) or "")).resolve()
        if not target.is_relative_to(root):
            raise TaskError("`directory` must stay inside the working directory")
        if target.exists() and any(target.iterdir()) and target != root:
            raise TaskError(f"`directory` {target.relative_to(root)} exists and is not empty")
        return target


def _local_url(url: str) -> str:
    """A plain local path becomes a ``file://`` URL, so that `--depth` applies to it too."""
    if url.startswith("/") and Path(url).exists():
        return "file://" + url
    return url


def _display(url: str) -> str:
    """The URL without credentials someone may have put in it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url


def _move_into(source: Path, target: Path) -> None:
    """Move the clone's entries (`.git` included) into `target` (which may hold other files)."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        destination = target / entry.name
        if destination.exists():
            raise TaskError(f"cannot clone into the working directory: `{entry.name}` exists")
        shutil.move(str(entry), destination)
