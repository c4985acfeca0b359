"""What the storage tasks share: reading a ``kestra://`` property and storing results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from tercel.errors import TaskError, TercelError
from tercel.ids import short_id
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import require_str


def check_readable(ctx: TaskContext, uri: str) -> None:
    """Refuse the files of another execution, as Kestra does.

    Allowed: files outside any execution (namespace files), the current execution's, and
    those of the execution that triggered this one (`trigger.executionId`: a subflow's
    parent, a flow trigger's upstream, a ForEachItem batch's parent).
    """
    if "/executions/" not in uri:
        return
    owner = uri.split("/executions/", 1)[1].split("/", 1)[0]
    trigger = ctx.variables.get("trigger")
    upstream = trigger.get("executionId") if isinstance(trigger, Mapping) else None
    if owner not in (ctx.execution_id, upstream):
        raise TaskError(
            f"cannot use `{uri}`: it belongs to execution `{owner}`; a task may only use the "
            "files of its own execution or of the execution that triggered it"
        )


def render_uri(ctx: TaskContext, value: Any, name: str) -> str:
    """Render a property that must be an internal-storage URI this execution may use."""
    uri = require_str(ctx, value, name).strip()
    if not uri.startswith("kestra://"):
        raise TaskError(f"`{name}` must be an internal storage URI (kestra:///...), got `{uri}`")
    check_readable(ctx, uri)
    return uri


def local_file(ctx: TaskContext, uri: str) -> Path:
    """A local path to read `uri` from; `TaskError` when it does not exist or is invalid."""
    check_readable(ctx, uri)
    try:
        return ctx.storage.local_path(uri)
    except TercelError as error:
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
