"""`namespace.UploadFiles`: store working-directory or internal files as namespace files."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import Field, model_validator

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.namespace.files import (
    NamespaceFilesTask,
    file_uri,
    normalize,
)
from tercel.plugins.core.storage.files import local_file
from tercel.plugins.core.templating.properties import (
    Text,
    render_enum,
    render_list,
    render_map,
    render_str,
)
from tercel.storage import globs
from tercel.storage.globs import matches

CONFLICTS = ("OVERWRITE", "ERROR", "SKIP")


@plugin("io.kestra.plugin.core.namespace.UploadFiles")
class UploadFiles(NamespaceFilesTask):
    """Upload files matching `files` (from the working directory) or the map `filesMap`."""

    files: list[Text] | dict[str, Any] | str | None = Field(
        default=None,
        description=(
            "Patterns of working-directory files to upload (`glob:**/dbt/**`, `regex:...` "
            "or a bare glob) and kestra:/// URIs (stored under their file name); a map is "
            "read as `filesMap`."
        ),
    )
    files_map: dict[str, Any] | str | None = Field(
        default=None,
        description=(
            "Namespace path → source (a kestra:/// URI or a working-directory path); a "
            "string must render to such a JSON map (e.g. another task's `outputFiles`)."
        ),
    )
    destination: Text = Field(default="/", description="Folder of the namespace to upload to.")
    conflict: str = Field(
        default="OVERWRITE",
        description="When a file exists: OVERWRITE it, ERROR (fail), or SKIP it.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> UploadFiles:
        if (self.files is None) == (self.files_map is None):
            raise ValueError("set exactly one of `files` or `filesMap`")
        return self

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"files": {namespace path: URI}}`` of the files written."""
        namespace = self.files_namespace(ctx)
        destination = (render_str(ctx, self.destination) or "/").strip("/")
        conflict = render_enum(ctx, self.conflict, "conflict", CONFLICTS)
        sources: dict[str, Path] = {}
        mapping = self.files_map if self.files_map is not None else self.files
        if isinstance(mapping, dict) or self.files_map is not None:
            for target, source in render_map(ctx, mapping, "filesMap").items():
                sources[target] = self._source_path(ctx, str(source))
        else:
            patterns = []
            for item in render_list(ctx, self.files, "files"):
                text = str(item)
                if text.startswith("kestra://"):
                    sources[PurePosixPath(text).name] = local_file(ctx, text)
                else:
                    patterns.append(globs.compile_pattern(text))
            base = ctx.working_dir
            for path in sorted(base.rglob("*")) if patterns else []:
                relative = path.relative_to(base).as_posix()
                if path.is_file() and matches(patterns, relative):
                    sources[relative] = path
        written: dict[str, str] = {}
        for relative, path in sources.items():
            target = normalize(f"{destination}/{relative}")
            uri = file_uri(namespace, target)
            if ctx.storage.exists(uri):
                if conflict == "SKIP":
                    continue
                if conflict == "ERROR":
                    raise TaskError(
                        f"namespace file `/{target}` already exists in `{namespace}` "
                        "(and `conflict` is ERROR)"
                    )
            written["/" + target] = ctx.storage.put(uri, path)
        return TaskResult(outputs={"files": written})

    @staticmethod
    def _source_path(ctx: TaskContext, source: str) -> Path:
        if source.startswith("kestra://"):
            return local_file(ctx, source)
        candidate = (ctx.working_dir / source).resolve()
        if not candidate.is_relative_to(ctx.working_dir.resolve()) or not candidate.is_file():
            raise TaskError(f"`{source}` is neither a kestra:/// URI nor a working-directory file")
        return candidate
