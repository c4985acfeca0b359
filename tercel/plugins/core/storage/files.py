"""What the storage tasks share: reading a ``kestra://`` property and storing results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tercel.errors import InvalidNameError, StorageAccessError, TaskError, TercelError
from tercel.ids import short_id
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import require_str
from tercel.storage.access import ExecutionScope


def _scope(ctx: TaskContext) -> ExecutionScope:
    return ExecutionScope.of(ctx.namespace, ctx.flow_id, ctx.execution_id, ctx.variables)


def check_readable(ctx: TaskContext, uri: str) -> str:
    """The canonical form of `uri` when this task may read it; TaskError if not.

    Allowed: the current execution's files, those of the execution that triggered this
    one (`trigger.*`: a subflow's parent, a Flow trigger's upstream, a ForEachItem batch's
    parent) and namespace files (`tercel.storage.access.ExecutionScope`).
    """
    try:
        return _scope(ctx).check_read(uri)
    except (StorageAccessError, InvalidNameError) as error:
        raise TaskError(str(error)) from None


def check_deletable(ctx: TaskContext, uri: str) -> str:
    """The canonical form of `uri` when this task may delete that one file; TaskError if not."""
    try:
        return _scope(ctx).check_delete(uri)
    except (StorageAccessError, InvalidNameError) as error:
        raise TaskError(str(error)) from None


def render_uri(ctx: TaskContext, value: Any, name: str) -> str:
    """Render a property that must be an internal-storage URI this execution may read."""
    uri = require_str(ctx, value, name).strip()
    if not uri.startswith("kestra://"):
        raise TaskError(f"`{name}` must be an internal storage URI (kestra:///...), got `{uri}`")
    check_readable(ctx, uri)
    return uri


def local_file(ctx: TaskContext, uri: str, target: Path | None = None) -> Path:
    """A local copy of `uri` (at `target`, or a fresh file in the working directory);
    `TaskError` when absent or refused.

    Streamed from the storage (a local disk or a bucket on another host), never held whole
    in memory.
    """
    checked = check_readable(ctx, uri)
    target = target if target is not None else new_file(ctx, extension(checked))
    try:
        return ctx.storage.download(checked, target)
    except TercelError as error:
        target.unlink(missing_ok=True)
        raise TaskError(f"cannot read `{uri}`: {error}") from None


def extension(uri: str, default: str = "") -> str:
    """The extension of a URI's file name, with its dot (``.ion``), or `default`."""
    suffix = PurePosixPath(uri.split("?", 1)[0]).suffix
    return suffix or default


def new_file(ctx: TaskContext, suffix: str) -> Path:
    """A fresh path in the working directory to write a result into before storing it."""
    return ctx.working_dir / f"{short_id()}{suffix}"


def store(ctx: TaskContext, path: Path) -> str:
    """Store a local file under the task run's folder; return its ``kestra:///`` URI."""
    return ctx.storage.put(ctx.file_uri(path.name), path)


def read_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a text file, streamed, without their line breaks (``\n``, ``\r\n``
    or ``\r``), as Java's `readLine` gives them: a final line break adds no empty line."""
    with path.open(encoding=encoding, newline=None) as source:
        for line in source:
            yield line[:-1] if line.endswith("\n") else line
