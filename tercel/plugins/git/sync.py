"""`io.kestra.plugin.git.SyncFlows` and `SyncNamespaceFiles`: Git is the source of truth.

Each reads a branch, compares it with what the server holds, and (unless `dryRun`) applies
the differences of each namespace in one transaction through the flows-as-code service, so
a concurrent edit makes the task fail rather than be overwritten half-way. The output
(`flows` / `files`) is an ION file with one row per object and its `syncState` (ADDED,
UPDATED or OVERWRITTEN, DELETED, UNCHANGED), as in Kestra.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from tercel.api.files_service import NamespaceFiles
from tercel.ascode.fingerprint import file_fingerprint
from tercel.ascode.sync import Operation
from tercel.errors import TaskError, TercelError
from tercel.model.loader import FLOW_SUFFIXES, validate_source
from tercel.model.registry import plugin
from tercel.plugins.context import FlowQueries, TaskContext, TaskResult
from tercel.plugins.core.execution.access import require_flows
from tercel.plugins.core.templating.properties import Text, render_bool, render_str, require_str
from tercel.plugins.git.remote import GitRemoteTask, report, tree_files

_NAMESPACE_LINE = re.compile(r"^namespace:[^\n]*$", re.MULTILINE)


def with_namespace(source: str, namespace: str) -> str:
    """The flow's top-level `namespace:` line rewritten to `namespace`."""
    return _NAMESPACE_LINE.sub(f"namespace: {namespace}", source, count=1)


def _apply(
    flows: FlowQueries,
    namespace: str,
    operations: list[Operation],
    files: NamespaceFiles | None = None,
) -> None:
    if not operations:
        return
    try:
        flows.apply(namespace, operations, files)
    except TercelError as error:
        raise TaskError(f"namespace `{namespace}`: {error}") from error


