"""Namespace files in internal storage (``kestra:///<ns/path>/_files/<path>``) and patterns.

A pattern is ``glob:<glob>``, ``regex:<regex>`` or a bare glob, matched against the whole
relative path (``dbt/models/a.sql``); in a glob, ``*`` stays inside one folder, ``**``
crosses folders and ``**/`` may match no folder at all.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.names import namespace_problem
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.templating.properties import require_str
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


def _glob_regex(glob: str) -> str:
    out = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``glob:...``, ``regex:...`` or a bare glob into a full-match regex."""
    if pattern.startswith("regex:"):
        source = pattern[len("regex:") :]
    else:
        source = _glob_regex(pattern.removeprefix("glob:").lstrip("/"))
    try:
        return re.compile(source)
    except re.error as error:
        raise TaskError(f"invalid file pattern `{pattern}`: {error}") from None


def matches(patterns: list[re.Pattern[str]], path: str) -> bool:
    """Whether `path` (relative, no leading slash) fully matches any pattern."""
    return any(pattern.fullmatch(path) for pattern in patterns)
