"""`storage.Split`: cut a file into several, by size, by number of parts or by rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from pydantic import Field, model_validator

from tercel.errors import TaskError
from tercel.ids import short_id
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import extension, local_file, render_uri, store
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


def _items(path: Path, separator: str) -> Iterator[str]:
    """The items of a text file, streamed; a trailing separator adds no empty item."""
    buffer = ""
    with path.open(encoding="utf-8", newline="") as source:
        while chunk := source.read(1024 * 1024):
            buffer += chunk
            *complete, buffer = buffer.split(separator)
            yield from complete
    if buffer:
        yield buffer


@plugin("io.kestra.plugin.core.storage.Split", aliases=("io.kestra.core.tasks.storages.Split",))
class Split(RunnableTask):
    """Split `from` into files of at most `bytes`, into `partitions` files, or every `rows`."""

    from_: str = Field(alias="from", description="The file's internal storage URI.")
    bytes: Text | int | None = Field(
        default=None, description="Maximum size of each file (e.g. 10KB, 1MB)."
    )
    partitions: int | str | None = Field(
        default=None, description="Number of files; items are dealt to them in turn."
    )
    rows: int | str | None = Field(default=None, description="Number of items per file.")
    separator: Text = Field(default="\n", description="What separates two items.")

    @model_validator(mode="after")
    def _exactly_one_way(self) -> Split:
        chosen = [v for v in (self.bytes, self.partitions, self.rows) if v is not None]
        if len(chosen) != 1:
            raise ValueError("set exactly one of `bytes`, `partitions` or `rows`")
        return self

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uris": [...]}`` in order; empty parts are not stored."""
        uri = render_uri(ctx, self.from_, "from")
        separator = render_str(ctx, self.separator) or "\n"
        source = local_file(ctx, uri)
        stem = short_id()
        suffix = extension(uri)
        paths: list[Path] = []

        def open_part() -> IO[str]:
            path = ctx.working_dir / f"{stem}-{len(paths):04d}{suffix}"
            paths.append(path)
            return path.open("w", encoding="utf-8", newline="")

        if self.partitions is not None:
            count = self._positive(render_int(ctx, self.partitions, "partitions"), "partitions")
            outputs = [open_part() for _ in range(count)]
            try:
                for index, item in enumerate(_items(source, separator)):
                    outputs[index % count].write(item + separator)
            finally:
                for output in outputs:
                    output.close()
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
        """Fill a file until `limit` items (rows) or bytes, then start the next one."""
        output: IO[str] | None = None
        filled = 0
        try:
            for item in _items(source, separator):
                text = item + separator
                size = 1 if self.rows is not None else len(text.encode("utf-8"))
                if output is None or (filled > 0 and filled + size > limit):
                    if output is not None:
                        output.close()
                    output = open_part()
                    filled = 0
                output.write(text)
                filled += size
        finally:
            if output is not None:
                output.close()

    @staticmethod
    def _positive(value: int | None, name: str) -> int:
        if value is None or value < 1:
            raise TaskError(f"`{name}` must be at least 1, got `{value}`")
        return value