@plugin("io.kestra.plugin.git.SyncFlows")
class SyncFlows(GitRemoteTask):
    """Create, update (and with `delete`, remove) the flows of `targetNamespace` from Git."""

    branch: Text | None = "main"
    target_namespace: Text
    git_directory: Text | None = "_flows"
    include_child_namespaces: bool | str | None = False
    delete: bool | str | None = False
    ignore_invalid_flows: bool | str | None = False
    fail_on_missing_directory: bool | str | None = True

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the branch, compare, apply namespace by namespace; output the sync report."""
        flows = require_flows(ctx, "io.kestra.plugin.git.SyncFlows")
        target = require_str(ctx, self.target_namespace, "targetNamespace")
        children = render_bool(ctx, self.include_child_namespaces, "includeChildNamespaces", False)
        delete = render_bool(ctx, self.delete, "delete", False)
        ignore_invalid = render_bool(ctx, self.ignore_invalid_flows, "ignoreInvalidFlows", False)
        dry_run = self.is_dry_run(ctx)
        branch = render_str(ctx, self.branch) or "main"
        rows: list[dict[str, Any]] = []
        async with self.checkout(ctx, branch, create=False) as repo:
            directory = repo.directory(render_str(ctx, self.git_directory) or "_flows")
            if not directory.is_dir():
                if render_bool(ctx, self.fail_on_missing_directory, "failOnMissingDirectory", True):
                    raise TaskError(f"`gitDirectory` {directory.name} is not in the repository")
                note = f"`gitDirectory` {directory.name} is not in the repository"
                ctx.logger.warning(note)
                return TaskResult(outputs={"flows": report(ctx, "flows.ion", rows)})
            # namespace -> flow id -> (git path, source)
            wanted: dict[str, dict[str, tuple[str, str]]] = {target: {}}
            problems: list[str] = []
            for relative, path in tree_files(directory, recursive=children).items():
                if not relative.endswith(FLOW_SUFFIXES):
                    continue
                parts = relative.split("/")[:-1]
                namespace = ".".join([target, *parts])
                source = with_namespace(path.read_text(encoding="utf-8"), namespace)
                results = validate_source(source, relative)
                if len(results) != 1 or not results[0].ok or results[0].flow is None:
                    found = [p.format() for r in results for p in r.problems] or [
                        f"{relative}: one flow per file"
                    ]
                    problems.extend(found)
                    continue
                wanted.setdefault(namespace, {})[results[0].flow.id] = (relative, source)
            if problems and not ignore_invalid:
                raise TaskError(
                    "invalid flows in Git (set ignoreInvalidFlows to skip them):\n"
                    + "\n".join(problems)
                )
            for problem in problems:
                note = f"skipped: {problem}"
                ctx.logger.warning(note)
            if delete and children:
                for child in flows.list(target):
                    wanted.setdefault(child.namespace, {})
            for namespace, wanted_flows in sorted(wanted.items()):
                operations = []
                current = {r.id: r for r in flows.list(namespace) if r.namespace == namespace}
                for flow_id, (git_path, source) in sorted(wanted_flows.items()):
                    record = current.get(flow_id)
                    state = (
                        "ADDED"
                        if record is None
                        else ("UNCHANGED" if record.source == source else "UPDATED")
                    )
                    rows.append(
                        {
                            "gitPath": git_path,
                            "syncState": state,
                            "flowId": flow_id,
                            "namespace": namespace,
                            "revision": record.revision if record else None,
                        }
                    )
                    if state != "UNCHANGED":
                        operations.append(
                            Operation(
                                "flow",
                                "create" if record is None else "update",
                                flow_id,
                                record.revision if record else None,
                                source,
                            )
                        )
                for flow_id, stale in sorted(current.items()):
                    if flow_id in wanted_flows or not delete:
                        continue
                    rows.append(
                        {
                            "gitPath": None,
                            "syncState": "DELETED",
                            "flowId": flow_id,
                            "namespace": namespace,
                            "revision": stale.revision,
                        }
                    )
                    operations.append(Operation("flow", "delete", flow_id, stale.revision))
                if not dry_run:
                    _apply(flows, namespace, operations)
        changed = sum(1 for row in rows if row["syncState"] != "UNCHANGED")
        verb = "would change" if dry_run else "changed"
        note = f"SyncFlows {verb} {changed} flow(s) of {len(rows)} from branch {branch}"
        ctx.logger.info(note)
        return TaskResult(outputs={"flows": report(ctx, "flows.ion", rows)})


@plugin("io.kestra.plugin.git.SyncNamespaceFiles")
class SyncNamespaceFiles(GitRemoteTask):
    """Make a namespace's files those of `gitDirectory` (`delete` removes the others)."""

    branch: Text | None = "main"
    namespace: Text | None = None
    git_directory: Text | None = "_files"
    delete: bool | str | None = False
    fail_on_missing_directory: bool | str | None = True

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the branch, compare file by file, apply in one go; output the report."""
        flows = require_flows(ctx, "io.kestra.plugin.git.SyncNamespaceFiles")
        namespace = render_str(ctx, self.namespace) or ctx.namespace
        delete = render_bool(ctx, self.delete, "delete", False)
        dry_run = self.is_dry_run(ctx)
        branch = render_str(ctx, self.branch) or "main"
        files = NamespaceFiles(ctx.storage)
        rows: list[dict[str, Any]] = []
        operations: list[Operation] = []
        async with self.checkout(ctx, branch, create=False) as repo:
            directory = repo.directory(render_str(ctx, self.git_directory) or "_files")
            if not directory.is_dir():
                if render_bool(ctx, self.fail_on_missing_directory, "failOnMissingDirectory", True):
                    raise TaskError(f"`gitDirectory` {directory.name} is not in the repository")
                note = f"`gitDirectory` {directory.name} is not in the repository"
                ctx.logger.warning(note)
                return TaskResult(outputs={"files": report(ctx, "files.ion", rows)})
            current = files.all_files(namespace)
            wanted = {rel: path.read_bytes() for rel, path in tree_files(directory).items()}
            for relative, content in sorted(wanted.items()):
                before = current.get(relative)
                state = (
                    "ADDED"
                    if before is None
                    else ("UNCHANGED" if before == content else "OVERWRITTEN")
                )
                rows.append({"gitPath": relative, "syncState": state, "kestraPath": "/" + relative})
                if state != "UNCHANGED":
                    operations.append(
                        Operation(
                            "file",
                            "create" if before is None else "update",
                            relative,
                            None if before is None else file_fingerprint(before),
                            base64.b64encode(content).decode(),
                        )
                    )
            for relative, before in sorted(current.items()):
                if relative in wanted or not delete:
                    continue
                rows.append({"gitPath": None, "syncState": "DELETED", "kestraPath": "/" + relative})
                operations.append(Operation("file", "delete", relative, file_fingerprint(before)))
        if not dry_run:
            _apply(flows, namespace, operations, files)
        verb = "would change" if dry_run else "changed"
        note = f"SyncNamespaceFiles {verb} {len(operations)} file(s) of `{namespace}`"
        ctx.logger.info(note)
        return TaskResult(outputs={"files": report(ctx, "files.ion", rows)})
