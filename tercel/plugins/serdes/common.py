"""What every conversion task shares: its `from` file, its charset, its result and metric."""

from __future__ import annotations

import codecs
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import local_file, new_file, render_uri, store
from tercel.plugins.core.templating.properties import Text, render_str


class ConversionTask(RunnableTask):
    """A task that converts the internal-storage file `from` into another file."""

    from_: Text = Field(alias="from", description="The file to convert (kestra:///...).")

    def source(self, ctx: TaskContext) -> Path:
        """A local copy of `from`, checked to be readable by this execution."""
        return local_file(ctx, render_uri(ctx, self.from_, "from"))


def result(ctx: TaskContext, path: Path, count: int) -> TaskResult:
    """Store `path` and answer Kestra's outputs `uri` and `size` (and the `records` metric)."""
    ctx.metric("records", "counter", float(count))
    return TaskResult(outputs={"uri": store(ctx, path), "size": count})


def target(ctx: TaskContext, suffix: str) -> Path:
    """A fresh file in the working directory for the converted data."""
    return new_file(ctx, suffix)


def render_charset(ctx: TaskContext, value: Any, *, reading: bool = False) -> str:
    """The Python codec for a Java charset name (`UTF-8`, `ISO-8859-1`, `windows-1252`...).

    When reading UTF-8, a byte-order mark at the start of the file is dropped, as Kestra does.
    """
    name = (render_str(ctx, value) or "UTF-8").strip()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise TaskError(f"property `charset`: unknown character set `{name}`") from None
    if reading and codec == "utf-8":
        return "utf-8-sig"
    return codec


def render_char(ctx: TaskContext, value: Any, name: str, default: str) -> str:
    """A one-character property (`fieldSeparator`, `textDelimiter`); `\\t` means a tab."""
    rendered = render_str(ctx, value)
    if rendered is None or rendered == "":
        return default
    if rendered in ("\\t", "\t"):
        return "\t"
    if len(rendered) != 1:
        raise TaskError(f"property `{name}` must be a single character, got `{rendered}`")
    return rendered


def optional_library(module: str, task_type: str) -> ModuleType:
    """Import a library of the `serdes` extra, or fail the task saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TaskError(
            f"`{task_type}` needs the Python package `{module.partition('.')[0]}`: install "
            "Tercel with the `serdes` extra (pip install 'tercel[serdes]')"
        ) from None
