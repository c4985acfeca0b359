"""`storage.LocalFiles` (deprecated): create files in the working directory, store others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import local_file
from tercel.plugins.core.templating.properties import render_list, render_map, render_str
from tercel.storage import globs


def inside(base: Path, relative: str, what: str) -> Path:
    """`base / relative`, refusing absolute paths and `..` that would leave `base`."""
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base.resolve()):
        raise TaskError(f"{what} `{relative}` is outside the working directory")
    return candidate


@plugin(
    "io.kestra.plugin.core.storage.LocalFiles",
    aliases=("io.kestra.core.tasks.storages.LocalFiles",),
)
class LocalFiles(RunnableTask):
    """Write `inputs` as files of the working directory; store the files matching `outputs`.

    Deprecated in Kestra in favour of `inputFiles`/`outputFiles` of script tasks and
    WorkingDirectory; useful inside a WorkingDirectory, whose tasks share one directory.
    """

    inputs: dict[str, Any] | str | None = Field(
        default=None,
        description=(
            "File name → content (rendered; a kestra:/// URI copies that file), or a string "
            "holding such a JSON map."
        ),
    )
    outputs: list[str] | str | None = Field(
        default=None, description="Glob patterns of files to store, relative to the directory."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uris": {relative path: kestra URI}}``."""
        base = ctx.working_dir
        for name, content in render_map(ctx, self.inputs, "inputs").items():
            target = inside(base, name, "input file")
            target.parent.mkdir(parents=True, exist_ok=True)
            text = render_str(ctx, content) or ""
            if text.startswith("kestra://"):
                local_file(ctx, text, target)
            else:
                target.write_text(text, encoding="utf-8")
        uris: dict[str, str] = {}
        patterns = [str(pattern) for pattern in render_list(ctx, self.outputs, "outputs")]
        for path in globs.matching_files(base, patterns):
            relative = path.relative_to(base).as_posix()
            inside(base, relative, "output file")
            uris[relative] = ctx.storage.put(ctx.file_uri(relative), path)
        return TaskResult(outputs={"uris": uris})
