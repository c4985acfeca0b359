"""Namespace files in internal storage (``kestra:///<ns/path>/_files/<path>``) and patterns.

Patterns are Kestra's (``glob:``, ``regex:`` or a bare glob), evaluated by
`tercel.storage.globs` like every file pattern of the project.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.names import namespace_problem
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.templating.properties import require_str
from tercel.storage import globs
from tercel.storage.uri import from_path, namespace_path


class NamespaceFilesTask(RunnableTask):
    """A task on the files of `namespace` (the flow's own by default)."""

    namespace: str = Field(
        default="{{ flow.namespace }}", description="The namespace whose files to use."
    )

    def files_namespace(self, ctx: TaskContext) -> str:
        """The rendered namespace."""
        namespace = require_str(ctx, self.namespace, "namespace")
        problem = namespace_problem(namespace)
        if problem is not None:
            raise TaskError(f"namespace: {problem}")
        return namespace


def files_prefix(namespace: str) -> str:
    """``kestra:///<ns/path>/_files/``."""
    return from_path(f"{namespace_path(namespace)}/_files/")


def file_uri(namespace: str, path: str) -> str:
    """The URI of namespace file `path` (``/`` or not at the start), refusing ``..``."""
    clean = normalize(path)
    return from_path(f"{namespace_path(namespace)}/_files/{clean}")


def normalize(path: str) -> str:
    """A namespace file path without leading slash; ``..`` and empty names are refused."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise TaskError(f"`{path}` is not a valid namespace file path")
    return "/".join(parts)


def list_files(ctx: TaskContext, namespace: str) -> dict[str, str]:
    """Every namespace file: relative path → URI, sorted by path."""
    prefix = files_prefix(namespace)
    return {unquote(uri[len(prefix) :]): uri for uri in ctx.storage.list(prefix)}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A namespace-file pattern (`tercel.storage.globs`, bare names at any depth)."""
    return globs.compile_pattern(pattern, any_depth=True)
