"""`storage.Split`: cut a file into several, by size, by number of parts or by rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pydantic import Field, model_validator

from tercel.errors import TaskError
from tercel.ids import short_id
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import (
    extension,
    local_file,
    read_lines,
    render_uri,
    store,
)
from tercel.plugins.core.templating.properties import Text, render_int, render_str

_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """``10``, ``10B``, ``10KB``, ``1MB``, ``2GB`` → bytes (1 KB = 1024 bytes)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"`{text}` is not a size (e.g. 512B, 10KB, 1MB)")
    unit = match.group(2).upper().rstrip("B") or "B"
    return int(match.group(1)) * _UNITS[unit]


@plugin("io.kestra.plugin.core.storage.Split", aliases=("io.kestra.core.tasks.storages.Split",))
class Split(RunnableTask):
    """Split the lines of `from` into several files, each line followed by `separator`.

    Exactly one way: `bytes` (start a new file once a file holds that much), `partitions`
    (deal lines to that many files in turn), `rows` (lines per file) or `regexPattern` (one
    file per value of the pattern's first group; lines that do not match are dropped).
    """

    from_: str = Field(alias="from", description="The file's internal storage URI.")
    bytes: Text | int | None = Field(
        default=None, description="Maximum size of each file (e.g. 10KB, 1MB)."
    )
    partitions: int | str | None = Field(
        default=None, description="Number of files; items are dealt to them in turn."
    )
    rows: int | str | None = Field(default=None, description="Number of lines per file.")
    regex_pattern: Text | None = Field(
        default=None,
        description="Route each line to the file of its first capture group's value.",
    )
    separator: Text = Field(default="\n", description="Written after each line.")

    @model_validator(mode="after")
    def _exactly_one_way(self) -> Split:
        ways = (self.bytes, self.partitions, self.rows, self.regex_pattern)
        if sum(way is not None for way in ways) != 1:
            raise ValueError("set exactly one of `bytes`, `partitions`, `rows` or `regexPattern`")
        return self

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uris": [...]}`` in order; empty parts are not stored."""
        uri = render_uri(ctx, self.from_, "from")
        separator = render_str(ctx, self.separator) or "\n"
        source = local_file(ctx, uri)
        stem = short_id()
        suffix = extension(uri, ".tmp")
        paths: list[Path] = []

        def open_part() -> IO[str]:
            path = ctx.working_dir / f"{stem}-{len(paths):04d}{suffix}"
            paths.append(path)
            return path.open("w", encoding="utf-8", newline="")

        if self.partitions is not None:
            count = self._positive(render_int(ctx, self.partitions, "partitions"), "partitions")
            outputs = [open_part() for _ in range(count)]
            try:
                for index, line in enumerate(read_lines(source)):
                    outputs[index % count].write(line + separator)
            finally:
                for output in outputs:
                    output.close()
        elif self.regex_pattern is not None:
            self._split_by_regex(ctx, source, separator, open_part)
        else:
            if self.rows is not None:
                limit = self._positive(render_int(ctx, self.rows, "rows"), "rows")
            else:
                try:
                    limit = parse_size(render_str(ctx, self.bytes) or "")
                except ValueError as error:
                    raise TaskError(f"property `bytes`: {error}") from None
            self._split_sequentially(source, separator, limit, open_part)
        uris = [store(ctx, path) for path in paths if path.stat().st_size > 0]
        return TaskResult(outputs={"uris": uris})

    def _split_sequentially(
        self, source: Path, separator: str, limit: int, open_part: Callable[[], IO[str]]
    ) -> None:
        """Start a new file once the current one holds `limit` lines (rows) or bytes."""
        output: IO[str] | None = None
        filled = 0
        try:
            for line in read_lines(source):
                text = line + separator
                if output is None or filled >= limit:
                    if output is not None:
                        output.close()
                    output = open_part()
                    filled = 0
                output.write(text)
                filled += 1 if self.rows is not None else len(text.encode("utf-8"))
        finally:
            if output is not None:
                output.close()

    def _split_by_regex(
        self, ctx: TaskContext, source: Path, separator: str, open_part: Callable[[], IO[str]]
    ) -> None:
        """One file per value of the first capture group, in order of first appearance."""
        text = render_str(ctx, self.regex_pattern) or ""
        try:
            pattern = re.compile(text)
        except re.error as error:
            raise TaskError(f"property `regexPattern` is not a valid regex: {error}") from None
        if pattern.groups < 1:
            raise TaskError("property `regexPattern` needs a capture group, e.g. `^(\\w+),`")
        outputs: dict[str, IO[str]] = {}
        try:
            for line in read_lines(source):
                match = pattern.search(line)
                if match is None or match.group(1) is None:
                    continue
                key = match.group(1)
                if key not in outputs:
                    outputs[key] = open_part()
                outputs[key].write(line + separator)
        finally:
            for output in outputs.values():
                output.close()

    @staticmethod
    def _positive(value: int | None, name: str) -> int:
        if value is None or value < 1:
            raise TaskError(f"`{name}` must be at least 1, got `{value}`")
        return value
