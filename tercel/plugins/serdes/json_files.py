"""`serdes.json.JsonToIon` and `serdes.json.IonToJson`: JSON (lines or one document) and Ion.

With `newLine: true` (the default) the JSON file holds one value per line (JSON Lines) and
streams; with `newLine: false` it is one document, parsed whole as Kestra does: a top-level
array gives one row per item, anything else one row. Writing with `newLine: false` gives the
value itself for a one-row file and an array otherwise.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pydantic import Field

from tercel.errors import TaskError, TemplateError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import Text, render_bool, render_str
from tercel.plugins.serdes.common import ConversionTask, render_charset, result, target
from tercel.templating.dates import zone_of


@plugin(
    "io.kestra.plugin.serdes.json.JsonToIon",
    aliases=("io.kestra.plugin.serdes.json.JsonReader",),
)
class JsonToIon(ConversionTask):
    """Convert a JSON or JSON Lines file to an Ion row file (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")
    new_line: bool | str = Field(
        default=True,
        description="One JSON value per line (JSON Lines); false reads one document, whole.",
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the JSON values into an Ion file."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        lines = render_bool(ctx, self.new_line, "newLine", True)
        output = target(ctx, ".ion")
        with output.open("wb") as sink:
            rows = json_lines(source, charset) if lines else json_document(source, charset)
            count = ion.dump_rows(rows, sink)
        return result(ctx, output, count)


def json_lines(path: Path, charset: str) -> Iterator[Any]:
    """The values of a JSON Lines file, one per non-blank line."""
    with path.open(encoding=charset) as text:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise TaskError(
                    f"line {number} is not JSON ({error}); set `newLine: false` for a file "
                    "that holds one JSON document"
                ) from None


def json_document(path: Path, charset: str) -> Iterator[Any]:
    """A JSON document's rows: the items of a top-level array, else the value itself."""
    with path.open(encoding=charset) as text:
        try:
            document = json.load(text)
        except json.JSONDecodeError as error:
            raise TaskError(f"`from` is not a JSON document: {error}") from None
    if isinstance(document, list):
        yield from document
    else:
        yield document


@plugin(
    "io.kestra.plugin.serdes.json.IonToJson",
    aliases=("io.kestra.plugin.serdes.json.JsonWriter",),
)
class IonToJson(ConversionTask):
    """Convert an Ion row file to JSON Lines, or to one JSON document (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The output's character set.")
    new_line: bool | str = Field(
        default=True, description="One JSON value per line; false writes one document."
    )
    time_zone_id: Text | None = Field(
        default=None, description="Zone of date-times that carry none (default: UTC)."
    )
    should_keep_annotations: bool | str = Field(
        default=False, description="Accepted: Ion annotations are not kept."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the Ion rows into a JSON file."""
        source = self.source(ctx)
        lines = render_bool(ctx, self.new_line, "newLine", True)
        try:
            zone = zone_of(render_str(ctx, self.time_zone_id) or "UTC")
        except TemplateError as error:
            raise TaskError(f"property `timeZoneId`: {error}") from None
        encoder = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=lambda v: json_value(v, zone)
        )
        output = target(ctx, ".jsonl" if lines else ".json")
        with output.open("w", encoding=render_charset(ctx, self.charset)) as sink:
            rows = ion.iter_rows(source)
            count = (
                write_lines(rows, sink, encoder) if lines else write_document(rows, sink, encoder)
            )
        return result(ctx, output, count)


def write_lines(rows: Iterator[Any], sink: IO[str], encoder: json.JSONEncoder) -> int:
    """One JSON value per line; the number written."""
    count = 0
    for row in rows:
        sink.write(encoder.encode(row))
        sink.write("\n")
        count += 1
    return count


def write_document(rows: Iterator[Any], sink: IO[str], encoder: json.JSONEncoder) -> int:
    """One row as a JSON value, several as an array, streamed; the number written."""
    first = next(rows, NOTHING)
    if first is NOTHING:
        return 0
    second = next(rows, NOTHING)
    if second is NOTHING:
        sink.write(encoder.encode(first))
        return 1
    sink.write("[" + encoder.encode(first) + "," + encoder.encode(second))
    count = 2
    for row in rows:
        sink.write("," + encoder.encode(row))
        count += 1
    sink.write("]")
    return count


#: Marks the end of an iterator.
NOTHING = object()


def json_value(value: Any, zone: Any) -> Any:
    """What JSON cannot print natively, as Kestra's writers print it (the XML writer too)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@plugin("io.kestra.plugin.serdes.json.JsonToJsonl")
class JsonToJsonl(ConversionTask):
    """Convert a JSON array (or objects one after another) to JSON Lines (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Write each item of the array, or each object, on its own line."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        output = target(ctx, ".jsonl")
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        with output.open("w", encoding=render_charset(ctx, self.charset)) as sink:
            count = write_lines(_json_values(source, charset), sink, encoder)
        return result(ctx, output, count)


def _json_values(path: Path, charset: str) -> Iterator[Any]:
    """The items of a top-level array, or each of the values written one after another."""
    text = path.read_text(encoding=charset)
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    first = True
    while position < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise TaskError(f"`from` is not JSON: {error}") from None
        if first and isinstance(value, list):
            yield from value
        elif isinstance(value, dict | list) or not first:
            yield value
        else:
            raise TaskError("`from` must hold a JSON array or JSON objects")
        first = False
        position = _skip_space(text, position)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
