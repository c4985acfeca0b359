"""`io.kestra.plugin.git.PushFlows` and `PushNamespaceFiles`: commit the server's flows or
namespace files to a branch (created when missing) and push.

Flows are written as ``<gitDirectory>/<id>.yml``, child namespaces (with
`includeChildNamespaces`) in nested folders; files keep their paths under `gitDirectory`.
With `delete` (the default, as in Kestra) files of `gitDirectory` the server no longer has
are removed. `dryRun` commits nothing and outputs the diff only. Outputs: `commitId`,
`commitURL` and the diff (`flows` / `files`), an ION file of ``{file, key, kind, action}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tercel.api.files_service import NamespaceFiles
from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.execution.access import require_flows
from tercel.plugins.core.templating.properties import Text, render_bool, render_str, require_str
from tercel.plugins.git.remote import GitRemoteTask, Repo, commit_url, matcher, report, tree_files
from tercel.plugins.git.sync import with_namespace


async def _write_and_diff(
    directory: Path, wanted: dict[str, bytes], kind: str, *, delete: bool, owned: Any
) -> list[dict[str, Any]]:
    """Make `directory` hold `wanted` (and, with `delete`, nothing else that `owned`
    matches); one diff row per file."""
    rows: list[dict[str, Any]] = []
    existing = tree_files(directory)
    for relative, content in sorted(wanted.items()):
        path = directory / relative
        before = path.read_bytes() if relative in existing else None
        if before == content:
            rows.append({"file": relative, "key": relative, "kind": kind, "action": "UNCHANGED"})
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        action = "ADDED" if before is None else "UPDATED_GIT"
        rows.append({"file": relative, "key": relative, "kind": kind, "action": action})
    if delete:
        for relative, path in sorted(existing.items()):
            if relative not in wanted and owned(relative):
                path.unlink()
                rows.append(
                    {"file": relative, "key": relative, "kind": kind, "action": "DELETED_GIT"}
                )
    return rows


class _PushTask(GitRemoteTask):
    branch: Text | None = "main"
    commit_message: Text | None = None
    author_email: Text | None = None
    author_name: Text | None = None
    delete: bool | str | None = True

    async def _finish(
        self, ctx: TaskContext, repo: Repo, rows: list[dict[str, Any]], message: str, name: str
    ) -> TaskResult:
        changed = [row for row in rows if row["action"] != "UNCHANGED"]
        diff = report(ctx, f"{name}.ion", changed)
        if self.is_dry_run(ctx):
            note = f"dry run: {len(changed)} file(s) would change, nothing pushed"
            ctx.logger.info(note)
            return TaskResult(outputs={name: diff})
        commit_id = await repo.commit_and_push(
            message,
            render_str(ctx, self.author_name) or render_str(ctx, self.username),
            render_str(ctx, self.author_email),
        )
        if commit_id is None:
            ctx.logger.info("nothing changed: no commit")
        else:
            note = f"pushed {len(changed)} change(s) as {commit_id[:12]} to {repo.branch}"
            ctx.logger.info(note)
        url = commit_url(require_str(ctx, self.url, "url"), commit_id)
        return TaskResult(outputs={"commitId": commit_id, "commitURL": url, name: diff})


@plugin("io.kestra.plugin.git.PushFlows")
class PushFlows(_PushTask):
    """Commit the flows of `sourceNamespace` (those whose id matches `flows`) and push."""

    git_directory: Text | None = "_flows"
    source_namespace: Text | None = None
    target_namespace: Text | None = None
    flows: Any = None
    include_child_namespaces: bool | str | None = False

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Export, write into the clone, commit and push (or only diff)."""
        flows = require_flows(ctx, "io.kestra.plugin.git.PushFlows")
        source = render_str(ctx, self.source_namespace) or ctx.namespace
        target = render_str(ctx, self.target_namespace)
        children = render_bool(ctx, self.include_child_namespaces, "includeChildNamespaces", False)
        selected = matcher(ctx, self.flows, "flows")
        wanted: dict[str, bytes] = {}
        for record in flows.list(source):
            if record.namespace != source and not children:
                continue
            if not selected.match_file(record.id):
                continue
            nested = record.namespace.removeprefix(source).strip(".").replace(".", "/")
            relative = f"{nested}/{record.id}.yml" if nested else f"{record.id}.yml"
            text = record.source
            if target:
                text = with_namespace(
                    text, ".".join(filter(None, [target, nested.replace("/", ".")]))
                )
            wanted[relative] = text.encode("utf-8")
        message = render_str(ctx, self.commit_message) or f"Add flows from {source} namespace"
        branch = render_str(ctx, self.branch) or "main"
        async with self.checkout(ctx, branch, create=True) as repo:
            directory = repo.directory(render_str(ctx, self.git_directory) or "_flows")

            def owned(relative: str) -> bool:
                # Only flows this task exports: files of selected ids, at the levels it writes.
                name = relative.rsplit("/", 1)[-1]
                if not name.endswith((".yml", ".yaml")) or ("/" in relative and not children):
                    return False
                return bool(selected.match_file(name.rsplit(".", 1)[0]))

            delete = render_bool(ctx, self.delete, "delete", True)
            rows = await _write_and_diff(directory, wanted, "FLOW", delete=delete, owned=owned)
            return await self._finish(ctx, repo, rows, message, "flows")


@plugin("io.kestra.plugin.git.PushNamespaceFiles")
class PushNamespaceFiles(_PushTask):
    """Commit the files of `namespace` (those matching `files`) and push."""

    namespace: Text | None = None
    git_directory: Text | None = "_files"
    files: Any = None
    error_on_missing: bool | str | None = False

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Export, write into the clone, commit and push (or only diff)."""
        namespace = render_str(ctx, self.namespace) or ctx.namespace
        selected = matcher(ctx, self.files, "files")
        everything = NamespaceFiles(ctx.storage).all_files(namespace)
        wanted = {path: data for path, data in everything.items() if selected.match_file(path)}
        if not wanted:
            message = f"no namespace file of `{namespace}` matches `files`"
            if render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
                raise TaskError(message)
            ctx.logger.warning(message)
        commit = render_str(ctx, self.commit_message) or f"Add files from {namespace} namespace"
        branch = render_str(ctx, self.branch) or "main"
        async with self.checkout(ctx, branch, create=True) as repo:
            directory = repo.directory(render_str(ctx, self.git_directory) or "_files")
            delete = render_bool(ctx, self.delete, "delete", True)
            rows = await _write_and_diff(
                directory, wanted, "FILE", delete=delete, owned=selected.match_file
            )
            return await self._finish(ctx, repo, rows, commit, "files")
