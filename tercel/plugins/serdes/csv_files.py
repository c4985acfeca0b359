"""`serdes.csv.CsvToIon` and `serdes.csv.IonToCsv`: CSV to and from Ion row files.

Reading: with `header` (the default) each row becomes a map keyed by the first line's
names, else a list; every value is text, and ``\\N`` is null. `skipRows` skips that many
data rows after the header. A row whose field count differs from the header's is a bad
line, handled by `onBadLines` (ERROR, WARN, SKIP). Writing: maps write their keys as a
header line first; values print with the date options of `TextWriter`.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_enum,
    render_int,
    render_str,
)
from tercel.plugins.serdes.common import (
    ConversionTask,
    render_char,
    render_charset,
    result,
    target,
)
from tercel.plugins.serdes.text_values import TextWriter

ON_BAD_LINES = ("ERROR", "WARN", "SKIP")
ON_EMPTY_HEADER = ("DROP", "RENAME")
QUOTE_MODES = ("ALWAYS", "REQUIRED", "NON_NUMERIC")
_NULL = "\\N"


@plugin(
    "io.kestra.plugin.serdes.csv.CsvToIon",
    aliases=("io.kestra.plugin.serdes.csv.CsvReader",),
)
class CsvToIon(ConversionTask):
    """Convert a CSV file to an Ion row file (`uri`, `size`)."""

    header: bool | str = Field(default=True, description="The first line holds column names.")
    field_separator: Text = Field(default=",", description="The field separator character.")
    text_delimiter: Text = Field(default='"', description="The quote character.")
    skip_empty_rows: bool | str = Field(default=False, description="Skip empty lines.")
    skip_rows: int | str = Field(default=0, description="Data rows to skip after the header.")
    charset: Text = Field(default="UTF-8", description="The file's character set.")
    on_bad_lines: Text = Field(
        default="ERROR", description="A row with the wrong field count: ERROR, WARN or SKIP."
    )
    on_empty_header: Text = Field(
        default="DROP",
        description="Unnamed trailing header columns: DROP them, or RENAME them col_<index>.",
    )
    error_on_different_field_count: bool | str | None = Field(
        default=None, description="Deprecated: use `onBadLines`."
    )
    max_buffer_size: int | str | None = Field(default=None, description="Accepted; unused.")
    max_field_size: int | str | None = Field(
        default=None, description="The longest field accepted, in characters (16 MiB)."
    )
    allow_extra_chars_after_closing_quote: bool | str | None = Field(
        default=None, description="Accepted: text after a closing quote is kept."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the CSV rows into an Ion file."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        options = _ReadOptions(
            header=render_bool(ctx, self.header, "header", True),
            skip_empty=render_bool(ctx, self.skip_empty_rows, "skipEmptyRows", False),
            skip_rows=render_int(ctx, self.skip_rows, "skipRows") or 0,
            on_bad_lines=render_enum(ctx, self.on_bad_lines, "onBadLines", ON_BAD_LINES),
            on_empty_header=render_enum(
                ctx, self.on_empty_header, "onEmptyHeader", ON_EMPTY_HEADER
            ),
        )
        max_field = render_int(ctx, self.max_field_size, "maxFieldSize") or 16 * 1024 * 1024
        csv.field_size_limit(max(csv.field_size_limit(), min(max_field, sys.maxsize)))
        output = target(ctx, ".ion")
        try:
            with (
                source.open(encoding=charset, newline="") as text,
                output.open("wb") as sink,
            ):
                reader = csv.reader(
                    text,
                    delimiter=render_char(ctx, self.field_separator, "fieldSeparator", ","),
                    quotechar=render_char(ctx, self.text_delimiter, "textDelimiter", '"'),
                    strict=False,
                )
                count = ion.dump_rows(_rows(ctx, reader, options), sink)
        except (UnicodeDecodeError, csv.Error) as error:
            raise TaskError(f"cannot read `from` as CSV: {error}") from None
        return result(ctx, output, count)


class _ReadOptions:
    def __init__(
        self,
        *,
        header: bool,
        skip_empty: bool,
        skip_rows: int,
        on_bad_lines: str,
        on_empty_header: str,
    ) -> None:
        self.header = header
        self.skip_empty = skip_empty
        self.skip_rows = skip_rows
        self.on_bad_lines = on_bad_lines
        self.on_empty_header = on_empty_header


def _rows(ctx: TaskContext, reader: Iterator[list[str]], options: _ReadOptions) -> Iterator[Any]:
    names: list[str] | None = None
    kept = 0
    skipped = 0
    for read in reader:
        if not read and options.skip_empty:
            continue
        # An empty line is one empty field, as Kestra's reader reads it.
        fields = read or [""]
        if options.header and names is None:
            names, kept = _header(ctx, fields, options.on_empty_header)
            continue
        if skipped < options.skip_rows:
            skipped += 1
            continue
        values = [None if field == _NULL else field for field in fields]
        if names is None:
            yield values
            continue
        if len(values) != len(names):
            message = (
                f"Bad line encountered (field count mismatch) at line {reader.line_num}: "  # type: ignore[attr-defined]
                f"expected {len(names)} fields, got {len(values)}"
            )
            if options.on_bad_lines == "ERROR":
                raise TaskError(f"{message} (set `onBadLines: SKIP` or `WARN` to go on)")
            if options.on_bad_lines == "WARN":
                ctx.logger.warning(message)
            continue
        yield {names[index]: values[index] for index in range(kept)}


def _header(ctx: TaskContext, fields: list[str], on_empty: str) -> tuple[list[str], int]:
    """The column names and how many columns rows keep (trailing unnamed ones dropped)."""
    names = list(fields)
    if on_empty == "RENAME":
        taken = set(names)
        for index, name in enumerate(names):
            if name:
                continue
            candidate, attempt = f"col_{index}", 1
            while candidate in taken:
                attempt += 1
                candidate = f"col_{index}_{attempt}"
            taken.add(candidate)
            names[index] = candidate
        return names, len(names)
    named = [index for index, name in enumerate(names) if name]
    kept = (named[-1] + 1) if named else len(names)
    if kept < len(names):
        dropped = (
            f"Dropped {len(names) - kept} trailing unnamed header column(s) and their values; "
            "set onEmptyHeader: RENAME to keep them"
        )
        ctx.logger.warning(dropped)
    if len(set(names[:kept])) < kept:
        ctx.logger.warning(
            "The header repeats a column name (or has empty ones): those columns share one key "
            "and only the last value is kept; set onEmptyHeader: RENAME to keep empty ones"
        )
    return names, kept


@plugin(
    "io.kestra.plugin.serdes.csv.IonToCsv",
    aliases=("io.kestra.plugin.serdes.csv.CsvWriter",),
)
class IonToCsv(TextWriter):
    """Convert an Ion row file to CSV (`uri`, `size`)."""

    header: bool | str = Field(default=True, description="Write the first map's keys first.")
    field_separator: Text = Field(default=",", description="The field separator character.")
    text_delimiter: Text = Field(default='"', description="The quote character.")
    line_delimiter: Text = Field(default="\n", description="What ends each row.")
    always_delimit_text: bool | str = Field(
        default=False, description="Deprecated: quote every field (use `quoteMode: ALWAYS`)."
    )
    quote_mode: Text | None = Field(
        default=None,
        description="ALWAYS, REQUIRED (only fields that need it) or NON_NUMERIC (all but numbers).",
    )
    charset: Text = Field(default="UTF-8", description="The output's character set.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the Ion rows into a CSV file."""
        source = self.source(ctx)
        formats = self.text_formats(ctx)
        header = render_bool(ctx, self.header, "header", True)
        if self.quote_mode is not None:
            mode = render_enum(ctx, self.quote_mode, "quoteMode", QUOTE_MODES)
        else:
            always = render_bool(ctx, self.always_delimit_text, "alwaysDelimitText", False)
            mode = "ALWAYS" if always else "REQUIRED"
        line = _LineWriter(
            separator=render_char(ctx, self.field_separator, "fieldSeparator", ","),
            quote=render_char(ctx, self.text_delimiter, "textDelimiter", '"'),
            mode=mode,
        )
        end = render_str(ctx, self.line_delimiter)
        end = "\n" if end is None else end
        output = target(ctx, ".csv")
        count = 0
        with output.open("w", encoding=render_charset(ctx, self.charset), newline="") as sink:
            for row in ion.iter_rows(source):
                if isinstance(row, dict):
                    if header and count == 0:
                        sink.write(line.format(list(row)) + end)
                    values = list(row.values())
                elif isinstance(row, list):
                    values = row
                else:
                    values = [row]
                sink.write(line.format([formats.text(value) for value in values]) + end)
                count += 1
        return result(ctx, output, count)


class _LineWriter:
    """One CSV line; quoting as Kestra's writer does it for each quote mode."""

    def __init__(self, *, separator: str, quote: str, mode: str) -> None:
        self.separator = separator
        self.quote = quote
        self.mode = mode
        self._special = (separator, quote, "\n", "\r")

    def format(self, fields: list[str | None]) -> str:
        return self.separator.join(self._field(field) for field in fields)

    def _field(self, field: str | None) -> str:
        text = "" if field is None else field
        if self._needs_quotes(field):
            return self.quote + text.replace(self.quote, self.quote * 2) + self.quote
        return text

    def _needs_quotes(self, field: str | None) -> bool:
        if field is None:
            return self.mode == "ALWAYS"
        if self.mode == "ALWAYS" or any(char in field for char in self._special):
            return True
        return self.mode == "NON_NUMERIC" and field != "" and not _numeric(field)


def _numeric(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        return False
    integer, _, fraction = body.partition(".")
    return (integer + fraction).isdigit() and body.count(".") <= 1
