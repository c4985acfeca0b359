"""`serdes.yaml.*`: YAML to and from Ion and JSON (ruamel.yaml, YAML 1.2).

A YAML stream's documents are the rows, one per document, read one at a time. Dates in YAML
stay text, as Kestra's reader keeps them. Writing puts one row as a plain document, several
rows as documents each starting with ``---``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import Field
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.templating.properties import Text, render_bool
from tercel.plugins.serdes.common import ConversionTask, render_charset, result, target
from tercel.plugins.serdes.json_files import (
    NOTHING,
    json_lines,
    json_value,
    write_document,
    write_lines,
)


def _plain(value: Any) -> Any:
    """YAML values as Kestra's reader gives them (timestamps stay text)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def yaml_documents(path: Path, charset: str) -> Iterator[Any]:
    """The documents of a YAML file, one at a time."""
    loader = YAML(typ="safe")
    with path.open(encoding=charset) as text:
        try:
            for document in loader.load_all(text):
                yield _plain(document)
        except YAMLError as error:
            raise TaskError(f"`from` is not valid YAML: {error}") from None


def write_yaml(rows: Iterable[Any], sink: IO[str]) -> int:
    """One row as a plain document, several as ``---`` documents; the number written."""
    dumper = YAML(typ="safe")
    dumper.default_flow_style = False
    dumper.allow_unicode = True
    # Keys stay in the row's order, as Kestra writes them.
    dumper.representer.sort_base_mapping_type_on_output = False
    iterator = iter(rows)
    first = next(iterator, NOTHING)
    if first is NOTHING:
        return 0
    second = next(iterator, NOTHING)
    if second is NOTHING:
        dumper.dump(_yaml_value(first), sink)
        return 1
    count = 0
    for row in itertools.chain((first, second), iterator):
        sink.write("---\n")
        dumper.dump(_yaml_value(row), sink)
        count += 1
    return count


def _yaml_value(value: Any) -> Any:
    """Ion values YAML cannot print (decimals, dates, bytes) as JSON writers print them."""
    return json.loads(json.dumps(value, default=lambda v: json_value(v, None)))


@plugin("io.kestra.plugin.serdes.yaml.YamlToIon")
class YamlToIon(ConversionTask):
    """Convert a YAML file (one row per document) to an Ion row file (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the documents into an Ion file."""
        source = self.source(ctx)
        output = target(ctx, ".ion")
        with output.open("wb") as sink:
            count = ion.dump_rows(
                yaml_documents(source, render_charset(ctx, self.charset, reading=True)), sink
            )
        return result(ctx, output, count)


@plugin("io.kestra.plugin.serdes.yaml.IonToYaml")
class IonToYaml(ConversionTask):
    """Convert an Ion row file to YAML (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The output's character set.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Write each row as a YAML document."""
        source = self.source(ctx)
        output = target(ctx, ".yaml")
        with output.open("w", encoding=render_charset(ctx, self.charset)) as sink:
            count = write_yaml(ion.iter_rows(source), sink)
        return result(ctx, output, count)


@plugin("io.kestra.plugin.serdes.yaml.JsonToYaml")
class JsonToYaml(ConversionTask):
    """Convert a JSON (or, with `jsonl`, JSON Lines) file to YAML (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")
    jsonl: bool | str = Field(default=False, description="The file holds one value per line.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """A JSON document is one YAML document; each JSON line is one."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        lines = render_bool(ctx, self.jsonl, "jsonl", False)
        output = target(ctx, ".yaml")
        rows = json_lines(source, charset) if lines else iter([_whole_json(source, charset)])
        with output.open("w", encoding=render_charset(ctx, self.charset)) as sink:
            count = write_yaml(rows, sink)
        return result(ctx, output, count)


def _whole_json(path: Path, charset: str) -> Any:
    with path.open(encoding=charset) as text:
        try:
            return json.load(text)
        except json.JSONDecodeError as error:
            raise TaskError(f"`from` is not a JSON document: {error}") from None


@plugin("io.kestra.plugin.serdes.yaml.YamlToJson")
class YamlToJson(ConversionTask):
    """Convert a YAML file to JSON (an array of its documents, or one document alone), or
    to JSON Lines with `jsonl` (`uri`, `size`)."""

    charset: Text = Field(default="UTF-8", description="The file's character set.")
    jsonl: bool | str = Field(default=False, description="Write one document per line.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the documents into JSON."""
        source = self.source(ctx)
        charset = render_charset(ctx, self.charset, reading=True)
        lines = render_bool(ctx, self.jsonl, "jsonl", False)
        output = target(ctx, ".jsonl" if lines else ".json")
        documents = yaml_documents(source, charset)
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        with output.open("w", encoding=render_charset(ctx, self.charset)) as sink:
            if lines:
                count = write_lines(documents, sink, encoder)
            else:
                count = write_document(documents, sink, encoder)
        return result(ctx, output, count)
